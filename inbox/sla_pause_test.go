package inbox_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// seoulOffice is Mon–Fri 09:00–18:00 in Asia/Seoul with Christmas
// (2026-12-25, a Friday) off.
func seoulOffice() store.BusinessHours {
	day := [][2]string{{"09:00", "18:00"}}
	return store.BusinessHours{TimeZone: "Asia/Seoul", Holidays: []string{"2026-12-25"},
		Weekly: map[string][][2]string{"mon": day, "tue": day, "wed": day, "thu": day, "fri": day}}
}

// TestAddRunningTime: business time that skips pauses, in Asia/Seoul, with
// pauses inside hours, across a close and midnight, outside hours only and
// over a holiday weekend.
func TestAddRunningTime(t *testing.T) {
	office := seoulOffice()
	type pause struct{ from, to string }
	cases := []struct {
		name    string
		from    string
		minutes int64
		pauses  []pause
		want    string
		between string // business time inside the first pause
	}{
		{"no pause", "2026-12-03 10:00", 120, nil, "2026-12-03 12:00", ""},
		{"a pause inside hours", "2026-12-03 10:00", 120, []pause{{"2026-12-03 10:30", "2026-12-03 11:00"}}, "2026-12-03 12:30", "30m0s"},
		{"across the close and midnight", "2026-12-03 16:00", 120, []pause{{"2026-12-03 17:00", "2026-12-04 10:00"}}, "2026-12-04 11:00", "2h0m0s"},
		{"outside hours only: no change", "2026-12-03 17:00", 120, []pause{{"2026-12-03 19:00", "2026-12-04 08:00"}}, "2026-12-04 10:00", "0s"},
		{"over the holiday and the weekend", "2026-12-24 17:00", 120, []pause{{"2026-12-24 17:30", "2026-12-28 09:30"}}, "2026-12-28 11:00", "1h0m0s"},
		{"two pauses", "2026-12-03 09:00", 120, []pause{{"2026-12-03 09:30", "2026-12-03 10:00"}, {"2026-12-03 11:00", "2026-12-03 11:30"}}, "2026-12-03 12:00", "30m0s"},
		{"a pause after the due time", "2026-12-03 10:00", 60, []pause{{"2026-12-03 11:30", "2026-12-03 12:00"}}, "2026-12-03 11:00", "30m0s"},
		{"due exactly at the pause", "2026-12-03 10:00", 60, []pause{{"2026-12-03 11:00", "2026-12-03 12:00"}}, "2026-12-03 11:00", "1h0m0s"},
		{"a pause before the start", "2026-12-03 10:00", 60, []pause{{"2026-12-03 08:00", "2026-12-03 09:30"}}, "2026-12-03 11:00", "30m0s"},
		{"a pause over the start", "2026-12-03 10:00", 60, []pause{{"2026-12-03 09:30", "2026-12-03 10:30"}}, "2026-12-03 11:30", "1h0m0s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ps []store.SLAPause
			for _, p := range c.pauses {
				ps = append(ps, store.SLAPause{From: kst(t, p.from), To: kst(t, p.to)})
			}
			got, err := inbox.AddRunningTime(office, kst(t, c.from), time.Duration(c.minutes)*time.Minute, ps)
			if err != nil {
				t.Fatal(err)
			}
			if want := kst(t, c.want); !got.Equal(want) {
				t.Fatalf("due %s, want %s", got.In(time.FixedZone("KST", 9*3600)), c.want)
			}
			if c.between != "" {
				d, err := inbox.BusinessTimeBetween(office, ps[0].From, ps[0].To)
				if err != nil || d.String() != c.between {
					t.Fatalf("business time in the pause %v %v, want %s", d, err, c.between)
				}
			}
		})
	}
}

// pauseCase is a ticket's life on the Seoul calendar: created at from, then
// status changes at given times.
type pauseCase struct {
	name      string
	created   string
	steps     [][2]string // {status, KST time}
	frDue     string      // first response due (KST)
	resDue    string      // resolution due (KST)
	lines     []string    // SLA timeline lines, "event target"
	pausedNow bool
}

// placeTicket files a new ticket to team, moves its creation (and its
// cycle's start) to created on the injected calendar and applies the
// status steps as events at their times.
func (e *slaEnv) placeTicket(teamID int64, created time.Time, steps [][2]string) int64 {
	e.t.Helper()
	id := e.ticket()
	e.update(id, inbox.TicketPatch{TeamID: &teamID})
	e.consumed()
	if err := e.st.DB.Model(&store.Ticket{}).Where("id = ?", id).
		Updates(map[string]any{"created_at": created, "sla_started_at": created}).Error; err != nil {
		e.t.Fatal(err)
	}
	// An event without a change of status recomputes from the new start.
	e.statusAt(id, store.StatusOpen, created)
	for _, s := range steps {
		e.statusAt(id, s[0], kst(e.t, s[1]))
	}
	return id
}

func (e *slaEnv) statusAt(id int64, status string, at time.Time) {
	e.t.Helper()
	e.at(at)
	if err := e.svc.SetStatusAt(e.ctx, id, status, at); err != nil {
		e.t.Fatal(err)
	}
	e.consumed()
}

// slaLines returns the ticket's SLA timeline lines as "event target".
func (e *slaEnv) slaLines(id int64) []string {
	e.t.Helper()
	var sys []store.Message
	if err := e.st.DB.Where("ticket_id = ? AND direction = ?", id, store.DirSystem).Order("id").Find(&sys).Error; err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, m := range sys {
		if ev, target, _ := inbox.SLALineFromMeta(m.Meta); ev != "" {
			out = append(out, ev+" "+target)
		}
	}
	return out
}

// TestSLAPause: pending and snoozed stop both clocks, on the team's
// business hours in Asia/Seoul, across a close, midnight and a holiday;
// each pause and resume is a timeline line; pending → snoozed is one
// pause; resolving while pending closes the pause and meets the target.
func TestSLAPause(t *testing.T) {
	cases := []pauseCase{
		{name: "inside hours", created: "2026-12-03 10:00",
			steps: [][2]string{{"pending", "2026-12-03 10:30"}, {"open", "2026-12-03 11:00"}},
			frDue: "2026-12-03 12:30", resDue: "2026-12-04 11:30", lines: []string{"paused ", "resumed "}},
		{name: "across the close and midnight", created: "2026-12-03 16:00",
			steps: [][2]string{{"pending", "2026-12-03 17:00"}, {"open", "2026-12-04 10:00"}},
			frDue: "2026-12-04 11:00", resDue: "2026-12-07 10:00", lines: []string{"paused ", "resumed "}},
		{name: "outside hours only", created: "2026-12-03 17:00",
			steps: [][2]string{{"pending", "2026-12-03 19:00"}, {"open", "2026-12-04 08:00"}},
			frDue: "2026-12-04 10:00", resDue: "2026-12-04 18:00", lines: []string{"paused ", "resumed "}},
		{name: "snoozed over the holiday and the weekend", created: "2026-12-24 17:00",
			steps: [][2]string{{"snoozed", "2026-12-24 17:30"}, {"open", "2026-12-28 09:30"}},
			frDue: "2026-12-28 11:00", resDue: "2026-12-29 10:00", lines: []string{"paused ", "resumed "}},
		{name: "two pauses", created: "2026-12-03 09:00",
			steps: [][2]string{{"pending", "2026-12-03 09:30"}, {"open", "2026-12-03 10:00"}, {"snoozed", "2026-12-03 11:00"}, {"open", "2026-12-03 11:30"}},
			frDue: "2026-12-03 12:00", resDue: "2026-12-04 11:00", lines: []string{"paused ", "resumed ", "paused ", "resumed "}},
		{name: "pending then snoozed is one pause", created: "2026-12-03 10:00",
			steps: [][2]string{{"pending", "2026-12-03 10:30"}, {"snoozed", "2026-12-03 11:00"}, {"open", "2026-12-03 12:00"}},
			frDue: "2026-12-03 13:30", resDue: "2026-12-04 12:30", lines: []string{"paused ", "resumed "}},
		{name: "still paused: due times frozen", created: "2026-12-03 10:00",
			steps: [][2]string{{"pending", "2026-12-03 10:30"}},
			frDue: "2026-12-03 12:00", resDue: "2026-12-04 11:00", lines: []string{"paused "}, pausedNow: true},
		{name: "resolved while pending: met", created: "2026-12-03 10:00",
			steps: [][2]string{{"pending", "2026-12-03 10:30"}, {"resolved", "2026-12-07 10:00"}},
			frDue: "2026-12-07 11:30", resDue: "2026-12-08 10:30", lines: []string{"paused ", "met resolution"}},
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newSLAEnv(t, st)
		hours := seoulOffice()
		team, err := e.svc.CreateTeam(e.ctx, 0, inbox.TeamInput{NameKo: ptr("결제팀"), NameEn: ptr("Billing"), Hours: &hours})
		if err != nil {
			t.Fatal(err)
		}
		e.policy(inbox.SLAPolicyInput{Name: "결제", TeamID: team.ID, FirstResponseMinutes: 120, ResolutionMinutes: 600, WarnPercent: 50, Enabled: true})
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e.t = t
				id := e.placeTicket(team.ID, kst(t, c.created), c.steps)
				tk := e.get(id)
				sameTime(t, "first response due", tk.FirstResponseDueAt, kst(t, c.frDue))
				sameTime(t, "resolution due", tk.ResolutionDueAt, kst(t, c.resDue))
				if got := e.slaLines(id); fmt.Sprint(got) != fmt.Sprint(c.lines) {
					t.Fatalf("timeline %q, want %q", got, c.lines)
				}
				if (tk.SLAPausedAt != nil) != c.pausedNow {
					t.Fatalf("paused at %v", tk.SLAPausedAt)
				}
				if c.pausedNow {
					if tk.SLADueAt != nil {
						t.Fatalf("a paused ticket sorts by due %v", tk.SLADueAt)
					}
					if got := inbox.SLABadge(tk, kst(t, "2026-12-10 10:00")); got != inbox.SLANone {
						t.Fatalf("badge of a paused ticket long after its due time: %q", got)
					}
					if st := inbox.TicketSLA(tk, e.now()); len(st) != 2 || st[0].State != inbox.SLAPaused {
						t.Fatalf("states %+v", st)
					}
				}
			})
		}
	})
}

// TestSLAPauseTimers: while paused no timer fires even long past the
// frozen due time (the jobs are parked); resuming moves them to the new
// due times, where the warning and the breach fire once, each with its
// timeline line.
func TestSLAPauseTimers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newSLAEnv(t, st)
		hours := seoulOffice()
		team, err := e.svc.CreateTeam(e.ctx, 0, inbox.TeamInput{NameKo: ptr("결제팀"), NameEn: ptr("Billing"), Hours: &hours})
		if err != nil {
			t.Fatal(err)
		}
		e.policy(inbox.SLAPolicyInput{Name: "결제", TeamID: team.ID, FirstResponseMinutes: 120, ResolutionMinutes: 600, WarnPercent: 50, Enabled: true})
		id := e.placeTicket(team.ID, kst(t, "2026-12-03 10:00"), [][2]string{{"pending", "2026-12-03 10:30"}})
		tk := e.get(id)
		if j := e.job(id, store.SLAFirstResponse, "breach", tk.SLACycle); j.Status != store.JobPending || j.DueAt.Year() < 2100 {
			t.Fatalf("breach job of a paused ticket %+v", j)
		}
		e.at(kst(t, "2026-12-03 13:00")) // past the frozen due time (12:00)
		e.runDue(e.sched)
		if evs := e.slaEvents(id); len(evs) != 0 {
			t.Fatalf("a paused ticket fired %v", evs)
		}
		e.statusAt(id, store.StatusOpen, kst(t, "2026-12-03 13:00"))
		tk = e.get(id)
		// 30 minutes ran before the pause: the warning (60) at 13:30, the
		// breach (120) at 14:30.
		sameTime(t, "first response warning", tk.FirstResponseWarnAt, kst(t, "2026-12-03 13:30"))
		sameTime(t, "first response due", tk.FirstResponseDueAt, kst(t, "2026-12-03 14:30"))
		sameTime(t, "soonest due", tk.SLADueAt, kst(t, "2026-12-03 14:30"))
		for _, step := range []struct {
			at   string
			want []string
		}{
			{"2026-12-03 13:29", nil},
			{"2026-12-03 13:30", []string{"sla.warning first_response"}},
			{"2026-12-03 14:29", []string{"sla.warning first_response"}},
			{"2026-12-03 14:30", []string{"sla.warning first_response", "sla.breached first_response"}},
		} {
			e.at(kst(t, step.at))
			e.runDue(e.sched)
			e.runDue(e.sched)
			if evs := e.slaEvents(id); fmt.Sprint(evs) != fmt.Sprint(step.want) {
				t.Fatalf("at %s: %v, want %v", step.at, evs, step.want)
			}
		}
		want := []string{"paused ", "resumed ", "warning first_response", "breached first_response"}
		if got := e.slaLines(id); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("timeline %q, want %q", got, want)
		}
		// The first reply after the breach is not "met"; resolving in time is.
		if _, err := e.svc.Reply(e.ctx, inbox.ReplyInput{TicketID: id, AgentID: e.agent.ID, Text: "늦어서 죄송합니다"}); err != nil {
			t.Fatal(err)
		}
		e.consumed()
		e.statusAt(id, store.StatusResolved, kst(t, "2026-12-03 15:00"))
		want = append(want, "met resolution")
		if got := e.slaLines(id); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("timeline %q, want %q", got, want)
		}
		// A replayed resolution changes nothing.
		e.statusAt(id, store.StatusResolved, kst(t, "2026-12-03 15:00"))
		if got := e.slaLines(id); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("after a replay: timeline %q, want %q", got, want)
		}
	})
}

// TestSLARecompute: editing the policy or the team's business hours moves
// the due times of running SLAs (pauses still counted) and their timers;
// a resolved ticket keeps its own.
func TestSLARecompute(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newSLAEnv(t, st)
		hours := seoulOffice()
		team, err := e.svc.CreateTeam(e.ctx, 0, inbox.TeamInput{NameKo: ptr("결제팀"), NameEn: ptr("Billing"), Hours: &hours})
		if err != nil {
			t.Fatal(err)
		}
		in := inbox.SLAPolicyInput{Name: "결제", TeamID: team.ID, FirstResponseMinutes: 120, ResolutionMinutes: 600, WarnPercent: 50, Enabled: true}
		p := e.policy(in)
		// Created Thursday 16:00, paused 17:00 to Friday 10:00.
		id := e.placeTicket(team.ID, kst(t, "2026-12-03 16:00"), [][2]string{{"pending", "2026-12-03 17:00"}, {"open", "2026-12-04 10:00"}})
		done := e.placeTicket(team.ID, kst(t, "2026-12-03 16:00"), [][2]string{{"resolved", "2026-12-03 16:30"}})
		sameTime(t, "first response due", e.get(id).FirstResponseDueAt, kst(t, "2026-12-04 11:00"))
		before := e.get(done)

		in.FirstResponseMinutes = 180
		if _, err := e.svc.SaveSLAPolicy(e.ctx, p.ID, in); err != nil {
			t.Fatal(err)
		}
		e.consumed()
		tk := e.get(id)
		sameTime(t, "first response due after the policy edit", tk.FirstResponseDueAt, kst(t, "2026-12-04 12:00"))
		if j := e.job(id, store.SLAFirstResponse, "breach", tk.SLACycle); !j.DueAt.Equal(kst(t, "2026-12-04 12:00")) {
			t.Fatalf("breach job at %v", j.DueAt)
		}

		// Friday closes at 11:00: 60 minutes on Thursday, 60 on Friday
		// after the pause, the rest on Monday.
		hours.Weekly["fri"] = [][2]string{{"09:00", "11:00"}}
		if _, err := e.svc.UpdateTeam(e.ctx, 0, team.ID, inbox.TeamInput{Hours: &hours}); err != nil {
			t.Fatal(err)
		}
		e.consumed()
		tk = e.get(id)
		sameTime(t, "first response due after the hours edit", tk.FirstResponseDueAt, kst(t, "2026-12-07 10:00"))
		sameTime(t, "resolution due after the hours edit", tk.ResolutionDueAt, kst(t, "2026-12-07 17:00"))
		// Thursday closes at 16:30: 30 minutes ran before the pause.
		hours.Weekly["thu"] = [][2]string{{"09:00", "16:30"}}
		if _, err := e.svc.UpdateTeam(e.ctx, 0, team.ID, inbox.TeamInput{Hours: &hours}); err != nil {
			t.Fatal(err)
		}
		e.consumed()
		tk = e.get(id)
		sameTime(t, "first response due after Thursday's hours changed", tk.FirstResponseDueAt, kst(t, "2026-12-07 10:30"))
		sameTime(t, "resolution due after Thursday's hours changed", tk.ResolutionDueAt, kst(t, "2026-12-07 17:30"))
		if j := e.job(id, store.SLAResolution, "breach", tk.SLACycle); !j.DueAt.Equal(kst(t, "2026-12-07 17:30")) {
			t.Fatalf("resolution breach job at %v", j.DueAt)
		}
		in.ResolutionMinutes = 60
		if _, err := e.svc.SaveSLAPolicy(e.ctx, p.ID, in); err != nil {
			t.Fatal(err)
		}
		e.consumed()
		sameTime(t, "resolution due after the target shrank", e.get(id).ResolutionDueAt, kst(t, "2026-12-04 10:30"))
		if after := e.get(done); !sameTimes(after.ResolutionDueAt, before.ResolutionDueAt) {
			t.Fatalf("a resolved ticket's due time moved: %v → %v", before.ResolutionDueAt, after.ResolutionDueAt)
		}

		// Deleting the policy takes the SLA off the running ticket.
		if err := e.svc.DeleteSLAPolicy(e.ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		e.consumed()
		if tk := e.get(id); tk.SLAPolicyID != nil || tk.SLADueAt != nil {
			t.Fatalf("after the policy was deleted: policy %v due %v", tk.SLAPolicyID, tk.SLADueAt)
		}
	})
}

func sameTimes(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
