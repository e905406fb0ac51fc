package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters of new hashes: OWASP's m=19 MiB, t=2, p=1 (its
// "Password Storage Cheat Sheet" lists it with m=46 MiB, t=1 as equivalent
// minimums), in place of RFC 9106's 64 MiB, t=3, p=2, which made every login
// hold 64 MiB. Hashes keep their parameters (PHC string), so older hashes
// still verify with theirs, and a successful login rehashes them with these
// (Service.Login).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB: each hash holds 19 MiB while it runs
	argonThreads = 1
	argonKeyLen  = 32
)

// Password rules.
const (
	MinPassword = 8    // bytes
	MaxPassword = 1024 // bytes
)

// Password errors.
var (
	ErrPasswordShort = fmt.Errorf("auth: password must be at least %d characters", MinPassword)
	ErrPasswordLong  = fmt.Errorf("auth: password is longer than %d bytes", MaxPassword)
	// ErrBusy means too many password checks are queued; the caller should
	// try again after BusyRetry.
	ErrBusy = errors.New("auth: too many password checks at once")
)

// BusyRetry is how long a client refused with ErrBusy is asked to wait.
const BusyRetry = 2 * time.Second

// hasher bounds the argon2id work of the whole process. Each hash holds
// its memory (19 MiB; 64 MiB for hashes made before issue 18) for its
// duration, so unbounded concurrent logins exhaust memory: at
// most cap(slots) hashes run at once, a caller queues at most queueWait
// (20 s) for a slot, and at most maxWaiting callers (50 per slot) queue;
// beyond either, ErrBusy. A caller whose request ends leaves the queue.
//
// A login for an unknown email holds a slot for as long as a real check
// takes on average (mean), without hashing: it costs the same time and
// queueing as a real one, but neither memory nor CPU.
type hasher struct {
	slots      chan struct{}
	queueWait  time.Duration
	maxWaiting int64
	waiting    atomic.Int64
	running    atomic.Int64
	peak       atomic.Int64 // the most hashes that ran at once (tests, benchmarks)
	mean       atomic.Int64 // moving average of a real check, in ns
	samples    atomic.Int64 // real checks measured
	pretends   atomic.Int64 // unknown-email checks made
	// key is argon2.IDKey; tests count or cheapen calls.
	key func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte
	// sleep waits d or until ctx ends.
	sleep func(ctx context.Context, d time.Duration) error
	// release returns the memory of finished hashes to the operating system;
	// it is called (in its own goroutine) when the last running hash ends.
	release func()
}

// hashSlots is the number of concurrent hashes: one per two cores (a login
// must not take every core), at least 2 and at most 8; at most 8 × 19 MiB
// are held by hashing at any time.
func hashSlots() int {
	return min(8, max(2, runtime.GOMAXPROCS(0)/2))
}

func newHasher(slots int, queueWait time.Duration) *hasher {
	return &hasher{slots: make(chan struct{}, slots), queueWait: queueWait, maxWaiting: int64(50 * slots),
		key: argon2.IDKey, sleep: sleepCtx, release: debug.FreeOSMemory}
}

// passwords is the process's one hasher: memory is a process-wide budget.
var passwords = newHasher(hashSlots(), 20*time.Second)

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run calls fn holding a slot.
func (h *hasher) run(ctx context.Context, fn func()) error {
	if h.waiting.Add(1) > h.maxWaiting {
		h.waiting.Add(-1)
		return ErrBusy
	}
	t := time.NewTimer(h.queueWait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		h.waiting.Add(-1)
	case <-t.C:
		h.waiting.Add(-1)
		return ErrBusy
	case <-ctx.Done():
		h.waiting.Add(-1)
		return ctx.Err()
	}
	defer func() { <-h.slots }()
	n := h.running.Add(1)
	defer func() {
		// A hash leaves its whole memory (19 or 64 MiB) as garbage, which the
		// runtime would otherwise keep, or return to the system only over
		// minutes: an idle server would hold it after each login. A forced
		// collection of a heap this small costs a few milliseconds, once per
		// burst of logins.
		if h.running.Add(-1) == 0 && h.release != nil {
			go h.release()
		}
	}()
	for p := h.peak.Load(); n > p && !h.peak.CompareAndSwap(p, n); p = h.peak.Load() {
	}
	fn()
	return nil
}

// hash returns a PHC-format argon2id hash of password.
func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	if err := checkRules(password); err != nil {
		return "", err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	var key []byte
	if err := h.run(ctx, func() { key = h.key([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen) }); err != nil {
		return "", err
	}
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// check reports whether password matches hash. A malformed hash, or a
// password over MaxPassword, never matches.
func (h *hasher) check(ctx context.Context, hash, password string) (bool, error) {
	ok, _, err := h.verify(ctx, hash, password)
	return ok, err
}

// verify is check that also reports whether hash was made with other
// parameters than new hashes use (it should be replaced by a new hash).
func (h *hasher) verify(ctx context.Context, hash, password string) (ok, stale bool, err error) {
	if len(password) > MaxPassword {
		return false, false, nil
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, false, nil
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m > 1<<20 || t > 20 || p == 0 {
		return false, false, nil
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false, false, nil
	}
	var got []byte
	err = h.run(ctx, func() {
		start := time.Now()
		got = h.key([]byte(password), salt, t, m, p, uint32(len(want)))
		h.observe(time.Since(start))
	})
	if err != nil {
		return false, false, err
	}
	stale = m != argonMemory || t != argonTime || p != argonThreads || len(want) != argonKeyLen || parts[2] != fmt.Sprintf("v=%d", argon2.Version)
	return subtle.ConstantTimeCompare(got, want) == 1, stale, nil
}

// observe folds one real check's duration into the moving average (1/8
// weight for the new value).
func (h *hasher) observe(d time.Duration) {
	h.samples.Add(1)
	for {
		old := h.mean.Load()
		next := int64(d)
		if old != 0 {
			next = old + (int64(d)-old)/8
		}
		next = max(next, 1)
		if h.mean.CompareAndSwap(old, next) {
			return
		}
	}
}

// pretend costs what a check of a real account costs, for a login whose
// email is unknown: it holds a slot for the average check duration. Until
// calibrated checks were measured, and for one in every remeasure after,
// it hashes for real instead and measures, so the average follows the
// machine's load even when no real account is checked. (The counts are read
// once the slot is held, so a burst of unknown emails at start-up hashes
// only until calibrated.)
func (h *hasher) pretend(ctx context.Context, password string) error {
	var err error
	rerr := h.run(ctx, func() {
		if h.samples.Load() >= calibrated && h.pretends.Add(1)%remeasure != 0 {
			err = h.sleep(ctx, time.Duration(h.mean.Load()))
			return
		}
		start := time.Now()
		h.key([]byte(password), dummySalt, argonTime, argonMemory, argonThreads, argonKeyLen)
		h.observe(time.Since(start))
	})
	if rerr != nil {
		return rerr
	}
	return err
}

// calibrated is the number of measured checks after which the average
// stands for a check; remeasure is how often an unknown email is hashed
// anyway to keep the average current.
const (
	calibrated = 4
	remeasure  = 16
)

// dummySalt salts the hash of an unknown email's password before the
// first real check was measured.
var dummySalt = []byte("hanbox-no-account")

func checkRules(password string) error {
	if len(password) < MinPassword {
		return ErrPasswordShort
	}
	if len(password) > MaxPassword {
		return ErrPasswordLong
	}
	return nil
}

// HashPassword returns a PHC-format argon2id hash of password. It waits for
// a free hashing slot like every password check.
func HashPassword(password string) (string, error) {
	return passwords.hash(context.Background(), password)
}

// CheckPassword reports whether password matches a hash from HashPassword,
// for tools and tests; requests check passwords through the Service, which
// rate-limits them. It waits for a free hashing slot and reports false when
// none came in time.
func CheckPassword(hash, password string) bool {
	ok, err := passwords.check(context.Background(), hash, password)
	return ok && err == nil
}
