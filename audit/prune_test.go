package audit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hanbox/hanbox/audit"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestPruneOnScheduler: the daily job deletes entries past the retention,
// keeps the rest, records that it pruned, and comes back the next day.
func TestPruneOnScheduler(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clk := &clock{t: time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)}
		rec := audit.New(st, audit.Options{Now: clk.now})
		sched := jobs.New(st, jobs.Options{Now: clk.now})
		for _, age := range []time.Duration{400 * 24 * time.Hour, 31 * 24 * time.Hour, 29 * 24 * time.Hour, time.Hour} {
			if err := st.CreateAuditEntry(ctx, &store.AuditEntry{At: clk.now().Add(-age), Action: "channels.update"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := rec.EnablePruning(ctx, sched, 30*24*time.Hour); err != nil {
			t.Fatal(err)
		}
		if n, err := sched.RunDue(ctx); err != nil || n != 0 {
			t.Fatalf("ran %d jobs before the first day passed (err %v)", n, err)
		}
		clk.add(24 * time.Hour)
		if n, err := sched.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("ran %d jobs, want the prune (err %v)", n, err)
		}
		// The cutoff is 30 days before the run, a day after the start: the
		// 400- and 31-day-old entries go, the 29-day-old one (30 days then) stays.
		left, err := st.AuditEntries(ctx, store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, e := range left {
			actions[e.Action]++
		}
		if actions["channels.update"] != 2 || actions[audit.ActionPrune] != 1 {
			t.Fatalf("after pruning: %v", actions)
		}
		for _, e := range left {
			if e.Action == audit.ActionPrune && e.Changes["deleted"] != 2.0 && e.Changes["deleted"] != int64(2) {
				t.Fatalf("prune entry %v", e.Changes)
			}
		}
		job, err := sched.Get(ctx, audit.JobPrune, "daily")
		if err != nil {
			t.Fatal(err)
		}
		if want := clk.now().Add(24 * time.Hour); !job.DueAt.Equal(want) {
			t.Fatalf("next run at %v, want %v", job.DueAt, want)
		}
		clk.add(24 * time.Hour)
		if n, err := sched.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("second day: ran %d (err %v)", n, err)
		}
	})
}
