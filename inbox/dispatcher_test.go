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
	"time"

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
	deadline := time.Now().Add(10 * time.Second)
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

func TestDispatcherRetriesThenSends(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r, err := svc.Ingest(ctx, msg(ch, "m-1", "t-1", "안녕하세요"))
		if err != nil {
			t.Fatal(err)
		}
		fs := &fakeSender{errs: []error{errors.New("connection refused"), connectors.RetryAfter(30*time.Millisecond, errors.New("429"))}}
		go svc.RunDispatcher(ctx, senders{ch.ID: fs}, fastDispatch())
		m, err := svc.Reply(ctx, inbox.ReplyInput{TicketID: r.TicketID, Text: "확인해 보겠습니다"})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "sent", func() bool { s, _ := deliveryStatus(t, svc, m.ID); return s == store.DeliverySent })
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
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r, _ := svc.Ingest(ctx, msg(ch, "m-1", "t-1", "hello"))
		fs := &fakeSender{errs: []error{connectors.Permanent(errors.New("channel_not_found: invite the bot"))}}
		go svc.RunDispatcher(ctx, senders{ch.ID: fs}, fastDispatch())
		m, err := svc.Reply(ctx, inbox.ReplyInput{TicketID: r.TicketID, Text: "hi"})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "failed", func() bool { s, _ := deliveryStatus(t, svc, m.ID); return s == store.DeliveryFailed })
		if _, reason := deliveryStatus(t, svc, m.ID); reason == "" {
			t.Fatal("failure reason not shown")
		}
		if err := svc.RetryDelivery(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "sent after retry", func() bool { s, _ := deliveryStatus(t, svc, m.ID); return s == store.DeliverySent })
		if err := svc.RetryDelivery(ctx, m.ID); !errors.Is(err, inbox.ErrInvalid) {
			t.Fatalf("retrying a sent message: %v, want ErrInvalid", err)
		}
	})
}

func TestDispatcherGivesUpAfterMaxAttempts(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	svc, ch := newService(t, st)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, _ := svc.Ingest(ctx, msg(ch, "m-1", "t-1", "hello"))
	boom := errors.New("timeout")
	fs := &fakeSender{errs: []error{boom, boom, boom, boom, boom}}
	go svc.RunDispatcher(ctx, senders{ch.ID: fs}, fastDispatch())
	m, _ := svc.Reply(ctx, inbox.ReplyInput{TicketID: r.TicketID, Text: "hi"})
	waitFor(t, "failed", func() bool { s, _ := deliveryStatus(t, svc, m.ID); return s == store.DeliveryFailed })
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.tries != 4 {
		t.Fatalf("tries = %d, want MaxAttempts (4)", fs.tries)
	}
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
	time.Sleep(100 * time.Millisecond)
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
