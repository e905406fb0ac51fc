package inbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// SLAs: first-response and resolution targets, counted in the business
// hours of the ticket's team (a ticket without a team, or a team without
// weekly hours, counts every minute).
//
//   - The durable consumer SLAConsumer applies the matching policy (see
//     store.MatchSLAPolicy) when a ticket is created, when its priority,
//     team or status changes, and when an agent answers; it sets the due
//     and warning times on the ticket and schedules one job per target and
//     stage ("sla.timer", keyed by ticket, target, stage and cycle) at
//     those times. Applying is a function of the ticket's state and the
//     cycle, so an event seen twice changes nothing.
//   - First response is measured once per ticket, from its creation; the
//     first agent reply stops it, and so does resolving an unanswered ticket
//     (reopening it without an answer lets it run again, against the same
//     due time).
//   - Resolution is measured per cycle. A cycle starts when the ticket is
//     created and again whenever it is reopened (resolved or closed → any
//     other status): the resolution clock restarts from the reopening and
//     its breach flag is cleared. Resolving or closing stops it. Pending and
//     snoozed tickets keep counting. The cycle is the id of the durable event
//     that started it, so a replayed reopening is not a new cycle.
//   - A priority or team change re-applies the policy that now matches and
//     recomputes the due times from the same starts (creation, the cycle's
//     start); the jobs move with them.
//   - The timer job, when due, emits sla.warning or sla.breached once per
//     ticket, target and cycle: the event, the breach flag and the job's
//     completion commit in one transaction fenced by the job's lease, and it
//     re-checks the ticket first (still running, same cycle, the time really
//     reached). A first response breaches at most once per ticket; a warning
//     that comes due only after its target (a clock that jumped, a scheduler
//     that was down) is dropped: the breach says it.

// SLA jobs, consumer and events.
const (
	JobSLATimer      = "sla.timer"
	SLAConsumerName  = "sla"
	EventSLAWarning  = "sla.warning"
	EventSLABreached = "sla.breached"
	// EventTicketSLA (ephemeral) says a ticket's SLA due times or policy
	// were set again, so live screens refresh them.
	EventTicketSLA     = "ticket.sla"
	slaStageWarning    = "warning"
	slaStageBreach     = "breach"
	maxSLATargetMinute = 366 * 24 * 60
)

// SLAChanges describes an sla.warning or sla.breached event.
type SLAChanges struct {
	// Target is "first_response" or "resolution".
	Target   string    `json:"target"`
	DueAt    time.Time `json:"due_at"`
	PolicyID int64     `json:"policy_id"`
	// Cycle is the id of the event that started the ticket's SLA cycle
	// (its creation or latest reopening).
	Cycle int64 `json:"cycle"`
}

// AddBusinessTime returns the moment d of business time after from under
// h: time counts only inside h's weekly spans, in h's time zone, outside
// its holidays. Hours without weekly spans count every minute. It fails
// when h is never open within five years.
func AddBusinessTime(h store.BusinessHours, from time.Time, d time.Duration) (time.Time, error) {
	if d <= 0 {
		return from.UTC(), nil
	}
	if len(h.Weekly) == 0 {
		return from.Add(d).UTC(), nil
	}
	loc, err := HoursLocation(h)
	if err != nil {
		return time.Time{}, fmt.Errorf("inbox: business hours: %w", err)
	}
	weekly := make(map[string][][2]string, len(h.Weekly))
	for day, spans := range h.Weekly {
		spans = slices.Clone(spans)
		slices.SortFunc(spans, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
		weekly[day] = spans
	}
	holiday := make(map[string]bool, len(h.Holidays))
	for _, day := range h.Holidays {
		holiday[day] = true
	}
	base := from.In(loc)
	cur := base // business time is counted from cur on
	left := d
	for i := 0; i < 5*366; i++ {
		day := time.Date(base.Year(), base.Month(), base.Day()+i, 0, 0, 0, 0, loc)
		if holiday[day.Format(time.DateOnly)] {
			continue
		}
		for _, sp := range weekly[weekdays[day.Weekday()]] {
			start, end := clock(day, sp[0]), clock(day, sp[1])
			if !end.After(cur) {
				continue
			}
			if start.Before(cur) {
				start = cur
			}
			if open := end.Sub(start); left <= open {
				return start.Add(left).UTC(), nil
			} else {
				left -= open
			}
			cur = end
		}
	}
	return time.Time{}, invalidAs("bad_hours", nil, "business hours are never open")
}

// AddBusinessMinutes is AddBusinessTime of n minutes.
func AddBusinessMinutes(h store.BusinessHours, from time.Time, n int64) (time.Time, error) {
	return AddBusinessTime(h, from, time.Duration(n)*time.Minute)
}

// SLAPolicyInput is an admin's SLA policy.
type SLAPolicyInput struct {
	Name string
	// Priority ("" any) and TeamID (0 any) select the tickets it applies to.
	Priority string
	TeamID   int64
	// Targets in business minutes (0: none; at least one is needed).
	FirstResponseMinutes int64
	ResolutionMinutes    int64
	// WarnMinutes > 0 warns that long before a due time; otherwise the
	// warning comes at WarnPercent (1–99) of the target.
	WarnPercent int64
	WarnMinutes int64
	Enabled     bool
}

// SaveSLAPolicy validates in and creates (id 0) or replaces policy id.
func (s *Service) SaveSLAPolicy(ctx context.Context, id int64, in SLAPolicyInput) (*store.SLAPolicy, error) {
	name, err := plaintext.Text(strings.TrimSpace(in.Name), 0)
	if err != nil || name == "" || len([]rune(name)) > 255 {
		return nil, invalidAs("sla_name", nil, "an SLA policy needs a name of at most 255 characters")
	}
	if in.Priority != "" && !validPriority(in.Priority) {
		return nil, invalidAs("bad_priority", map[string]any{"value": in.Priority}, "unknown priority %q", in.Priority)
	}
	for _, m := range []int64{in.FirstResponseMinutes, in.ResolutionMinutes} {
		if m < 0 || m > maxSLATargetMinute {
			return nil, invalidAs("sla_target", nil, "a target must be between 0 and %d minutes", maxSLATargetMinute)
		}
	}
	if in.FirstResponseMinutes == 0 && in.ResolutionMinutes == 0 {
		return nil, invalidAs("sla_target", nil, "an SLA policy needs a first-response or a resolution target")
	}
	if in.WarnMinutes < 0 || in.WarnMinutes > maxSLATargetMinute {
		return nil, invalidAs("sla_warning", nil, "the warning must be between 1 and 99 percent, or a number of minutes before the due time")
	}
	if in.WarnMinutes == 0 && (in.WarnPercent < 1 || in.WarnPercent > 99) {
		return nil, invalidAs("sla_warning", nil, "the warning must be between 1 and 99 percent, or a number of minutes before the due time")
	}
	p := &store.SLAPolicy{ID: id, Name: name, Priority: in.Priority, FirstResponseMinutes: in.FirstResponseMinutes,
		ResolutionMinutes: in.ResolutionMinutes, WarnPercent: in.WarnPercent, WarnMinutes: in.WarnMinutes, Enabled: in.Enabled}
	if in.TeamID != 0 {
		var tm store.Team
		if err := s.st.DB.WithContext(ctx).Take(&tm, in.TeamID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil, invalidAs("no_team", map[string]any{"id": in.TeamID}, "no team %d", in.TeamID)
			}
			return nil, fmt.Errorf("inbox: load team: %w", err)
		}
		p.TeamID = &tm.ID
	}
	if err := s.st.SaveSLAPolicy(ctx, p); err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return p, nil
}

// SLAOptions tune the SLA engine.
type SLAOptions struct {
	// Now is the clock timers compare due times with (default time.Now);
	// tests inject the scheduler's.
	Now func() time.Time
}

type slaEngine struct {
	s     *Service
	sched *jobs.Scheduler
	now   func() time.Time
}

// slaJob is the payload of an sla.timer job.
type slaJob struct {
	TicketID int64  `json:"ticket_id"`
	Target   string `json:"target"`
	Stage    string `json:"stage"`
	Cycle    int64  `json:"cycle"`
}

func slaKey(ticketID int64, target, stage string, cycle int64) string {
	return "ticket:" + strconv.FormatInt(ticketID, 10) + ":" + target + ":" + stage + ":cycle:" + strconv.FormatInt(cycle, 10)
}

// EnableSLA adds the SLA consumer and registers the SLA timer jobs on sched.
// Call it once, before RunConsumers and sched.Run.
func (s *Service) EnableSLA(ctx context.Context, sched *jobs.Scheduler, opts SLAOptions) error {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	e := &slaEngine{s: s, sched: sched, now: opts.Now}
	sched.Handle(JobSLATimer, e.runTimer)
	return s.AddConsumer(ctx, Consumer{Name: SLAConsumerName,
		Types:  []string{EventTicketCreated, EventTicketUpdated, EventMessageCreated},
		Handle: e.handle})
}

func done(status string) bool { return status == store.StatusResolved || status == store.StatusClosed }

// handle applies the SLA to the ticket of an event that may change it.
func (e *slaEngine) handle(ctx context.Context, ev Event) error {
	reopened := false
	switch ev.Type {
	case EventTicketCreated:
	case EventMessageCreated:
		if ev.Message == nil || ev.Message.Direction != store.DirOutbound {
			return nil
		}
	case EventTicketUpdated:
		c := ev.Changes
		if c == nil || (c.Status == nil && c.Priority == nil && c.TeamID == nil && c.Team == nil) {
			return nil
		}
		reopened = c.Status != nil && done(c.Status.Old) && !done(c.Status.New)
	default:
		return nil
	}
	changed := false
	err := e.s.st.Tx(ctx, func(tx *gorm.DB) error {
		t, err := lockTicket(tx, ev.TicketID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		// A ticket no policy ever applied to, and none applies to now, has
		// nothing to set (the common case without SLA policies).
		changed = t.SLAPolicyID != nil || t.SLADueAt != nil
		if err := e.apply(tx, t, ev, reopened); err != nil {
			return err
		}
		if !changed {
			var now store.Ticket
			if err := tx.Select("sla_policy_id").Take(&now, t.ID).Error; err != nil {
				return err
			}
			changed = now.SLAPolicyID != nil
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sla: apply to ticket %d: %w", ev.TicketID, err)
	}
	if changed {
		e.s.bus.Publish(Event{Type: EventTicketSLA, TicketID: ev.TicketID})
	}
	return nil
}

// apply sets the ticket's SLA from its state: the policy that matches now,
// the cycle (a new one for a reopening newer than the current cycle), due
// and warning times, the soonest running due time and the timer jobs.
func (e *slaEngine) apply(tx *gorm.DB, t *store.Ticket, ev Event, reopened bool) error {
	if t.MergedInto != nil {
		// Merged (and closed): its clocks stop; the ticket it went into
		// keeps its own.
		if err := tx.Model(&store.Ticket{}).Where("id = ?", t.ID).Update("sla_due_at", nil).Error; err != nil {
			return fmt.Errorf("sla: update ticket %d: %w", t.ID, err)
		}
		return nil
	}
	up := map[string]any{}
	cycle, started := t.SLACycle, t.SLAStartedAt
	switch {
	case reopened && ev.ID > t.SLACycle && !done(t.Status):
		at := ev.At
		if at.IsZero() {
			at = now()
		}
		cycle, started = ev.ID, &at
		up["resolution_breached"] = false
	case t.SLACycle == 0 && !done(t.Status):
		// Created, or older than SLAs: the first cycle runs from creation.
		cycle, started = max(ev.ID, 1), &t.CreatedAt
	}
	if cycle == 0 {
		return nil // resolved before any SLA applied
	}
	up["sla_cycle"], up["sla_started_at"] = cycle, started
	p, err := store.MatchSLAPolicy(tx, t.Priority, t.TeamID)
	if err != nil {
		return err
	}
	var hours store.BusinessHours
	if p != nil && t.TeamID != nil {
		var tm store.Team
		if err := tx.Select("id", "business_hours").Take(&tm, *t.TeamID).Error; err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("sla: team of ticket %d: %w", t.ID, err)
		}
		hours = tm.Hours
	}
	type target struct {
		name             string
		from             time.Time
		minutes          int64
		running, stopped bool // stopped: for good in this cycle
		due, warn        *time.Time
	}
	targets := []*target{
		{name: store.SLAFirstResponse, from: t.CreatedAt},
		{name: store.SLAResolution, from: *started},
	}
	if p != nil {
		targets[0].minutes, targets[1].minutes = p.FirstResponseMinutes, p.ResolutionMinutes
		up["sla_policy_id"] = p.ID
	} else {
		up["sla_policy_id"] = nil
	}
	targets[0].stopped = t.FirstResponseAt != nil
	targets[1].stopped = done(t.Status)
	var soonest *time.Time
	for _, tg := range targets {
		if tg.minutes > 0 {
			due, err := AddBusinessMinutes(hours, tg.from, tg.minutes)
			if err != nil {
				return err
			}
			warn, err := AddBusinessTime(hours, tg.from, warnAfter(p, tg.minutes))
			if err != nil {
				return err
			}
			tg.due, tg.warn = &due, &warn
			tg.running = !tg.stopped && !done(t.Status)
		}
		up[tg.name+"_due_at"], up[tg.name+"_warn_at"] = tg.due, tg.warn
		if tg.running && (soonest == nil || tg.due.Before(*soonest)) {
			soonest = tg.due
		}
	}
	up["sla_due_at"] = soonest
	if err := tx.Model(&store.Ticket{}).Where("id = ?", t.ID).Updates(up).Error; err != nil {
		return fmt.Errorf("sla: update ticket %d: %w", t.ID, err)
	}
	for _, tg := range targets {
		for _, st := range []struct {
			stage string
			at    *time.Time
		}{{slaStageWarning, tg.warn}, {slaStageBreach, tg.due}} {
			key := slaKey(t.ID, tg.name, st.stage, cycle)
			switch {
			case tg.running:
				spec := jobs.Spec{Kind: JobSLATimer, Key: key, Due: *st.at,
					Payload: slaJob{TicketID: t.ID, Target: tg.name, Stage: st.stage, Cycle: cycle}}
				if _, err := e.sched.MoveTx(tx, spec); err != nil {
					return err
				}
			case tg.stopped:
				// Answered or resolved: nothing more can happen in this
				// cycle. (A target that merely lost its policy keeps its
				// jobs, which find nothing to do unless it comes back.)
				if _, err := e.sched.CancelTx(tx, JobSLATimer, key); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// warnAfter is how much business time after a target's start its warning
// comes.
func warnAfter(p *store.SLAPolicy, minutes int64) time.Duration {
	target := time.Duration(minutes) * time.Minute
	if p.WarnMinutes > 0 {
		return max(0, target-time.Duration(p.WarnMinutes)*time.Minute)
	}
	pct := p.WarnPercent
	if pct < 1 || pct > 99 {
		pct = 80
	}
	return target * time.Duration(pct) / 100
}

// runTimer emits a warning or a breach once, if the target still runs in
// the job's cycle and its time has come.
func (e *slaEngine) runTimer(ctx context.Context, j *jobs.Job) error {
	var p slaJob
	if err := j.Decode(&p); err != nil {
		return jobs.Permanent(err)
	}
	var events []Event
	var later *time.Time
	err := e.s.st.Tx(ctx, func(tx *gorm.DB) error {
		events, later = nil, nil
		t, err := lockTicket(tx, p.TicketID)
		if errors.Is(err, ErrNotFound) {
			return j.Done(tx)
		}
		if err != nil {
			return err
		}
		due, warn, breached, running := slaTarget(t, p.Target)
		if t.SLACycle != p.Cycle || !running || due == nil || breached {
			return j.Done(tx) // stopped, a new cycle, no target or already breached
		}
		at := *due
		if p.Stage == slaStageWarning {
			at = *warn
		}
		if e.now().Before(at) {
			later = &at // moved later since the job was claimed
			return nil
		}
		if p.Stage == slaStageWarning && !e.now().Before(*due) {
			return j.Done(tx) // too late to warn: the breach says it
		}
		typ := EventSLAWarning
		if p.Stage == slaStageBreach {
			typ = EventSLABreached
			if err := tx.Model(&store.Ticket{}).Where("id = ?", t.ID).Update(p.Target+"_breached", true).Error; err != nil {
				return fmt.Errorf("sla: flag breach of ticket %d: %w", t.ID, err)
			}
		}
		events = []Event{{Type: typ, TicketID: t.ID, SLA: &SLAChanges{Target: p.Target, DueAt: *due, PolicyID: derefID(t.SLAPolicyID), Cycle: t.SLACycle}}}
		if err := e.s.recordEvents(tx, events); err != nil {
			return err
		}
		return j.Done(tx)
	})
	if err != nil {
		return fmt.Errorf("sla: timer %s: %w", j.Key, err)
	}
	if later != nil {
		return jobs.Postpone(*later)
	}
	e.s.publish(events...)
	return nil
}

// slaTarget reads one target of a ticket: due and warning times, whether it
// breached in this cycle and whether its clock runs.
func slaTarget(t *store.Ticket, target string) (due, warn *time.Time, breached, running bool) {
	if target == store.SLAFirstResponse {
		return t.FirstResponseDueAt, t.FirstResponseWarnAt, t.FirstResponseBreached,
			t.FirstResponseDueAt != nil && t.FirstResponseAt == nil && !done(t.Status)
	}
	return t.ResolutionDueAt, t.ResolutionWarnAt, t.ResolutionBreached, t.ResolutionDueAt != nil && !done(t.Status)
}

// SLA states of a target, for badges.
const (
	SLANone     = ""         // no target, or its clock stopped in time
	SLARunning  = "running"  // due later, before the warning
	SLAWarning  = "warning"  // near breach: past the warning time
	SLABreached = "breached" // past due (or breached earlier in this cycle)
)

// SLAStatus is one target's state at now.
type SLAStatus struct {
	Target string
	State  string
	DueAt  *time.Time
}

// TicketSLA returns the state of a ticket's targets at now, first response
// first; targets without a due time are left out.
func TicketSLA(t *store.Ticket, at time.Time) []SLAStatus {
	var out []SLAStatus
	for _, target := range []string{store.SLAFirstResponse, store.SLAResolution} {
		due, warn, breached, running := slaTarget(t, target)
		if due == nil {
			continue
		}
		st := SLAStatus{Target: target, DueAt: due}
		switch {
		case breached || (running && !at.Before(*due)):
			st.State = SLABreached
		case running && warn != nil && !at.Before(*warn):
			st.State = SLAWarning
		case running:
			st.State = SLARunning
		}
		out = append(out, st)
	}
	return out
}

// SLABadge is the most urgent state among a ticket's running or breached
// targets at now: SLABreached, SLAWarning or SLANone.
func SLABadge(t *store.Ticket, at time.Time) string {
	badge := SLANone
	for _, st := range TicketSLA(t, at) {
		switch st.State {
		case SLABreached:
			return SLABreached
		case SLAWarning:
			badge = SLAWarning
		}
	}
	return badge
}
