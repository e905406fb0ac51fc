package email

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/connectors/conntest"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// memLocker is an in-process connectors.Locker with the advisory lock's
// semantics, for SQLite runs (PostgreSQL runs use the store's real lock).
type memLocker struct {
	mu   sync.Mutex
	held map[string]bool
}

func (l *memLocker) TryLock(_ context.Context, key string) (func(), bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[key] {
		return nil, false, nil
	}
	l.held[key] = true
	return func() { l.mu.Lock(); delete(l.held, key); l.mu.Unlock() }, true, nil
}

// hookSink calls after once an ingest has returned.
type hookSink struct {
	*countingSink
	after func(in *inbox.Inbound)
}

func (h *hookSink) Ingest(ctx context.Context, in *inbox.Inbound) (inbox.IngestResult, error) {
	r, err := h.countingSink.Ingest(ctx, in)
	if err == nil {
		h.after(in)
	}
	return r, err
}

// statusLog records a channel's reported states.
type statusLog struct {
	mu     sync.Mutex
	states []string
}

func (s *statusLog) report(state string, _ error) {
	s.mu.Lock()
	s.states = append(s.states, state)
	s.mu.Unlock()
}

func (s *statusLog) has(state string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return contains(s.states, state)
}

// TestIMAPSingleOwnerAcrossInstances: two instances of one channel share the
// mailbox through the cluster lock; the standby takes over when the owner
// stops, and never re-offers what the owner imported. The owner is stopped
// at the worst moment, deterministically: right after the inbox stored its
// message and before the checkpoint is written. The owner must still write
// its checkpoint before it releases the lock (issue 11 item 10).
func TestIMAPSingleOwnerAcrossInstances(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		old := lockRetry
		lockRetry = 20 * time.Millisecond
		t.Cleanup(func() { lockRetry = old })
		env := conntest.New(t, dialect)
		srv := newMemIMAP(t, nil)
		row := env.AddChannel(Kind, "mail", settingsFor(srv, nil), secretsFor(), "")
		var locker connectors.Locker = &memLocker{held: map[string]bool{}}
		if dialect == store.Postgres {
			locker = env.Store
		}
		var s1, s2 statusLog
		owner := directChannel(t, env, row, s1.report)
		owner.deps.Locker = locker
		standby := directChannel(t, env, row, s2.report)
		standby.deps.Locker = locker

		ctx1, stopOwner := context.WithCancel(context.Background())
		defer stopOwner()
		sink1 := &hookSink{countingSink: &countingSink{inner: env.Inbox, calls: map[string]int{}},
			after: func(in *inbox.Inbound) {
				if in.ExternalID == "own1@example.net" {
					stopOwner() // stored, checkpoint not yet written
				}
			}}
		ownerDone := make(chan error, 1)
		go func() { ownerDone <- owner.Start(ctx1, sink1) }()
		env.Eventually("owner connected", func() bool { return s1.has(connectors.StateConnected) })

		sink2 := &countingSink{inner: env.Inbox, calls: map[string]int{}}
		stopStandby := runStart(standby, sink2)
		defer stopStandby()
		srv.deliver(t, "INBOX", customerMail("a@example.net", "support@example.com", "a", "own1@example.net", "a"))
		if err := <-ownerDone; err != nil {
			t.Fatalf("owner stopped with %v", err)
		}
		if sink1.snapshot()["own1@example.net"] != 1 {
			t.Fatalf("owner offered %v", sink1.snapshot())
		}
		if last, _ := env.Store.GetState(context.Background(), row.ID, "imap:INBOX:last_uid"); last != "1" {
			t.Errorf("owner released the mailbox with checkpoint %q, want 1", last)
		}
		env.Eventually("standby takes over", func() bool { return s2.has(connectors.StateConnected) })
		srv.deliver(t, "INBOX", customerMail("b@example.net", "support@example.com", "b", "own2@example.net", "b"))
		env.Eventually("standby ingests", func() bool { return sink2.snapshot()["own2@example.net"] == 1 })
		if n := sink2.snapshot()["own1@example.net"]; n != 0 {
			t.Errorf("standby re-offered the owner's message %d times", n)
		}
	})
}
