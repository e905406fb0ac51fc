package email

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/connectors/conntest"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// TestIMAPReconnectsAfterOutage: the go-imap server is stopped and started
// again on the same port. The channel keeps Start running, retries after
// 1 s, 2 s, 4 s, 4 s... (never longer than 4 s, so a server that is back is
// reconnected within 5 s), picks up mail after the restart, and after a
// successful login and select starts again from 1 s (issue 10 item 14).
// The clock is the channel's wait hook, driven by the test.
func TestIMAPReconnectsAfterOutage(t *testing.T) {
	env := conntest.New(t, store.SQLite)
	srv := newMemIMAP(t, nil)
	row := env.AddChannel(Kind, "mail", settingsFor(srv, nil), secretsFor(), "")
	var status statusLog
	c := directChannel(t, env, row, status.report)
	waits := make(chan time.Duration)
	proceed := make(chan struct{})
	c.wait = func(ctx context.Context, d time.Duration) error {
		select {
		case waits <- d:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case <-proceed:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Start(ctx, env.Inbox) }()
	env.Eventually("connected", func() bool { return status.has(connectors.StateConnected) })

	next := func(want time.Duration) {
		t.Helper()
		select {
		case d := <-waits:
			if d != want {
				t.Errorf("reconnect wait %v, want %v", d, want)
			}
		case err := <-done:
			t.Fatalf("Start returned %v during an outage; it must reconnect by itself", err)
		case <-time.After(15 * time.Second):
			t.Fatal("no reconnect attempt")
		}
	}
	// An outage: the session breaks, then connections are refused.
	srv.stop()
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second} {
		next(want)
		proceed <- struct{}{}
	}
	next(4 * time.Second) // capped
	srv.start(t)
	status = statusLog{} // forget the first connection
	proceed <- struct{}{}
	env.Eventually("reconnected", func() bool { return status.has(connectors.StateConnected) })
	srv.deliver(t, "INBOX", customerMail("back@example.net", "support@example.com", "back", "back@example.net", "after the outage"))
	waitTicket(t, env, row.ID, "back@example.net")

	// A second, short outage starts again from the shortest wait.
	srv.stop()
	next(time.Second)
	srv.start(t)
	proceed <- struct{}{}
	srv.deliver(t, "INBOX", customerMail("again@example.net", "support@example.com", "again", "again@example.net", "after the second outage"))
	waitTicket(t, env, row.ID, "again@example.net")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Start = %v after ctx ended", err)
	}
}

// pipeNet is an in-memory network for synctest bubbles: dial connects to
// the listener serving now, and is refused while none is.
type pipeNet struct {
	mu sync.Mutex
	ln *pipeListener

	dials []time.Time
}

type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

func (n *pipeNet) listen() *pipeListener {
	ln := &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
	n.mu.Lock()
	n.ln = ln
	n.mu.Unlock()
	return ln
}

func (n *pipeNet) dial(ctx context.Context, _ string) (net.Conn, error) {
	n.mu.Lock()
	ln := n.ln
	n.dials = append(n.dials, time.Now())
	n.mu.Unlock()
	refused := &net.OpError{Op: "dial", Net: "pipe", Err: syscall.ECONNREFUSED}
	if ln == nil {
		return nil, refused
	}
	client, server := net.Pipe()
	select {
	case ln.conns <- server:
		return client, nil
	case <-ln.done:
		return nil, refused
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (n *pipeNet) dialTimes() []time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]time.Time(nil), n.dials...)
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// memState is connectors.State in memory.
type memState struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *memState) Get(_ context.Context, k string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	if !ok {
		return "", store.ErrNotFound
	}
	return v, nil
}

func (s *memState) Put(_ context.Context, k, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = v
	return nil
}

// chanSink records ingested messages.
type chanSink struct {
	mu  sync.Mutex
	ids []string
}

func (s *chanSink) Ingest(_ context.Context, in *inbox.Inbound) (inbox.IngestResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids = append(s.ids, in.ExternalID)
	return inbox.IngestResult{MessageID: int64(len(s.ids))}, nil
}

func (s *chanSink) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return contains(s.ids, id)
}

// TestIMAPReconnectTimingSynctest runs the channel against go-imap's
// in-memory server over an in-memory network inside a synctest bubble, so
// outages pass on the fake clock: after 45 s down the channel is connected
// again at most 5 s after the server is back (a wait doubling to 32 s would
// make that 18 s), and the first retry after a second
// outage comes 1 s after the connection broke (issue 10 item 14).
func TestIMAPReconnectTimingSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := imapmemserver.New()
		user := imapmemserver.NewUser("support", "imap-secret")
		if err := user.Create("INBOX", nil); err != nil {
			t.Fatal(err)
		}
		mem.AddUser(user)
		pn := &pipeNet{}
		caps := imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}
		serve := func() func() {
			srv := imapServer(mem, caps)
			ln := pn.listen()
			go srv.Serve(ln)
			synctest.Wait() // Serve is in Accept: Close may not race its start
			return func() {
				pn.mu.Lock()
				pn.ln = nil
				pn.mu.Unlock()
				srv.Close()
			}
		}
		stop := serve()

		var mu sync.Mutex
		var connectedAt []time.Time
		st := settingsFor(&memIMAP{host: "imap.test", port: 143}, nil)
		conn, err := New(connectors.Channel{ID: 1, Kind: Kind, Settings: st, Secrets: secretsFor()}, connectors.Deps{
			State: &memState{m: map[string]string{}},
			Status: func(s string, _ error) {
				if s == connectors.StateConnected {
					mu.Lock()
					connectedAt = append(connectedAt, time.Now())
					mu.Unlock()
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		c := conn
		c.dial = pn.dial
		sink := &chanSink{}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- c.Start(ctx, sink) }()
		synctest.Wait()
		connected := func() int { mu.Lock(); defer mu.Unlock(); return len(connectedAt) }
		if connected() != 1 {
			t.Fatal("not connected at start")
		}

		// A 45 s outage.
		stop()
		time.Sleep(45 * time.Second)
		stop = serve()
		back := time.Now()
		for connected() < 2 && time.Since(back) < time.Minute {
			time.Sleep(100 * time.Millisecond)
		}
		if connected() < 2 {
			t.Fatal("not reconnected within a minute after the server was back")
		}
		mu.Lock()
		again := connectedAt[1]
		mu.Unlock()
		if d := again.Sub(back); d > 5*time.Second {
			t.Fatalf("reconnected %v after the server was back, want at most 5s", d)
		}
		if _, err := user.Append("INBOX", newReader(customerMail("a@example.net", "support@example.com", "a", "sync1@example.net", "a")), &imap.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if !sink.has("sync1@example.net") {
			t.Error("mail after the outage not ingested")
		}

		// A short second outage: the first retry comes after 1 s.
		before := len(pn.dialTimes())
		stop()
		broke := time.Now()
		time.Sleep(10 * time.Second)
		dials := pn.dialTimes()[before:]
		if len(dials) == 0 || dials[0].Sub(broke) != time.Second {
			t.Errorf("dials after the second outage at %v, want the first 1s after %v", dials, broke)
		}
		for i := 1; i < len(dials); i++ {
			if gap := dials[i].Sub(dials[i-1]); gap > 4*time.Second {
				t.Errorf("a reconnect wait of %v, want at most 4s", gap)
			}
		}
		stop = serve()
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Start = %v", err)
		}
		stop()
	})
}

func newReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
