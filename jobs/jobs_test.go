package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newScheduler(st *store.Store, c *clock) *Scheduler {
	return New(st, Options{Now: c.Now, Lease: time.Minute, BaseBackoff: 10 * time.Second, MaxBackoff: 5 * time.Minute, MaxAttempts: 3})
}

func status(t *testing.T, s *Scheduler, kind, key string) *store.Job {
	t.Helper()
	j, err := s.Get(context.Background(), kind, key)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestScheduleOnceAndRunWhenDue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := newClock()
		s := newScheduler(st, c)
		var got []string
		s.Handle("greet", func(ctx context.Context, j *Job) error {
			var p struct{ Name string }
			if err := j.Decode(&p); err != nil {
				return err
			}
			got = append(got, j.Key+"="+p.Name)
			return nil
		})
		due := c.Now().Add(time.Hour)
		if added, err := s.Schedule(ctx, Spec{Kind: "greet", Key: "c1", Due: due, Payload: map[string]string{"Name": "김민수"}}); err != nil || !added {
			t.Fatalf("first schedule: %v %v", added, err)
		}
		if added, err := s.Schedule(ctx, Spec{Kind: "greet", Key: "c1", Due: c.Now(), Payload: map[string]string{"Name": "other"}}); err != nil || added {
			t.Fatalf("second schedule of the same key added a job: %v %v", added, err)
		}
		if n, _ := s.RunDue(ctx); n != 0 {
			t.Fatalf("ran %d jobs before their due time", n)
		}
		c.Add(time.Hour)
		if n, err := s.RunDue(ctx); n != 1 || err != nil {
			t.Fatalf("RunDue at the due time = %d, %v", n, err)
		}
		if len(got) != 1 || got[0] != "c1=김민수" {
			t.Fatalf("handled %v", got)
		}
		if j := status(t, s, "greet", "c1"); j.Status != store.JobDone || j.FinishedAt == nil || j.LeaseToken != "" {
			t.Fatalf("after run: %+v", j)
		}
		// A finished job is never scheduled or run again.
		if added, _ := s.Schedule(ctx, Spec{Kind: "greet", Key: "c1"}); added {
			t.Fatal("a done job was scheduled again")
		}
		c.Add(time.Hour)
		if n, _ := s.RunDue(ctx); n != 0 || len(got) != 1 {
			t.Fatalf("a done job ran again (%d, %v)", n, got)
		}
	})
}

func TestRetriesWithBackoffThenFails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := newClock()
		s := newScheduler(st, c)
		var calls atomic.Int32
		fail := true
		s.Handle("flaky", func(ctx context.Context, j *Job) error {
			calls.Add(1)
			if fail {
				return errors.New("smtp: 451 try later\x00")
			}
			return nil
		})
		s.Schedule(ctx, Spec{Kind: "flaky", Key: "k"})
		start := c.Now()
		s.RunDue(ctx)
		j := status(t, s, "flaky", "k")
		if j.Status != store.JobPending || j.Attempts != 1 || j.LastError != "smtp: 451 try later" {
			t.Fatalf("after the first failure: %+v", j)
		}
		if wait := j.DueAt.Sub(start); wait < 10*time.Second || wait > 11*time.Second {
			t.Fatalf("first retry in %v, want 10s (+10%% jitter)", wait)
		}
		if n, _ := s.RunDue(ctx); n != 0 {
			t.Fatal("retried before the backoff")
		}
		c.Add(11 * time.Second)
		s.RunDue(ctx)
		j = status(t, s, "flaky", "k")
		if wait := j.DueAt.Sub(c.Now()); j.Attempts != 2 || wait < 20*time.Second || wait > 22*time.Second {
			t.Fatalf("second failure: attempts %d, next in %v (want 20s)", j.Attempts, wait)
		}
		c.Add(time.Minute)
		s.RunDue(ctx)
		if j = status(t, s, "flaky", "k"); j.Status != store.JobFailed || calls.Load() != 3 {
			t.Fatalf("after MaxAttempts: %+v, %d calls", j, calls.Load())
		}
		failed, err := s.Failed(ctx, 10)
		if err != nil || len(failed) != 1 || failed[0].ID != j.ID {
			t.Fatalf("Failed = %v, %v", failed, err)
		}
		fail = false
		if err := s.Retry(ctx, j.ID); err != nil {
			t.Fatal(err)
		}
		s.RunDue(ctx)
		if j = status(t, s, "flaky", "k"); j.Status != store.JobDone || j.LastError != "" {
			t.Fatalf("after an admin retry: %+v", j)
		}
		if err := s.Retry(ctx, j.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("retry of a done job = %v, want ErrNotFound", err)
		}
	})
}

func TestPermanentPostponePanicAndCancel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := newClock()
		s := newScheduler(st, c)
		later := c.Now().Add(8 * time.Hour)
		s.Handle("perm", func(context.Context, *Job) error { return Permanent(errors.New("no such contact")) })
		s.Handle("quiet", func(_ context.Context, j *Job) error {
			if c.Now().Before(later) {
				return Postpone(later)
			}
			return nil
		})
		s.Handle("boom", func(context.Context, *Job) error { panic("nil map") })
		s.Handle("never", func(context.Context, *Job) error { t.Error("a cancelled job ran"); return nil })
		for _, k := range []string{"perm", "quiet", "boom", "never"} {
			s.Schedule(ctx, Spec{Kind: k, Key: "x"})
		}
		if ok, err := s.Cancel(ctx, "never", "x"); !ok || err != nil {
			t.Fatalf("cancel = %v, %v", ok, err)
		}
		s.RunDue(ctx)
		if j := status(t, s, "perm", "x"); j.Status != store.JobFailed || j.Attempts != 1 {
			t.Fatalf("permanent error: %+v", j)
		}
		if j := status(t, s, "quiet", "x"); j.Status != store.JobPending || j.Attempts != 0 || !j.DueAt.Equal(later) {
			t.Fatalf("postponed: %+v (want due %v, no attempt counted)", j, later)
		}
		if j := status(t, s, "boom", "x"); j.Status != store.JobPending || j.Attempts != 1 || j.LastError == "" {
			t.Fatalf("panicking handler: %+v", j)
		}
		if j := status(t, s, "never", "x"); j.Status != store.JobCancelled {
			t.Fatalf("cancelled: %+v", j)
		}
		c.Add(8 * time.Hour)
		s.RunDue(ctx)
		if j := status(t, s, "quiet", "x"); j.Status != store.JobDone {
			t.Fatalf("postponed job at its new time: %+v", j)
		}
	})
}

func TestMove(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := newClock()
		s := newScheduler(st, c)
		ran := 0
		s.Handle("sla", func(context.Context, *Job) error { ran++; return nil })
		first := c.Now().Add(2 * time.Hour)
		if ok, err := s.Move(ctx, Spec{Kind: "sla", Key: "t1", Due: first}); !ok || err != nil {
			t.Fatalf("move of a missing job schedules it: %v %v", ok, err)
		}
		sooner := c.Now().Add(time.Hour)
		if ok, _ := s.Move(ctx, Spec{Kind: "sla", Key: "t1", Due: sooner}); !ok {
			t.Fatal("move of a pending job")
		}
		c.Add(time.Hour)
		s.RunDue(ctx)
		if ran != 1 {
			t.Fatalf("ran %d times at the moved time", ran)
		}
		if ok, _ := s.Move(ctx, Spec{Kind: "sla", Key: "t1", Due: c.Now()}); ok {
			t.Fatal("a done job was moved back to pending")
		}
	})
}

// TestLostLeaseRunsElsewhereOnce: an instance that claimed a job and died
// (or stalled past its lease) loses it to another instance, and its late
// Done rolls back, so the job's effect happens once.
func TestLostLeaseRunsElsewhereOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := newClock()
		second, err := store.Open(ctx, store.Config{DataDir: st.DataDir, DatabaseURL: st.DSN})
		if err != nil {
			t.Fatal(err)
		}
		defer second.Close()
		a, b := newScheduler(st, c), newScheduler(second, c)
		effect := func(tx *gorm.DB, j *Job, who string) error {
			if err := tx.Exec("INSERT INTO channel_states (channel_id, key, value, updated_at) VALUES (?, ?, ?, ?)", 1, "sent:"+j.Key+":"+who, who, c.Now()).Error; err != nil {
				return err
			}
			return j.Done(tx)
		}
		for _, s := range []*Scheduler{a, b} {
			s.Handle("survey", func(ctx context.Context, j *Job) error {
				return st.Tx(ctx, func(tx *gorm.DB) error { return effect(tx, j, "b") })
			})
		}
		a.Schedule(ctx, Spec{Kind: "survey", Key: "contact-7-round-1"})
		stalled, err := a.claim(ctx, 10)
		if err != nil || len(stalled) != 1 {
			t.Fatalf("claim = %v, %v", stalled, err)
		}
		if n, _ := b.RunDue(ctx); n != 0 {
			t.Fatal("a leased job was claimed by another instance")
		}
		c.Add(61 * time.Second) // the lease ends
		if n, _ := b.RunDue(ctx); n != 1 {
			t.Fatalf("the other instance ran %d jobs after the lease ended", n)
		}
		// The stalled instance wakes up and tries to finish its copy.
		err = st.Tx(ctx, func(tx *gorm.DB) error { return effect(tx, stalled[0], "a") })
		if !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("late Done = %v, want ErrLeaseLost", err)
		}
		var who []string
		st.DB.Raw("SELECT value FROM channel_states WHERE key LIKE ?", "sent:contact-7-round-1:%").Scan(&who)
		if len(who) != 1 || who[0] != "b" {
			t.Fatalf("effect rows = %v, want exactly one by b", who)
		}
	})
}

// TestExactlyOnceAcrossInstances: two schedulers on their own connections
// run 200 jobs concurrently; each runs exactly once.
func TestExactlyOnceAcrossInstances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		second, err := store.Open(ctx, store.Config{DataDir: st.DataDir, DatabaseURL: st.DSN})
		if err != nil {
			t.Fatal(err)
		}
		defer second.Close()
		var mu sync.Mutex
		runs := map[string]int{}
		var total atomic.Int32
		const n = 200
		all := make(chan struct{})
		mk := func(db *store.Store) *Scheduler {
			s := New(db, Options{Poll: 5 * time.Millisecond, Workers: 4})
			s.Handle("n", func(ctx context.Context, j *Job) error {
				mu.Lock()
				runs[j.Key]++
				mu.Unlock()
				if total.Add(1) == n {
					close(all)
				}
				return nil
			})
			return s
		}
		a, b := mk(st), mk(second)
		for i := range n {
			if _, err := a.Schedule(ctx, Spec{Kind: "n", Key: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
		rctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for _, s := range []*Scheduler{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); s.Run(rctx) }()
		}
		select {
		case <-all:
		case <-time.After(60 * time.Second): // a safety net, not a timing assertion
			t.Fatalf("only %d of %d jobs ran", total.Load(), n)
		}
		stop()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for k, c := range runs {
			if c != 1 {
				t.Errorf("job %s ran %d times", k, c)
			}
		}
		var done int64
		st.DB.Model(&store.Job{}).Where("status = ?", store.JobDone).Count(&done)
		if len(runs) != n || done != n {
			t.Fatalf("%d distinct jobs ran, %d done; want %d", len(runs), done, n)
		}
	})
}

// TestShutdownReleasesJobsInFlight: a job still running when the drain time
// ends is cancelled and handed back, uncounted, for the next start.
func TestShutdownReleasesJobsInFlight(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s := New(st, Options{Drain: time.Millisecond, Poll: time.Millisecond})
		started := make(chan struct{})
		s.Handle("slow", func(ctx context.Context, j *Job) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		})
		s.Schedule(ctx, Spec{Kind: "slow", Key: "1"})
		rctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { s.Run(rctx); close(done) }()
		<-started
		stop()
		<-done
		j := status(t, s, "slow", "1")
		if j.Status != store.JobPending || j.Attempts != 0 || j.LockedUntil != nil {
			t.Fatalf("after shutdown: %+v, want pending, unleased, no attempt counted", j)
		}
	})
}

func TestCleanKeepsRecentAndPending(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := newClock()
		s := New(st, Options{Now: c.Now, Retention: 24 * time.Hour})
		s.Handle("x", func(context.Context, *Job) error { return nil })
		s.Schedule(ctx, Spec{Kind: "x", Key: "old"})
		s.RunDue(ctx)
		s.Schedule(ctx, Spec{Kind: "x", Key: "future", Due: c.Now().Add(72 * time.Hour)})
		c.Add(25 * time.Hour)
		s.Schedule(ctx, Spec{Kind: "x", Key: "recent"})
		s.RunDue(ctx)
		n, err := s.Clean(ctx)
		if err != nil || n != 1 {
			t.Fatalf("cleaned %d, %v; want 1", n, err)
		}
		if _, err := s.Get(ctx, "x", "old"); !errors.Is(err, ErrNotFound) {
			t.Fatal("the old finished job was kept")
		}
		for _, k := range []string{"future", "recent"} {
			if _, err := s.Get(ctx, "x", k); err != nil {
				t.Fatalf("%s: %v", k, err)
			}
		}
	})
}

func TestHandleAndSpecValidation(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	s := New(st, Options{})
	s.Handle("a", func(context.Context, *Job) error { return nil })
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a duplicate handler did not panic")
			}
		}()
		s.Handle("a", func(context.Context, *Job) error { return nil })
	}()
	if _, err := s.Schedule(context.Background(), Spec{Kind: "a"}); err == nil {
		t.Error("a job without a key was accepted")
	}
	if _, err := s.Schedule(context.Background(), Spec{Kind: "a", Key: "k", Payload: func() {}}); err == nil {
		t.Error("an unencodable payload was accepted")
	}
}
