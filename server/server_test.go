package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hanbox/hanbox/auth"
	_ "github.com/hanbox/hanbox/connectors/all"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/server"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// testServer is a real Hanbox on loopback.
type testServer struct {
	t     testing.TB
	srv   *server.Server
	http  *httptest.Server
	token string // admin bearer token
}

func newTestServer(t testing.TB, dialect string) *testServer {
	t.Helper()
	dsn := ""
	if dialect == store.Postgres {
		dsn = storetest.PostgresDSN(t)
	}
	return newTestServerDSN(t, dsn, "admin@example.com")
}

func newTestServerDSN(t testing.TB, dsn, admin string, tune ...func(*server.Server)) *testServer {
	t.Helper()
	cfg := server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), LogLevel: "error", DatabaseURL: dsn}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Dispatch.BaseBackoff = 20 * time.Millisecond
	srv.Dispatch.MaxBackoff = 200 * time.Millisecond
	srv.Dispatch.Poll = 20 * time.Millisecond
	for _, f := range tune {
		f(srv)
	}
	srv.Start(ctx)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		cancel()
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if err := auth.CreateAgent(ctx, srv.Store, admin, "관리자", store.RoleAdmin, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, srv: srv, http: hs}
	var login struct {
		Token string `json:"token"`
	}
	ts.do("POST", "/api/v1/auth/login", "", map[string]string{"email": admin, "password": "correct horse battery"}, 200, &login)
	ts.token = login.Token
	return ts
}

// do sends a JSON request and checks the status; out, if not nil, receives the body.
func (ts *testServer) do(method, path, bearer string, body any, want int, out any) []byte {
	ts.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		r = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, ts.http.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer == "" {
		bearer = ts.token
	}
	if bearer != "-" && bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		ts.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			ts.t.Fatalf("%s %s: decode: %v: %s", method, path, err, raw)
		}
	}
	return raw
}

type webhookRecorder struct {
	mu       sync.Mutex
	bodies   [][]byte
	sigs     []string
	failures int // answer 503 this many times first
	srv      *httptest.Server
}

func newWebhook(t *testing.T, failures int) *webhookRecorder {
	w := &webhookRecorder{failures: failures}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.failures > 0 {
			w.failures--
			rw.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.bodies = append(w.bodies, b)
		w.sigs = append(w.sigs, r.Header.Get("X-Hanbox-Signature"))
		fmt.Fprintf(rw, `{"id":"ext-%d"}`, len(w.bodies))
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhookRecorder) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.bodies)
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

type channelCreated struct {
	Channel struct {
		ID int64 `json:"id"`
	} `json:"channel"`
	Token         string `json:"token"`
	WebhookSecret string `json:"webhook_secret"`
}

func TestAPIChannelEndToEnd(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			ts := newTestServer(t, d)
			hook := newWebhook(t, 2) // the first two deliveries fail: the dispatcher must retry
			var ch channelCreated
			ts.do("POST", "/api/v1/channels", "", map[string]any{"kind": "api", "name": "Shop", "settings": map[string]any{"webhook_url": hook.srv.URL}}, 201, &ch)
			if ch.Token == "" || ch.WebhookSecret == "" {
				t.Fatalf("channel token and webhook secret must be shown once: %+v", ch)
			}
			inbound := fmt.Sprintf("/api/v1/channels/%d/inbound", ch.Channel.ID)
			body := map[string]any{"external_id": "order-1-msg-1", "thread_key": "order-1",
				"contact": map[string]any{"external_id": "u-1", "name": "김민지", "email": "minji@example.com"}, "text": "배송이 아직 안 왔어요"}
			var first, dup struct {
				TicketID  string `json:"ticket_id"`
				MessageID int64  `json:"message_id"`
				Duplicate bool   `json:"duplicate"`
			}
			ts.do("POST", inbound, ch.Token, body, 201, &first)
			ts.do("POST", inbound, ch.Token, body, 200, &dup)
			if !dup.Duplicate || dup.MessageID != first.MessageID || dup.TicketID != first.TicketID || first.TicketID == "" {
				t.Fatalf("duplicate answer %+v for first %+v", dup, first)
			}
			// Search in Korean finds the ticket by a word inside a longer word.
			var list struct {
				Items []struct {
					ID      string `json:"id"`
					Number  int64  `json:"number"`
					Contact struct{ Name string }
				} `json:"items"`
			}
			ts.do("GET", "/api/v1/tickets?q="+url.QueryEscape("배송"), "", nil, 200, &list)
			if len(list.Items) != 1 || list.Items[0].ID != first.TicketID || list.Items[0].Contact.Name != "김민지" {
				t.Fatalf("search: %+v", list)
			}
			// Reply: queued, retried past two failures, delivered once, signed.
			var msg struct {
				ID             int64  `json:"id"`
				DeliveryStatus string `json:"delivery_status"`
			}
			ts.do("POST", "/api/v1/tickets/"+first.TicketID+"/replies", "", map[string]any{"text": "내일 도착 예정입니다."}, 201, &msg)
			if msg.DeliveryStatus != "queued" {
				t.Fatalf("new reply status %q, want queued", msg.DeliveryStatus)
			}
			eventually(t, "webhook delivery", func() bool { return hook.count() == 1 })
			var tk struct {
				Messages []struct {
					ID             int64  `json:"id"`
					DeliveryStatus string `json:"delivery_status"`
				} `json:"messages"`
			}
			eventually(t, "sent status", func() bool {
				ts.do("GET", "/api/v1/tickets/"+first.TicketID, "", nil, 200, &tk)
				return len(tk.Messages) == 2 && tk.Messages[1].DeliveryStatus == "sent"
			})
			hook.mu.Lock()
			mac := hmac.New(sha256.New, []byte(ch.WebhookSecret))
			mac.Write(hook.bodies[0])
			want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
			if hook.sigs[0] != want {
				t.Errorf("signature %q, want %q", hook.sigs[0], want)
			}
			var wh struct {
				Text      string `json:"text"`
				ThreadKey string `json:"thread_key"`
				InReplyTo string `json:"in_reply_to"`
			}
			json.Unmarshal(hook.bodies[0], &wh)
			hook.mu.Unlock()
			if wh.Text != "내일 도착 예정입니다." || wh.ThreadKey != "order-1" || wh.InReplyTo != "order-1-msg-1" {
				t.Errorf("webhook body %+v", wh)
			}
			// The row is recorded sent (above) after its send, which ends its
			// deliveries: the count is final.
			if n := hook.count(); n != 1 {
				t.Errorf("webhook delivered %d times, want 1", n)
			}
			// Notes, status, assignment, tags.
			ts.do("POST", "/api/v1/tickets/"+first.TicketID+"/notes", "", map[string]any{"text": "VIP 고객"}, 201, nil)
			ts.do("PATCH", "/api/v1/tickets/"+first.TicketID, "", map[string]any{"status": "resolved", "assignee": "me", "tags": []string{"배송", "vip"}}, 200, nil)
			var resolved struct {
				Status   string   `json:"status"`
				Tags     []string `json:"tags"`
				Assignee *struct{ Email string }
			}
			ts.do("GET", "/api/v1/tickets/"+first.TicketID, "", nil, 200, &resolved)
			if resolved.Status != "resolved" || len(resolved.Tags) != 2 || resolved.Assignee == nil || resolved.Assignee.Email != "admin@example.com" {
				t.Fatalf("after patch: %+v", resolved)
			}
			// A customer message on a resolved ticket reopens it.
			body["external_id"] = "order-1-msg-2"
			body["text"] = "감사합니다!"
			ts.do("POST", inbound, ch.Token, body, 201, nil)
			ts.do("GET", "/api/v1/tickets/"+first.TicketID, "", nil, 200, &resolved)
			if resolved.Status != "open" {
				t.Fatalf("status after customer reply = %q, want open", resolved.Status)
			}
		})
	}
}

func TestAPIRejectsBadInput(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	var ch channelCreated
	ts.do("POST", "/api/v1/channels", "", map[string]any{"kind": "api", "name": "Shop"}, 201, &ch)
	inbound := fmt.Sprintf("/api/v1/channels/%d/inbound", ch.Channel.ID)
	big := `{"external_id":"x","contact":{"external_id":"c"},"text":"` + strings.Repeat("a", 37<<20) + `"}`
	cases := []struct {
		name, method, path, bearer string
		body                       any
		want                       int
		code                       string
	}{
		{"malformed json", "POST", inbound, ch.Token, `{"external_id": "x", `, 400, "bad_json"},
		{"wrong type", "POST", inbound, ch.Token, `{"external_id": 5, "contact": {"external_id": "c"}, "text": "hi"}`, 400, "bad_json"},
		{"missing external id", "POST", inbound, ch.Token, `{"contact": {"external_id": "c"}, "text": "hi"}`, 422, "invalid"},
		{"empty message", "POST", inbound, ch.Token, `{"external_id": "e", "contact": {"external_id": "c"}}`, 422, "invalid"},
		{"oversize", "POST", inbound, ch.Token, big, 413, "too_large"},
		{"wrong token", "POST", inbound, "not-the-token", `{"external_id": "x", "contact": {"external_id": "c"}, "text": "hi"}`, 401, "unauthorized"},
		{"no token", "POST", inbound, "-", `{"external_id": "x", "contact": {"external_id": "c"}, "text": "hi"}`, 401, "unauthorized"},
		{"unknown channel", "POST", "/api/v1/channels/999/inbound", ch.Token, `{}`, 404, "not_found"},
		{"unknown ticket", "GET", "/api/v1/tickets/nope", "", nil, 404, "not_found"},
		{"bad status filter", "GET", "/api/v1/tickets?status=weird", "", nil, 400, "bad_status"},
		{"bad cursor", "GET", "/api/v1/tickets?cursor=zzz", "", nil, 400, "bad_cursor"},
		{"unknown field", "POST", "/api/v1/channels", "", `{"kind":"api","name":"x","bogus":1}`, 400, "bad_json"},
		{"unknown kind", "POST", "/api/v1/channels", "", `{"kind":"fax","name":"x"}`, 422, "invalid"},
		{"signed out", "GET", "/api/v1/tickets", "-", nil, 401, "unauthorized"},
		{"unknown endpoint", "GET", "/api/v1/nothing", "", nil, 404, "not_found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var e struct {
				Error struct{ Code, Message string }
			}
			ts.do(c.method, c.path, c.bearer, c.body, c.want, &e)
			if e.Error.Code != c.code || e.Error.Message == "" {
				t.Fatalf("error %+v, want code %q with a message", e, c.code)
			}
		})
	}
	// Nothing half-written: no ticket, contact or message exists.
	for _, m := range []any{&store.Ticket{}, &store.Contact{}, &store.Message{}} {
		var n int64
		ts.srv.Store.DB.Model(m).Count(&n)
		if n != 0 {
			t.Fatalf("%T rows = %d after refused requests", m, n)
		}
	}
}

func TestRolesAndCSRF(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.do("POST", "/api/v1/agents", "", map[string]any{"email": "agent@example.com", "name": "상담원", "password": "agent password 1"}, 201, nil)
	var login struct {
		Token     string `json:"token"`
		CSRFToken string `json:"csrf_token"`
	}
	ts.do("POST", "/api/v1/auth/login", "-", map[string]string{"email": "agent@example.com", "password": "agent password 1"}, 200, &login)
	// An agent cannot create channels.
	ts.do("POST", "/api/v1/channels", login.Token, map[string]any{"kind": "api", "name": "x"}, 403, nil)

	// Cookie-authenticated writes need the CSRF token.
	cookieReq := func(csrf string) int {
		req, _ := http.NewRequest("POST", ts.http.URL+"/api/v1/tokens", strings.NewReader(`{"name":"ci"}`))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: login.Token})
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := cookieReq(""); got != 403 {
		t.Fatalf("cookie write without CSRF: %d, want 403", got)
	}
	if got := cookieReq("0123456789abcdef0123456789abcdef"); got != 403 {
		t.Fatalf("cookie write with a wrong CSRF token: %d, want 403", got)
	}
	if got := cookieReq(login.CSRFToken); got != 201 {
		t.Fatalf("cookie write with CSRF: %d, want 201", got)
	}
	// Login is rate limited per address and client.
	for i := 0; i < 10; i++ {
		ts.do("POST", "/api/v1/auth/login", "-", map[string]string{"email": "agent@example.com", "password": "wrong"}, 401, nil)
	}
	ts.do("POST", "/api/v1/auth/login", "-", map[string]string{"email": "agent@example.com", "password": "agent password 1"}, 429, nil)
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	ts.do("GET", "/api/v1/openapi.json", "-", nil, 200, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") || len(doc.Paths) < 25 {
		t.Fatalf("openapi %q with %d paths", doc.OpenAPI, len(doc.Paths))
	}
	param := regexp.MustCompile(`\{[a-z_]+\}`)
	for path, ops := range doc.Paths {
		for method := range ops {
			// Every documented operation reaches a real handler: a request with
			// a bogus id answers with the handler's error, never the mux's
			// generic not-found for an unknown endpoint.
			p := param.ReplaceAllString(path, "0")
			req, _ := http.NewRequest(strings.ToUpper(method), ts.http.URL+"/api/v1"+p, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+ts.token)
			if path == "/events" {
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				req = req.WithContext(ctx)
				defer cancel()
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if strings.Contains(string(b), "no such endpoint") || resp.StatusCode == 405 {
				t.Errorf("%s %s is documented but not routed (%d)", method, path, resp.StatusCode)
			}
		}
	}
	// And the reverse: an undocumented path is not routed.
	ts.do("GET", "/api/v1/undocumented", "", nil, 404, nil)
}

func TestHealthReadyMetrics(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": "hanbox_outbox_pending"} {
		resp, err := http.Get(ts.http.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		if !strings.Contains(string(b), want) {
			t.Fatalf("%s: %q", path, b)
		}
	}
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}

func TestEventsStream(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	var ch channelCreated
	ts.do("POST", "/api/v1/channels", "", map[string]any{"kind": "api", "name": "Shop"}, 201, &ch)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.http.URL+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+ts.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	lines := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		var acc string
		for {
			n, err := resp.Body.Read(buf)
			acc += string(buf[:n])
			for {
				i := strings.Index(acc, "\n")
				if i < 0 {
					break
				}
				lines <- acc[:i]
				acc = acc[i+1:]
			}
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	eventually(t, "stream subscribed", func() bool { return ts.srv.Inbox.Bus().Subscribers() > 0 })
	ts.do("POST", fmt.Sprintf("/api/v1/channels/%d/inbound", ch.Channel.ID), ch.Token,
		map[string]any{"external_id": "e1", "contact": map[string]any{"external_id": "u"}, "text": "새 문의"}, 201, nil)
	want := map[string]bool{"event: ticket.created": false, "event: message.created": false}
	deadline := time.After(60 * time.Second)
	for !want["event: ticket.created"] || !want["event: message.created"] {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("stream ended")
			}
			if _, ok := want[l]; ok {
				want[l] = true
			}
		case <-deadline:
			t.Fatalf("events not received: %v", want)
		}
	}
	// Signed-out clients get no stream.
	r2, _ := http.Get(ts.http.URL + "/api/v1/events")
	r2.Body.Close()
	if r2.StatusCode != 401 {
		t.Fatalf("anonymous stream: %d", r2.StatusCode)
	}
}

// TestFailedDeliveriesAdmin: an admin lists deliveries that failed for
// good, with the reason, and queues one again by its outbox id.
func TestFailedDeliveriesAdmin(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	hook := newWebhook(t, 0)
	var ch channelCreated
	ts.do("POST", "/api/v1/channels", "", map[string]any{"kind": "api", "name": "Shop", "settings": map[string]any{"webhook_url": hook.srv.URL}}, 201, &ch)
	var in struct {
		TicketID string `json:"ticket_id"`
	}
	ts.do("POST", fmt.Sprintf("/api/v1/channels/%d/inbound", ch.Channel.ID), ch.Token,
		map[string]any{"external_id": "x", "contact": map[string]any{"external_id": "u"}, "text": "hello"}, 201, &in)
	var m struct{ ID int64 }
	ts.do("POST", "/api/v1/tickets/"+in.TicketID+"/replies", "", map[string]any{"text": "답변"}, 201, &m)
	eventually(t, "first delivery", func() bool { return hook.count() == 1 })
	// The delivery is recorded as failed, as after a customer's server refused it.
	db := ts.srv.Store.DB
	eventually(t, "sent recorded", func() bool {
		var row store.Outbox
		return db.Where("message_id = ?", m.ID).Take(&row).Error == nil && row.Status == store.OutboxSent
	})
	if err := db.Model(&store.Outbox{}).Where("message_id = ?", m.ID).Updates(map[string]any{"status": store.OutboxFailed, "last_error": "webhook answered 410 Gone"}).Error; err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []struct {
			ID        int64  `json:"id"`
			Purpose   string `json:"purpose"`
			Ticket    string `json:"ticket"`
			MessageID int64  `json:"message_id"`
			LastError string `json:"last_error"`
			Channel   string `json:"channel_name"`
		} `json:"items"`
	}
	ts.do("GET", "/api/v1/deliveries/failed", "", nil, 200, &list)
	if len(list.Items) != 1 || list.Items[0].MessageID != m.ID || list.Items[0].LastError != "webhook answered 410 Gone" ||
		list.Items[0].Purpose != store.PurposeReply || list.Items[0].Ticket != in.TicketID || list.Items[0].Channel != "Shop" {
		t.Fatalf("failed deliveries %+v", list.Items)
	}
	// Agents cannot see or retry them.
	if err := auth.CreateAgent(context.Background(), ts.srv.Store, "lee@example.com", "Lee", store.RoleAgent, "long enough password"); err != nil {
		t.Fatal(err)
	}
	var lee struct{ Token string }
	ts.do("POST", "/api/v1/auth/login", "-", map[string]string{"email": "lee@example.com", "password": "long enough password"}, 200, &lee)
	ts.do("GET", "/api/v1/deliveries/failed", lee.Token, nil, 403, nil)
	ts.do("POST", fmt.Sprintf("/api/v1/deliveries/%d/retry", list.Items[0].ID), lee.Token, nil, 403, nil)
	ts.do("POST", fmt.Sprintf("/api/v1/deliveries/%d/retry", list.Items[0].ID), "", nil, 200, nil)
	eventually(t, "delivered again", func() bool { return hook.count() == 2 })
	ts.do("POST", fmt.Sprintf("/api/v1/deliveries/%d/retry", list.Items[0].ID), "", nil, 422, nil)
	ts.do("POST", "/api/v1/deliveries/999999/retry", "", nil, 404, nil)
	ts.do("GET", "/api/v1/parked-events", "", nil, 200, nil)
	ts.do("POST", "/api/v1/parked-events/999999/retry", "", nil, 404, nil)
}

// openStream opens /api/v1/events with a bearer token and returns a channel
// closed when the stream ends.
func openStream(t *testing.T, ts *testServer, token string) <-chan struct{} {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.http.URL+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	// The handler subscribes before it answers; its first line says so.
	br := bufio.NewReader(resp.Body)
	if l, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(l, "retry:") {
		t.Fatalf("stream began with %q: %v", l, err)
	}
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		defer resp.Body.Close()
		io.Copy(io.Discard, br)
	}()
	return ended
}

// TestRevokedStreamsEnd: an event stream authorized at connect ends at once
// when its agent is deactivated, signs out, has the password reset, or
// deletes the token it was opened with; other agents' streams go on.
func TestRevokedStreamsEnd(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	login := func(email string) string {
		var l struct{ Token string }
		ts.do("POST", "/api/v1/auth/login", "-", map[string]string{"email": email, "password": "long enough password"}, 200, &l)
		return l.Token
	}
	agent := func(email string) int64 {
		var a struct{ ID int64 }
		ts.do("POST", "/api/v1/agents", "", map[string]any{"email": email, "name": email, "password": "long enough password"}, 201, &a)
		return a.ID
	}
	ended := func(what string, stream <-chan struct{}) {
		t.Helper()
		select {
		case <-stream:
		case <-time.After(10 * time.Second): // a safety net; the stream ends at once
			t.Fatalf("stream still open after %s", what)
		}
	}
	bystander := openStream(t, ts, ts.token)

	kim := agent("kim@example.com")
	stream := openStream(t, ts, login("kim@example.com"))
	ts.do("PATCH", fmt.Sprintf("/api/v1/agents/%d", kim), "", map[string]any{"active": false}, 200, nil)
	ended("deactivation", stream)

	agent("lee@example.com")
	tok := login("lee@example.com")
	stream = openStream(t, ts, tok)
	ts.do("POST", "/api/v1/auth/logout", tok, nil, 200, nil)
	ended("logout", stream)

	park := agent("park@example.com")
	stream = openStream(t, ts, login("park@example.com"))
	ts.do("PATCH", fmt.Sprintf("/api/v1/agents/%d", park), "", map[string]any{"password": "a new long password"}, 200, nil)
	ended("password reset", stream)

	var api struct{ Token string }
	ts.do("POST", "/api/v1/tokens", "", map[string]any{"name": "ci"}, 201, &api)
	var list struct {
		Items []struct{ ID int64 }
	}
	ts.do("GET", "/api/v1/tokens", "", nil, 200, &list)
	stream = openStream(t, ts, api.Token)
	ts.do("DELETE", fmt.Sprintf("/api/v1/tokens/%d", list.Items[len(list.Items)-1].ID), "", nil, 200, nil)
	ended("token deletion", stream)

	select {
	case <-bystander:
		t.Fatal("the admin's own stream ended")
	default:
	}
}

// TestInstancesShareEvents runs two servers on one PostgreSQL database: a
// message ingested through one reaches the event bus of the other.
func TestInstancesShareEvents(t *testing.T) {
	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Skip("needs HANBOX_TEST_POSTGRES")
	}
	dsn := storetest.PostgresDSN(t)
	a := newTestServerDSN(t, dsn, "a@example.com")
	b := newTestServerDSN(t, dsn, "b@example.com")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := b.srv.Inbox.Bus().Subscribe(ctx, 16, func(e inbox.Event) bool { return e.Type == inbox.EventTicketCreated })
	waitRelay(t, a, b)
	var ch channelCreated
	a.do("POST", "/api/v1/channels", "", map[string]any{"kind": "api", "name": "Shop"}, 201, &ch)
	a.do("POST", fmt.Sprintf("/api/v1/channels/%d/inbound", ch.Channel.ID), ch.Token,
		map[string]any{"external_id": "x", "contact": map[string]any{"external_id": "u"}, "text": "hello"}, 201, nil)
	select {
	case e := <-events:
		if !e.Remote || e.TicketID == 0 {
			t.Fatalf("event %+v", e)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("instance b did not receive the event")
	}
}

// TestRelayCarriesLargeEvents runs two servers on one PostgreSQL database:
// events far over PostgreSQL's 8000-byte notification limit reach the other
// instance whole, a durable one (a ticket update with many long tags) and
// an ephemeral one (a widget delivery frame carrying a long reply); one
// that cannot be carried is counted and logged, not lost silently.
func TestRelayCarriesLargeEvents(t *testing.T) {
	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Skip("needs HANBOX_TEST_POSTGRES")
	}
	dsn := storetest.PostgresDSN(t)
	a := newTestServerDSN(t, dsn, "a@example.com")
	b := newTestServerDSN(t, dsn, "b@example.com")
	waitRelay(t, a, b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := b.srv.Inbox.Bus().Subscribe(ctx, 16, func(e inbox.Event) bool {
		return e.Remote && (e.Type == inbox.EventTicketUpdated && e.Changes != nil && e.Changes.Tags != nil || e.Type == "widget.deliver")
	})
	var ch channelCreated
	a.do("POST", "/api/v1/channels", "", map[string]any{"kind": "api", "name": "Shop"}, 201, &ch)
	var in struct {
		TicketID string `json:"ticket_id"`
	}
	a.do("POST", fmt.Sprintf("/api/v1/channels/%d/inbound", ch.Channel.ID), ch.Token,
		map[string]any{"external_id": "x", "contact": map[string]any{"external_id": "u"}, "text": "hello"}, 201, &in)
	var tags []string
	for i := 0; i < 150; i++ {
		tags = append(tags, fmt.Sprintf("%03d-%s", i, strings.Repeat("태", 19)))
	}
	a.do("PATCH", "/api/v1/tickets/"+in.TicketID, "", map[string]any{"tags": tags}, 200, nil)
	reply := strings.Repeat("긴 답변입니다. ", 1000) // ~19 KB
	a.srv.Inbox.Bus().Publish(inbox.Event{Type: "widget.deliver", ChannelID: 7, MessageID: 9, Data: map[string]any{"frame": map[string]any{"type": "message", "text": reply}}})
	got := map[string]inbox.Event{}
	for len(got) < 2 {
		select {
		case e := <-events:
			got[e.Type] = e
		case <-time.After(15 * time.Second):
			t.Fatalf("b received %d of 2 large events", len(got))
		}
	}
	up := got[inbox.EventTicketUpdated]
	if b, _ := json.Marshal(up); len(b) < 8000 || len(up.Changes.Tags.New) != 150 || up.Changes.Tags.New[149] != tags[149] || up.ID == 0 {
		t.Fatalf("ticket update arrived with %d tags (%d bytes)", len(up.Changes.Tags.New), len(b))
	}
	frame, _ := got["widget.deliver"].Data["frame"].(map[string]any)
	if frame["text"] != reply || got["widget.deliver"].MessageID != 9 {
		t.Fatalf("widget frame arrived with %d of %d bytes of text", len(fmt.Sprint(frame["text"])), len(reply))
	}
	// An event that cannot be encoded is counted.
	a.srv.Inbox.Bus().Publish(inbox.Event{Type: "probe.bad", Data: map[string]any{"c": make(chan int)}})
	eventually(t, "the drop counted", func() bool {
		return strings.Contains(string(a.do("GET", "/metrics", "-", nil, 200, nil)), `hanbox_relay_dropped_total{reason="encode"} 1`)
	})
}

// waitRelay waits until events published on a reach b (b's relay listens).
func waitRelay(t *testing.T, a, b *testServer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	probes := b.srv.Inbox.Bus().Subscribe(ctx, 16, func(e inbox.Event) bool { return e.Type == "probe" && e.Remote })
	eventually(t, "relay connected", func() bool {
		a.srv.Inbox.Bus().Publish(inbox.Event{Type: "probe"})
		select {
		case <-probes:
			return true
		case <-time.After(100 * time.Millisecond):
			return false
		}
	})
}
