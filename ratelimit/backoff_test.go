package ratelimit

import (
	"strconv"
	"sync"
	"testing"
	"time"
)

func backoffClock(b *Backoff) *time.Time {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.Now = func() time.Time { return t }
	return &t
}

func TestBackoffGrows(t *testing.T) {
	b := NewBackoff(3, time.Second, 8*time.Second, time.Hour)
	now := backoffClock(b)
	for i := 0; i < 3; i++ {
		if ok, _ := b.Take("k"); !ok {
			t.Fatalf("attempt %d refused within the allowance", i+1)
		}
	}
	// Past the allowance each attempt waits twice as long as the last, up to Max.
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		ok, wait := b.Take("k")
		if ok || wait != want {
			t.Fatalf("early attempt: ok=%v wait=%v, want refused for %v", ok, wait, want)
		}
		*now = now.Add(want - time.Millisecond)
		if ok, _ := b.Take("k"); ok {
			t.Fatalf("attempt allowed %v before the wait ended", time.Millisecond)
		}
		*now = now.Add(time.Millisecond)
		if ok, _ := b.Take("k"); !ok {
			t.Fatalf("attempt refused after waiting %v", want)
		}
	}
	if ok, _ := b.Take("other"); !ok {
		t.Fatal("another key shares the first key's count")
	}
	*now = now.Add(time.Hour)
	if ok, _ := b.Take("k"); !ok {
		t.Fatal("key not forgotten after an hour without attempts")
	}
	if b.Wait("k") != 0 {
		t.Fatal("a forgotten key starts with its allowance")
	}
}

func TestBackoffUndoAndReset(t *testing.T) {
	b := NewBackoff(1, time.Minute, time.Hour, time.Hour)
	backoffClock(b)
	b.Take("k")
	if ok, _ := b.Take("k"); ok {
		t.Fatal("second attempt allowed with an allowance of one")
	}
	b.Undo("k")
	if ok, _ := b.Take("k"); !ok {
		t.Fatal("Undo did not give the attempt back")
	}
	b.Reset("k")
	if b.Wait("k") != 0 || b.Len() != 0 {
		t.Fatal("Reset kept the key")
	}
}

// Concurrent takers never get more than the allowance between them.
func TestBackoffConcurrentTakeIsAtomic(t *testing.T) {
	b := NewBackoff(10, time.Hour, time.Hour, time.Hour)
	backoffClock(b)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, _ := b.Take("k"); ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed != 10 {
		t.Fatalf("%d attempts allowed, want 10", allowed)
	}
}

func TestGroupTakesAllOrNothing(t *testing.T) {
	a := NewBackoff(1, time.Minute, time.Minute, time.Hour)
	c := NewBackoff(5, time.Minute, time.Minute, time.Hour)
	backoffClock(a)
	backoffClock(c)
	var g Group
	if ok, _ := g.Take(Attempt{a, "x"}, Attempt{c, "y"}); !ok {
		t.Fatal("first group attempt refused")
	}
	ok, wait := g.Take(Attempt{a, "x"}, Attempt{c, "y"})
	if ok || wait != time.Minute {
		t.Fatalf("ok=%v wait=%v, want refused by the first limit", ok, wait)
	}
	// The refused attempt spent nothing from the second limit.
	for i := 0; i < 4; i++ {
		if ok, _ := c.Take("y"); !ok {
			t.Fatalf("second limit lost an attempt to a refused group take (%d)", i)
		}
	}
}

func TestBackoffPrunesForgottenKeys(t *testing.T) {
	b := NewBackoff(1, time.Second, time.Second, time.Minute)
	now := backoffClock(b)
	for i := 0; i < maxKeys; i++ {
		b.Take(strconv.Itoa(i))
	}
	*now = now.Add(time.Minute)
	b.Take("new")
	if n := b.Len(); n != 1 {
		t.Fatalf("%d keys after pruning, want 1", n)
	}
}
