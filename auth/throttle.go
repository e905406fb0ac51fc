package auth

import (
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/hanbox/hanbox/ratelimit"
)

// ErrRateLimited is returned, inside a LimitError, when a login must wait.
var ErrRateLimited = errors.New("auth: too many attempts; wait and try again")

// LimitError says how long a refused login must wait.
type LimitError struct {
	Wait time.Duration
}

func (e *LimitError) Error() string { return ErrRateLimited.Error() }

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *LimitError) Is(target error) bool { return target == ErrRateLimited }

// throttle limits password guessing with three counts of login attempts,
// each a ratelimit.Backoff (an allowance, then waits that double):
//
//   - per account and client (the pair): a user mistyping, or one attacker
//     on one address, gets 10 tries, then waits of 30 s doubling to 15 min;
//   - per account, from every client that has not signed in to it before:
//     30 tries, then waits of 10 s doubling to 5 min. This is the budget
//     that slows guessing spread over many addresses. Clients that signed in
//     to the account successfully in the last 30 days (known clients) are
//     not held by it, so an attack elsewhere slows newcomers but never locks
//     the real user out of their usual place;
//   - per client across accounts: 50 tries, then waits of 10 s doubling to
//     15 min, against one address trying many accounts.
//
// A client is an IP address; IPv6 addresses count per /64, the block one
// host usually controls. Attempts are counted when they start, for all the
// counts at once (ratelimit.Group), so concurrent attempts cannot all pass
// the check before any is counted. A success resets the pair, gives back
// its attempt on the other two counts and remembers the client as known;
// a failure keeps the counts. Counts are forgotten an hour after the last
// attempt. Unknown emails are counted like real accounts.
type throttle struct {
	group   ratelimit.Group
	pair    *ratelimit.Backoff
	account *ratelimit.Backoff
	client  *ratelimit.Backoff
	known   *knownClients
}

func newThrottle() *throttle {
	return &throttle{
		pair:    ratelimit.NewBackoff(10, 30*time.Second, 15*time.Minute, time.Hour),
		account: ratelimit.NewBackoff(30, 10*time.Second, 5*time.Minute, time.Hour),
		client:  ratelimit.NewBackoff(50, 10*time.Second, 15*time.Minute, time.Hour),
		known:   &knownClients{ttl: 30 * 24 * time.Hour, max: 100_000, seen: map[string]time.Time{}, now: time.Now},
	}
}

// setClock points every count at now (tests).
func (t *throttle) setClock(now func() time.Time) {
	t.pair.Now, t.account.Now, t.client.Now, t.known.now = now, now, now, now
}

// attempt is one counted login attempt.
type attempt struct {
	t                        *throttle
	pairKey, account, client string
	accountCounted           bool
}

// begin counts a login attempt for account from client, or refuses it
// with a LimitError.
func (t *throttle) begin(account, client string) (*attempt, error) {
	a := &attempt{t: t, pairKey: account + "\x00" + clientKey(client), account: account, client: clientKey(client)}
	counts := []ratelimit.Attempt{{B: t.pair, Key: a.pairKey}, {B: t.client, Key: a.client}}
	if !t.known.has(a.pairKey) {
		counts = append(counts, ratelimit.Attempt{B: t.account, Key: account})
		a.accountCounted = true
	}
	if ok, wait := t.group.Take(counts...); !ok {
		return nil, &LimitError{Wait: wait.Round(time.Second) + time.Second}
	}
	return a, nil
}

// succeeded records a successful login.
func (a *attempt) succeeded() {
	a.t.pair.Reset(a.pairKey)
	a.t.client.Undo(a.client)
	if a.accountCounted {
		a.t.account.Undo(a.account)
	}
	a.t.known.add(a.pairKey)
}

// cancel gives the attempt back: no password was checked.
func (a *attempt) cancel() {
	a.t.pair.Undo(a.pairKey)
	a.t.client.Undo(a.client)
	if a.accountCounted {
		a.t.account.Undo(a.account)
	}
}

// clientKey is the address a client is counted under: the IP itself, or
// its /64 for IPv6.
func clientKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

// knownClients remembers (account, client) pairs that signed in
// successfully, for ttl, keeping at most max.
type knownClients struct {
	mu   sync.Mutex
	ttl  time.Duration
	max  int
	seen map[string]time.Time
	now  func() time.Time
}

func (k *knownClients) has(key string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	at, ok := k.seen[key]
	return ok && k.now().Sub(at) < k.ttl
}

func (k *knownClients) add(key string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if _, ok := k.seen[key]; !ok && len(k.seen) >= k.max {
		for s, at := range k.seen {
			if now.Sub(at) >= k.ttl {
				delete(k.seen, s)
			}
		}
		for s := range k.seen { // still full: forget an arbitrary one
			if len(k.seen) < k.max {
				break
			}
			delete(k.seen, s)
		}
	}
	k.seen[key] = now
}
