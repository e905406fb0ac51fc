package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/auth"
	_ "github.com/hanbox/hanbox/connectors/all"
	"github.com/hanbox/hanbox/server"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
	"github.com/hanbox/hanbox/ui"
)

// env is a whole Hanbox (API and web UI) on loopback with a signed-in admin
// and an api channel.
type env struct {
	t        testing.TB
	ctx      context.Context
	srv      *server.Server
	ts       *httptest.Server
	admin    string // admin bearer token
	chanID   int64
	chanTok  string
	adminID  int64
	password string
}

const adminPassword = "correct horse battery"

func newEnv(t testing.TB, dialect string) *env {
	t.Helper()
	cfg := server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), LogLevel: "error", BaseURL: "https://support.example.com",
		AllowPrivateWebhooks: true} // webhook receivers are httptest servers
	if dialect == store.Postgres {
		cfg.DatabaseURL = storetest.PostgresDSN(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, ui.Mount)
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	srv.Start(ctx)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		cancel()
		ts.CloseClientConnections()
		ts.Close()
		srv.Close()
	})
	if err := auth.CreateAgent(ctx, srv.Store, "admin@example.com", "관리자", store.RoleAdmin, adminPassword); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, srv: srv, ts: ts, password: adminPassword}
	var login struct {
		Token string `json:"token"`
		Agent struct {
			ID int64 `json:"id"`
		} `json:"agent"`
	}
	e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "admin@example.com", "password": adminPassword}, 200, &login)
	e.admin, e.adminID = login.Token, login.Agent.ID
	return e
}

// apiChannel creates an api channel for ingest.
func (e *env) apiChannel() {
	e.t.Helper()
	var res struct {
		Channel struct {
			ID int64 `json:"id"`
		} `json:"channel"`
		Token string `json:"token"`
	}
	e.call("POST", "/api/v1/channels", e.admin, map[string]any{"kind": "api", "name": "Shop"}, 201, &res)
	e.chanID, e.chanTok = res.Channel.ID, res.Token
}

// ingest pushes a customer message through the api channel (retrying while
// the runtime starts the channel) and returns the ticket's public id.
func (e *env) ingest(msg map[string]any) string {
	e.t.Helper()
	b, _ := json.Marshal(msg)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp := e.raw("POST", "/api/v1/channels/"+strconv.FormatInt(e.chanID, 10)+"/inbound", e.chanTok, "application/json", b)
		if resp.status == http.StatusCreated || resp.status == http.StatusOK {
			var out struct {
				TicketID string `json:"ticket_id"`
			}
			_ = json.Unmarshal(resp.body, &out)
			return out.TicketID
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("ingest: status %d: %s", resp.status, resp.body)
		}
		time.Sleep(50 * time.Millisecond) // safety net while the runtime starts the channel
	}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// apiError is the error body of the API.
type apiError struct {
	Error struct {
		Code    string         `json:"code"`
		Reason  string         `json:"reason"`
		Message string         `json:"message"`
		Params  map[string]any `json:"params"`
	} `json:"error"`
}

// raw sends body as is; rawPath is put on the wire unchanged (so %ff stays).
func (e *env) raw(method, rawPath, bearer, contentType string, body []byte) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.ts.URL+"/", rd)
	if err != nil {
		e.t.Fatal(err)
	}
	p, q, _ := strings.Cut(rawPath, "?")
	req.URL.Opaque = p
	req.URL.RawQuery = q
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, rawPath, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// call sends a JSON request and checks the status; out receives the body.
func (e *env) call(method, path, bearer string, body any, want int, out any) response {
	e.t.Helper()
	var b []byte
	if body != nil {
		if s, ok := body.(string); ok {
			b = []byte(s)
		} else {
			b, _ = json.Marshal(body)
		}
	}
	r := e.raw(method, path, bearer, "application/json", b)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, r.body, err)
		}
	}
	return r
}

// form posts an HTML form with the given cookies.
func (e *env) form(path string, v url.Values, cookies ...*http.Cookie) response {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.ts.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func urlQuery(s string) string { return url.QueryEscape(s) }

// waitEvents re-checks cond each time the server publishes an event (a
// consumer's or a job's change is published as it commits) until it holds.
// Subscribing before the first check means no change is missed between a
// check and the wait. The timer only bounds a hang; nothing is timed.
func (e *env) waitEvents(t testing.TB, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	events := e.srv.Inbox.Bus().Subscribe(ctx, 1024, nil)
	hang := time.NewTimer(60 * time.Second)
	defer hang.Stop()
	for !cond() {
		select {
		case <-events:
		case <-hang.C:
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}
