// Package jobs is Hanbox's one durable scheduler: work due at a time (an SLA
// timer, a CSAT request after a delay, an NPS round, a campaign send, a
// snooze wake-up) kept in the store, so it survives restarts and kill -9,
// and run by exactly one instance at a time when several share PostgreSQL.
//
// A job is named by (Kind, Key). Scheduling the same name again is a no-op,
// and a job that finished is never run again, so a feature derives the key
// from what must happen at most once ("nps:contact:42:round:3") and may
// schedule it as often as it likes.
//
// Delivery is at least once: a handler that crashes, or whose instance dies,
// runs again once its lease ends. A handler that must have an effect exactly
// once (send a survey) makes the effect and calls Job.Done in one
// transaction: Done is fenced by the lease, so after a lost lease the late
// transaction rolls back instead of sending twice.
package jobs

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// Errors.
var (
	// ErrLeaseLost is returned by Job.Done when the job's lease ended and it
	// may be running elsewhere: the caller's transaction must roll back.
	ErrLeaseLost = errors.New("jobs: lease lost")
	// ErrNotFound is returned for a job that does not exist.
	ErrNotFound = store.ErrNotFound
)

// Spec describes a job to schedule.
type Spec struct {
	Kind string
	// Key names the job within its kind (at most 255 bytes). Required.
	Key string
	// Due is when the job should run; zero means now.
	Due time.Time
	// Payload is encoded as JSON and handed back to the handler.
	Payload any
}

// Job is a claimed job handed to a handler.
type Job struct {
	ID       int64
	Kind     string
	Key      string
	Due      time.Time
	Attempts int // including this one
	payload  string
	token    string
	s        *Scheduler
}

// Decode unmarshals the job's payload into v.
func (j *Job) Decode(v any) error {
	if j.payload == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(j.payload), v); err != nil {
		return fmt.Errorf("jobs: decode %s %s: %w", j.Kind, j.Key, err)
	}
	return nil
}

// Done marks the job finished inside tx, the transaction of the job's own
// effect, so the effect and the completion commit together. It returns
// ErrLeaseLost (and the transaction must roll back) when the job's lease has
// ended.
func (j *Job) Done(tx *gorm.DB) error {
	now := j.s.now()
	res := tx.Model(&store.Job{}).Where("id = ? AND lease_token = ? AND status = ? AND locked_until >= ?", j.ID, j.token, store.JobPending, now).
		Updates(map[string]any{"status": store.JobDone, "lease_token": "", "locked_until": nil, "finished_at": now, "updated_at": now})
	if res.Error != nil {
		return fmt.Errorf("jobs: done %d: %w", j.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrLeaseLost
	}
	return nil
}

// Handler runs one job. A nil error finishes it (if Done was not called
// already); Postpone moves it without counting an attempt; Permanent fails
// it at once; any other error is retried with backoff.
type Handler func(ctx context.Context, j *Job) error

type postponeError struct{ until time.Time }

func (e *postponeError) Error() string { return "postponed until " + e.until.Format(time.RFC3339) }

// Postpone is returned by a handler to run the job again at until without
// counting an attempt (quiet hours, a frequency cap, a channel not ready).
func Postpone(until time.Time) error { return &postponeError{until: until} }

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent wraps err so the job fails at once instead of being retried.
func Permanent(err error) error { return &permanentError{err: err} }

// Options tune a Scheduler. Zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	// Lease is how long a claimed job is held (default 1m); a job whose
	// instance died runs elsewhere after it.
	Lease time.Duration
	// HandleTimeout bounds one handler call (default half the lease).
	HandleTimeout time.Duration
	// Poll is how often due jobs are looked for without a wake-up (default 1s).
	Poll time.Duration
	// Workers is how many jobs run at once in this process (default 4).
	Workers int
	// MaxAttempts before a failing job is marked failed (default 10).
	MaxAttempts int
	// BaseBackoff is the first retry delay, doubled per attempt up to
	// MaxBackoff (defaults 5s and 1h).
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// Retention: finished jobs older than this are deleted (default 400
	// days). A key protects against a second run only while its row exists.
	Retention time.Duration
	// Drain is how long jobs in flight may finish after Run's context ends
	// (default 10s); then they are cancelled and released for the next start.
	Drain time.Duration
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.HandleTimeout <= 0 || o.HandleTimeout > o.Lease {
		o.HandleTimeout = o.Lease / 2
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 5 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Hour
	}
	if o.Retention <= 0 {
		o.Retention = 400 * 24 * time.Hour
	}
	if o.Drain <= 0 {
		o.Drain = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Scheduler schedules and runs jobs. Register handlers with Handle before
// Run; Schedule, Cancel and the admin methods may be called at any time.
type Scheduler struct {
	st   *store.Store
	opts Options
	wake chan struct{}

	mu       sync.Mutex
	handlers map[string]Handler
	kinds    []string
}

// New returns a scheduler over st.
func New(st *store.Store, opts Options) *Scheduler {
	opts.defaults()
	return &Scheduler{st: st, opts: opts, wake: make(chan struct{}, 1), handlers: map[string]Handler{}}
}

func (s *Scheduler) now() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

// Handle registers the handler of a kind. It panics on an empty or
// duplicate kind: that is a wiring mistake. Only kinds with a handler are
// claimed by this instance, so an instance without a feature leaves its jobs
// to the instances that have it.
func (s *Scheduler) Handle(kind string, h Handler) {
	if kind == "" || h == nil {
		panic("jobs: Handle needs a kind and a handler")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.handlers[kind]; dup {
		panic("jobs: duplicate handler for " + kind)
	}
	s.handlers[kind] = h
	s.kinds = append(s.kinds, kind)
}

// Schedule adds a job unless one of that kind and key exists (whatever its
// state). It reports whether the job was added.
func (s *Scheduler) Schedule(ctx context.Context, spec Spec) (bool, error) {
	return s.ScheduleTx(s.st.DB.WithContext(ctx), spec)
}

// ScheduleTx is Schedule inside the caller's transaction, so a job is
// scheduled if and only if the change that calls for it commits.
func (s *Scheduler) ScheduleTx(tx *gorm.DB, spec Spec) (bool, error) {
	row, err := s.row(spec)
	if err != nil {
		return false, err
	}
	res := tx.Exec(`INSERT INTO jobs (kind, job_key, payload, status, due_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, job_key) DO NOTHING`,
		row.Kind, row.Key, row.Payload, store.JobPending, row.DueAt, row.CreatedAt, row.CreatedAt)
	if res.Error != nil {
		return false, fmt.Errorf("jobs: schedule %s %s: %w", spec.Kind, spec.Key, res.Error)
	}
	if res.RowsAffected > 0 && !row.DueAt.After(row.CreatedAt.Add(s.opts.Poll)) {
		s.Wake()
	}
	return res.RowsAffected > 0, nil
}

// ScheduleManyTx schedules many jobs in few statements (a planner's
// round over many contacts); names that exist are left alone, as by
// Schedule. It returns how many jobs were added.
func (s *Scheduler) ScheduleManyTx(tx *gorm.DB, specs []Spec) (int64, error) {
	const batch = 400
	var added int64
	wake := false
	for len(specs) > 0 {
		n := min(batch, len(specs))
		var b strings.Builder
		args := make([]any, 0, n*7)
		b.WriteString(`INSERT INTO jobs (kind, job_key, payload, status, due_at, created_at, updated_at) VALUES `)
		for i, spec := range specs[:n] {
			row, err := s.row(spec)
			if err != nil {
				return added, err
			}
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?)")
			args = append(args, row.Kind, row.Key, row.Payload, store.JobPending, row.DueAt, row.CreatedAt, row.CreatedAt)
			wake = wake || !row.DueAt.After(row.CreatedAt.Add(s.opts.Poll))
		}
		b.WriteString(" ON CONFLICT (kind, job_key) DO NOTHING")
		res := tx.Exec(b.String(), args...)
		if res.Error != nil {
			return added, fmt.Errorf("jobs: schedule %d jobs: %w", n, res.Error)
		}
		added += res.RowsAffected
		specs = specs[n:]
	}
	if added > 0 && wake {
		s.Wake()
	}
	return added, nil
}

// Now is the scheduler's clock (Options.Now), for handlers that decide by
// the time (quiet hours, frequency caps) and must agree with the
// scheduler's idea of due.
func (s *Scheduler) Now() time.Time { return s.now() }

// Move sets the due time and payload of a pending job, or schedules it if
// it does not exist; a finished, failed or cancelled job is left alone. It
// reports whether a pending job now has the given due time (an SLA target
// that moved, a snooze changed by the agent).
func (s *Scheduler) Move(ctx context.Context, spec Spec) (bool, error) {
	return s.MoveTx(s.st.DB.WithContext(ctx), spec)
}

// MoveTx is Move inside the caller's transaction.
func (s *Scheduler) MoveTx(tx *gorm.DB, spec Spec) (bool, error) {
	added, err := s.ScheduleTx(tx, spec)
	if err != nil || added {
		return added, err
	}
	row, _ := s.row(spec)
	res := tx.Model(&store.Job{}).Where("kind = ? AND job_key = ? AND status = ?", spec.Kind, spec.Key, store.JobPending).
		Updates(map[string]any{"due_at": row.DueAt, "payload": row.Payload, "updated_at": row.CreatedAt})
	if res.Error != nil {
		return false, fmt.Errorf("jobs: move %s %s: %w", spec.Kind, spec.Key, res.Error)
	}
	if res.RowsAffected > 0 {
		s.Wake()
	}
	return res.RowsAffected > 0, nil
}

func (s *Scheduler) row(spec Spec) (store.Job, error) {
	if spec.Kind == "" || spec.Key == "" || len(spec.Kind) > 64 || len(spec.Key) > 255 {
		return store.Job{}, fmt.Errorf("jobs: a job needs a kind (≤64 bytes) and a key (≤255 bytes), got %q %q", spec.Kind, spec.Key)
	}
	payload := ""
	if spec.Payload != nil {
		b, err := json.Marshal(spec.Payload)
		if err != nil {
			return store.Job{}, fmt.Errorf("jobs: encode payload of %s %s: %w", spec.Kind, spec.Key, err)
		}
		payload = string(b)
	}
	now := s.now()
	due := spec.Due.UTC().Truncate(time.Microsecond)
	if spec.Due.IsZero() {
		due = now
	}
	return store.Job{Kind: spec.Kind, Key: spec.Key, Payload: payload, DueAt: due, CreatedAt: now}, nil
}

// Cancel withdraws a pending job. A job that is running finishes; one that
// finished stays finished. It reports whether a pending job was cancelled.
func (s *Scheduler) Cancel(ctx context.Context, kind, key string) (bool, error) {
	return s.CancelTx(s.st.DB.WithContext(ctx), kind, key)
}

// CancelTx is Cancel inside the caller's transaction.
func (s *Scheduler) CancelTx(tx *gorm.DB, kind, key string) (bool, error) {
	now := s.now()
	res := tx.Model(&store.Job{}).
		Where("kind = ? AND job_key = ? AND status = ? AND (locked_until IS NULL OR locked_until < ?)", kind, key, store.JobPending, now).
		Updates(map[string]any{"status": store.JobCancelled, "finished_at": now, "updated_at": now})
	if res.Error != nil {
		return false, fmt.Errorf("jobs: cancel %s %s: %w", kind, key, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// Get returns a job's stored row.
func (s *Scheduler) Get(ctx context.Context, kind, key string) (*store.Job, error) {
	var j store.Job
	err := s.st.DB.WithContext(ctx).Where("kind = ? AND job_key = ?", kind, key).Take(&j).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("jobs: get %s %s: %w", kind, key, err)
	}
	return &j, nil
}

// Failed lists jobs that gave up, newest first.
func (s *Scheduler) Failed(ctx context.Context, limit int) ([]store.Job, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []store.Job
	err := s.st.DB.WithContext(ctx).Where("status = ?", store.JobFailed).Order("updated_at DESC, id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("jobs: list failed: %w", err)
	}
	return out, nil
}

// Retry makes a failed job due now with a fresh count of attempts.
func (s *Scheduler) Retry(ctx context.Context, id int64) error {
	now := s.now()
	res := s.st.DB.WithContext(ctx).Model(&store.Job{}).Where("id = ? AND status = ?", id, store.JobFailed).
		Updates(map[string]any{"status": store.JobPending, "attempts": 0, "due_at": now, "finished_at": nil, "updated_at": now})
	if res.Error != nil {
		return fmt.Errorf("jobs: retry %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	s.Wake()
	return nil
}

// Wake makes Run look for due jobs now (in this process; other instances
// find them at their next poll).
func (s *Scheduler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run claims and runs due jobs until ctx ends, then lets jobs in flight
// finish within Options.Drain and releases the rest for the next start.
func (s *Scheduler) Run(ctx context.Context) error {
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(s.opts.Drain, cancel) })
	defer stop()
	sem := make(chan struct{}, s.opts.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	poll := time.NewTicker(s.opts.Poll)
	defer poll.Stop()
	lastClean := time.Time{}
	for {
		free := s.opts.Workers - len(sem)
		claimed := 0
		if free > 0 {
			batch, err := s.claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				s.opts.Logger.Warn("jobs: claim", "err", err)
			}
			claimed = len(batch)
			for _, j := range batch {
				sem <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-sem; s.Wake() }()
					s.run(hctx, j)
				}()
			}
		}
		if now := s.now(); now.Sub(lastClean) > time.Hour {
			lastClean = now
			if _, err := s.Clean(ctx); err != nil && ctx.Err() == nil {
				s.opts.Logger.Warn("jobs: clean", "err", err)
			}
		}
		if claimed == free && free > 0 {
			continue // there may be more due right now
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-poll.C:
		}
	}
}

// RunDue claims and runs the jobs due now, one batch, and waits for them. It
// is Run's step, for tests and tools that drive the scheduler by hand.
func (s *Scheduler) RunDue(ctx context.Context) (int, error) {
	batch, err := s.claim(ctx, s.opts.Workers)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, j := range batch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.run(ctx, j)
		}()
	}
	wg.Wait()
	return len(batch), nil
}

// claim leases up to n due jobs of the kinds this instance handles. One
// UPDATE … RETURNING takes them, so two instances never hold the same job
// (PostgreSQL skips rows another claim has locked; SQLite has one writer).
func (s *Scheduler) claim(ctx context.Context, n int) ([]*Job, error) {
	s.mu.Lock()
	kinds := append([]string(nil), s.kinds...)
	s.mu.Unlock()
	if len(kinds) == 0 || n <= 0 {
		return nil, nil
	}
	now := s.now()
	token := newToken()
	skip := ""
	if s.st.Dialect == store.Postgres {
		skip = " FOR UPDATE SKIP LOCKED"
	}
	q := `UPDATE jobs SET lease_token = ?, locked_until = ?, attempts = attempts + 1, updated_at = ?
		WHERE id IN (SELECT id FROM jobs WHERE status = ? AND due_at <= ? AND kind IN ? AND (locked_until IS NULL OR locked_until < ?)
		ORDER BY due_at, id LIMIT ?` + skip + `)`
	db := s.st.DB.WithContext(ctx)
	var ids []int64
	if err := db.Raw(q+" RETURNING id", token, now.Add(s.opts.Lease), now, store.JobPending, now, kinds, now, n).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("jobs: claim: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []store.Job
	if err := db.Where("id IN ?", ids).Order("due_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("jobs: claim: %w", err)
	}
	out := make([]*Job, len(rows))
	for i, r := range rows {
		out[i] = &Job{ID: r.ID, Kind: r.Kind, Key: r.Key, Due: r.DueAt, Attempts: r.Attempts, payload: r.Payload, token: token, s: s}
	}
	return out, nil
}

// run calls the job's handler and records the outcome, fenced by the lease.
func (s *Scheduler) run(ctx context.Context, j *Job) {
	s.mu.Lock()
	h := s.handlers[j.Kind]
	s.mu.Unlock()
	hctx, cancel := context.WithTimeout(ctx, s.opts.HandleTimeout)
	err := s.call(hctx, h, j)
	cancel()
	log := s.opts.Logger.With("job_id", j.ID, "kind", j.Kind, "key", j.Key, "attempt", j.Attempts)
	now := s.now()
	up := map[string]any{"lease_token": "", "locked_until": nil, "updated_at": now}
	var pp *postponeError
	var perm *permanentError
	switch {
	case err == nil:
		up["status"], up["finished_at"], up["last_error"] = store.JobDone, now, ""
	case ctx.Err() != nil:
		// Shutting down: give the job back at once, uncounted, for the next start.
		up["attempts"] = gorm.Expr("attempts - 1")
		log.Info("jobs: released at shutdown")
	case errors.As(err, &pp):
		up["due_at"], up["attempts"] = pp.until.UTC().Truncate(time.Microsecond), gorm.Expr("attempts - 1")
	case errors.As(err, &perm) || j.Attempts >= s.opts.MaxAttempts:
		up["status"], up["finished_at"], up["last_error"] = store.JobFailed, now, errorText(err)
		log.Error("jobs: failed for good", "err", err)
	default:
		up["due_at"], up["last_error"] = now.Add(s.backoff(j.Attempts)), errorText(err)
		log.Warn("jobs: will retry", "err", err)
	}
	db := s.st.DB.WithContext(context.WithoutCancel(ctx))
	if err := db.Model(&store.Job{}).Where("id = ? AND lease_token = ? AND status = ?", j.ID, j.token, store.JobPending).Updates(up).Error; err != nil {
		log.Warn("jobs: record outcome", "err", err)
	}
}

// call runs h, turning a panic into an error so one bad job cannot stop the
// scheduler.
func (s *Scheduler) call(ctx context.Context, h Handler, j *Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("jobs: handler panicked: %v", r)
		}
	}()
	return h(ctx, j)
}

func (s *Scheduler) backoff(attempts int) time.Duration {
	d := s.opts.BaseBackoff
	for i := 1; i < attempts && d < s.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.opts.MaxBackoff)
	// Up to 10% jitter so jobs failing together do not retry together.
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}

// Clean deletes finished jobs older than the retention.
func (s *Scheduler) Clean(ctx context.Context) (int64, error) {
	res := s.st.DB.WithContext(ctx).Where("status IN ? AND finished_at < ?",
		[]string{store.JobDone, store.JobCancelled, store.JobFailed}, s.now().Add(-s.opts.Retention)).Delete(&store.Job{})
	if res.Error != nil {
		return 0, fmt.Errorf("jobs: clean: %w", res.Error)
	}
	return res.RowsAffected, nil
}

func errorText(err error) string {
	return plaintext.Clip(plaintext.Scrub(strings.TrimSpace(err.Error())), 2000)
}

func newToken() string {
	b := make([]byte, 12)
	_, _ = crand.Read(b)
	return hex.EncodeToString(b)
}
