package ratelimit

import (
	"sync"
	"time"
)

// Backoff counts attempts per key and makes each one past a free allowance
// wait longer than the last: after Free attempts, the next may come Base
// after the previous one, then 2×Base, 4×Base, … up to Max. A key is
// forgotten when Forget passes without an attempt. It is safe for
// concurrent use.
//
// Take counts an attempt before the work it guards is done, so concurrent
// callers cannot all slip through between a check and a count; Undo gives
// the attempt back when it turned out not to count (a success).
type Backoff struct {
	Free   int
	Base   time.Duration
	Max    time.Duration
	Forget time.Duration
	// Now is the clock; tests set a fake one before first use.
	Now func() time.Time

	mu   sync.Mutex
	keys map[string]*attempts
}

type attempts struct {
	n    int
	last time.Time
}

// NewBackoff returns a Backoff with the given allowance and delays.
func NewBackoff(free int, base, max, forget time.Duration) *Backoff {
	return &Backoff{Free: free, Base: base, Max: max, Forget: forget, keys: map[string]*attempts{}, Now: time.Now}
}

// Wait reports how long key must wait before its next attempt, without
// counting one.
func (b *Backoff) Wait(key string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.wait(key, b.Now())
}

// Take counts an attempt for key when it may make one now; otherwise it
// counts nothing and reports how long to wait.
func (b *Backoff) Take(key string) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.Now()
	if d := b.wait(key, now); d > 0 {
		return false, d
	}
	b.take(key, now)
	return true, 0
}

// Undo gives back one attempt of key.
func (b *Backoff) Undo(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if a, ok := b.keys[key]; ok && a.n > 0 {
		a.n--
	}
}

// Reset forgets key's attempts.
func (b *Backoff) Reset(key string) {
	b.mu.Lock()
	delete(b.keys, key)
	b.mu.Unlock()
}

// Len returns the number of keys held.
func (b *Backoff) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.keys)
}

// Delay is the wait that follows attempt n (counting from 1) after the free
// ones: 0 within the allowance, then Base doubling up to Max.
func (b *Backoff) Delay(n int) time.Duration {
	over := n - b.Free
	if over < 0 {
		return 0
	}
	d := b.Base
	for i := 0; i < over && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

func (b *Backoff) wait(key string, now time.Time) time.Duration {
	a, ok := b.keys[key]
	if !ok {
		return 0
	}
	if now.Sub(a.last) >= b.Forget {
		delete(b.keys, key)
		return 0
	}
	d := b.Delay(a.n) - now.Sub(a.last)
	return max(d, 0)
}

func (b *Backoff) take(key string, now time.Time) {
	a, ok := b.keys[key]
	if !ok {
		if len(b.keys) >= maxKeys {
			b.prune(now)
		}
		a = &attempts{}
		b.keys[key] = a
	}
	a.n++
	a.last = now
}

// prune drops keys whose attempts are forgotten.
func (b *Backoff) prune(now time.Time) {
	for k, a := range b.keys {
		if now.Sub(a.last) >= b.Forget {
			delete(b.keys, k)
		}
	}
}

// Group takes attempts from several Backoffs at once: either every key gets
// an attempt or none does, so a caller refused by one limit spends nothing
// from the others. A Group is safe for concurrent use.
type Group struct {
	mu sync.Mutex
}

// Take counts an attempt on every (Backoff, key) pair when none of them has
// to wait; otherwise it counts nothing and reports the longest wait.
func (g *Group) Take(pairs ...Attempt) (bool, time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var wait time.Duration
	for _, p := range pairs {
		wait = max(wait, p.B.Wait(p.Key))
	}
	if wait > 0 {
		return false, wait
	}
	for _, p := range pairs {
		p.B.mu.Lock()
		p.B.take(p.Key, p.B.Now())
		p.B.mu.Unlock()
	}
	return true, 0
}

// Attempt names one key of one Backoff for Group.Take.
type Attempt struct {
	B   *Backoff
	Key string
}
