package widget

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hanbox/hanbox/connectors/conntest"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

const (
	testOrigin = "https://shop.example"
	testSecret = "s3cret-identity-key"
)

// harness is a running core with one widget channel behind an HTTP server
// that mounts the runtime at /connectors/ and the script at /widget.js,
// as cmd/hanbox does.
type harness struct {
	t    testing.TB
	env  *conntest.Env
	ch   store.Channel
	srv  *httptest.Server
	conn *Channel
	// prefix replaces /connectors/widget/{key} for a channel served alone.
	prefix string
	// kb, when set, serves /api/v1/kb/ in place of fakeSuggest (a test's
	// real knowledge base: see helpAPI).
	kb http.Handler
}

func eachDialect(t *testing.T, fn func(t *testing.T, dialect string)) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}

func loadSettings(t testing.TB, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func newHarness(t testing.TB, dialect string, settings map[string]any) *harness {
	t.Helper()
	return newHarnessWrapped(t, dialect, settings, nil)
}

// newHarnessWrapped lets a test put middleware (a proxy that blocks
// WebSockets) in front of the runtime.
func newHarnessWrapped(t testing.TB, dialect string, settings map[string]any, wrap func(http.Handler) http.Handler) *harness {
	t.Helper()
	return newHarnessWith(t, dialect, settings, wrap, inbox.Options{})
}

// newHarnessWith builds the harness over an inbox with the given options.
func newHarnessWith(t testing.TB, dialect string, settings map[string]any, wrap func(http.Handler) http.Handler, opts inbox.Options) *harness {
	t.Helper()
	env := conntest.NewWith(t, dialect, opts)
	if settings == nil {
		settings = loadSettings(t, "settings.json")
	}
	ch := env.AddChannel(Kind, "Website", settings, map[string]any{"identity_secret": testSecret}, "")
	env.Start()
	mux := http.NewServeMux()
	var rt http.Handler = env.Runtime
	if wrap != nil {
		rt = wrap(rt)
	}
	mux.Handle("/connectors/", rt)
	mux.Handle("GET /widget.js", ScriptHandler())
	h := &harness{t: t, env: env, ch: ch}
	// Hanbox's public help endpoints: faked, or a test's knowledge base.
	mux.Handle("GET /api/v1/kb/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.kb != nil {
			h.kb.ServeHTTP(w, r)
		} else if r.URL.Path == "/api/v1/kb/suggest" {
			fakeSuggest.ServeHTTP(w, r)
		} else {
			http.NotFound(w, r)
		}
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	h.srv = srv
	env.Eventually("widget channel running", func() bool {
		c, ok := env.Runtime.Connector(ch.ID)
		if ok {
			h.conn = c.(*Channel)
		}
		return ok
	})
	return h
}

func (h *harness) url(path string) string {
	if h.prefix != "" {
		return h.srv.URL + h.prefix + path
	}
	return h.srv.URL + "/connectors/widget/" + h.ch.PublicKey + path
}

// do sends a JSON request from the test origin and decodes the answer.
func (h *harness) do(method, path, token string, body any, out any) *http.Response {
	h.t.Helper()
	return h.doFrom(testOrigin, method, path, token, body, out)
}

// doFrom is do from another origin (Hanbox's own, for conversation pages).
func (h *harness) doFrom(origin, method, path, token string, body any, out any) *http.Response {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.url(path), rd)
	req.Header.Set("Origin", origin)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			h.t.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp
}

func (h *harness) session(req SessionRequest) SessionResponse {
	h.t.Helper()
	if req.Page == nil {
		req.Page = &pageInfo{URL: testOrigin + "/pricing", Title: "Pricing", Referrer: "https://search.example/"}
	}
	var s SessionResponse
	resp := h.do("POST", "/session", "", req, &s)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		h.t.Fatalf("session: %d %s", resp.StatusCode, b)
	}
	return s
}

// client is a visitor's WebSocket.
type client struct {
	t    testing.TB
	conn *websocket.Conn
	ctx  context.Context
	buf  []frame // frames read while waiting for "ready"
}

func (h *harness) dial(token string, origin string, query string) (*client, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	h.t.Cleanup(cancel)
	u := "ws" + strings.TrimPrefix(h.url("/ws"), "http") + "?token=" + token + query
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {origin}}})
	if err != nil {
		return nil, resp, err
	}
	h.t.Cleanup(func() { conn.CloseNow() })
	c := &client{t: h.t, conn: conn, ctx: ctx}
	// The server registers the socket, sends what was missed, then "ready".
	for {
		f, err := c.read()
		if err != nil {
			return nil, resp, err
		}
		if f.Type == "ready" {
			return c, resp, nil
		}
		c.buf = append(c.buf, f)
	}
}

func (c *client) read() (frame, error) {
	_, b, err := c.conn.Read(c.ctx)
	if err != nil {
		return frame{}, err
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		c.t.Fatalf("bad frame %q: %v", b, err)
	}
	return f, nil
}

func (h *harness) mustDial(token string, query string) *client {
	h.t.Helper()
	c, _, err := h.dial(token, testOrigin, query)
	if err != nil {
		h.t.Fatalf("dial: %v", err)
	}
	return c
}

func (c *client) send(f frame) {
	c.t.Helper()
	b, _ := json.Marshal(f)
	if err := c.conn.Write(c.ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// next reads frames until one of type typ arrives.
func (c *client) next(typ string) frame {
	c.t.Helper()
	for {
		var f frame
		if len(c.buf) > 0 {
			f, c.buf = c.buf[0], c.buf[1:]
		} else {
			var err error
			if f, err = c.read(); err != nil {
				c.t.Fatalf("read (waiting for %s): %v", typ, err)
			}
		}
		if f.Type == typ || (typ != "error" && f.Type == "error") {
			return f
		}
	}
}

func (c *client) message(clientID, text string) frame {
	c.t.Helper()
	c.send(frame{Type: "message", ClientID: clientID, Text: text,
		Page: &pageInfo{URL: testOrigin + "/pricing?plan=team", Title: "요금제 Pricing", Referrer: "https://search.example/"}, Locale: "ko-KR", TZ: "Asia/Seoul"})
	f := c.next("message")
	if f.Type != "message" {
		c.t.Fatalf("message %s: got %+v", clientID, f)
	}
	return f
}
