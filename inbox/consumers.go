package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// Consumer is a named, durable reaction to domain events (CSAT requests,
// automations, webhooks, campaign triggers). Every durable event (see
// Durable) is written to the events table in the transaction of the change
// it records, so a consumer sees every committed change, however slow it is
// and whichever instance made the change; the in-memory bus, which drops
// events for slow subscribers, is only for live screens.
//
// Delivery is at least once: Handle may see an event again after a crash,
// a lost lease or a retry, so it must be idempotent (Event.ID is a stable
// key). Events reach a consumer in commit order, one at a time, on one
// instance at a time (a lease on the consumer's row); an event whose Handle
// fails is set aside and retried with backoff while the consumer moves on,
// and is parked (visible to admins, see ParkedEvents) after
// ConsumeOptions.MaxAttempts. Handle runs with a deadline
// (ConsumeOptions.HandleTimeout).
type Consumer struct {
	// Name identifies the consumer's progress in the store. Renaming a
	// consumer starts it afresh.
	Name string
	// Types, if set, limits the events handed to Handle; others are skipped.
	Types []string
	// FromOldest makes a consumer seen for the first time start at the
	// oldest retained event instead of after the newest.
	FromOldest bool
	// Handle reacts to one event. A nil error marks it done.
	Handle func(ctx context.Context, e Event) error
}

// ConsumeOptions tune RunConsumers. Zero values take the defaults.
type ConsumeOptions struct {
	// Instance names this process in leases (default: random).
	Instance string
	// Lease is how long a consumer (or a retry) is held without renewal
	// (default 30s); another instance takes over when it runs out.
	Lease time.Duration
	// HandleTimeout bounds one Handle call (default: half the lease).
	HandleTimeout time.Duration
	// Poll is how often new events are looked for without a wake-up
	// (default 1s).
	Poll time.Duration
	// Batch is how many events are read at once (default 100).
	Batch int
	// MaxAttempts before a failing event is parked (default 8).
	MaxAttempts int
	// BaseBackoff is the first retry delay, doubled per attempt up to
	// MaxBackoff (defaults 1s and 10m).
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// Retention: events older than this that every consumer has passed are
	// deleted (default 7 days). Consumers idle for 30 days no longer hold
	// events back.
	Retention time.Duration
	// Drain is how long in-flight handlers may finish after ctx ends
	// (default 10s); then their context is cancelled and the event is
	// delivered again on the next start.
	Drain time.Duration
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
}

func (o *ConsumeOptions) defaults() {
	if o.Instance == "" {
		o.Instance = NewPublicID()
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.HandleTimeout <= 0 || o.HandleTimeout >= o.Lease {
		o.HandleTimeout = o.Lease / 2
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 100
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Minute
	}
	if o.Retention <= 0 {
		o.Retention = 7 * 24 * time.Hour
	}
	if o.Drain <= 0 {
		o.Drain = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

func (o *ConsumeOptions) now() time.Time { return o.Now().UTC().Truncate(time.Microsecond) }

// consumerIdle is how long a consumer may be away before it stops holding
// events back from clean-up.
const consumerIdle = 30 * 24 * time.Hour

// AddConsumer registers c and records it in the store (a consumer seen for
// the first time starts after the newest event, or at the oldest with
// FromOldest). Call it before RunConsumers; it panics on an empty or
// duplicate name or a nil Handle, which are programming errors.
func (s *Service) AddConsumer(ctx context.Context, c Consumer) error {
	if c.Name == "" || len(c.Name) > 128 || c.Handle == nil {
		panic("inbox: a consumer needs a name (at most 128 bytes) and a Handle")
	}
	s.consumerMu.Lock()
	defer s.consumerMu.Unlock()
	for _, o := range s.consumers {
		if o.Name == c.Name {
			panic("inbox: consumer " + c.Name + " added twice")
		}
	}
	var xid, id int64
	if !c.FromOldest {
		pos, err := s.eventHead(ctx)
		if err != nil {
			return err
		}
		xid, id = pos.xid, pos.id
	}
	err := s.st.DB.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&store.EventConsumer{
		Name: c.Name, CursorXID: xid, CursorID: id, UpdatedAt: now()}).Error
	if err != nil {
		return fmt.Errorf("inbox: add consumer %s: %w", c.Name, err)
	}
	s.consumers = append(s.consumers, c)
	return nil
}

// position orders events: (transaction id, id) on PostgreSQL, (0, id) on SQLite.
type position struct{ xid, id int64 }

// eventHead is the position of the newest event every reader can see.
func (s *Service) eventHead(ctx context.Context) (position, error) {
	db := s.st.DB.WithContext(ctx)
	var p position
	q := "SELECT xid, id FROM events ORDER BY id DESC LIMIT 1"
	args := []any{}
	if s.st.Dialect == store.Postgres {
		xmin, err := s.snapshotXmin(db)
		if err != nil {
			return p, err
		}
		q = "SELECT xid, id FROM events WHERE xid < ? ORDER BY xid DESC, id DESC LIMIT 1"
		args = append(args, xmin)
	}
	rows, err := db.Raw(q, args...).Rows()
	if err != nil {
		return p, fmt.Errorf("inbox: event head: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&p.xid, &p.id); err != nil {
			return p, err
		}
	}
	return p, rows.Err()
}

// snapshotXmin is the event horizon on PostgreSQL: every event with a
// smaller transaction id is committed (or rolled back) and visible to
// statements that start afterwards. It is the oldest transaction still in
// progress in this database, or the next transaction id when none is.
// Transactions that another database's sessions run are left out: they can
// write no events here, and counting them (pg_snapshot_xmin is cluster-wide)
// let one long or idle-in-transaction writer anywhere on a shared server
// stall every consumer. An in-progress transaction whose database cannot be
// seen (another role's session without pg_read_all_stats, a prepared
// transaction, a session that ended between the two reads) is counted: the
// horizon only ever errs towards waiting.
func (s *Service) snapshotXmin(db *gorm.DB) (int64, error) {
	const horizon = `SELECT COALESCE(
  (SELECT min(x::text::bigint) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
    WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a
      WHERE a.backend_xid = x::xid AND a.datname IS DISTINCT FROM current_database())),
  pg_snapshot_xmax(pg_current_snapshot())::text::bigint)`
	var xmin int64
	if err := db.Raw(horizon).Row().Scan(&xmin); err != nil {
		return 0, fmt.Errorf("inbox: snapshot: %w", err)
	}
	return xmin, nil
}

// recordEvents writes the durable events among evs to the events table in
// tx, the transaction of the change they describe, and sets their ID and At.
// Every place that commits a domain change calls it in that transaction.
func (s *Service) recordEvents(tx *gorm.DB, evs []Event) error {
	ts := now()
	var sqlb strings.Builder
	args := make([]any, 0, 4*len(evs))
	var idx []int
	for i := range evs {
		if !Durable(evs[i].Type) {
			continue
		}
		if evs[i].At.IsZero() {
			evs[i].At = ts
		}
		b, err := json.Marshal(evs[i])
		if err != nil {
			return fmt.Errorf("record event: %w", err)
		}
		if len(idx) > 0 {
			sqlb.WriteString(", ")
		}
		sqlb.WriteString("(?, ?, ?, ?)")
		args = append(args, evs[i].Type, evs[i].TicketID, string(b), ts)
		idx = append(idx, i)
	}
	if len(idx) == 0 {
		return nil
	}
	insert := "INSERT INTO events (type, ticket_id, payload, created_at) VALUES " + sqlb.String()
	if s.st.Dialect == store.SQLite {
		// One writer at a time: the rows of one INSERT take consecutive
		// ids ending at the last insert id (cheaper than RETURNING).
		res, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, insert, args...)
		if err != nil {
			return fmt.Errorf("record events: %w", err)
		}
		last, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("record events: %w", err)
		}
		for k, i := range idx {
			evs[i].ID = last - int64(len(idx)-1-k)
		}
		return nil
	}
	rows, err := tx.Raw(insert+" RETURNING id", args...).Rows()
	if err != nil {
		return fmt.Errorf("record events: %w", err)
	}
	defer rows.Close()
	ids := make([]int64, 0, len(idx))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("record events: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("record events: %w", err)
	}
	if len(ids) != len(idx) {
		return fmt.Errorf("record events: %d ids for %d events", len(ids), len(idx))
	}
	// Rows of one INSERT take increasing ids in VALUES order on both
	// stores; RETURNING does not promise that order, so sort.
	slices.Sort(ids)
	for k, i := range idx {
		evs[i].ID = ids[k]
	}
	return nil
}

// publish puts committed events on the bus and wakes the local consumers.
func (s *Service) publish(evs ...Event) {
	durable := false
	for _, e := range evs {
		s.bus.Publish(e)
		durable = durable || e.ID > 0
	}
	if durable {
		s.eventSignal.notify()
	}
}

// signal wakes every goroutine waiting on it.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (g *signal) wait() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch == nil {
		g.ch = make(chan struct{})
	}
	return g.ch
}

func (g *signal) notify() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch != nil {
		close(g.ch)
		g.ch = nil
	}
}

// RunConsumers runs every consumer added with AddConsumer until ctx ends,
// then lets in-flight handlers finish (ConsumeOptions.Drain), releases its
// leases and returns. Several instances may run it against one database.
// It also deletes consumed events past their retention.
func (s *Service) RunConsumers(ctx context.Context, opts ConsumeOptions) error {
	opts.defaults()
	s.consumerMu.Lock()
	cs := slices.Clone(s.consumers)
	s.consumerMu.Unlock()
	// Events committed on other instances arrive as relayed bus events.
	remote := s.bus.Subscribe(ctx, 16, func(e Event) bool { return e.Remote && Durable(e.Type) })
	go func() {
		for range remote {
			s.eventSignal.notify()
		}
	}()
	hctx, stop := drainContext(ctx, opts.Drain)
	defer stop()
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(2)
		go func() {
			defer wg.Done()
			s.runStream(ctx, hctx, c, opts)
		}()
		go func() {
			defer wg.Done()
			s.runRetries(ctx, hctx, c, opts)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.runCleanup(ctx, opts)
	}()
	wg.Wait()
	return nil
}

// drainContext returns a context that outlives parent by grace: work in
// flight when parent ends may finish, then it is cancelled.
func drainContext(parent context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	stop := context.AfterFunc(parent, func() { time.AfterFunc(grace, cancel) })
	return ctx, func() { stop(); cancel() }
}

// runStream follows the events table for one consumer while this instance
// holds the consumer's lease.
func (s *Service) runStream(ctx, hctx context.Context, c Consumer, opts ConsumeOptions) {
	tick := time.NewTicker(opts.Poll)
	defer tick.Stop()
	held := false
	defer func() {
		if held {
			s.releaseConsumer(c.Name, opts)
		}
	}()
	for ctx.Err() == nil {
		wake := s.eventSignal.wait()
		var err error
		held, err = s.claimConsumer(ctx, c.Name, opts)
		more := false
		if err == nil && held {
			more, err = s.consumeBatch(ctx, hctx, c, opts)
		}
		if err != nil && ctx.Err() == nil {
			s.log.Warn("event consumer", "consumer", c.Name, "err", err)
		}
		if more {
			continue
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-tick.C:
		}
	}
}

// claimConsumer takes or renews the lease on a consumer's row.
func (s *Service) claimConsumer(ctx context.Context, name string, opts ConsumeOptions) (bool, error) {
	ts := opts.now()
	res := s.st.DB.WithContext(ctx).Model(&store.EventConsumer{}).
		Where("name = ? AND (owner = ? OR owner = '' OR locked_until IS NULL OR locked_until < ?)", name, opts.Instance, ts).
		Updates(map[string]any{"owner": opts.Instance, "locked_until": ts.Add(opts.Lease), "updated_at": ts})
	if res.Error != nil {
		return false, fmt.Errorf("claim consumer %s: %w", name, res.Error)
	}
	return res.RowsAffected == 1, nil
}

func (s *Service) releaseConsumer(name string, opts ConsumeOptions) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.st.DB.WithContext(ctx).Model(&store.EventConsumer{}).Where("name = ? AND owner = ?", name, opts.Instance).
		Updates(map[string]any{"owner": "", "locked_until": nil}).Error
	if err != nil {
		s.log.Warn("event consumer: release lease", "consumer", name, "err", err)
	}
}

// errLostLease means another instance took the consumer over.
var errLostLease = errors.New("lease lost to another instance")

// consumeBatch hands the next events after the consumer's cursor to Handle,
// advancing the cursor (and renewing the lease) after each. more reports a
// full batch.
func (s *Service) consumeBatch(ctx, hctx context.Context, c Consumer, opts ConsumeOptions) (more bool, err error) {
	db := s.st.DB.WithContext(ctx)
	var cur store.EventConsumer
	if err := db.Where("name = ?", c.Name).Take(&cur).Error; err != nil {
		return false, fmt.Errorf("load consumer: %w", err)
	}
	evs, err := s.readEvents(db, position{cur.CursorXID, cur.CursorID}, opts.Batch)
	if err != nil {
		return false, err
	}
	for _, row := range evs {
		if ctx.Err() != nil {
			return false, nil
		}
		var herr error
		if len(c.Types) == 0 || slices.Contains(c.Types, row.Type) {
			herr = s.handle(hctx, c, row, opts)
			if herr != nil && hctx.Err() != nil {
				// Shutting down: leave the cursor; the event comes again.
				return false, nil
			}
		}
		if err := s.advance(ctx, c.Name, row, herr, opts); err != nil {
			return false, err
		}
	}
	return len(evs) == opts.Batch, nil
}

func (s *Service) readEvents(db *gorm.DB, after position, limit int) ([]store.Event, error) {
	// SQLite: xid is always 0 and ids commit in order; the primary key
	// serves. PostgreSQL: (xid, id) order on its index, up to the snapshot.
	q := db.Where("id > ?", after.id)
	if s.st.Dialect == store.Postgres {
		xmin, err := s.snapshotXmin(db)
		if err != nil {
			return nil, err
		}
		q = db.Where("(xid, id) > (?, ?) AND xid < ?", after.xid, after.id, xmin)
	}
	var evs []store.Event
	if err := q.Order("xid, id").Limit(limit).Find(&evs).Error; err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return evs, nil
}

// handle calls c.Handle for a stored event with a deadline, turning a panic
// into an error so one bad event cannot stop the consumer.
func (s *Service) handle(ctx context.Context, c Consumer, row store.Event, opts ConsumeOptions) (err error) {
	e, err := decodeEvent(row)
	if err != nil {
		return err
	}
	hctx, cancel := context.WithTimeout(ctx, opts.HandleTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	return c.Handle(hctx, e)
}

func decodeEvent(row store.Event) (Event, error) {
	var e Event
	if err := json.Unmarshal([]byte(row.Payload), &e); err != nil {
		return e, fmt.Errorf("decode event %d: %w", row.ID, err)
	}
	e.ID = row.ID
	return e, nil
}

// advance moves the consumer past row, renewing its lease; a failed event
// is set aside for retry in the same transaction. The update is fenced by
// the owner, so an instance whose lease ran out stops here.
func (s *Service) advance(ctx context.Context, name string, row store.Event, herr error, opts ConsumeOptions) error {
	ts := opts.now()
	return s.st.Tx(context.WithoutCancel(ctx), func(tx *gorm.DB) error {
		res := tx.Model(&store.EventConsumer{}).Where("name = ? AND owner = ?", name, opts.Instance).
			Updates(map[string]any{"cursor_xid": row.XID, "cursor_id": row.ID, "locked_until": ts.Add(opts.Lease), "updated_at": ts})
		if res.Error != nil {
			return fmt.Errorf("advance consumer %s: %w", name, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("consumer %s: %w", name, errLostLease)
		}
		if herr == nil {
			return nil
		}
		d := store.EventDelivery{Consumer: name, EventID: row.ID, Status: store.EventRetry, Attempts: 1,
			NextAttemptAt: ts.Add(retryDelay(opts, 1)), LastError: plaintext.Clip(herr.Error(), 1000), CreatedAt: ts, UpdatedAt: ts}
		if opts.MaxAttempts <= 1 {
			d.Status = store.EventParked
		}
		s.log.Warn("event handler failed; will retry", "consumer", name, "event_id", row.ID, "type", row.Type, "err", herr)
		s.metrics.consumed(name, "retry")
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&d).Error
	})
}

// retryDelay is the wait before attempt+1: doubling from BaseBackoff,
// capped, with ±10% jitter.
func retryDelay(opts ConsumeOptions, attempt int) time.Duration {
	d := opts.BaseBackoff << min(attempt-1, 30)
	if d > opts.MaxBackoff || d <= 0 {
		d = opts.MaxBackoff
	}
	return d - d/10 + time.Duration(rand.Int64N(int64(d)/5+1))
}

// runRetries retries one consumer's failed events when they are due.
func (s *Service) runRetries(ctx, hctx context.Context, c Consumer, opts ConsumeOptions) {
	tick := time.NewTicker(opts.Poll)
	defer tick.Stop()
	for ctx.Err() == nil {
		n, err := s.retryDue(ctx, hctx, c, opts)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("event consumer retries", "consumer", c.Name, "err", err)
		}
		if n > 0 {
			continue
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		case <-s.retrySignal.wait():
		}
	}
}

// retryDue claims due deliveries of c one at a time (a conditional update,
// so one instance holds each) and handles them again.
func (s *Service) retryDue(ctx, hctx context.Context, c Consumer, opts ConsumeOptions) (int, error) {
	db := s.st.DB.WithContext(ctx)
	ts := opts.now()
	var due []store.EventDelivery
	if err := db.Where("consumer = ? AND status = ? AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until < ?)",
		c.Name, store.EventRetry, ts, ts).Order("next_attempt_at, id").Limit(20).Find(&due).Error; err != nil {
		return 0, fmt.Errorf("find due retries: %w", err)
	}
	done := 0
	for _, d := range due {
		if ctx.Err() != nil {
			return done, nil
		}
		ts := opts.now()
		res := db.Model(&store.EventDelivery{}).
			Where("id = ? AND status = ? AND (locked_until IS NULL OR locked_until < ?)", d.ID, store.EventRetry, ts).
			Update("locked_until", ts.Add(opts.Lease))
		if res.Error != nil {
			return done, fmt.Errorf("claim retry %d: %w", d.ID, res.Error)
		}
		if res.RowsAffected == 0 {
			continue
		}
		var row store.Event
		err := db.Take(&row, d.EventID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			err = errors.New("the event is no longer stored")
		} else if err == nil {
			err = s.handle(hctx, c, row, opts)
			if err != nil && hctx.Err() != nil {
				return done, nil // shutting down: the lease runs out and it is retried
			}
		}
		if err := s.finishRetry(context.WithoutCancel(ctx), c.Name, d, row.Type, err, opts); err != nil {
			return done, err
		}
		done++
	}
	return done, nil
}

func (s *Service) finishRetry(ctx context.Context, name string, d store.EventDelivery, typ string, herr error, opts ConsumeOptions) error {
	db := s.st.DB.WithContext(ctx)
	if herr == nil {
		s.metrics.consumed(name, "done")
		return db.Delete(&store.EventDelivery{}, d.ID).Error
	}
	ts := opts.now()
	attempts := d.Attempts + 1
	up := map[string]any{"attempts": attempts, "locked_until": nil, "last_error": plaintext.Clip(herr.Error(), 1000), "updated_at": ts,
		"next_attempt_at": ts.Add(retryDelay(opts, attempts))}
	if attempts >= opts.MaxAttempts {
		up["status"] = store.EventParked
		s.metrics.consumed(name, "parked")
		s.log.Error("event parked after repeated failures", "consumer", name, "event_id", d.EventID, "type", typ, "attempts", attempts, "err", herr)
	} else {
		s.metrics.consumed(name, "retry")
		s.log.Warn("event handler failed again; will retry", "consumer", name, "event_id", d.EventID, "attempts", attempts, "err", herr)
	}
	return db.Model(&store.EventDelivery{}).Where("id = ?", d.ID).Updates(up).Error
}

// ParkedEvent is an event a consumer gave up on.
type ParkedEvent struct {
	ID        int64     `json:"id"` // the delivery's id, for RetryParked
	Consumer  string    `json:"consumer"`
	EventID   int64     `json:"event_id"`
	Type      string    `json:"type"`
	TicketID  int64     `json:"ticket_id,omitempty"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	At        time.Time `json:"at"` // when it was parked
}

// ParkedEvents lists parked events, newest first.
func (s *Service) ParkedEvents(ctx context.Context, limit int) ([]ParkedEvent, error) {
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	var out []ParkedEvent
	err := s.st.DB.WithContext(ctx).Raw(`SELECT d.id, d.consumer, d.event_id, COALESCE(e.type, '') AS type, COALESCE(e.ticket_id, 0) AS ticket_id,
		d.attempts, d.last_error, d.updated_at AS at
		FROM event_deliveries d LEFT JOIN events e ON e.id = d.event_id
		WHERE d.status = ? ORDER BY d.updated_at DESC, d.id DESC LIMIT ?`, store.EventParked, limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("inbox: parked events: %w", err)
	}
	return out, nil
}

// RetryParked queues a parked event for its consumer again.
func (s *Service) RetryParked(ctx context.Context, id int64) error {
	res := s.st.DB.WithContext(ctx).Model(&store.EventDelivery{}).Where("id = ? AND status = ?", id, store.EventParked).
		Updates(map[string]any{"status": store.EventRetry, "attempts": 0, "next_attempt_at": now(), "locked_until": nil, "updated_at": now()})
	if res.Error != nil {
		return fmt.Errorf("inbox: retry parked event %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("inbox: parked event %d: %w", id, ErrNotFound)
	}
	s.retrySignal.notify()
	return nil
}

// ParkedCount returns how many events are parked (a metric).
func (s *Service) ParkedCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.st.DB.WithContext(ctx).Model(&store.EventDelivery{}).Where("status = ?", store.EventParked).Count(&n).Error
	return n, err
}

// runCleanup deletes consumed events past retention, hourly.
func (s *Service) runCleanup(ctx context.Context, opts ConsumeOptions) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		if _, err := s.CleanEvents(ctx, opts); err != nil && ctx.Err() == nil {
			s.log.Warn("event clean-up", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// CleanEvents deletes events older than opts.Retention that every active
// consumer has passed and no retry or parked delivery refers to, and relay
// bodies older than ten minutes. It returns how many events went.
func (s *Service) CleanEvents(ctx context.Context, opts ConsumeOptions) (int64, error) {
	opts.defaults()
	db := s.st.DB.WithContext(ctx)
	ts := opts.now()
	var cs []store.EventConsumer
	if err := db.Where("updated_at > ?", ts.Add(-consumerIdle)).Find(&cs).Error; err != nil {
		return 0, fmt.Errorf("inbox: clean events: %w", err)
	}
	// Ids grow with time, so the events past retention are the first ones
	// in id order up to the first newer one (found walking the primary key,
	// which needs no index on created_at and reads only what goes).
	var bound []int64
	if err := db.Raw("SELECT id FROM events WHERE created_at >= ? ORDER BY id LIMIT 1", ts.Add(-opts.Retention)).Scan(&bound).Error; err != nil {
		return 0, fmt.Errorf("inbox: clean events: %w", err)
	}
	q := "DELETE FROM events WHERE id IN (SELECT id FROM events e WHERE e.created_at < ? AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = e.id)"
	args := []any{ts.Add(-opts.Retention)}
	if len(bound) > 0 {
		q += " AND e.id < ?"
		args = append(args, bound[0])
	}
	for _, c := range cs {
		q += " AND (e.xid, e.id) <= (?, ?)"
		args = append(args, c.CursorXID, c.CursorID)
	}
	q += " ORDER BY e.id LIMIT 5000)"
	var total int64
	for {
		res := db.Exec(q, args...)
		if res.Error != nil {
			return total, fmt.Errorf("inbox: clean events: %w", res.Error)
		}
		total += res.RowsAffected
		if res.RowsAffected < 5000 {
			break
		}
	}
	if err := db.Where("created_at < ?", ts.Add(-10*time.Minute)).Delete(&store.RelayBody{}).Error; err != nil {
		return total, fmt.Errorf("inbox: clean relay bodies: %w", err)
	}
	return total, nil
}

// StoredEvent returns a durable event by id, as consumers see it (the relay
// reads events too large for a notification this way).
func (s *Service) StoredEvent(ctx context.Context, id int64) (Event, error) {
	var row store.Event
	if err := s.st.DB.WithContext(ctx).Take(&row, id).Error; err != nil {
		return Event{}, fmt.Errorf("inbox: event %d: %w", id, notFound(err))
	}
	return decodeEvent(row)
}
