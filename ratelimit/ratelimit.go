// Package ratelimit keeps token buckets by key (a visitor, an IP address, an
// account) on golang.org/x/time/rate, with bounded memory: buckets that are
// full again, and so carry no information, are dropped when the set grows.
// Backoff is the other shape: a free allowance of attempts per key, then a
// delay that doubles with each further attempt (for login failures).
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxKeys is the size past which idle buckets are pruned.
const maxKeys = 100_000

// Keyed is a set of token buckets: each key may spend burst tokens at once,
// refilled evenly over per. It is safe for concurrent use.
type Keyed struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	now     func() time.Time
}

// New returns buckets of burst tokens, refilled evenly over per.
func New(burst int, per time.Duration) *Keyed {
	return &Keyed{
		limit:   rate.Limit(float64(burst) / per.Seconds()),
		burst:   burst,
		buckets: map[string]*rate.Limiter{},
		now:     time.Now,
	}
}

// Every returns buckets of burst tokens refilled one per interval.
func Every(burst int, interval time.Duration) *Keyed {
	k := New(burst, interval*time.Duration(burst))
	k.limit = rate.Every(interval)
	return k
}

// SetClock makes the buckets read time from now (a component's injected
// clock), so tests move them deterministically.
func (k *Keyed) SetClock(now func() time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.now = now
}

// Allow takes a token for key. When none is left it takes nothing and
// reports how long until one is.
func (k *Keyed) Allow(key string) (bool, time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	r := k.bucket(key, now).ReserveN(now, 1)
	if !r.OK() {
		return false, time.Duration(1<<63 - 1)
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Wait reports how long key must wait for a token, without taking one.
func (k *Keyed) Wait(key string) time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	b, ok := k.buckets[key]
	if !ok {
		return 0
	}
	t := b.TokensAt(now)
	if t >= 1 {
		return 0
	}
	return time.Duration((1 - t) / float64(k.limit) * float64(time.Second))
}

// Reset refills key's bucket (after a success that clears past failures).
func (k *Keyed) Reset(key string) {
	k.mu.Lock()
	delete(k.buckets, key)
	k.mu.Unlock()
}

// Len returns the number of buckets held.
func (k *Keyed) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.buckets)
}

func (k *Keyed) bucket(key string, now time.Time) *rate.Limiter {
	b, ok := k.buckets[key]
	if !ok {
		if len(k.buckets) >= maxKeys {
			k.prune(now)
		}
		b = rate.NewLimiter(k.limit, k.burst)
		k.buckets[key] = b
	}
	return b
}

// prune drops buckets that have refilled completely.
func (k *Keyed) prune(now time.Time) {
	for key, b := range k.buckets {
		if b.TokensAt(now) >= float64(k.burst) {
			delete(k.buckets, key)
		}
	}
}
