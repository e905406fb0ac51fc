package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// proc is a running hanbox process whose stderr is kept.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string
	mu   sync.Mutex
	logs []string
	done chan error
}

var addrRe = regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)

// start runs hanbox and waits until it serves (or until a log line matches
// until, when set, which it returns instead of waiting for the address).
func start(t *testing.T, data string, env ...string) *proc {
	t.Helper()
	p := &proc{t: t, cmd: hanbox(t, data, "", env...), done: make(chan error, 1)}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs = append(p.logs, line)
			p.mu.Unlock()
			if m := addrRe.FindStringSubmatch(line); m != nil && strings.Contains(line, "hanbox serving") {
				addr <- m[1]
			}
		}
		p.done <- p.cmd.Wait()
	}()
	select {
	case p.addr = <-addr:
	case err := <-p.done:
		t.Fatalf("hanbox exited before serving: %v\n%s", err, p.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("hanbox did not start:\n%s", p.log())
	}
	return p
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.logs, "\n")
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	p.wait()
}

func (p *proc) wait() {
	p.t.Helper()
	select {
	case err := <-p.done:
		if err != nil {
			p.t.Fatalf("exit after SIGTERM: %v\n%s", err, p.log())
		}
	case <-time.After(60 * time.Second):
		p.t.Fatalf("did not stop after SIGTERM:\n%s", p.log())
	}
}

// call sends a JSON request; it returns the status (0 when the request
// failed in transport, as it does once the server has stopped listening).
func call(addr, method, path, bearer string, body, out any) int {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+addr+path, r)
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		json.Unmarshal(raw, out)
	}
	return resp.StatusCode
}

// hook is the customer's webhook: it records every reply delivered and
// holds the first few deliveries until released, so SIGTERM finds sends in
// flight.
type hook struct {
	srv      *httptest.Server
	mu       sync.Mutex
	got      map[int64]int
	held     chan struct{} // one value per delivery being held
	release  chan struct{}
	once     sync.Once
	holdMore int
}

func newHook(t *testing.T, hold int) *hook {
	h := &hook{got: map[int64]int{}, held: make(chan struct{}, hold), release: make(chan struct{}), holdMore: hold}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			MessageID int64 `json:"message_id"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		h.mu.Lock()
		wait := h.holdMore > 0
		if wait {
			h.holdMore--
		}
		h.mu.Unlock()
		if wait {
			h.held <- struct{}{}
			<-h.release
		}
		h.mu.Lock()
		h.got[body.MessageID]++
		h.mu.Unlock()
		fmt.Fprintf(w, `{"id":"hook-%d"}`, body.MessageID)
	}))
	t.Cleanup(h.srv.Close)
	t.Cleanup(h.unblock) // runs first: a failed test must not leave Close waiting on held sends
	return h
}

// unblock lets held deliveries complete; it may be called more than once.
func (h *hook) unblock() { h.once.Do(func() { close(h.release) }) }

func (h *hook) delivered(id int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got[id] > 0
}

// TestSIGTERMUnderLoadLosesNothing stops a real hanbox process with SIGTERM
// while customers post messages, agents reply and deliveries are in flight:
// every message it accepted is stored, every reply it accepted is either
// sent or pending (and sent by the next start), and nothing touches the
// database after it is closed.
func TestSIGTERMUnderLoadLosesNothing(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			data := t.TempDir()
			env := []string{"HANBOX_ADMIN_EMAIL=admin@example.com", "HANBOX_ADMIN_PASSWORD=correct horse battery", "HANBOX_SHUTDOWN_TIMEOUT=20s"}
			dsn := ""
			if d == store.Postgres {
				dsn = storetest.PostgresDSN(t)
				env = append(env, "HANBOX_DATABASE_URL="+dsn)
			}
			p := start(t, data, env...)
			var login struct{ Token string }
			if call(p.addr, "POST", "/api/v1/auth/login", "", map[string]string{"email": "admin@example.com", "password": "correct horse battery"}, &login) != 200 {
				t.Fatal("login failed")
			}
			h := newHook(t, 2)
			var ch struct {
				Channel struct{ ID int64 }
				Token   string
			}
			if call(p.addr, "POST", "/api/v1/channels", login.Token, map[string]any{"kind": "api", "name": "Shop", "settings": map[string]any{"webhook_url": h.srv.URL}}, &ch) != 201 {
				t.Fatal("create channel failed")
			}
			inbound := fmt.Sprintf("/api/v1/channels/%d/inbound", ch.Channel.ID)

			var mu sync.Mutex
			accepted := map[string]bool{} // inbound external ids answered 201
			var tickets []string
			replies := map[int64]bool{} // reply message ids answered 201
			var wg sync.WaitGroup
			ctx, stopLoad := context.WithCancel(context.Background())
			defer stopLoad()
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ctx.Err() == nil; i++ {
						ext := fmt.Sprintf("w%d-m%d", w, i)
						var res struct {
							TicketID string `json:"ticket_id"`
						}
						st := call(p.addr, "POST", inbound, ch.Token, map[string]any{"external_id": ext, "thread_key": fmt.Sprintf("w%d-t%d", w, i/3),
							"contact": map[string]any{"external_id": fmt.Sprintf("u%d", i%7)}, "text": "배송 문의 " + ext}, &res)
						if st == 0 {
							return // the server stopped listening
						}
						if st == 201 {
							mu.Lock()
							accepted[ext] = true
							tickets = append(tickets, res.TicketID)
							mu.Unlock()
						}
					}
				}()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ctx.Err() == nil; i++ {
					mu.Lock()
					tk := ""
					if len(tickets) > 0 {
						tk = tickets[i%len(tickets)]
					}
					mu.Unlock()
					if tk == "" {
						continue
					}
					var m struct{ ID int64 }
					st := call(p.addr, "POST", "/api/v1/tickets/"+tk+"/replies", login.Token, map[string]any{"text": fmt.Sprintf("답변 %d", i)}, &m)
					if st == 0 {
						return
					}
					if st == 201 {
						mu.Lock()
						replies[m.ID] = true
						mu.Unlock()
					}
				}
			}()
			// Under load, with two deliveries held in flight at the webhook.
			for range 2 {
				select {
				case <-h.held:
				case <-time.After(30 * time.Second):
					t.Fatal("no delivery reached the webhook")
				}
			}
			poll(t, "load accepted", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(accepted) >= 60 && len(replies) >= 10
			})
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			h.unblock() // the held sends complete while hanbox drains
			p.wait()
			stopLoad()
			wg.Wait()
			logs := p.log()
			for _, bad := range []string{"database is closed", "panic:", "DATA RACE"} {
				if strings.Contains(logs, bad) {
					t.Fatalf("log shows %q:\n%s", bad, logs)
				}
			}

			st, err := store.Open(context.Background(), store.Config{DataDir: data, DatabaseURL: dsn})
			if err != nil {
				t.Fatal(err)
			}
			var exts []string
			st.DB.Model(&store.Message{}).Where("channel_id = ? AND direction = ?", ch.Channel.ID, store.DirInbound).Pluck("external_id", &exts)
			stored := map[string]bool{}
			for _, e := range exts {
				stored[e] = true
			}
			for ext := range accepted {
				if !stored[ext] {
					t.Errorf("accepted message %s was not stored", ext)
				}
			}
			var rows []store.Outbox
			st.DB.Where("purpose = ?", store.PurposeReply).Find(&rows)
			byMsg := map[int64]store.Outbox{}
			for _, r := range rows {
				byMsg[*r.MessageID] = r
			}
			pending := 0
			for id := range replies {
				r, ok := byMsg[id]
				switch {
				case !ok:
					t.Errorf("accepted reply %d has no outbox row", id)
				case r.Status == store.OutboxSent:
					if !h.delivered(id) {
						t.Errorf("reply %d marked sent but the webhook never got it", id)
					}
				case r.Status == store.OutboxPending:
					pending++
					if r.LockedUntil != nil {
						t.Errorf("pending reply %d is still leased until %s after a clean stop", id, r.LockedUntil)
					}
				default:
					t.Errorf("reply %d is %s: %s", id, r.Status, r.LastError)
				}
			}
			st.Close()
			t.Logf("accepted %d messages and %d replies; %d replies pending at stop", len(accepted), len(replies), pending)

			// The next start sends what was pending.
			p = start(t, data, env...)
			for id := range replies {
				poll(t, fmt.Sprintf("reply %d delivered after the restart", id), func() bool { return h.delivered(id) })
			}
			p.stop()
		})
	}
}

// poll checks cond every few milliseconds until it holds; the deadline is
// only a safety net.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(60 * time.Second)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestStartWaitsForTheDatabase: hanbox started while PostgreSQL cannot be
// reached keeps trying (logging each attempt) and serves once it can,
// instead of exiting.
func TestStartWaitsForTheDatabase(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	host, port := "127.0.0.1", "5432"
	if m := regexp.MustCompile(`host=(\S+)`).FindStringSubmatch(dsn); m != nil {
		host = m[1]
	}
	if m := regexp.MustCompile(`port=(\d+)`).FindStringSubmatch(dsn); m != nil {
		port = m[1]
	}
	// A port nothing listens on yet.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := hanbox(t, t.TempDir(), "", "HANBOX_DATABASE_URL="+dsn+" host=127.0.0.1 port="+addr[strings.LastIndex(addr, ":")+1:],
		"HANBOX_DATABASE_WAIT=2m", "HANBOX_ADMIN_PASSWORD=correct horse battery")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func(what string) string {
		t.Helper()
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("hanbox exited while waiting for %s", what)
				}
				if strings.Contains(l, what) {
					return l
				}
			case <-time.After(60 * time.Second):
				t.Fatalf("no %q in the log", what)
			}
		}
	}
	next("database unavailable; retrying")
	next("database unavailable; retrying")
	// The database comes up on that port (a proxy to the real one).
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", net.JoinHostPort(host, port))
				if err != nil {
					return
				}
				defer up.Close()
				// Either side closing closes both, as a real server's
				// socket would: hanbox gone means its sessions end.
				go func() {
					io.Copy(up, c)
					up.Close()
					c.Close()
				}()
				io.Copy(c, up)
			}()
		}
	}()
	next("database reachable")
	served := next("hanbox serving")
	m := addrRe.FindStringSubmatch(served)
	if m == nil {
		t.Fatalf("no address in %q", served)
	}
	if st := call(m[1], "GET", "/readyz", "", nil, nil); st != 200 {
		t.Fatalf("readyz %d", st)
	}
	go func() {
		for range lines {
		}
	}()
	cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Signal(syscall.SIGQUIT) // its goroutines, on stderr
		t.Fatal("hanbox did not stop after SIGTERM")
	}
}
