package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func fakeClock(k *Keyed) *time.Time {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k.now = func() time.Time { return t }
	return &t
}

func TestKeyedBurstAndRefill(t *testing.T) {
	k := New(3, 3*time.Second) // one token a second
	now := fakeClock(k)
	for i := 0; i < 3; i++ {
		if ok, _ := k.Allow("a"); !ok {
			t.Fatalf("request %d refused within the burst", i+1)
		}
	}
	ok, wait := k.Allow("a")
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("fourth request: ok=%v wait=%v, want refused with a wait up to 1s", ok, wait)
	}
	if w := k.Wait("a"); w <= 0 {
		t.Fatalf("Wait = %v after the burst", w)
	}
	if ok, _ := k.Allow("b"); !ok {
		t.Fatal("another key shares the first key's bucket")
	}
	*now = now.Add(time.Second)
	if ok, _ := k.Allow("a"); !ok {
		t.Fatal("no token after a second")
	}
	if ok, _ := k.Allow("a"); ok {
		t.Fatal("a refused request must not have been counted as a token later")
	}
	k.Reset("a")
	if ok, _ := k.Allow("a"); !ok {
		t.Fatal("Reset did not refill")
	}
}

func TestEvery(t *testing.T) {
	k := Every(2, time.Minute)
	now := fakeClock(k)
	k.Allow("x")
	k.Allow("x")
	if ok, wait := k.Allow("x"); ok || wait != time.Minute {
		t.Fatalf("third: ok=%v wait=%v, want refused for 1m", ok, wait)
	}
	*now = now.Add(time.Minute)
	if ok, _ := k.Allow("x"); !ok {
		t.Fatal("no token after the interval")
	}
}

func TestKeyedPrunesFullBuckets(t *testing.T) {
	k := New(1, time.Second)
	now := fakeClock(k)
	for i := 0; i < maxKeys; i++ {
		k.Allow(fmt.Sprint(i))
	}
	*now = now.Add(2 * time.Second) // all refilled
	k.Allow("new")
	if n := k.Len(); n != 1 {
		t.Fatalf("%d buckets after pruning, want 1", n)
	}
}
