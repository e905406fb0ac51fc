package inbox

import (
	"context"
	"encoding/json"
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
//     its breach flag is cleared. Resolving or closing stops it. The cycle is
//     the id of the durable event that started it, so a replayed reopening
//     is not a new cycle.
//   - Pending (waiting on the customer) and snoozed tickets pause both
//     clocks: the pause runs from the status change into pending/snoozed to
//     the change out of it, and its business time is not counted (due times
//     move later by it). While paused the due times stay where they were,
//     the soonest due time is cleared (the ticket sorts last in "due
//     soonest") and the timer jobs are parked far in the future; resuming
//     moves them to the new due times. Finished pauses are kept on the
//     ticket (tickets.sla_pauses), so a due time is always a function of the
//     starts, the targets, the team's hours and the pauses. Pauses are
//     opened and closed by the status events in their order; a replayed
//     event older than the latest pause edge changes nothing.
//   - Editing or deleting a policy (event sla_policy.updated) or a team
//     (team.updated: its business hours) recomputes the due times of every
//     running SLA it may touch, from the same starts and pauses.
//   - Warnings, breaches, a target met, a pause and a resume each leave a
//     system line on the ticket's timeline (meta "sla"), written in the same
//     transaction as the change that caused it, once.
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
	EventTicketSLA = "ticket.sla"
	// EventSLAPolicyUpdated: an SLA policy was created, changed or deleted
	// (no ticket); the SLA consumer recomputes the running SLAs.
	EventSLAPolicyUpdated = "sla_policy.updated"
	slaStageWarning       = "warning"
	slaStageBreach        = "breach"
	maxSLATargetMinute    = 366 * 24 * 60
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

// BusinessTimeBetween is how much business time under h lies in [from, to)
// (0 when to is not after from); see AddBusinessTime.
func BusinessTimeBetween(h store.BusinessHours, from, to time.Time) (time.Duration, error) {
	if !to.After(from) {
		return 0, nil
	}
	if len(h.Weekly) == 0 {
		return to.Sub(from), nil
	}
	loc, err := HoursLocation(h)
	if err != nil {
		return 0, fmt.Errorf("inbox: business hours: %w", err)
	}
	holiday := make(map[string]bool, len(h.Holidays))
	for _, day := range h.Holidays {
		holiday[day] = true
	}
	base := from.In(loc)
	var total time.Duration
	for i := 0; ; i++ {
		day := time.Date(base.Year(), base.Month(), base.Day()+i, 0, 0, 0, 0, loc)
		if !day.Before(to) {
			return total, nil
		}
		if holiday[day.Format(time.DateOnly)] {
			continue
		}
		for _, sp := range h.Weekly[weekdays[day.Weekday()]] {
			start, end := clock(day, sp[0]), clock(day, sp[1])
			if start.Before(from) {
				start = from
			}
			if end.After(to) {
				end = to
			}
			if end.After(start) {
				total += end.Sub(start)
			}
		}
	}
}

// AddRunningTime is AddBusinessTime that also skips the pauses (sorted,
// not overlapping): d of business time after from during which the clock
// was not paused.
func AddRunningTime(h store.BusinessHours, from time.Time, d time.Duration, pauses []store.SLAPause) (time.Time, error) {
	cur, left := from, d
	for _, p := range pauses {
		if !p.To.After(cur) {
			continue
		}
		if p.From.After(cur) {
			due, err := AddBusinessTime(h, cur, left)
			if err != nil {
				return time.Time{}, err
			}
			if !due.After(p.From) {
				return due, nil
			}
			used, err := BusinessTimeBetween(h, cur, p.From)
			if err != nil {
				return time.Time{}, err
			}
			left -= used
		}
		cur = p.To
	}
	return AddBusinessTime(h, cur, left)
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
	err = s.st.Tx(ctx, func(tx *gorm.DB) error {
		if err := store.SaveSLAPolicyTx(tx, p); err != nil {
			return err
		}
		return s.recordEvents(tx, []Event{{Type: EventSLAPolicyUpdated}})
	})
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return p, nil
}

// DeleteSLAPolicy removes a policy (store.ErrNotFound when there is none);
// the running SLAs are recomputed after it, on the durable event path.
func (s *Service) DeleteSLAPolicy(ctx context.Context, id int64) error {
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		if err := store.DeleteSLAPolicyTx(tx, id); err != nil {
			return err
		}
		return s.recordEvents(tx, []Event{{Type: EventSLAPolicyUpdated}})
	})
	if err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	return nil
}

// SLAOptions tune the SLA engine.
type SLAOptions struct {
	// Now is the clock timers compare due times with (default time.Now);
	// tests inject the scheduler's.
	Now func() time.Time
}

// parkedDue is where a paused ticket's timer jobs wait: far enough to never
// come due, near enough for every store's timestamp type.
var parkedDue = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

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
		Types:  []string{EventTicketCreated, EventTicketUpdated, EventMessageCreated, EventTeamUpdated, EventSLAPolicyUpdated},
		Handle: e.handle})
}

func done(status string) bool { return status == store.StatusResolved || status == store.StatusClosed }

// pausing statuses stop the SLA clocks: waiting on the customer, snoozed.
func pausing(status string) bool {
	return status == store.StatusPending || status == store.StatusSnoozed
}

// recomputeBatch is how many tickets one transaction recomputes after a
// policy or business-hours change.
const recomputeBatch = 100

// recompute applies the SLA again to every running SLA of a team (teamID
// > 0) or of every team (0), in batches by id.
func (e *slaEngine) recompute(ctx context.Context, ev Event, teamID int64) error {
	var after int64
	for {
		q := e.s.st.DB.WithContext(ctx).Model(&store.Ticket{}).
			Where("id > ? AND sla_cycle > 0 AND status NOT IN ? AND merged_into IS NULL", after, []string{store.StatusResolved, store.StatusClosed})
		if teamID > 0 {
			q = q.Where("team_id = ?", teamID)
		}
		var ids []int64
		if err := q.Order("id").Limit(recomputeBatch).Pluck("id", &ids).Error; err != nil {
			return fmt.Errorf("sla: recompute: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		var touched []Event
		err := e.s.st.Tx(ctx, func(tx *gorm.DB) error {
			touched = touched[:0]
			for _, id := range ids {
				t, err := lockTicket(tx, id)
				if errors.Is(err, ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				had := t.SLAPolicyID != nil
				if err := e.apply(tx, t, ev, false, nil); err != nil {
					return err
				}
				if had || t.SLAPolicyID != nil {
					touched = append(touched, Event{Type: EventTicketSLA, TicketID: id})
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("sla: recompute: %w", err)
		}
		for _, t := range touched {
			e.s.bus.Publish(t)
		}
		after = ids[len(ids)-1]
	}
}

// handle applies the SLA to the ticket of an event that may change it.
func (e *slaEngine) handle(ctx context.Context, ev Event) error {
	reopened := false
	var status *string // the status the event moved the ticket to
	switch ev.Type {
	case EventTeamUpdated:
		if ev.TeamID == 0 {
			return nil
		}
		return e.recompute(ctx, ev, ev.TeamID)
	case EventSLAPolicyUpdated:
		return e.recompute(ctx, ev, 0)
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
		if c.Status != nil {
			status = &c.Status.New
		}
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
		if err := e.apply(tx, t, ev, reopened, status); err != nil {
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
func (e *slaEngine) apply(tx *gorm.DB, t *store.Ticket, ev Event, reopened bool, status *string) error {
	if t.MergedInto != nil {
		// Merged (and closed): its clocks stop; the ticket it went into
		// keeps its own.
		if err := tx.Model(&store.Ticket{}).Where("id = ?", t.ID).Update("sla_due_at", nil).Error; err != nil {
			return fmt.Errorf("sla: update ticket %d: %w", t.ID, err)
		}
		return nil
	}
	at := ev.At
	if at.IsZero() {
		at = now()
	}
	at = at.UTC().Truncate(time.Microsecond)
	up := map[string]any{}
	cycle, started := t.SLACycle, t.SLAStartedAt
	switch {
	case reopened && ev.ID > t.SLACycle && !done(t.Status):
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

	// Pauses: a status event opens one (into pending/snoozed) or closes
	// the open one (out of them), unless it is older than the latest edge
	// (a replay).
	pauses, pausedAt := slices.Clone(t.SLAPauses), t.SLAPausedAt
	var edge time.Time
	if pausedAt != nil {
		edge = *pausedAt
	} else if n := len(pauses); n > 0 {
		edge = pauses[n-1].To
	}
	pauseLine := ""
	if status != nil {
		switch {
		case pausing(*status) && pausedAt == nil && (edge.IsZero() || at.After(edge)):
			pausedAt, pauseLine = &at, slaLinePaused
		case !pausing(*status) && pausedAt != nil && !at.Before(*pausedAt):
			pauses = append(pauses, store.SLAPause{From: *pausedAt, To: at})
			pausedAt = nil
			if !done(*status) {
				pauseLine = slaLineResumed
			}
		}
	}
	up["sla_paused_at"], up["sla_pauses"] = pausedAt, store.SLAPauses(pauses)

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
		paused           bool // would run but for a pause
		stoppedAt        *time.Time
		breached         bool
		due, warn        *time.Time
	}
	targets := []*target{
		{name: store.SLAFirstResponse, from: t.CreatedAt, stoppedAt: t.FirstResponseAt, breached: t.FirstResponseBreached},
		{name: store.SLAResolution, from: *started, breached: t.ResolutionBreached && !reopened},
	}
	if p != nil {
		targets[0].minutes, targets[1].minutes = p.FirstResponseMinutes, p.ResolutionMinutes
		up["sla_policy_id"] = p.ID
		t.SLAPolicyID = &p.ID
	} else {
		up["sla_policy_id"] = nil
		t.SLAPolicyID = nil
	}
	targets[0].stopped = t.FirstResponseAt != nil
	targets[1].stopped = done(t.Status)
	if targets[1].stopped {
		targets[1].stoppedAt = &at
	}
	var soonest *time.Time
	anyPaused := false
	for _, tg := range targets {
		if tg.minutes > 0 {
			due, err := AddRunningTime(hours, tg.from, time.Duration(tg.minutes)*time.Minute, pauses)
			if err != nil {
				return err
			}
			warn, err := AddRunningTime(hours, tg.from, warnAfter(p, tg.minutes), pauses)
			if err != nil {
				return err
			}
			tg.due, tg.warn = &due, &warn
			live := !tg.stopped && !done(t.Status)
			tg.running = live && pausedAt == nil
			tg.paused = live && pausedAt != nil
			anyPaused = anyPaused || tg.paused
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
	var lines []slaLine
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
			case tg.paused:
				// Parked until the pause ends; a timer already done (a
				// warning that fired) stays done.
				spec := jobs.Spec{Kind: JobSLATimer, Key: key, Due: parkedDue,
					Payload: slaJob{TicketID: t.ID, Target: tg.name, Stage: st.stage, Cycle: cycle}}
				if _, err := e.sched.MoveTx(tx, spec); err != nil {
					return err
				}
			case tg.stopped || done(t.Status):
				// Answered or resolved: nothing more can happen in this
				// cycle (a reopening starts new timers). (A target that merely lost its policy keeps its
				// jobs, which find nothing to do unless it comes back.)
				cancelled, err := e.sched.CancelTx(tx, JobSLATimer, key)
				if err != nil {
					return err
				}
				// The breach timer is withdrawn once: the moment the target
				// is met, if it stopped in time.
				// A target stopped during a pause counts until the pause.
				if cancelled && st.stage == slaStageBreach && tg.due != nil && !tg.breached && tg.stoppedAt != nil {
					stop := *tg.stoppedAt
					if pausedAt != nil && pausedAt.Before(stop) {
						stop = *pausedAt
					}
					if stop.After(*tg.due) {
						break
					}
					lines = append(lines, slaLine{Event: slaLineMet, Target: tg.name, DueAt: tg.due})
				}
			}
		}
	}
	if pauseLine != "" && (anyPaused || soonest != nil) {
		lines = append(lines, slaLine{Event: pauseLine, DueAt: soonest})
	}
	for _, l := range lines {
		if err := writeSLALine(tx, t, l, at); err != nil {
			return err
		}
	}
	return nil
}

// Timeline lines of the SLA (meta "sla" of a system message).
const (
	slaLineWarning  = "warning"
	slaLineBreached = "breached"
	slaLineMet      = "met"
	slaLinePaused   = "paused"
	slaLineResumed  = "resumed"
)

// slaLine is the "sla" metadata of an SLA timeline line: what happened,
// to which target ("" for a pause or a resume: both clocks) and the due
// time it concerns (after a resume: the soonest new one).
type slaLine struct {
	Event  string     `json:"event"`
	Target string     `json:"target,omitempty"`
	DueAt  *time.Time `json:"due_at,omitempty"`
}

// SLALineFromMeta reads the SLA line of a system message's metadata: its
// event (warning, breached, met, paused, resumed; "" when it is not one),
// target and due time.
func SLALineFromMeta(meta store.JSONMap) (event, target string, due *time.Time) {
	m, ok := meta["sla"].(map[string]any)
	if !ok {
		return "", "", nil
	}
	event, _ = m["event"].(string)
	target, _ = m["target"].(string)
	if s, ok := m["due_at"].(string); ok {
		if d, err := time.Parse(time.RFC3339Nano, s); err == nil {
			due = &d
		}
	}
	return event, target, due
}

// writeSLALine adds an SLA line to the ticket's timeline. Its text is the
// English fallback; screens render it from the metadata.
func writeSLALine(tx *gorm.DB, t *store.Ticket, l slaLine, at time.Time) error {
	text := "SLA " + l.Event
	if l.Target != "" {
		text += ": " + strings.ReplaceAll(l.Target, "_", " ")
	}
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	var meta map[string]any
	if err := json.Unmarshal(b, &meta); err != nil {
		return err
	}
	if err := tx.Create(&store.Message{TicketID: t.ID, Direction: store.DirSystem, AuthorType: store.AuthorSystem,
		ChannelID: t.LastChannelID, Text: text, Meta: store.JSONMap{"sla": meta}, CreatedAt: at}).Error; err != nil {
		return fmt.Errorf("sla: timeline of ticket %d: %w", t.ID, err)
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
		if t.SLACycle == p.Cycle && !running && due != nil && !breached && slaPaused(t, p.Target) {
			later = &parkedDue // paused: waits for the resume to move it
			return nil
		}
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
		line := slaLine{Event: slaLineWarning, Target: p.Target, DueAt: due}
		if typ == EventSLABreached {
			line.Event = slaLineBreached
		}
		if err := writeSLALine(tx, t, line, e.now()); err != nil {
			return err
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
// breached in this cycle and whether its clock runs (not paused).
func slaTarget(t *store.Ticket, target string) (due, warn *time.Time, breached, running bool) {
	due, warn, breached = t.ResolutionDueAt, t.ResolutionWarnAt, t.ResolutionBreached
	if target == store.SLAFirstResponse {
		due, warn, breached = t.FirstResponseDueAt, t.FirstResponseWarnAt, t.FirstResponseBreached
	}
	return due, warn, breached, slaLive(t, target) && t.SLAPausedAt == nil
}

// slaLive: the target has a due time and has not stopped in this cycle.
func slaLive(t *store.Ticket, target string) bool {
	if target == store.SLAFirstResponse {
		return t.FirstResponseDueAt != nil && t.FirstResponseAt == nil && !done(t.Status)
	}
	return t.ResolutionDueAt != nil && !done(t.Status)
}

// slaPaused: the target would run but its clock is paused.
func slaPaused(t *store.Ticket, target string) bool {
	return slaLive(t, target) && t.SLAPausedAt != nil
}

// SLA states of a target, for badges.
const (
	SLANone     = ""         // no target, or its clock stopped in time
	SLARunning  = "running"  // due later, before the warning
	SLAWarning  = "warning"  // near breach: past the warning time
	SLABreached = "breached" // past due (or breached earlier in this cycle)
	SLAPaused   = "paused"   // the clock is paused (pending or snoozed)
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
		case slaPaused(t, target):
			st.State = SLAPaused
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
