package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// cheapHasher is a hasher whose key function is a fast SHA-256 and counts
// its calls: a call is a password that reached the check.
func cheapHasher(slots int) (*hasher, *atomic.Int64) {
	h := newHasher(slots, 10*time.Second)
	h.release = nil
	var calls atomic.Int64
	h.key = func(password, salt []byte, _, _ uint32, _ uint8, n uint32) []byte {
		calls.Add(1)
		sum := sha256.Sum256(append(append([]byte{}, salt...), password...))
		return sum[:n]
	}
	return h, &calls
}

// waitFor polls cond; the deadline is only a safety net.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// 20 concurrent checks on 2 slots: never more than 2 hash at once, and the
// others wait their turn instead of failing.
func TestHashingIsBounded(t *testing.T) {
	h := newHasher(2, time.Minute)
	release := make(chan struct{})
	var running, peak atomic.Int64
	h.key = func(password, salt []byte, _, _ uint32, _ uint8, n uint32) []byte {
		if r := running.Add(1); r > peak.Load() {
			peak.Store(r)
		}
		<-release
		running.Add(-1)
		return make([]byte, n)
	}
	hash, _ := newHasher(1, time.Minute).hash(context.Background(), "password")
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.check(context.Background(), hash, "password")
			errs <- err
		}()
	}
	waitFor(t, "2 running and 18 queued", func() bool { return running.Load() == 2 && h.waiting.Load() == 18 })
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("queued check failed: %v", err)
		}
	}
	if p := peak.Load(); p != 2 || h.peak.Load() != 2 {
		t.Fatalf("%d hashes ran at once (hasher saw %d), want 2", p, h.peak.Load())
	}
}

func TestHashingQueueHasADeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, _ := cheapHasher(1)
		h.slots <- struct{}{} // the only slot is taken
		start := time.Now()
		_, err := h.check(context.Background(), testHash, "password")
		if !errors.Is(err, ErrBusy) {
			t.Fatalf("err = %v, want ErrBusy", err)
		}
		if waited := time.Since(start); waited != h.queueWait {
			t.Fatalf("waited %v, want the queue deadline %v", waited, h.queueWait)
		}
		if h.waiting.Load() != 0 {
			t.Fatal("a caller that gave up still counts as waiting")
		}
	})
}

func TestHashingQueueIsBounded(t *testing.T) {
	h, calls := cheapHasher(1)
	h.maxWaiting = 0
	if _, err := h.check(context.Background(), testHash, "password"); !errors.Is(err, ErrBusy) {
		t.Fatalf("err = %v, want ErrBusy at once when the queue is full", err)
	}
	if calls.Load() != 0 {
		t.Fatal("a refused check hashed")
	}
}

// An unknown email holds a slot as long as a real check takes on average,
// without hashing (no 64 MiB, no CPU). Until a few checks were measured it
// hashes a dummy, which gives the measurements.
func TestUnknownEmailCostsTheSameWithoutHashing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, calls := cheapHasher(1)
		for i := 0; i < calibrated; i++ {
			if err := h.pretend(context.Background(), "guess"); err != nil {
				t.Fatal(err)
			}
		}
		if calls.Load() != calibrated || h.samples.Load() != calibrated {
			t.Fatalf("calibration: %d hashes, %d samples; want %d real dummy checks", calls.Load(), h.samples.Load(), calibrated)
		}
		h.mean.Store(int64(150 * time.Millisecond))
		start := time.Now()
		if err := h.pretend(context.Background(), "guess"); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 150*time.Millisecond {
			t.Fatalf("pretend took %v, want the mean check time 150ms", d)
		}
		if calls.Load() != calibrated {
			t.Fatalf("pretend hashed after calibration (%d calls)", calls.Load())
		}
		// It queues like a real check: with the slot taken it waits its turn.
		h.slots <- struct{}{}
		done := make(chan struct{})
		go func() {
			_ = h.pretend(context.Background(), "guess")
			close(done)
		}()
		synctest.Wait()
		select {
		case <-done:
			t.Fatal("pretend ran without a slot")
		default:
		}
		<-h.slots
		<-done
	})
}

func TestObserveAverages(t *testing.T) {
	h, _ := cheapHasher(1)
	h.observe(80 * time.Millisecond)
	if h.mean.Load() != int64(80*time.Millisecond) {
		t.Fatalf("first observation %v", time.Duration(h.mean.Load()))
	}
	for i := 0; i < 100; i++ {
		h.observe(160 * time.Millisecond)
	}
	if m := time.Duration(h.mean.Load()); m < 159*time.Millisecond || m > 160*time.Millisecond {
		t.Fatalf("mean %v after many 160ms checks", m)
	}
}

func TestPasswordRules(t *testing.T) {
	h, _ := cheapHasher(1)
	if _, err := h.hash(context.Background(), "short"); !errors.Is(err, ErrPasswordShort) {
		t.Fatalf("short password: %v", err)
	}
	long := make([]byte, MaxPassword+1)
	for i := range long {
		long[i] = 'a'
	}
	if _, err := h.hash(context.Background(), string(long)); !errors.Is(err, ErrPasswordLong) {
		t.Fatalf("long password: %v", err)
	}
	hash, err := h.hash(context.Background(), "a fine password")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := h.check(context.Background(), hash, "a fine password"); !ok {
		t.Fatal("the password does not match its hash")
	}
	if ok, _ := h.check(context.Background(), hash, string(long)); ok {
		t.Fatal("an over-long password matched")
	}
	// A real argon2id hash round-trips through the exported functions.
	real, err := HashPassword("correct horse battery")
	if err != nil || !CheckPassword(real, "correct horse battery") || CheckPassword(real, "wrong horse battery") {
		t.Fatalf("argon2id round trip: %v", err)
	}
}

// testHash is a real argon2id hash of "password".
var testHash, _ = HashPassword("password")
