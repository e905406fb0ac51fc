package inbox_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// enableRules adds the rules consumer to svc (the first time on a
// database, it starts after the newest event).
func enableRules(t *testing.T, st *store.Store, svc *inbox.Service) {
	t.Helper()
	if err := svc.EnableRules(context.Background(), jobs.New(st, jobs.Options{})); err != nil {
		t.Fatal(err)
	}
}

// runRules runs the consumers of svc until the rules consumer has consumed
// every stored event (or, with stop, until stop is closed) and then shuts
// them down.
func runRules(t *testing.T, st *store.Store, svc *inbox.Service, stop <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.RunConsumers(ctx, fastConsume(inbox.NewPublicID())) }()
	if stop != nil {
		select {
		case <-stop:
		case <-time.After(60 * time.Second):
			t.Fatal("the rule never ran")
		}
	} else {
		waitConsumed(t, st, inbox.RulesConsumerName)
	}
	cancel()
	<-done
}

// waitConsumed waits (60 s at most) until consumer name has passed every
// stored event.
func waitConsumed(t *testing.T, st *store.Store, name string) {
	t.Helper()
	var last int64
	if err := st.DB.Model(&store.Event{}).Select("COALESCE(MAX(id), 0)").Scan(&last).Error; err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var c store.EventConsumer
		if err := st.DB.Where("name = ?", name).Take(&c).Error; err != nil {
			t.Fatal(err)
		}
		var retries int64
		st.DB.Model(&store.EventDelivery{}).Where("consumer = ? AND status = ?", name, store.EventRetry).Count(&retries)
		if c.CursorID >= last && retries == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer %s stuck at %d of %d (%d retries)", name, c.CursorID, last, retries)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// crashRule makes a rule that tags, notes and calls a webhook, each of
// which would show twice if it ran twice.
func crashRule(t *testing.T, svc *inbox.Service) *store.Rule {
	t.Helper()
	r, err := svc.CreateRule(context.Background(), inbox.RuleInput{Name: "VIP → 결제팀", Enabled: true, Trigger: inbox.TriggerTicketCreated,
		Conditions: []store.RuleCondition{{Field: inbox.CondText, Op: inbox.OpContains, Value: "결제"}},
		Actions: []store.RuleAction{{Type: inbox.ActAddTag, Value: "billing"}, {Type: inbox.ActAddNote, Value: "결제 문의 자동 분류"},
			{Type: inbox.ActWebhook, Target: "https://hooks.example.com/rules", Secret: "0123456789abcdef"}}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ranOnce checks every effect of crashRule is there exactly once.
func ranOnce(t *testing.T, st *store.Store, ruleID, ticketID int64) {
	t.Helper()
	count := func(q string, args ...any) int64 {
		var n int64
		if err := st.DB.Raw(q, args...).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count("SELECT COUNT(*) FROM rule_runs WHERE rule_id = ? AND ticket_id = ?", ruleID, ticketID); n != 1 {
		t.Errorf("rule runs = %d, want 1", n)
	}
	if n := count("SELECT COUNT(*) FROM ticket_tags WHERE ticket_id = ? AND tag = 'billing'", ticketID); n != 1 {
		t.Errorf("billing tags = %d, want 1", n)
	}
	if n := count("SELECT COUNT(*) FROM messages WHERE ticket_id = ? AND direction = 'note'", ticketID); n != 1 {
		t.Errorf("notes = %d, want 1", n)
	}
	if n := count("SELECT COUNT(*) FROM messages WHERE ticket_id = ? AND direction = 'system'", ticketID); n != 2 {
		t.Errorf("system entries = %d, want 2 (tag change, webhook)", n)
	}
	if n := count("SELECT COUNT(*) FROM outboxes WHERE ticket_id = ? AND purpose = ?", ticketID, store.PurposeWebhook); n != 1 {
		t.Errorf("webhook rows = %d, want 1", n)
	}
}

// TestRuleCrashBeforeCommit: the process dies (the consumer's goroutine
// exits without returning, like kill -9 for this consumer) after the event
// was recorded and the rule's actions were written but before they
// committed. A fresh Service and consumer on the same database run the
// rule, and its effects are there once.
func TestRuleCrashBeforeCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		enableRules(t, st, svc)
		r := crashRule(t, svc)
		res, err := svc.Ingest(context.Background(), msg(ch, "crash-1", "crash-t1", "결제가 두 번 됐어요"))
		if err != nil {
			t.Fatal(err)
		}
		crashed := make(chan struct{})
		var once atomic.Bool
		svc.SetRuleHooks(func(_, _ int64) {
			if once.CompareAndSwap(false, true) {
				close(crashed)
				runtime.Goexit() // dies inside the transaction: nothing commits
			}
		}, nil)
		runRules(t, st, svc, crashed)
		var n int64
		st.DB.Model(&store.RuleRun{}).Count(&n)
		if n != 0 {
			t.Fatalf("%d rule runs committed by the crashed run", n)
		}

		fresh := inbox.New(st, inbox.Options{})
		enableRules(t, st, fresh)
		runRules(t, st, fresh, nil)
		ranOnce(t, st, r.ID, res.TicketID)

		// Another restart finds nothing left to do.
		again := inbox.New(st, inbox.Options{})
		enableRules(t, st, again)
		runRules(t, st, again, nil)
		ranOnce(t, st, r.ID, res.TicketID)
	})
}

// TestRuleCrashAfterCommit: the process dies after the rule's actions
// committed but before the consumer recorded its progress; the event is
// delivered again after the restart and the rule does not act twice.
func TestRuleCrashAfterCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		enableRules(t, st, svc)
		r := crashRule(t, svc)
		res, err := svc.Ingest(context.Background(), msg(ch, "crash-2", "crash-t2", "결제 취소 부탁드립니다"))
		if err != nil {
			t.Fatal(err)
		}
		crashed := make(chan struct{})
		var once atomic.Bool
		svc.SetRuleHooks(nil, func(_, _ int64) {
			if once.CompareAndSwap(false, true) {
				close(crashed)
				runtime.Goexit() // committed; the cursor never moves past the event
			}
		})
		runRules(t, st, svc, crashed)
		var c store.EventConsumer
		if err := st.DB.Where("name = ?", inbox.RulesConsumerName).Take(&c).Error; err != nil {
			t.Fatal(err)
		}
		var created int64
		st.DB.Model(&store.Event{}).Where("ticket_id = ? AND type = ?", res.TicketID, inbox.EventTicketCreated).Select("MAX(id)").Scan(&created)
		if c.CursorID >= created {
			t.Fatalf("cursor %d passed the event %d: the crash came too late", c.CursorID, created)
		}
		fresh := inbox.New(st, inbox.Options{})
		enableRules(t, st, fresh)
		runRules(t, st, fresh, nil)
		ranOnce(t, st, r.ID, res.TicketID)
	})
}

// TestRuleRedelivery: the same event handed to the rules again (a retry)
// runs nothing more.
func TestRuleRedelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRulesEnv(t, st)
		r := crashRule(t, e.svc)
		id := e.ingest("결제 문의", "", "")
		if acted := e.apply(id, 0); len(acted) != 1 {
			t.Fatalf("acted = %v", acted)
		}
		rules, _ := e.svc.Rules(e.ctx)
		for _, ev := range e.events(id, 0) {
			for range 3 {
				acted, err := e.svc.ApplyRules(e.ctx, rules, ev)
				if err != nil {
					t.Fatal(err)
				}
				if len(acted) != 0 {
					t.Fatalf("event %d (%s) acted again: %v", ev.ID, ev.Type, acted)
				}
			}
		}
		ranOnce(t, st, r.ID, id)
	})
}
