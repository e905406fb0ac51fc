package inbox

import (
	"context"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/store"
)

// batcher is a group commit for ingest. SQLite has one writer at a time and
// most of a small transaction's cost is its commit (WAL append and the FTS
// segment flush), so concurrent ingests are queued and written by one
// goroutine, many per transaction (see commit for how failures are kept
// apart). On PostgreSQL a commit is a round trip and a WAL flush, and
// transactions run side by side, so a few writers (pgWriters) share the
// queue, each writing what has queued up in one transaction. A lone message
// is written at once, without waiting for company, so latency does not grow
// when traffic is light.
type batcher struct {
	s       *Service
	q       chan *batchReq
	writers int
	mu      sync.Mutex
	running int
}

// pgWriters is the number of concurrent group-commit transactions on
// PostgreSQL.
const pgWriters = 4

type batchReq struct {
	in    *Inbound
	html  string
	blobs []string
	done  chan batchResp
}

type batchResp struct {
	res    IngestResult
	events []Event
	err    error
}

// maxBatch bounds one transaction, so one commit never holds the write lock long.
const maxBatch = 128

func newBatcher(s *Service) *batcher {
	b := &batcher{s: s, q: make(chan *batchReq, 4*maxBatch), writers: 1}
	if s.st.Dialect == store.Postgres {
		b.writers = pgWriters
	}
	return b
}

func (b *batcher) ingest(ctx context.Context, r *batchReq) (IngestResult, []Event, error) {
	if err := b.enqueue(ctx, r); err != nil {
		return IngestResult{}, nil, err
	}
	// Once queued, the request is written even if ctx ends: waiting for the
	// answer keeps "returned nil" meaning "committed".
	resp := <-r.done
	return resp.res, resp.events, resp.err
}

// enqueue queues r for a writer, starting one if fewer than b.writers run.
// With one writer (SQLite) requests are written in the order they were
// queued; with several, only each transaction's own requests are in order
// (IngestAll on PostgreSQL therefore commits its messages itself).
func (b *batcher) enqueue(ctx context.Context, r *batchReq) error {
	if r.done == nil {
		r.done = make(chan batchResp, 1)
	}
	select {
	case b.q <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	b.mu.Lock()
	if b.running < b.writers {
		b.running++
		go b.loop()
	}
	b.mu.Unlock()
	return nil
}

// loop writes batches until the queue has been idle for a while, then exits,
// so an idle Service holds no goroutine.
func (b *batcher) loop() {
	idle := time.NewTimer(2 * time.Second)
	defer idle.Stop()
	for {
		select {
		case first := <-b.q:
			batch := []*batchReq{first}
		fill:
			for len(batch) < maxBatch {
				select {
				case r := <-b.q:
					batch = append(batch, r)
				default:
					break fill
				}
			}
			b.commit(batch)
			if !idle.Stop() {
				select {
				case <-idle.C:
				default:
				}
			}
			idle.Reset(2 * time.Second)
		case <-idle.C:
			b.mu.Lock()
			if len(b.q) > 0 {
				b.mu.Unlock()
				idle.Reset(2 * time.Second)
				continue
			}
			b.running--
			b.mu.Unlock()
			return
		}
	}
}

// commit writes a batch in one transaction. Errors are rare (a duplicate
// racing its first copy, a constraint a message breaks), so instead of a
// savepoint per message the batch is simply replayed one message per
// transaction when anything fails; each message then gets its own answer.
//
// On PostgreSQL the transaction first takes the advisory locks of all its
// messages at once, in one global order, so two writers' batches (or
// another instance's) cannot deadlock on them; each message's own locking
// in ingestTx then re-takes locks it holds.
func (b *batcher) commit(batch []*batchReq) {
	resps := make([]batchResp, len(batch))
	err := b.s.st.Tx(context.Background(), func(tx *gorm.DB) error {
		if len(batch) > 1 && b.s.st.Dialect == store.Postgres {
			var keys []string
			for _, r := range batch {
				if snd, err := normSender(r.in.Contact); err == nil {
					keys = append(keys, ingestLockKeys(r.in, snd)...)
				}
			}
			if err := b.s.lockKeys(tx, keys...); err != nil {
				return err
			}
		}
		for i, r := range batch {
			res, evs, err := b.s.ingestTx(tx, r.in, r.html, r.blobs, len(batch) == 1)
			if err != nil {
				return err
			}
			resps[i] = batchResp{res: res, events: evs}
		}
		if len(batch) > 1 {
			return b.recordBatchEvents(tx, resps)
		}
		return nil
	})
	if err != nil && len(batch) > 1 {
		for i, r := range batch {
			resps[i] = batchResp{}
			resps[i].err = b.s.st.Tx(context.Background(), func(tx *gorm.DB) error {
				var e error
				resps[i].res, resps[i].events, e = b.s.ingestTx(tx, r.in, r.html, r.blobs, true)
				return e
			})
		}
	} else if err != nil {
		resps[0] = batchResp{err: err}
	}
	for i, r := range batch {
		r.done <- resps[i]
	}
}

// recordBatchEvents records the events of a batch's messages in one
// statement, in the order of the messages (ids increase in that order, as
// they would have one message at a time), and gives each message's events
// their ids.
func (b *batcher) recordBatchEvents(tx *gorm.DB, resps []batchResp) error {
	n := 0
	for _, r := range resps {
		n += len(r.events)
	}
	all := make([]Event, 0, n)
	for _, r := range resps {
		all = append(all, r.events...)
	}
	if err := b.s.recordEvents(tx, all); err != nil {
		return err
	}
	k := 0
	for i := range resps {
		k += copy(resps[i].events, all[k:k+len(resps[i].events)])
	}
	return nil
}
