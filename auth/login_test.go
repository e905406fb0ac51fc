package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testService is a Service over st with a cheap hasher (whose calls count
// the passwords that reached the check) and a fake clock, and one admin.
func testService(t *testing.T, st *store.Store) (*Service, *atomic.Int64, *fakeClock) {
	t.Helper()
	s := New(st)
	h, calls := cheapHasher(2)
	s.hash = h
	clock := &fakeClock{t: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	s.throttle.setClock(clock.now)
	if _, err := s.CreateAgent(context.Background(), "admin@example.com", "Admin", store.RoleAdmin, "the right password"); err != nil {
		t.Fatal(err)
	}
	calls.Store(0)
	return s, calls, clock
}

func isLimited(err error) bool {
	var le *LimitError
	return errors.As(err, &le) && le.Wait > 0 && errors.Is(err, ErrRateLimited)
}

// 40 concurrent wrong passwords for one account from one address: only the
// allowance of 10 reaches the password check; the other 30 are told to wait.
func TestConcurrentGuessesCannotOutrunTheLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s, calls, _ := testService(t, st)
		var wg sync.WaitGroup
		var bad, limited, other atomic.Int64
		start := make(chan struct{})
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, _, err := s.Login(context.Background(), "admin@example.com", "a wrong guess", "203.0.113.7")
				switch {
				case errors.Is(err, ErrBadCredentials):
					bad.Add(1)
				case isLimited(err):
					limited.Add(1)
				default:
					other.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		if calls.Load() != 10 || bad.Load() != 10 || limited.Load() != 30 || other.Load() != 0 {
			t.Fatalf("%d passwords checked, %d wrong, %d limited, %d other; want 10, 10, 30, 0",
				calls.Load(), bad.Load(), limited.Load(), other.Load())
		}
	})
}

// Guesses from many addresses, one each, share the account's budget: 30
// reach the check, then each waits longer than the last.
func TestDistributedGuessingIsSlowed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s, calls, clock := testService(t, st)
		guess := func(i int) error {
			_, _, err := s.Login(context.Background(), "admin@example.com", "a wrong guess", fmt.Sprintf("198.51.100.%d", i))
			return err
		}
		for i := 0; i < 100; i++ {
			err := guess(i)
			if i < 30 && !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("guess %d: %v, want a wrong password within the allowance", i, err)
			}
			if i >= 30 && !isLimited(err) {
				t.Fatalf("guess %d from a new address: %v, want a wait", i, err)
			}
		}
		if calls.Load() != 30 {
			t.Fatalf("%d passwords checked, want 30", calls.Load())
		}
		var waits []time.Duration
		for i := 0; i < 4; i++ {
			var le *LimitError
			if err := guess(200 + i); !errors.As(err, &le) {
				t.Fatalf("guess before the wait ended: %v", err)
			}
			clock.add(le.Wait)
			if err := guess(300 + i); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("guess after waiting %v: %v", le.Wait, err)
			}
			waits = append(waits, le.Wait)
		}
		for i := 1; i < len(waits); i++ {
			if waits[i] <= waits[i-1] {
				t.Fatalf("waits %v do not grow", waits)
			}
		}
	})
}

// An attacker on one address cannot lock the real user out: the user's
// own address has its own count, and a client that signed in before is
// not held by the account's budget even when a distributed attack spent it.
func TestAttackerCannotLockOutTheRealUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s, _, clock := testService(t, st)
		ctx := context.Background()
		const home = "192.0.2.10"
		if _, _, err := s.Login(ctx, "admin@example.com", "the right password", home); err != nil {
			t.Fatalf("first sign-in: %v", err)
		}
		for i := 0; i < 100; i++ {
			s.Login(ctx, "admin@example.com", "a wrong guess", "203.0.113.66")
		}
		if _, _, err := s.Login(ctx, "admin@example.com", "a wrong guess", "203.0.113.66"); !isLimited(err) {
			t.Fatalf("the attacker's address is not limited: %v", err)
		}
		// A distributed attack spends the account's budget.
		for i := 0; i < 200; i++ {
			s.Login(ctx, "admin@example.com", "a wrong guess", fmt.Sprintf("198.51.100.%d", i))
		}
		if _, _, err := s.Login(ctx, "admin@example.com", "a wrong guess", "198.51.100.250"); !isLimited(err) {
			t.Fatalf("the account's budget is not spent: %v", err)
		}
		// The real user at home still signs in, at once.
		if _, _, err := s.Login(ctx, "admin@example.com", "the right password", home); err != nil {
			t.Fatalf("the real user is locked out at home: %v", err)
		}
		// From a new place they are slowed, not locked out: after the wait
		// they get in.
		_, _, err := s.Login(ctx, "admin@example.com", "the right password", "192.0.2.99")
		var le *LimitError
		if !errors.As(err, &le) {
			t.Fatalf("a new address during an attack: %v, want a wait", err)
		}
		if le.Wait > 6*time.Minute {
			t.Fatalf("wait %v is longer than the account's cap", le.Wait)
		}
		clock.add(le.Wait)
		if _, _, err := s.Login(ctx, "admin@example.com", "the right password", "192.0.2.99"); err != nil {
			t.Fatalf("after waiting: %v", err)
		}
	})
}

// One address trying many accounts is limited across them.
func TestOneAddressAcrossAccountsIsLimited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s, calls, _ := testService(t, st)
		for i := 0; i < 60; i++ {
			_, _, err := s.Login(context.Background(), fmt.Sprintf("user%d@example.com", i), "a guess", "203.0.113.9")
			if i < 50 && !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("attempt %d: %v", i, err)
			}
			if i >= 50 && !isLimited(err) {
				t.Fatalf("attempt %d: %v, want a wait", i, err)
			}
		}
		// Unknown emails hash only until the check time is measured.
		if want := int64(calibrated + (50-calibrated)/remeasure); calls.Load() != want {
			t.Fatalf("%d hashes for 50 unknown emails, want %d (then the measured time)", calls.Load(), want)
		}
	})
}

func TestClientKeys(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7":                "203.0.113.7",
		"::ffff:203.0.113.7":         "203.0.113.7",
		"2001:db8:1:2:aaaa::1":       "2001:db8:1:2::/64",
		"2001:db8:1:2:bbbb:cccc::99": "2001:db8:1:2::/64",
		"not an address":             "not an address",
	} {
		if got := clientKey(in); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// A check that could not run (no hashing slot) gives the attempt back.
func TestBusyLoginIsNotCounted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s, _, _ := testService(t, st)
		s.hash.maxWaiting = 0
		for i := 0; i < 20; i++ {
			if _, _, err := s.Login(context.Background(), "admin@example.com", "the right password", "192.0.2.1"); !errors.Is(err, ErrBusy) {
				t.Fatalf("attempt %d: %v, want ErrBusy", i, err)
			}
		}
		s.hash.maxWaiting = 100
		if _, _, err := s.Login(context.Background(), "admin@example.com", "the right password", "192.0.2.1"); err != nil {
			t.Fatalf("after busy answers: %v", err)
		}
	})
}
