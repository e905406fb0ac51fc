package inbox

import (
	"context"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"
)

// batcher is a group commit for ingest on SQLite. SQLite has one writer at a
// time and most of a small transaction's cost is its commit (WAL append and
// the FTS segment flush), so concurrent ingests are queued and written by one
// goroutine, many per transaction. Each message runs under its own SAVEPOINT:
// one that fails is rolled back alone and reports its own error; the others
// commit together. A lone message is written at once, without waiting for
// company, so latency does not grow when traffic is light.
type batcher struct {
	s       *Service
	q       chan *batchReq
	mu      sync.Mutex
	running bool
}

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
	return &batcher{s: s, q: make(chan *batchReq, 4*maxBatch)}
}

func (b *batcher) ingest(ctx context.Context, in *Inbound, html string, blobs []string) (IngestResult, []Event, error) {
	r := &batchReq{in: in, html: html, blobs: blobs, done: make(chan batchResp, 1)}
	select {
	case b.q <- r:
	case <-ctx.Done():
		return IngestResult{}, nil, ctx.Err()
	}
	b.mu.Lock()
	if !b.running {
		b.running = true
		go b.loop()
	}
	b.mu.Unlock()
	// Once queued, the request is written even if ctx ends: waiting for the
	// answer keeps "returned nil" meaning "committed".
	resp := <-r.done
	return resp.res, resp.events, resp.err
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
			b.running = false
			b.mu.Unlock()
			return
		}
	}
}

func (b *batcher) commit(batch []*batchReq) {
	resps := make([]batchResp, len(batch))
	err := b.s.st.Tx(context.Background(), func(tx *gorm.DB) error {
		for i, r := range batch {
			if len(batch) == 1 {
				resps[i].res, resps[i].events, resps[i].err = b.s.ingestTx(tx, r.in, r.html, r.blobs)
				return resps[i].err
			}
			sp := fmt.Sprintf("ingest%d", i)
			if err := tx.SavePoint(sp).Error; err != nil {
				return err
			}
			res, evs, err := b.s.ingestTx(tx, r.in, r.html, r.blobs)
			if err != nil {
				if rerr := tx.RollbackTo(sp).Error; rerr != nil {
					return rerr
				}
				resps[i].err = err
				continue
			}
			resps[i] = batchResp{res: res, events: evs}
		}
		return nil
	})
	for i, r := range batch {
		if err != nil && resps[i].err == nil {
			resps[i] = batchResp{err: err}
		}
		r.done <- resps[i]
	}
}
