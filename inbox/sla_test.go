package inbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

func kst(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return at.UTC() // inputs in UTC: the arithmetic converts to the team's zone
}

// TestAddBusinessMinutes: business-hours arithmetic in Asia/Seoul, across a
// close and a midnight, a weekend and a holiday (2026-12-25 is a Friday).
func TestAddBusinessMinutes(t *testing.T) {
	weekdays := [][2]string{{"09:00", "18:00"}}
	office := store.BusinessHours{TimeZone: "Asia/Seoul", Holidays: []string{"2026-12-25"},
		Weekly: map[string][][2]string{"mon": weekdays, "tue": weekdays, "wed": weekdays, "thu": weekdays, "fri": weekdays}}
	night := store.BusinessHours{Weekly: map[string][][2]string{ // no zone: Asia/Seoul
		"thu": {{"22:00", "24:00"}}, "fri": {{"00:00", "06:00"}}}}
	lunch := store.BusinessHours{TimeZone: "Asia/Seoul", Weekly: map[string][][2]string{
		"thu": {{"13:00", "18:00"}, {"09:00", "12:00"}}}} // unsorted on purpose
	cases := []struct {
		name    string
		h       store.BusinessHours
		from    string
		minutes int64
		want    string
	}{
		{"no weekly hours: every minute counts", store.BusinessHours{}, "2026-12-05 23:30", 90, "2026-12-06 01:00"},
		{"inside hours", office, "2026-12-03 10:00", 60, "2026-12-03 11:00"},
		{"exactly to the close", office, "2026-12-03 17:00", 60, "2026-12-03 18:00"},
		{"across the close and midnight", office, "2026-12-03 17:00", 120, "2026-12-04 10:00"},
		{"before opening", office, "2026-12-03 07:00", 30, "2026-12-03 09:30"},
		{"after the close", office, "2026-12-03 20:00", 30, "2026-12-04 09:30"},
		{"just after midnight", office, "2026-12-04 00:05", 30, "2026-12-04 09:30"},
		{"over a weekend", office, "2026-12-04 17:00", 120, "2026-12-07 10:00"},
		{"from a Saturday", office, "2026-12-05 12:00", 60, "2026-12-07 10:00"},
		{"over a holiday and a weekend", office, "2026-12-24 17:30", 60, "2026-12-28 09:30"},
		{"on the holiday itself", office, "2026-12-25 10:00", 60, "2026-12-28 10:00"},
		{"three business days over the holiday", office, "2026-12-23 09:00", 3 * 540, "2026-12-28 18:00"},
		{"a night shift across midnight", night, "2026-12-03 23:30", 60, "2026-12-04 00:30"},
		{"a night shift to its end", night, "2026-12-03 21:00", 8 * 60, "2026-12-04 06:00"},
		{"a night shift, then the next week", night, "2026-12-04 05:00", 120, "2026-12-10 23:00"},
		{"a lunch break", lunch, "2026-12-03 11:30", 60, "2026-12-03 13:30"},
		{"zero minutes", office, "2026-12-05 12:00", 0, "2026-12-05 12:00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := inbox.AddBusinessMinutes(c.h, kst(t, c.from), c.minutes)
			if err != nil {
				t.Fatal(err)
			}
			if want := kst(t, c.want); !got.Equal(want) {
				t.Fatalf("%s + %d business minutes = %s, want %s", c.from, c.minutes, got.In(want.Location()), want)
			}
		})
	}
	never := store.BusinessHours{Weekly: map[string][][2]string{"mon": {}}}
	if _, err := inbox.AddBusinessMinutes(never, kst(t, "2026-12-03 10:00"), 1); err == nil {
		t.Fatal("hours that never open gave a due time")
	}
}

// slaEnv is an inbox with the SLA consumer running and a scheduler on an
// injected clock, driven by hand (RunDue).
type slaEnv struct {
	t     *testing.T
	st    *store.Store
	svc   *inbox.Service
	ch    store.Channel
	sched *jobs.Scheduler
	agent *store.Agent
	ctx   context.Context
	off   atomic.Int64 // the clock's offset from the real time
	n     int
}

func (e *slaEnv) now() time.Time { return time.Now().Add(time.Duration(e.off.Load())) }

// at sets the injected clock to t.
func (e *slaEnv) at(t time.Time) { e.off.Store(int64(time.Until(t))) }

func newSLAEnv(t *testing.T, st *store.Store) *slaEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	svc, ch := newService(t, st)
	e := &slaEnv{t: t, st: st, svc: svc, ch: ch, ctx: ctx}
	e.sched = jobs.New(st, jobs.Options{Now: e.now})
	if err := svc.EnableSLA(ctx, e.sched, inbox.SLAOptions{Now: e.now}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.RunConsumers(ctx, fastConsume("a")) }()
	t.Cleanup(func() { cancel(); <-done })
	e.agent = &store.Agent{Email: "agent@example.com", Name: "박상담", Role: store.RoleAgent, Active: true}
	if err := st.CreateAgent(ctx, e.agent); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *slaEnv) policy(in inbox.SLAPolicyInput) *store.SLAPolicy {
	e.t.Helper()
	p, err := e.svc.SaveSLAPolicy(e.ctx, 0, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *slaEnv) ticket() int64 {
	e.t.Helper()
	e.n++
	r, err := e.svc.Ingest(e.ctx, msg(e.ch, fmt.Sprintf("m-%d", e.n), fmt.Sprintf("t-%d", e.n), "결제가 안 돼요"))
	if err != nil {
		e.t.Fatal(err)
	}
	return r.TicketID
}

func (e *slaEnv) update(id int64, p inbox.TicketPatch) {
	e.t.Helper()
	if _, err := e.svc.UpdateTicket(e.ctx, id, e.agent.ID, p); err != nil {
		e.t.Fatal(err)
	}
}

func (e *slaEnv) get(id int64) *store.Ticket {
	e.t.Helper()
	var tk store.Ticket
	if err := e.st.DB.Take(&tk, id).Error; err != nil {
		e.t.Fatal(err)
	}
	return &tk
}

// consumed waits until the SLA consumer has passed every stored event.
func (e *slaEnv) consumed() {
	waitConsumed(e.t, e.st, inbox.SLAConsumerName)
}

func (e *slaEnv) runDue(s *jobs.Scheduler) {
	e.t.Helper()
	if _, err := s.RunDue(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

// slaEvents returns the stored sla.* events of a ticket as "type target".
func (e *slaEnv) slaEvents(id int64) []string {
	e.t.Helper()
	var rows []store.Event
	if err := e.st.DB.Where("ticket_id = ? AND type IN ?", id, []string{inbox.EventSLAWarning, inbox.EventSLABreached}).Order("id").Find(&rows).Error; err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		var ev inbox.Event
		if err := json.Unmarshal([]byte(r.Payload), &ev); err != nil || ev.SLA == nil {
			e.t.Fatalf("event %s: %v %+v", r.Payload, err, ev)
		}
		out = append(out, r.Type+" "+ev.SLA.Target)
	}
	return out
}

func (e *slaEnv) job(id int64, target, stage string, cycle int64) *store.Job {
	e.t.Helper()
	j, err := e.sched.Get(e.ctx, inbox.JobSLATimer, fmt.Sprintf("ticket:%d:%s:%s:cycle:%d", id, target, stage, cycle))
	if err != nil {
		e.t.Fatalf("job %s %s of ticket %d: %v", target, stage, id, err)
	}
	return j
}

func sameTime(t *testing.T, what string, got *time.Time, want time.Time) {
	t.Helper()
	if got == nil || !got.Equal(want.UTC().Truncate(time.Microsecond)) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSLALifecycle: a new ticket gets its due times; the warning fires once;
// the first reply stops the first-response clock; the resolution breach
// fires once, also from another scheduler started over the same store
// (a restart) and when two run at once; resolving stops it; reopening
// starts a new cycle with a fresh resolution clock.
func TestSLALifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newSLAEnv(t, st)
		p := e.policy(inbox.SLAPolicyInput{Name: "기본", FirstResponseMinutes: 60, ResolutionMinutes: 240, WarnPercent: 80, Enabled: true})
		id := e.ticket()
		e.consumed()
		tk := e.get(id)
		if tk.SLAPolicyID == nil || *tk.SLAPolicyID != p.ID || tk.SLACycle == 0 {
			t.Fatalf("policy %v cycle %d", tk.SLAPolicyID, tk.SLACycle)
		}
		created := tk.CreatedAt
		sameTime(t, "first response due", tk.FirstResponseDueAt, created.Add(60*time.Minute))
		sameTime(t, "first response warning", tk.FirstResponseWarnAt, created.Add(48*time.Minute))
		sameTime(t, "resolution due", tk.ResolutionDueAt, created.Add(240*time.Minute))
		sameTime(t, "soonest due", tk.SLADueAt, created.Add(60*time.Minute))
		cycle := tk.SLACycle
		if j := e.job(id, store.SLAFirstResponse, "breach", cycle); j.Status != store.JobPending || !j.DueAt.Equal(*tk.FirstResponseDueAt) {
			t.Fatalf("first-response breach job %+v", j)
		}
		if got := inbox.SLABadge(tk, created.Add(time.Minute)); got != inbox.SLANone {
			t.Fatalf("badge at the start = %q", got)
		}
		if got := inbox.SLABadge(tk, created.Add(50*time.Minute)); got != inbox.SLAWarning {
			t.Fatalf("badge after 50 minutes = %q", got)
		}

		// Nothing is due yet.
		e.runDue(e.sched)
		if evs := e.slaEvents(id); len(evs) != 0 {
			t.Fatalf("events before the warning: %v", evs)
		}
		e.at(created.Add(50 * time.Minute))
		e.runDue(e.sched)
		e.runDue(e.sched)
		if evs := e.slaEvents(id); !equalStrings(evs, []string{"sla.warning first_response"}) {
			t.Fatalf("after the warning time: %v", evs)
		}

		// The first agent reply stops the first-response clock.
		if _, err := e.svc.Reply(e.ctx, inbox.ReplyInput{TicketID: id, AgentID: e.agent.ID, Text: "확인해 보겠습니다"}); err != nil {
			t.Fatal(err)
		}
		e.consumed()
		tk = e.get(id)
		sameTime(t, "soonest due after the reply", tk.SLADueAt, created.Add(240*time.Minute))
		if j := e.job(id, store.SLAFirstResponse, "breach", cycle); j.Status != store.JobCancelled {
			t.Fatalf("first-response breach job after the reply: %s", j.Status)
		}

		e.at(created.Add(200 * time.Minute))
		e.runDue(e.sched)
		// Past the resolution target: another instance (a restart) and this
		// one run the due timers at once; each fires once.
		e.at(created.Add(241 * time.Minute))
		svc2 := inbox.New(st, inbox.Options{})
		sched2 := jobs.New(st, jobs.Options{Now: e.now})
		if err := svc2.EnableSLA(e.ctx, sched2, inbox.SLAOptions{Now: e.now}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, s := range []*jobs.Scheduler{e.sched, sched2} {
			wg.Add(1)
			go func() { defer wg.Done(); _, _ = s.RunDue(e.ctx) }()
		}
		wg.Wait()
		e.runDue(sched2)
		want := []string{"sla.warning first_response", "sla.warning resolution", "sla.breached resolution"}
		if evs := e.slaEvents(id); !equalStrings(evs, want) {
			t.Fatalf("after the resolution target: %v, want %v", evs, want)
		}
		tk = e.get(id)
		if !tk.ResolutionBreached || tk.FirstResponseBreached {
			t.Fatalf("flags: resolution %v first response %v", tk.ResolutionBreached, tk.FirstResponseBreached)
		}
		if got := inbox.SLABadge(tk, e.now()); got != inbox.SLABreached {
			t.Fatalf("badge after the breach = %q", got)
		}

		// Resolve, then reopen: a new cycle, the resolution clock restarts
		// from the reopening and its breach flag clears.
		resolved, open := store.StatusResolved, store.StatusOpen
		e.update(id, inbox.TicketPatch{Status: &resolved})
		e.consumed()
		if tk = e.get(id); tk.SLADueAt != nil {
			t.Fatalf("soonest due of a resolved ticket: %v", tk.SLADueAt)
		}
		e.update(id, inbox.TicketPatch{Status: &open})
		e.consumed()
		tk = e.get(id)
		if tk.SLACycle <= cycle || tk.ResolutionBreached || tk.SLAStartedAt == nil {
			t.Fatalf("after reopening: cycle %d (was %d), breached %v", tk.SLACycle, cycle, tk.ResolutionBreached)
		}
		sameTime(t, "resolution due after reopening", tk.ResolutionDueAt, tk.SLAStartedAt.Add(240*time.Minute))
		sameTime(t, "first response due after reopening (unchanged)", tk.FirstResponseDueAt, created.Add(60*time.Minute))
		// A jump past both the warning and the due time: the late warning
		// is dropped, the breach fires once.
		e.at(tk.SLAStartedAt.Add(241 * time.Minute))
		e.runDue(e.sched)
		e.runDue(e.sched)
		want = append(want, "sla.breached resolution")
		if evs := e.slaEvents(id); !equalStrings(evs, want) {
			t.Fatalf("after the second cycle: %v, want %v", evs, want)
		}
	})
}

// TestSLABusinessHoursAndChanges: due times count the team's business
// hours; a priority change applies the more specific policy and moves the
// pending timers; a resolved ticket never breaches.
func TestSLABusinessHoursAndChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newSLAEnv(t, st)
		day := [][2]string{{"09:00", "18:00"}}
		hours := store.BusinessHours{TimeZone: "Asia/Seoul", Holidays: []string{"2026-12-25"},
			Weekly: map[string][][2]string{"mon": day, "tue": day, "wed": day, "thu": day, "fri": day}}
		team, err := e.svc.CreateTeam(e.ctx, 0, inbox.TeamInput{NameKo: ptr("결제팀"), NameEn: ptr("Billing"), Hours: &hours})
		if err != nil {
			t.Fatal(err)
		}
		e.policy(inbox.SLAPolicyInput{Name: "결제", TeamID: team.ID, FirstResponseMinutes: 240, ResolutionMinutes: 1080, WarnMinutes: 30, Enabled: true})
		urgent := e.policy(inbox.SLAPolicyInput{Name: "결제 긴급", TeamID: team.ID, Priority: store.PriorityUrgent, FirstResponseMinutes: 30, ResolutionMinutes: 120, WarnPercent: 50, Enabled: true})
		id := e.ticket()
		e.consumed()
		if tk := e.get(id); tk.SLAPolicyID != nil || tk.FirstResponseDueAt != nil {
			t.Fatalf("a ticket without a team matched %v", tk.SLAPolicyID)
		}
		e.update(id, inbox.TicketPatch{TeamID: &team.ID})
		e.consumed()
		tk := e.get(id)
		wantDue, _ := inbox.AddBusinessMinutes(hours, tk.CreatedAt, 240)
		wantWarn, _ := inbox.AddBusinessMinutes(hours, tk.CreatedAt, 210)
		sameTime(t, "first response due in business hours", tk.FirstResponseDueAt, wantDue)
		sameTime(t, "warning 30 minutes before", tk.FirstResponseWarnAt, wantWarn)

		p := store.PriorityUrgent
		e.update(id, inbox.TicketPatch{Priority: &p})
		e.consumed()
		tk = e.get(id)
		if tk.SLAPolicyID == nil || *tk.SLAPolicyID != urgent.ID {
			t.Fatalf("urgent ticket policy %v, want %d", tk.SLAPolicyID, urgent.ID)
		}
		wantDue, _ = inbox.AddBusinessMinutes(hours, tk.CreatedAt, 30)
		sameTime(t, "urgent first response due", tk.FirstResponseDueAt, wantDue)
		if j := e.job(id, store.SLAFirstResponse, "breach", tk.SLACycle); !j.DueAt.Equal(wantDue.UTC().Truncate(time.Microsecond)) || j.Status != store.JobPending {
			t.Fatalf("breach job not moved: %+v", j)
		}

		resolved := store.StatusResolved
		e.update(id, inbox.TicketPatch{Status: &resolved})
		e.consumed()
		e.at(tk.ResolutionDueAt.Add(time.Hour))
		e.runDue(e.sched)
		if evs := e.slaEvents(id); len(evs) != 0 {
			t.Fatalf("a resolved, unanswered ticket fired %v", evs)
		}
	})
}

// TestSLAPolicyValidation: bad policies are refused with their codes.
func TestSLAPolicyValidation(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	svc, _ := newService(t, st)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		in   inbox.SLAPolicyInput
	}{
		{"no name", inbox.SLAPolicyInput{FirstResponseMinutes: 10, WarnPercent: 80}},
		{"no target", inbox.SLAPolicyInput{Name: "x", WarnPercent: 80}},
		{"bad priority", inbox.SLAPolicyInput{Name: "x", Priority: "asap", FirstResponseMinutes: 10, WarnPercent: 80}},
		{"bad percent", inbox.SLAPolicyInput{Name: "x", FirstResponseMinutes: 10, WarnPercent: 100}},
		{"negative target", inbox.SLAPolicyInput{Name: "x", FirstResponseMinutes: -1, ResolutionMinutes: 10, WarnPercent: 80}},
		{"no such team", inbox.SLAPolicyInput{Name: "x", TeamID: 99, FirstResponseMinutes: 10, WarnPercent: 80}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := svc.SaveSLAPolicy(ctx, 0, c.in); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
