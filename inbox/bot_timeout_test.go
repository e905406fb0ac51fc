package inbox_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestBotHoldTimeout: a visitor who stops answering mid-flow holds the
// ticket only until BotHoldTimeout after their last message: the durable
// job (one per ticket, moved by every answer) then releases it as a handoff
// does (state handed_off, a note, one bot.released) and routing assigns it.
// A flow that handed off by itself makes the job a no-op (no second
// release). The scheduler's clock is injected. Both stores.
func TestBotHoldTimeout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		loc, _ := time.LoadLocation("Asia/Seoul")
		e := newBotEnv(t, st, time.Date(2026, 12, 3, 10, 0, 0, 0, loc))
		ctx, svc := e.ctx, e.svc
		t0 := time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC)
		clock := t0
		sched := jobs.New(st, jobs.Options{Now: func() time.Time { return clock }})
		svc.EnableBotHoldTimeout(sched)
		agent := store.Agent{Email: "kim@example.com", Name: "김상담", Role: store.RoleAgent, Active: true}
		if err := st.DB.Create(&agent).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetAvailability(ctx, agent.ID, inbox.AvailabilityOnline); err != nil {
			t.Fatal(err)
		}
		on, members := true, []int64{agent.ID}
		ko, en := "지원팀", "Support"
		if _, err := svc.CreateTeam(ctx, 0, inbox.TeamInput{NameKo: &ko, NameEn: &en, AutoAssign: &on, ChannelIDs: &[]int64{e.ch.ID}, MemberIDs: &members}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.UpdateTeam(ctx, 0, e.billing.ID, inbox.TeamInput{AutoAssign: &on, MemberIDs: &members}); err != nil {
			t.Fatal(err)
		}
		route, ticket, released := botHoldHelpers(t, ctx, st, svc)
		runDue := func(at time.Time) int {
			t.Helper()
			clock = at
			n, err := sched.RunDue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		// Arrival and the bot's greeting; at 9 minutes the visitor answers
		// the name, then leaves.
		id := e.say("conv-away", "문의가 있어요", "ko")
		j, err := sched.Get(ctx, inbox.JobBotHoldTimeout, "ticket:"+itoa(id))
		if err != nil || !j.DueAt.Equal(t0.Add(inbox.DefaultBotHoldTimeout)) {
			t.Fatalf("hold timeout job %+v, %v; want due at %v", j, err, t0.Add(inbox.DefaultBotHoldTimeout))
		}
		clock = t0.Add(9 * time.Minute)
		e.say("conv-away", "김철수", "ko")
		if n := runDue(t0.Add(12 * time.Minute)); n != 0 {
			t.Fatalf("%d jobs ran 3 minutes after the visitor's answer", n)
		}
		route(inbox.Event{Type: inbox.EventTicketUpdated, TicketID: id})
		if tk := ticket(id); tk.AssigneeID != nil || released(id) != 0 {
			t.Fatalf("released early: assignee %v, released %d", tk.AssigneeID, released(id))
		}
		// Ten minutes of silence: released, noted, assigned.
		if n := runDue(t0.Add(19 * time.Minute)); n != 1 {
			t.Fatalf("%d jobs ran at the timeout, want 1", n)
		}
		if released(id) != 1 {
			t.Fatalf("released %d times at the timeout", released(id))
		}
		bs, err := svc.BotState(ctx, id)
		if err != nil || bs.Status != store.BotHandedOff {
			t.Fatalf("bot state %+v, %v", bs, err)
		}
		lines := e.botLines(id)
		if last := lines[len(lines)-1]; last[:5] != "note:" {
			t.Fatalf("no handoff note: %q", lines)
		}
		route(inbox.Event{Type: inbox.EventBotReleased, TicketID: id})
		if tk := ticket(id); tk.AssigneeID == nil || *tk.AssigneeID != agent.ID {
			t.Fatalf("not assigned after the timeout: %v", tk.AssigneeID)
		}
		// The visitor comes back: the bot stays quiet.
		before := len(e.botLines(id))
		e.say("conv-away", "여보세요?", "ko")
		if n := len(e.botLines(id)); n != before {
			t.Fatalf("the bot spoke after the timeout: %q", e.botLines(id))
		}

		// A flow that hands off by itself: the job comes due and does nothing.
		clock = t0.Add(time.Hour)
		e.n = 100
		id2 := e.say("conv-done", "환불 문의", "ko")
		if id2 == id {
			t.Fatal("same ticket")
		}
		e.say("conv-done", "사람과 상담", "ko")
		if released(id2) != 1 {
			t.Fatalf("handoff released %d times", released(id2))
		}
		if n := runDue(t0.Add(2 * time.Hour)); n != 1 {
			t.Fatalf("%d jobs ran, want the no-op timeout", n)
		}
		if released(id2) != 1 {
			t.Fatalf("released %d times after a handoff and a timeout", released(id2))
		}
		if j, err := sched.Get(ctx, inbox.JobBotHoldTimeout, "ticket:"+itoa(id2)); err != nil || j.Status != store.JobDone {
			t.Fatalf("timeout job after the handoff: %+v, %v", j, err)
		}
	})
}

// TestBotHoldMinutes: the hold time is the flow's setting. A flow saved
// with 3 minutes writes and moves its tickets' job 3 minutes ahead, the
// release note names the 3 minutes, and a changed setting applies from the
// next customer message on. Out-of-range values are refused; 0 keeps the
// default. The scheduler's clock is injected; both stores.
func TestBotHoldMinutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		loc, _ := time.LoadLocation("Asia/Seoul")
		e := newBotEnv(t, st, time.Date(2026, 12, 3, 10, 0, 0, 0, loc))
		ctx, svc := e.ctx, e.svc
		t0 := time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC)
		clock := t0
		sched := jobs.New(st, jobs.Options{Now: func() time.Time { return clock }})
		svc.EnableBotHoldTimeout(sched)
		f, err := st.BotFlowOf(ctx, e.ch.ID)
		if err != nil {
			t.Fatal(err)
		}
		if f.HoldMinutes != 10 {
			t.Fatalf("default hold %d minutes, want 10", f.HoldMinutes)
		}
		save := func(minutes int) error {
			_, err := svc.SaveBotFlow(ctx, f.ID, inbox.BotFlowInput{ChannelID: e.ch.ID, Enabled: true, GreetingKo: f.GreetingKo,
				GreetingEn: f.GreetingEn, Steps: f.Steps, HoldMinutes: minutes})
			return err
		}
		for _, bad := range []int{-1, inbox.MaxBotHoldMinutes + 1} {
			if err := save(bad); !errors.Is(err, inbox.ErrInvalid) {
				t.Fatalf("hold %d minutes: %v, want invalid", bad, err)
			}
		}
		if err := save(3); err != nil {
			t.Fatal(err)
		}
		due := func(id int64) time.Time {
			t.Helper()
			j, err := sched.Get(ctx, inbox.JobBotHoldTimeout, "ticket:"+itoa(id))
			if err != nil {
				t.Fatal(err)
			}
			return j.DueAt
		}
		id := e.say("conv-short", "문의가 있어요", "ko")
		if d := due(id); !d.Equal(t0.Add(3 * time.Minute)) {
			t.Fatalf("due %v, want 3 minutes after arrival", d)
		}
		// Changed to 7 minutes: the next answer moves the job 7 minutes on.
		if err := save(7); err != nil {
			t.Fatal(err)
		}
		clock = t0.Add(2 * time.Minute)
		e.say("conv-short", "김철수", "ko")
		if d := due(id); !d.Equal(t0.Add(9 * time.Minute)) {
			t.Fatalf("due %v, want 7 minutes after the answer", d)
		}
		clock = t0.Add(8 * time.Minute)
		if n, err := sched.RunDue(ctx); err != nil || n != 0 {
			t.Fatalf("ran %d, %v before the hold ended", n, err)
		}
		clock = t0.Add(9 * time.Minute)
		if n, err := sched.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("ran %d, %v at the end of the hold", n, err)
		}
		lines := e.botLines(id)
		if last := lines[len(lines)-1]; !strings.Contains(last, "no answer for 7m0s") {
			t.Fatalf("release note %q does not name the hold time", last)
		}
		// 0 is the default again.
		if err := save(0); err != nil {
			t.Fatal(err)
		}
		if f, err := st.BotFlowOf(ctx, e.ch.ID); err != nil || f.HoldMinutes != 10 {
			t.Fatalf("hold after saving 0: %+v, %v", f, err)
		}
	})
}
