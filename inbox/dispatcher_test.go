package inbox_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hanbox/hanbox/connectors"
	_ "github.com/hanbox/hanbox/connectors/api"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// fakeSender fails with errs in order, then succeeds.
type fakeSender struct {
	mu    sync.Mutex
	errs  []error
	sent  []*inbox.Outbound
	tries int
}

func (f *fakeSender) Send(ctx context.Context, out *inbox.Outbound) (inbox.ExternalRef, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tries++
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return inbox.ExternalRef{}, err
	}
	f.sent = append(f.sent, out)
	return inbox.ExternalRef{ID: fmt.Sprintf("sent-%d", out.MessageID), Keys: []string{"fake:" + fmt.Sprint(out.MessageID)}}, nil
}

type senders map[int64]inbox.Sender

func (s senders) Sender(id int64) (inbox.Sender, bool) { v, ok := s[id]; return v, ok }

func fastDispatch() inbox.DispatchOptions {
	return inbox.DispatchOptions{BaseBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Poll: 10 * time.Millisecond, MaxAttempts: 4}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func deliveryStatus(t *testing.T, svc *inbox.Service, id int64) (string, string) {
	m, err := svc.Message(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m.DeliveryStatus, m.DeliveryError
}

// bubble runs fn on every dialect inside a synctest bubble: retry delays
// pass on a fake clock, so the tests use the real backoff and never sleep.
func bubble(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fn(t, storetest.Open(t, d))
				time.Sleep(time.Minute) // idle goroutines (the ingest batcher) end
			})
		})
	}
}

// dispatch runs the dispatcher with default options until the test ends.
func dispatch(t *testing.T, svc *inbox.Service, s senders) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.RunDispatcher(ctx, s, inbox.DispatchOptions{})
	}()
	t.Cleanup(func() { cancel(); <-done })
}

func TestDispatcherRetriesThenSends(t *testing.T) {
	bubble(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		r, err := svc.Ingest(ctx, msg(ch, "m-1", "t-1", "안녕하세요"))
		if err != nil {
			t.Fatal(err)
		}
		fs := &fakeSender{errs: []error{errors.New("connection refused"), connectors.RetryAfter(30*time.Second, errors.New("429"))}}
		dispatch(t, svc, senders{ch.ID: fs})
		m, err := svc.Reply(ctx, inbox.ReplyInput{TicketID: r.TicketID, Text: "확인해 보겠습니다"})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		time.Sleep(29 * time.Second) // the first retry (2s) failed with retry-after 30s
		synctest.Wait()
		if s, _ := deliveryStatus(t, svc, m.ID); s != store.DeliveryQueued {
			t.Fatalf("status %s before the retry-after passed", s)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if s, _ := deliveryStatus(t, svc, m.ID); s != store.DeliverySent {
			t.Fatalf("status %s %s after start, want sent", s, time.Since(start))
		}
		fs.mu.Lock()
		defer fs.mu.Unlock()
		if fs.tries != 3 || len(fs.sent) != 1 {
			t.Fatalf("tries=%d sent=%d, want 3 and 1", fs.tries, len(fs.sent))
		}
		out := fs.sent[0]
		if out.ReplyTo == nil || out.ReplyTo.ExternalID != "m-1" || out.Text != "확인해 보겠습니다" || len(out.History) != 1 {
			t.Fatalf("outbound %+v", out)
		}
		got, _ := svc.Message(ctx, m.ID)
		if got.ExternalID == nil || *got.ExternalID != fmt.Sprintf("sent-%d", m.ID) {
			t.Fatalf("external id not recorded: %v", got.ExternalID)
		}
		if tk, err := svc.TicketByKey(ctx, fmt.Sprintf("fake:%d", m.ID)); err != nil || tk.ID != r.TicketID {
			t.Fatalf("sent message's thread key does not lead to the ticket: %v", err)
		}
	})
}

func TestDispatcherPermanentFailureAndRetryButton(t *testing.T) {
	bubble(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		r, _ := svc.Ingest(ctx, msg(ch, "m-1", "t-1", "hello"))
		fs := &fakeSender{errs: []error{connectors.Permanent(errors.New("channel_not_found: invite the bot"))}}
		dispatch(t, svc, senders{ch.ID: fs})
		m, err := svc.Reply(ctx, inbox.ReplyInput{TicketID: r.TicketID, Text: "hi"})
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if s, reason := deliveryStatus(t, svc, m.ID); s != store.DeliveryFailed || reason == "" {
			t.Fatalf("status %s (%q), want failed with a reason at once", s, reason)
		}
		if err := svc.RetryDelivery(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if s, _ := deliveryStatus(t, svc, m.ID); s != store.DeliverySent {
			t.Fatalf("status %s after the retry", s)
		}
		if err := svc.RetryDelivery(ctx, m.ID); !errors.Is(err, inbox.ErrInvalid) {
			t.Fatalf("retrying a sent message: %v, want ErrInvalid", err)
		}
	})
}

func TestDispatcherGivesUpAfterMaxAttempts(t *testing.T) {
	bubble(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		r, _ := svc.Ingest(ctx, msg(ch, "m-1", "t-1", "hello"))
		boom := errors.New("timeout")
		fs := &fakeSender{errs: []error{boom, boom, boom, boom, boom, boom, boom, boom, boom, boom, boom}}
		dispatch(t, svc, senders{ch.ID: fs})
		m, _ := svc.Reply(ctx, inbox.ReplyInput{TicketID: r.TicketID, Text: "hi"})
		time.Sleep(time.Hour) // 2s doubling, capped at 10m: ten attempts take about 27 minutes
		synctest.Wait()
		if s, _ := deliveryStatus(t, svc, m.ID); s != store.DeliveryFailed {
			t.Fatalf("status %s, want failed", s)
		}
		fs.mu.Lock()
		defer fs.mu.Unlock()
		if fs.tries != 10 {
			t.Fatalf("tries = %d, want MaxAttempts (10)", fs.tries)
		}
	})
}

// TestCrashBetweenCommitAndSend kills a process right after it committed a
// reply (before any send) and checks that the next process sends it, once,
// with one message record.
func TestCrashBetweenCommitAndSend(t *testing.T) {
	if os.Getenv("HANBOX_CRASH_CHILD") != "" {
		crashChild()
		return
	}
	dir := t.TempDir()
	var mu sync.Mutex
	var deliveries []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		deliveries = append(deliveries, r.Header.Get("X-Hanbox-Delivery"))
		mu.Unlock()
		w.Write([]byte(`{"id":"remote-1"}`))
	}))
	defer hook.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashBetweenCommitAndSend$")
	cmd.Env = append(os.Environ(), "HANBOX_CRASH_CHILD=1", "HANBOX_CRASH_DIR="+dir, "HANBOX_CRASH_HOOK="+hook.URL)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	committed := false
	for sc.Scan() {
		if sc.Text() == "COMMITTED" {
			committed = true
			break
		}
	}
	if !committed {
		cmd.Wait()
		t.Fatal("child did not commit a reply")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup, no deferred sends
		t.Fatal(err)
	}
	cmd.Wait()
	mu.Lock()
	if len(deliveries) != 0 {
		t.Fatalf("child sent before it was killed: %v", deliveries)
	}
	mu.Unlock()

	st, err := store.Open(context.Background(), store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := inbox.New(st, inbox.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rt := connectors.NewRuntime(st, svc, connectors.RuntimeOptions{})
	go rt.Run(ctx)
	waitFor(t, "channel running", func() bool { _, ok := rt.Sender(1); return ok })
	go svc.RunDispatcher(ctx, rt, fastDispatch())
	waitFor(t, "delivery after restart", func() bool { mu.Lock(); defer mu.Unlock(); return len(deliveries) == 1 })
	var msgs []store.Message
	st.DB.Where("direction = ?", store.DirOutbound).Find(&msgs)
	if len(msgs) != 1 {
		t.Fatalf("outbound records = %d, want 1", len(msgs))
	}
	waitFor(t, "sent status", func() bool { s, _ := deliveryStatus(t, svc, msgs[0].ID); return s == store.DeliverySent })
	// Sent is recorded after the send and ends the row's deliveries, so
	// the count is final now.
	mu.Lock()
	defer mu.Unlock()
	if len(deliveries) != 1 {
		t.Fatalf("deliveries = %d, want 1", len(deliveries))
	}
}

func crashChild() {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: os.Getenv("HANBOX_CRASH_DIR")})
	if err != nil {
		panic(err)
	}
	svc := inbox.New(st, inbox.Options{})
	ch := store.Channel{Kind: "api", Name: "crash", PublicKey: inbox.NewPublicID(), Enabled: true,
		Settings: store.JSONMap{"webhook_url": os.Getenv("HANBOX_CRASH_HOOK")}, Secrets: store.JSONMap{"webhook_secret": "s"}}
	if err := st.DB.Create(&ch).Error; err != nil {
		panic(err)
	}
	r, err := svc.Ingest(ctx, msg(ch, "m-1", "t-1", "주문 확인 부탁드려요"))
	if err != nil {
		panic(err)
	}
	if _, err := svc.Reply(ctx, inbox.ReplyInput{TicketID: r.TicketID, Text: "확인했습니다"}); err != nil {
		panic(err)
	}
	fmt.Println("COMMITTED")
	select {} // wait to be killed
}

// signalSender records sends and signals each one.
type signalSender struct {
	fakeSender
	sent chan int64
}

func (s *signalSender) Send(ctx context.Context, out *inbox.Outbound) (inbox.ExternalRef, error) {
	ref, err := s.fakeSender.Send(ctx, out)
	s.sent <- out.MessageID
	return ref, err
}

func waitSent(t *testing.T, s *signalSender, id int64) {
	t.Helper()
	select {
	case got := <-s.sent:
		if got != id {
			t.Fatalf("sent message %d, want %d", got, id)
		}
	case <-time.After(60 * time.Second): // bounds a hang only: the poll is an hour
		t.Fatalf("message %d not sent: the dispatcher was not woken by the commit", id)
	}
}

// TestCommitWakesDispatcher: with a poll interval of an hour, replies still
// go out, because the transaction that queues one wakes the dispatcher; on
// PostgreSQL also a dispatcher of another instance (its own store), woken by
// the commit's NOTIFY as the server's relay does.
func TestCommitWakesDispatcher(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, ch := newService(t, st)
		r, err := svc.Ingest(ctx, msg(ch, "m-1", "t-1", "hello"))
		if err != nil {
			t.Fatal(err)
		}
		hourly := inbox.DispatchOptions{Poll: time.Hour}
		local := &signalSender{sent: make(chan int64, 8)}
		stopLocal := runDispatcher(t, svc, senders{ch.ID: local}, hourly)
		for i := 0; i < 5; i++ {
			m, err := svc.Reply(ctx, inbox.ReplyInput{TicketID: r.TicketID, Text: fmt.Sprintf("reply %d", i)})
			if err != nil {
				t.Fatal(err)
			}
			waitSent(t, local, m.ID)
		}
		stopLocal()
		if st.Dialect != store.Postgres {
			return
		}
		// Instance B: its own store and dispatcher; A's commits wake it.
		stB, err := store.Open(ctx, store.Config{DataDir: t.TempDir(), DatabaseURL: st.DSN})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stB.Close() })
		svcB := inbox.New(stB, inbox.Options{})
		conn, err := pgx.Connect(ctx, stB.DSN)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{stB.OutboxChannel()}.Sanitize()); err != nil {
			t.Fatal(err)
		}
		lctx, stop := context.WithCancel(ctx)
		listened := make(chan struct{})
		go func() {
			defer close(listened)
			defer conn.Close(context.Background())
			for {
				if _, err := conn.WaitForNotification(lctx); err != nil {
					return
				}
				svcB.Wake()
			}
		}()
		t.Cleanup(func() { stop(); <-listened })
		remote := &signalSender{sent: make(chan int64, 8)}
		runDispatcher(t, svcB, senders{ch.ID: remote}, hourly)
		// A's dispatcher is stopped: A's rows go out through B.
		for i := 0; i < 3; i++ {
			m, err := svc.Reply(ctx, inbox.ReplyInput{TicketID: r.TicketID, Text: fmt.Sprintf("remote %d", i)})
			if err != nil {
				t.Fatal(err)
			}
			waitSent(t, remote, m.ID)
		}
	})
}

// runDispatcher runs a dispatcher until stop is called or the test ends.
func runDispatcher(t *testing.T, svc *inbox.Service, s senders, opts inbox.DispatchOptions) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.RunDispatcher(ctx, s, opts)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}
