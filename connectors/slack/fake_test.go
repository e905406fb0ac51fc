package slack_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slacktest"
)

// Ids of the fake workspace.
const (
	teamID     = "T0HANBOX1"
	botUserID  = "U0HANBOTX"
	botID      = "B0HANBOTX"
	notifyChan = "C0NOTIFY1"
	custChan   = "C0CUSTOMR"
	agentUser  = "U0AGENT01"
	strangerU  = "U0STRANGR"
	customerU  = "U0CUSTMR1"
	botToken   = "xoxb-1111-2222-test"
	appToken   = "xapp-1-A0HANBOXAP-test"
	signSecret = "8f742231b10e8888abcd99yyyzzz85a5"
)

// fakeUser is a member of the fake workspace.
type fakeUser struct {
	ID, Name, Email, Team string
	Bot                   bool
}

// call is one request the fake answered.
type call struct {
	Method string
	Form   url.Values
	At     time.Time
	Status int
	Auth   string // the Authorization header
}

// fakeSlack is a loopback Slack Web API built on slacktest.Server with
// handlers that record every call, serve files and speak Socket Mode.
type fakeSlack struct {
	t   testing.TB
	srv *slacktest.Server

	mu       sync.Mutex
	calls    []call
	users    map[string]fakeUser
	files    map[string][]byte
	n        int
	failures map[string][]failure // method → canned failures, used first
	authErr  string
	uploads  [][]byte

	envelopes chan []byte // pushed to the socket mode client
	acks      chan string // envelope ids the client acknowledged
}

// failure is a canned error answer.
type failure struct {
	Status     int    // HTTP status (429 …); 0 means 200 with ok=false
	RetryAfter string // header value
	Error      string // Slack error code
	Sticky     bool   // answer every call this way until clearFailures
}

func newFakeSlack(t testing.TB) *fakeSlack {
	t.Helper()
	f := &fakeSlack{t: t,
		users: map[string]fakeUser{
			agentUser: {ID: agentUser, Name: "박지영", Email: "jiyoung@hanbox.test", Team: teamID},
			strangerU: {ID: strangerU, Name: "Stranger", Email: "stranger@elsewhere.test", Team: teamID},
			customerU: {ID: customerU, Name: "김민수", Email: "minsu@customer.kr", Team: "T0CUSTOMR"},
			botUserID: {ID: botUserID, Name: "hanbox", Team: teamID, Bot: true},
		},
		files:     map[string][]byte{},
		failures:  map[string][]failure{},
		envelopes: make(chan []byte, 16),
		acks:      make(chan string, 16),
	}
	f.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		for _, m := range []string{"auth.test", "chat.postMessage", "chat.update", "chat.postEphemeral", "users.info",
			"files.getUploadURLExternal", "files.completeUploadExternal", "apps.connections.open"} {
			c.Handle("/"+m, f.method(m))
		}
		c.Handle("/files-pri/", f.serveFile)
		c.Handle("/upload/", f.serveUpload)
		c.Handle("/socket", f.serveSocket)
	})
	f.srv.Start()
	t.Cleanup(f.srv.Stop)
	return f
}

// URL is the API URL to put in the channel's api_url setting.
func (f *fakeSlack) URL() string { return f.srv.GetAPIURL() }

func (f *fakeSlack) fail(method string, fl ...failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures[method] = append(f.failures[method], fl...)
}

func (f *fakeSlack) clearFailures(method string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.failures, method)
}

// Calls returns the recorded calls of method.
func (f *fakeSlack) Calls(method string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeSlack) method(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		c := call{Method: name, Form: r.Form, At: time.Now(), Status: http.StatusOK, Auth: r.Header.Get("Authorization")}
		var fl *failure
		if q := f.failures[name]; len(q) > 0 {
			fl = &q[0]
			if !fl.Sticky {
				f.failures[name] = q[1:]
			}
		}
		if fl != nil && fl.Status != 0 {
			c.Status = fl.Status
		}
		f.calls = append(f.calls, c)
		f.n++
		n := f.n
		authErr := f.authErr
		f.mu.Unlock()

		w.Header().Set("Content-Type", "application/json")
		if fl != nil {
			if fl.RetryAfter != "" {
				w.Header().Set("Retry-After", fl.RetryAfter)
			}
			if fl.Status != 0 {
				w.WriteHeader(fl.Status)
				_, _ = io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
				return
			}
			writeJSON(w, map[string]any{"ok": false, "error": fl.Error})
			return
		}
		ts := fmt.Sprintf("1764100%03d.%06d", n, n)
		switch name {
		case "auth.test":
			if authErr != "" {
				writeJSON(w, map[string]any{"ok": false, "error": authErr})
				return
			}
			writeJSON(w, map[string]any{"ok": true, "url": "https://hanbox-test.slack.com/", "team": "Hanbox Test",
				"user": "hanbox", "team_id": teamID, "user_id": botUserID, "bot_id": botID})
		case "chat.postMessage":
			writeJSON(w, map[string]any{"ok": true, "channel": r.Form.Get("channel"), "ts": ts,
				"message": map[string]any{"type": "message", "text": r.Form.Get("text"), "ts": ts, "bot_id": botID, "user": botUserID}})
		case "chat.update":
			writeJSON(w, map[string]any{"ok": true, "channel": r.Form.Get("channel"), "ts": r.Form.Get("ts"), "text": r.Form.Get("text")})
		case "chat.postEphemeral":
			writeJSON(w, map[string]any{"ok": true, "message_ts": ts})
		case "users.info":
			u, ok := f.users[r.Form.Get("user")]
			if !ok {
				writeJSON(w, map[string]any{"ok": false, "error": "user_not_found"})
				return
			}
			writeJSON(w, map[string]any{"ok": true, "user": map[string]any{
				"id": u.ID, "team_id": u.Team, "name": u.Name, "real_name": u.Name, "is_bot": u.Bot, "locale": "ko-KR",
				"profile": map[string]any{"real_name": u.Name, "display_name": u.Name, "email": u.Email}}})
		case "files.getUploadURLExternal":
			writeJSON(w, map[string]any{"ok": true, "upload_url": f.URL() + "upload/F0UP" + fmt.Sprint(n), "file_id": "F0UP" + fmt.Sprint(n)})
		case "files.completeUploadExternal":
			var files []map[string]any
			_ = json.Unmarshal([]byte(r.Form.Get("files")), &files)
			writeJSON(w, map[string]any{"ok": true, "files": files})
		case "apps.connections.open":
			writeJSON(w, map[string]any{"ok": true, "url": "ws://" + f.srv.ServerAddr + "/socket"})
		}
	}
}

func (f *fakeSlack) serveFile(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+botToken {
		http.Error(w, "no token", http.StatusForbidden)
		return
	}
	f.mu.Lock()
	b, ok := f.files[r.URL.Path]
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	_, _ = w.Write(b)
}

func (f *fakeSlack) serveUpload(w http.ResponseWriter, r *http.Request) {
	file, _, err := r.FormFile("file")
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b, _ := io.ReadAll(file)
	f.mu.Lock()
	f.uploads = append(f.uploads, b)
	f.mu.Unlock()
	_, _ = io.WriteString(w, "OK - "+fmt.Sprint(len(b)))
}

// serveSocket is the Socket Mode WebSocket: hello, then every queued
// envelope; acknowledgements are reported on f.acks.
func (f *fakeSlack) serveSocket(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		f.t.Errorf("fake socket upgrade: %v", err)
		return
	}
	defer conn.Close()
	hello, err := testdata("socket_hello.json")
	if err != nil {
		f.t.Errorf("fake socket: %v", err)
		return
	}
	if err := conn.WriteMessage(websocket.TextMessage, hello); err != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var ack struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if json.Unmarshal(msg, &ack) == nil && ack.EnvelopeID != "" {
				f.acks <- ack.EnvelopeID
			}
		}
	}()
	for {
		select {
		case <-done:
			return
		case <-r.Context().Done():
			return
		case env := <-f.envelopes:
			if err := conn.WriteMessage(websocket.TextMessage, env); err != nil {
				return
			}
		}
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	_ = json.NewEncoder(w).Encode(v)
}

// blocksOf returns the blocks form field of a call decoded, for asserting
// on structure, and its raw JSON, for asserting on text.
func blocksOf(t *testing.T, c call) ([]map[string]any, string) {
	t.Helper()
	raw := c.Form.Get("blocks")
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		t.Fatalf("blocks of %s are not JSON: %v: %s", c.Method, err, raw)
	}
	return blocks, raw
}

// topLevel filters out thread replies.
func topLevel(cs []call) []call {
	var out []call
	for _, c := range cs {
		if c.Form.Get("thread_ts") == "" {
			out = append(out, c)
		}
	}
	return out
}

func containsAll(s string, subs ...string) (string, bool) {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return x, false
		}
	}
	return "", true
}
