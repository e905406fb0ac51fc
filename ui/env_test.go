package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hanbox/hanbox/auth"
	_ "github.com/hanbox/hanbox/connectors/all"
	"github.com/hanbox/hanbox/server"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
	"github.com/hanbox/hanbox/ui"
)

// testEnv is a whole Hanbox (store, inbox, runtime, dispatcher, API, UI) on
// loopback, with an api channel whose webhook deliveries are recorded.
type testEnv struct {
	t        testing.TB
	ctx      context.Context
	srv      *server.Server
	ts       *httptest.Server
	hooks    *hookRecorder
	adminTok string
	chanID   int64
	chanTok  string

	mu     sync.Mutex
	served map[string]int // "GET /path" -> last status, as the browser saw it
}

// status returns the last status served for "METHOD /path", or 0.
func (e *testEnv) status(key string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.served[key]
}

// statusWriter records the status of a response; it passes Flush through
// for the event stream.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets WebSockets (the widget's, a conversation page's) hijack the
// connection underneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// hookRecorder is the api channel's customer system: it records webhooks.
type hookRecorder struct {
	fail  atomic.Bool // answer 400: the delivery fails after a few attempts
	mu    sync.Mutex
	got   []map[string]any
	srv   *httptest.Server
	count chan struct{}
}

func newHookRecorder(t testing.TB) *hookRecorder {
	h := &hookRecorder{count: make(chan struct{}, 100)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.fail.Load() {
			http.Error(w, "recipient system refused the message", http.StatusBadRequest)
			return
		}
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		h.mu.Lock()
		h.got = append(h.got, m)
		h.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"ext-1"}`)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// all returns the recorded webhook bodies.
func (h *hookRecorder) all() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any(nil), h.got...)
}

func (h *hookRecorder) texts() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, m := range h.got {
		s, _ := m["text"].(string)
		out = append(out, s)
	}
	return out
}

func newEnv(t testing.TB, dialect string) *testEnv {
	t.Helper()
	cfg := server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), LogLevel: "warn", BaseURL: "https://support.example.com",
		AllowPrivateWebhooks: true} // webhook receivers are httptest servers
	if dialect == store.Postgres {
		cfg.DatabaseURL = storetest.PostgresDSN(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, ui.Mount)
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	e := &testEnv{t: t, ctx: ctx, srv: srv, hooks: newHookRecorder(t), served: map[string]int{}}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		srv.Handler().ServeHTTP(sw, r)
		e.mu.Lock()
		e.served[r.Method+" "+r.URL.Path] = sw.status
		e.mu.Unlock()
	}))
	e.ts = ts
	// A refused webhook is retried a few times before it fails: keep those
	// retries quick.
	srv.Dispatch.BaseBackoff, srv.Dispatch.MaxBackoff = 20*time.Millisecond, 200*time.Millisecond
	srv.Start(ctx)
	t.Cleanup(func() {
		cancel()
		ts.CloseClientConnections()
		ts.Close()
		srv.Close()
	})
	if err := auth.CreateAgent(ctx, srv.Store, "admin@example.com", "Admin Kim", store.RoleAdmin, "admin-password"); err != nil {
		t.Fatal(err)
	}
	e.adminTok = e.login("admin@example.com", "admin-password")
	var res struct {
		Channel struct {
			ID int64 `json:"id"`
		} `json:"channel"`
		Token string `json:"token"`
	}
	e.call("POST", "/api/v1/channels", e.adminTok, map[string]any{"kind": "api", "name": "Shop API",
		"settings": map[string]any{"webhook_url": e.hooks.srv.URL}}, http.StatusCreated, &res)
	e.chanID, e.chanTok = res.Channel.ID, res.Token
	return e
}

// login signs in through the API and returns the session token.
func (e *testEnv) login(email, password string) string {
	e.t.Helper()
	var res struct {
		Token string `json:"token"`
	}
	e.call("POST", "/api/v1/auth/login", "", map[string]any{"email": email, "password": password}, http.StatusOK, &res)
	return res.Token
}

// call makes a JSON API request with a bearer token and checks the status.
func (e *testEnv) call(method, path, token string, body any, want int, out any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.ts.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// ingest pushes a customer message through the api channel (retrying while
// the runtime starts the channel) and returns the ticket's public id.
func (e *testEnv) ingest(msg map[string]any) string {
	e.t.Helper()
	b, _ := json.Marshal(msg)
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/channels/"+itoa(e.chanID)+"/inbound", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+e.chanTok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			e.t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK {
			var out struct {
				TicketID string `json:"ticket_id"`
			}
			_ = json.Unmarshal(body, &out)
			return out.TicketID
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("ingest: status %d: %s", resp.StatusCode, body)
		}
		time.Sleep(50 * time.Millisecond) // the runtime is still starting the channel
	}
}

// get fetches a page with an optional session cookie, without following redirects.
func (e *testEnv) get(path, session string) (*http.Response, string) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
	if session != "" {
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: session})
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitEvents re-checks cond each time the server publishes an event (a
// consumer's or a job's change is published as it commits) until it holds.
// Subscribing before the first check means no change is missed between a
// check and the wait. The timer only bounds a hang; nothing is timed.
func (e *testEnv) waitEvents(what string, cond func() bool) {
	e.t.Helper()
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	events := e.srv.Inbox.Bus().Subscribe(ctx, 1024, nil)
	hang := time.NewTimer(60 * time.Second)
	defer hang.Stop()
	for !cond() {
		select {
		case <-events:
		case <-hang.C:
			e.t.Fatalf("gave up waiting for %s", what)
		}
	}
}
