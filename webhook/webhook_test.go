package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
	"github.com/hanbox/hanbox/webhook"
)

// clock is the injected time of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Receiver modes.
const (
	up      = iota
	fail500 // answers 500
	refuse  // drops the connection without an answer
)

// received is one request that reached the receiver.
type received struct {
	header   http.Header
	body     []byte
	payload  webhook.Payload
	verified bool
	answered int // status sent back; 0 for a dropped connection
}

// receiver is a local webhook endpoint that verifies every request with
// verifyWebhook (the README's snippet) and records it.
type receiver struct {
	t      *testing.T
	clock  *clock
	mu     sync.Mutex
	mode   int
	secret string
	got    []received
	srv    *httptest.Server
}

func newReceiver(t *testing.T, c *clock) *receiver {
	r := &receiver{t: t, clock: c}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		rec := received{header: req.Header.Clone(), body: body, verified: verifyWebhook(r.secret, req.Header, body, r.clock.Now())}
		if err := json.Unmarshal(body, &rec.payload); err != nil {
			t.Errorf("payload is not JSON: %v: %s", err, body)
		}
		switch r.mode {
		case fail500:
			rec.answered = http.StatusInternalServerError
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, "서버 점검 중")
		case refuse:
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		default:
			rec.answered = http.StatusOK
			_, _ = io.WriteString(w, `{"ok":true}`)
		}
		r.got = append(r.got, rec)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) set(mode int) {
	r.mu.Lock()
	r.mode = mode
	r.mu.Unlock()
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// env is an inbox with the webhook consumer running and a scheduler driven
// by hand (RunDue) on an injected clock.
type env struct {
	t     *testing.T
	ctx   context.Context
	st    *store.Store
	svc   *inbox.Service
	ch    store.Channel
	sched *jobs.Scheduler
	hooks *webhook.Service
	clock *clock
	agent *store.Agent
	n     int
}

func newEnv(t *testing.T, st *store.Store) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c := &clock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	svc := inbox.New(st, inbox.Options{})
	ch := store.Channel{Kind: "api", Name: "test", PublicKey: inbox.NewPublicID(), Enabled: true}
	if err := st.DB.Create(&ch).Error; err != nil {
		t.Fatal(err)
	}
	sched := jobs.New(st, jobs.Options{Now: c.Now, Workers: 4})
	hooks := webhook.New(st, svc, sched, webhook.Options{Now: c.Now})
	if err := hooks.Enable(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = svc.RunConsumers(ctx, inbox.ConsumeOptions{Instance: "t", Poll: 10 * time.Millisecond, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	}()
	t.Cleanup(func() { cancel(); <-done })
	a := &store.Agent{Email: "agent@example.com", Name: "박상담", Role: store.RoleAgent, Active: true}
	if err := st.CreateAgent(ctx, a); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ctx: ctx, st: st, svc: svc, ch: ch, sched: sched, hooks: hooks, clock: c, agent: a}
}

// message ingests a customer message on thread and returns its ticket.
func (e *env) message(thread, text string) int64 {
	e.t.Helper()
	e.n++
	r, err := e.svc.Ingest(e.ctx, &inbox.Inbound{ChannelID: e.ch.ID, ExternalID: fmt.Sprintf("m-%d", e.n), ThreadKeys: []string{thread}, OwnKeys: []string{thread},
		Contact: inbox.ContactRef{Kind: inbox.IdentityAPI, ID: "c-" + thread, Verified: true, Name: "김민지"}, Text: text})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.TicketID
}

// consumed waits until the webhook consumer has passed every stored event.
func (e *env) consumed() {
	e.t.Helper()
	var last int64
	if err := e.st.DB.Model(&store.Event{}).Select("COALESCE(MAX(id), 0)").Scan(&last).Error; err != nil {
		e.t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var c store.EventConsumer
		if err := e.st.DB.Where("name = ?", webhook.ConsumerName).Take(&c).Error; err != nil {
			e.t.Fatal(err)
		}
		if c.CursorID >= last {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("webhook consumer stuck at %d of %d", c.CursorID, last)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// runDue runs due jobs until none is due at the current (injected) time.
func (e *env) runDue() {
	e.t.Helper()
	for i := 0; ; i++ {
		n, err := e.sched.RunDue(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if i > 10000 {
			e.t.Fatal("jobs keep coming due at a frozen clock")
		}
	}
}

func (e *env) deliveries(subID int64) []store.WebhookDelivery {
	e.t.Helper()
	var ds []store.WebhookDelivery
	if err := e.st.DB.Where("subscription_id = ?", subID).Order("id").Find(&ds).Error; err != nil {
		e.t.Fatal(err)
	}
	return ds
}

// TestReceiverDownForAnHour: the receiver answers 500, then drops
// connections, for a simulated hour; meanwhile only the oldest delivery of
// each ticket is tried, the subscription is flagged as failing and stays
// enabled; once the receiver is back everything arrives, signed, in order
// per ticket.
func TestReceiverDownForAnHour(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		rcv := newReceiver(t, e.clock)
		sub, err := e.hooks.Create(e.ctx, webhook.Input{Name: "CRM", URL: rcv.srv.URL + "/hook", Enabled: true,
			Events: []string{inbox.EventTicketCreated, inbox.EventMessageCreated, inbox.EventTicketUpdated, webhook.EventTicketAssigned}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		rcv.secret = sub.Secret
		rcv.set(fail500)

		// Three tickets whose events interleave.
		threads := []string{"a", "b", "c"}
		tickets := map[string]int64{}
		for _, th := range threads {
			tickets[th] = e.message(th, "환불 문의 "+th)
		}
		normal, high := store.PriorityNormal, store.PriorityHigh
		for _, th := range threads {
			e.message(th, "추가 문의 "+th)
		}
		for _, th := range threads {
			if _, err := e.svc.UpdateTicket(e.ctx, tickets[th], e.agent.ID, inbox.TicketPatch{Priority: &high, AssigneeID: &e.agent.ID}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.UpdateTicket(e.ctx, tickets[th], e.agent.ID, inbox.TicketPatch{Priority: &normal}); err != nil {
				t.Fatal(err)
			}
		}
		e.consumed()
		ds := e.deliveries(sub.ID)
		// Per ticket: ticket.created, message.created ×2, ticket.updated ×3
		// (the second message moves last_message_at), ticket.assigned.
		if len(ds) != 3*7 {
			t.Fatalf("queued %d deliveries, want %d", len(ds), 21)
		}

		start := e.clock.Now()
		for e.clock.Now().Sub(start) < 61*time.Minute {
			if e.clock.Now().Sub(start) > 30*time.Minute {
				rcv.set(refuse)
			}
			e.runDue()
			e.clock.Add(time.Minute)
		}
		during := rcv.requests()
		if len(during) < 6 {
			t.Fatalf("only %d attempts in an hour", len(during))
		}
		for _, r := range during {
			if r.answered == http.StatusOK {
				t.Fatal("a delivery got through while the receiver was down")
			}
			// Only the head of each ticket's line is tried.
			if r.payload.Type != inbox.EventTicketCreated {
				t.Fatalf("%s tried before its ticket's ticket.created was delivered", r.payload.Type)
			}
			if !r.verified {
				t.Fatalf("signature did not verify: %v", r.header)
			}
		}
		got, err := e.st.WebhookSubscription(e.ctx, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !e.hooks.Failing(got) || !got.Enabled {
			t.Fatalf("after an hour down: failing=%v enabled=%v, want flagged and still enabled", e.hooks.Failing(got), got.Enabled)
		}
		var last store.WebhookDelivery
		if err := st.DB.Where("subscription_id = ? AND attempts > 0", sub.ID).Order("last_attempt_at DESC").Take(&last).Error; err != nil {
			t.Fatal(err)
		}
		if last.StatusCode != 0 || last.Error == "" {
			t.Fatalf("last attempt (connection dropped) logged as code %d error %q", last.StatusCode, last.Error)
		}

		rcv.set(up)
		for i := 0; i < 180; i++ {
			e.runDue()
			if n := pending(t, st, sub.ID); n == 0 {
				break
			}
			e.clock.Add(time.Minute)
		}
		if n := pending(t, st, sub.ID); n != 0 {
			t.Fatalf("%d deliveries still pending three hours after the receiver came back", n)
		}
		// Everything arrived, verified, in event order per ticket.
		seen := map[string]bool{}
		lastEvent := map[int64]string{}
		for _, r := range rcv.requests() {
			if r.answered != http.StatusOK {
				continue
			}
			if !r.verified {
				t.Fatalf("signature did not verify: %v", r.header)
			}
			p := r.payload
			if p.Version != 1 || r.header.Get("X-Hanbox-Event") != p.Type || r.header.Get("X-Hanbox-Delivery") == "" {
				t.Fatalf("headers %v for payload %+v", r.header, p)
			}
			tid := p.Data.TicketID
			if p.Data.Ticket == nil || p.Data.Ticket.ID != tid {
				t.Fatalf("payload without its ticket: %s", r.body)
			}
			if p.Type == inbox.EventMessageCreated {
				m := p.Data.Message
				if m == nil || m.ID != p.Data.MessageID || m.Direction != store.DirInbound || !strings.Contains(m.Text, "문의 ") {
					t.Fatalf("message.created without its message: %s", r.body)
				}
			}
			if prev := lastEvent[tid]; prev != "" && eventID(p.ID) < eventID(prev) {
				t.Fatalf("ticket %d: %s arrived after %s", tid, p.ID, prev)
			}
			lastEvent[tid] = p.ID
			seen[p.ID] = true
		}
		if len(seen) != len(ds) {
			t.Fatalf("%d distinct payloads arrived, want %d", len(seen), len(ds))
		}
		var ids []int64
		for _, d := range e.deliveries(sub.ID) {
			if d.Status != store.WebhookDelivered || d.StatusCode != 200 || d.Response != `{"ok":true}` {
				t.Fatalf("delivery %d: %s %d %q", d.ID, d.Status, d.StatusCode, d.Response)
			}
			ids = append(ids, d.ID)
		}
		// Every attempt has its row: the failures with a 500 or an error, the last with 200.
		logs, err := e.st.WebhookAttemptsOf(e.ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range e.deliveries(sub.ID) {
			log := logs[d.ID]
			if len(log) != d.Attempts {
				t.Fatalf("delivery %d: %d attempt rows for %d attempts", d.ID, len(log), d.Attempts)
			}
			for i, a := range log {
				last := i == len(log)-1
				ok := a.StatusCode == 200 && a.Error == ""
				failed := a.StatusCode == 500 || a.StatusCode == 0 && a.Error != ""
				if a.Attempt != i+1 || (last && !ok) || (!last && !failed) {
					t.Fatalf("delivery %d attempt %d: %+v", d.ID, i+1, a)
				}
			}
		}
		got, _ = e.st.WebhookSubscription(e.ctx, sub.ID)
		if e.hooks.Failing(got) || got.FailingSince != nil {
			t.Fatal("still flagged after deliveries succeeded")
		}
	})
}

func pending(t *testing.T, st *store.Store, subID int64) int64 {
	t.Helper()
	var n int64
	if err := st.DB.Model(&store.WebhookDelivery{}).Where("subscription_id = ? AND status = ?", subID, store.WebhookPending).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// eventID is the event id in a payload id "evt_<id>_<type>".
func eventID(payloadID string) int64 {
	var id int64
	var rest string
	fmt.Sscanf(payloadID, "evt_%d_%s", &id, &rest)
	return id
}

// TestRedeliverTestEventAndDisable: a test event and a redelivery go out
// with new delivery ids and the same payload; a disabled subscription gets
// nothing new and its pending deliveries are cancelled.
func TestRedeliverTestEventAndDisable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		rcv := newReceiver(t, e.clock)
		sub, err := e.hooks.Create(e.ctx, webhook.Input{URL: rcv.srv.URL, Enabled: true, Events: []string{inbox.EventTicketCreated}}, e.agent.ID)
		if err != nil {
			t.Fatal(err)
		}
		rcv.secret = sub.Secret
		e.message("x", "배송 문의")
		e.consumed()
		e.runDue()
		ds := e.deliveries(sub.ID)
		if len(ds) != 1 || ds[0].Status != store.WebhookDelivered {
			t.Fatalf("deliveries %+v", ds)
		}
		re, err := e.hooks.Redeliver(e.ctx, ds[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.hooks.SendTest(e.ctx, sub.ID); err != nil {
			t.Fatal(err)
		}
		e.runDue()
		got := rcv.requests()
		if len(got) != 3 {
			t.Fatalf("%d requests, want 3", len(got))
		}
		byDelivery := map[string]received{}
		for _, r := range got[1:] {
			byDelivery[r.header.Get("X-Hanbox-Delivery")] = r
		}
		r, ok := byDelivery[re.PublicID]
		if !ok || r.payload.ID != got[0].payload.ID || re.PublicID == got[0].header.Get("X-Hanbox-Delivery") || !r.verified {
			t.Fatalf("redelivery %s: got %+v", re.PublicID, byDelivery)
		}
		delete(byDelivery, re.PublicID)
		for _, r := range byDelivery {
			if r.payload.Type != webhook.EventTest || !r.verified {
				t.Fatalf("test event %+v", r)
			}
		}

		// Disabled: the pending delivery is cancelled, new events queue nothing.
		rcv.set(fail500)
		e.message("y", "두 번째 문의")
		e.consumed()
		e.runDue()
		if _, err := e.hooks.Update(e.ctx, sub.ID, webhook.Input{URL: sub.URL, Events: []string{inbox.EventTicketCreated}, Enabled: false}); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(2 * time.Hour)
		e.runDue()
		e.message("z", "세 번째 문의")
		e.consumed()
		ds = e.deliveries(sub.ID)
		if n := len(ds); n != 4 || ds[3].Status != store.WebhookCancelled || ds[3].EventType != inbox.EventTicketCreated {
			t.Fatalf("after disabling: %d deliveries, last %+v", n, ds[n-1])
		}

		// A month later the daily clean-up prunes the finished log; a
		// pending delivery stays.
		if _, err := e.hooks.Update(e.ctx, sub.ID, webhook.Input{URL: sub.URL, Events: []string{inbox.EventTicketCreated}, Enabled: true}); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(31 * 24 * time.Hour)
		pend, err := e.hooks.SendTest(e.ctx, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		e.runDue() // runs the clean-up job (due since the first midnight) and the test delivery, which fails
		ds = e.deliveries(sub.ID)
		if len(ds) != 1 || ds[0].ID != pend.ID || ds[0].Status != store.WebhookPending {
			t.Fatalf("after the clean-up: %+v", ds)
		}
		next, err := e.sched.Get(e.ctx, webhook.JobClean, "day:"+e.clock.Now().Truncate(24*time.Hour).Add(24*time.Hour).Format(time.DateOnly))
		if err != nil || next.Status != store.JobPending {
			t.Fatalf("next clean-up: %+v %v", next, err)
		}
	})
}

func TestCheckURL(t *testing.T) {
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"https://hooks.example.com/hanbox", true},
		{"http://127.0.0.1:8080/x", true},
		{"http://localhost/x", true},
		{"http://[::1]:9/x", true},
		{"http://hooks.example.com/x", false},
		{"ftp://example.com/", false},
		{"https://user:pw@example.com/", false},
		{"/relative", false},
	} {
		if err := webhook.CheckURL(c.url); (err == nil) != c.ok {
			t.Errorf("CheckURL(%q) = %v, want ok=%v", c.url, err, c.ok)
		}
	}
}

// TestOrderAcrossInstances: two instances (each its own inbox service,
// consumers and job scheduler, on one store) deliver while the receiver
// refuses every third request; every payload arrives and each ticket's
// arrive in event order, on both stores.
func TestOrderAcrossInstances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ch := store.Channel{Kind: "api", Name: "test", PublicKey: inbox.NewPublicID(), Enabled: true}
		if err := st.DB.Create(&ch).Error; err != nil {
			t.Fatal(err)
		}
		var (
			mu    sync.Mutex
			n     int
			order = map[int64][]int64{} // ticket → event ids of accepted deliveries
			ids   = map[string]bool{}
		)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			var p webhook.Payload
			body, _ := io.ReadAll(req.Body)
			if err := json.Unmarshal(body, &p); err != nil {
				t.Errorf("payload: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			n++
			if n%3 == 0 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			order[p.Data.TicketID] = append(order[p.Data.TicketID], eventID(p.ID))
			ids[p.ID] = true
		}))
		defer srv.Close()
		var svcs []*inbox.Service
		var hooks *webhook.Service
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel()
		for i := range 2 {
			svc := inbox.New(st, inbox.Options{})
			sched := jobs.New(st, jobs.Options{Workers: 4, Poll: 10 * time.Millisecond})
			w := webhook.New(st, svc, sched, webhook.Options{BaseBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
			if err := w.Enable(ctx); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				hooks = w
			}
			svcs = append(svcs, svc)
			wg.Add(2)
			go func() {
				defer wg.Done()
				_ = svc.RunConsumers(ctx, inbox.ConsumeOptions{Instance: fmt.Sprint("i", i), Poll: 10 * time.Millisecond})
			}()
			go func() { defer wg.Done(); _ = sched.Run(ctx) }()
		}
		sub, err := hooks.Create(ctx, webhook.Input{URL: srv.URL, Enabled: true,
			Events: []string{inbox.EventTicketCreated, inbox.EventMessageCreated, inbox.EventTicketUpdated}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		for round := range 4 {
			for _, th := range []string{"p", "q", "r"} {
				_, err := svcs[round%2].Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: fmt.Sprintf("%s-%d", th, round),
					ThreadKeys: []string{th}, OwnKeys: []string{th}, Contact: inbox.ContactRef{Kind: inbox.IdentityAPI, ID: "c-" + th, Verified: true}, Text: "문의 " + th})
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			var queued, pendingN int64
			st.DB.Model(&store.WebhookDelivery{}).Where("subscription_id = ?", sub.ID).Count(&queued)
			st.DB.Model(&store.WebhookDelivery{}).Where("subscription_id = ? AND status <> ?", sub.ID, store.WebhookDelivered).Count(&pendingN)
			// 3 tickets × (created + 4 messages + 3 updates for the later messages).
			if queued == 3*8 && pendingN == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d queued, %d not delivered after 60 s", queued, pendingN)
			}
			time.Sleep(10 * time.Millisecond) // safety net: the instances run on their own
		}
		mu.Lock()
		defer mu.Unlock()
		if len(ids) != 24 || len(order) != 3 {
			t.Fatalf("%d distinct payloads on %d tickets", len(ids), len(order))
		}
		for tid, evs := range order {
			for i := 1; i < len(evs); i++ {
				if evs[i] < evs[i-1] {
					t.Fatalf("ticket %d: events arrived as %v", tid, evs)
				}
			}
		}
	})
}

// TestAttemptAtomicWithState: an attempt is logged in the transaction that
// records the delivery's state, so when that write fails (here the
// delivery update, made to fail once) the log holds no attempt the
// delivery does not count; the job is tried again and then both agree.
func TestAttemptAtomicWithState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		// Registered before newEnv starts the consumers: gorm's callback
		// chain is not safe to change while other goroutines use the DB.
		var failing sync.Mutex
		fail := true
		if err := st.DB.Callback().Update().Before("gorm:update").Register("test:fail_delivery_update", func(db *gorm.DB) {
			failing.Lock()
			defer failing.Unlock()
			if fail && db.Statement.Table == "webhook_deliveries" {
				if m, isMap := db.Statement.Dest.(map[string]any); isMap {
					if _, ok := m["attempts"]; ok {
						fail = false
						_ = db.AddError(fmt.Errorf("injected failure"))
					}
				}
			}
		}); err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, st)
		rcv := newReceiver(t, e.clock)
		sub, err := e.hooks.Create(e.ctx, webhook.Input{URL: rcv.srv.URL, Enabled: true, Events: []string{inbox.EventTicketCreated}}, e.agent.ID)
		if err != nil {
			t.Fatal(err)
		}
		rcv.secret = sub.Secret
		d, err := e.hooks.SendTest(e.ctx, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		check := func(wantAttempts int, wantStatus string) {
			t.Helper()
			var got store.WebhookDelivery
			if err := st.DB.Take(&got, d.ID).Error; err != nil {
				t.Fatal(err)
			}
			var logged int64
			if err := st.DB.Model(&store.WebhookAttempt{}).Where("delivery_id = ?", d.ID).Count(&logged).Error; err != nil {
				t.Fatal(err)
			}
			if got.Attempts != wantAttempts || int(logged) != wantAttempts || got.Status != wantStatus {
				t.Fatalf("delivery counts %d attempts (%s), log holds %d; want %d (%s)", got.Attempts, got.Status, logged, wantAttempts, wantStatus)
			}
		}
		e.runDue()
		if n := len(rcv.requests()); n != 1 {
			t.Fatalf("%d requests, want 1", n)
		}
		check(0, store.WebhookPending)
		e.clock.Add(time.Hour)
		e.runDue()
		check(1, store.WebhookDelivered)
	})
}
