// Command hanbox-load drives a running Hanbox on loopback through its real
// interfaces and reports throughput and latency percentiles:
//
//   - inbound: customers' messages pushed to an api channel
//     (POST /api/v1/channels/{id}/inbound) by -concurrency clients, -per-thread
//     messages per conversation;
//   - replies: agent replies over REST, one at a time, timed until the
//     customer side has them: the api channel's webhook (a sink this command
//     serves on loopback) or, with -reply-via email, an email channel's SMTP
//     delivery to a sink this command runs;
//   - widget: -widget visitor sessions over the widget's real protocol
//     (POST /session, then its WebSocket), each sending -widget-messages
//     messages one at a time, timed from the visitor's frame to the
//     message.created event on an agent's live event stream (the SSE stream
//     of GET /api/v1/events the web UI listens on);
//   - lists: -lists agent calls of the ticket list and ticket search over
//     REST from -list-concurrency agents, at the same time as the inbound
//     phase when both are asked for (mixed load);
//   - imap: an IMAP server this command runs on loopback, its mailbox
//     filled with -imap generated mails (Korean and English, some multipart),
//     imported by a new email channel, timed until all are stored;
//   - the server's RSS, CPU and Go heap from /metrics before and after.
//
// It creates its own channels (named "hanbox-load ...") and stops by itself:
// every count is bounded and the whole run ends at -timeout. It refuses a
// server that is not on a loopback address.
//
//	hanbox-load -url http://127.0.0.1:8080 -email admin@example.com -password '...' \
//	  -messages 5000 -concurrency 16 -replies 50 -reply-via email
//	hanbox-load -messages 0 -replies 0 -widget 200 -widget-messages 10
//	hanbox-load -messages 5000 -replies 0 -lists 2000 -list-concurrency 4
//	hanbox-load -messages 0 -replies 0 -imap 5000
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

// Config is one load run.
type Config struct {
	URL         string
	Email       string
	Password    string
	Messages    int // inbound messages (0 skips the phase)
	Concurrency int
	PerThread   int // messages per conversation
	Replies     int // timed replies (0 skips the phase)
	ReplyVia    string
	// Widget is the number of widget visitor sessions (0 skips the phase),
	// each sending WidgetMessages messages.
	Widget         int
	WidgetMessages int
	// Lists is the number of ticket list and search calls (0 skips), made
	// by ListConcurrency agents while the inbound phase runs.
	Lists           int
	ListConcurrency int
	// IMAP is the number of mails in the mailbox to import (0 skips).
	IMAP    int
	Timeout time.Duration
}

// Limits keep a run bounded whatever the flags say.
const (
	maxMessages    = 1_000_000
	maxConcurrency = 256
	maxReplies     = 10_000
	maxWidget      = 2_000
	maxWidgetMsgs  = 1_000
	maxLists       = 1_000_000
	maxIMAP        = 100_000
)

func main() {
	var c Config
	flag.StringVar(&c.URL, "url", "http://127.0.0.1:8080", "Hanbox base URL (loopback only)")
	flag.StringVar(&c.Email, "email", "admin@example.com", "admin email")
	flag.StringVar(&c.Password, "password", os.Getenv("HANBOX_LOAD_PASSWORD"), "admin password (HANBOX_LOAD_PASSWORD)")
	flag.IntVar(&c.Messages, "messages", 2000, "inbound messages to push")
	flag.IntVar(&c.Concurrency, "concurrency", 16, "concurrent inbound clients")
	flag.IntVar(&c.PerThread, "per-thread", 4, "messages per conversation")
	flag.IntVar(&c.Replies, "replies", 30, "agent replies to time, one at a time")
	flag.StringVar(&c.ReplyVia, "reply-via", "api", "where replies are delivered: api (webhook) or email (SMTP)")
	flag.IntVar(&c.Widget, "widget", 0, "widget visitor sessions (WebSocket)")
	flag.IntVar(&c.WidgetMessages, "widget-messages", 10, "messages per widget session, one at a time")
	flag.IntVar(&c.Lists, "lists", 0, "ticket list and search calls (alternating), during the inbound phase")
	flag.IntVar(&c.ListConcurrency, "list-concurrency", 4, "concurrent agents making the list and search calls")
	flag.IntVar(&c.IMAP, "imap", 0, "mails in an IMAP mailbox (served by this command) to import through a new email channel")
	flag.DurationVar(&c.Timeout, "timeout", 10*time.Minute, "the whole run stops after this")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	if err := Run(ctx, c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "hanbox-load:", err)
		os.Exit(1)
	}
}

// Run performs a load run and writes its report to out.
func Run(ctx context.Context, c Config, out io.Writer) error {
	if err := c.validate(); err != nil {
		return err
	}
	cl := &client{base: strings.TrimRight(c.URL, "/"), http: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: c.Concurrency + 4}}}
	var login struct {
		Token string `json:"token"`
	}
	if err := cl.call(ctx, "", "POST", "/api/v1/auth/login", map[string]string{"email": c.Email, "password": c.Password}, &login); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	cl.token = login.Token
	before, err := cl.metrics(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "server %s: RSS %.1f MB, heap in use %.1f MiB\n", cl.base, before["process_resident_memory_bytes"]/1e6, before["go_memstats_heap_inuse_bytes"]/(1<<20))
	hook := newWebhookSink()
	defer hook.close()
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	var ch struct {
		Channel struct {
			ID int64 `json:"id"`
		} `json:"channel"`
		Token string `json:"token"`
	}
	if err := cl.call(ctx, "", "POST", "/api/v1/channels", map[string]any{"kind": "api", "name": "hanbox-load " + run,
		"settings": map[string]any{"webhook_url": hook.url}}, &ch); err != nil {
		return fmt.Errorf("create api channel: %w", err)
	}
	inbound := fmt.Sprintf("/api/v1/channels/%d/inbound", ch.Channel.ID)
	var firstTicket string
	var lists *listResult
	listsDone := make(chan error, 1)
	if c.Lists > 0 {
		go func() {
			var err error
			lists, err = runLists(ctx, cl, c.Lists, c.ListConcurrency)
			listsDone <- err
		}()
	} else {
		listsDone <- nil
	}
	if c.Messages > 0 {
		lat, elapsed, ticket, err := pushInbound(ctx, cl, ch.Token, inbound, run, c)
		if err != nil {
			return err
		}
		firstTicket = ticket
		fmt.Fprintf(out, "inbound: %d messages, %d clients, %d per conversation: %.0f msgs/s; latency %s\n",
			len(lat), c.Concurrency, c.PerThread, float64(len(lat))/elapsed.Seconds(), percentiles(lat))
	}
	if err := <-listsDone; err != nil {
		return fmt.Errorf("lists: %w", err)
	}
	if lists != nil {
		during := "alone"
		if c.Messages > 0 {
			during = "during the inbound phase"
		}
		fmt.Fprintf(out, "lists: %d calls (%d list, %d search), %d agents, %s: %.0f calls/s\n", len(lists.lists)+len(lists.searches),
			len(lists.lists), len(lists.searches), c.ListConcurrency, during, float64(len(lists.lists)+len(lists.searches))/lists.elapsed.Seconds())
		fmt.Fprintf(out, "  list: %s\n  search: %s\n", percentiles(lists.lists), percentiles(lists.searches))
	}
	if c.Replies > 0 {
		var lat []time.Duration
		var err error
		if c.ReplyVia == "email" {
			lat, err = repliesByEmail(ctx, cl, run, c.Replies)
		} else {
			if firstTicket == "" {
				var r struct {
					TicketID string `json:"ticket_id"`
				}
				if err := cl.call(ctx, ch.Token, "POST", inbound, inboundBody(run, 0, 1), &r); err != nil {
					return fmt.Errorf("inbound: %w", err)
				}
				firstTicket = r.TicketID
			}
			lat, err = repliesByWebhook(ctx, cl, hook, firstTicket, c.Replies)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "replies (%s): %d, one at a time, REST call → delivered: %s\n", c.ReplyVia, len(lat), percentiles(lat))
	}
	if c.Widget > 0 {
		w, err := runWidget(ctx, cl, run, c.Widget, c.WidgetMessages)
		if err != nil {
			return fmt.Errorf("widget: %w", err)
		}
		fmt.Fprintf(out, "widget: %d sessions, %d messages sent, %d events arrived: %.0f msgs/s; visitor frame → agent event %s\n",
			w.sessions, w.sent, w.arrived, float64(w.sent)/w.elapsed.Seconds(), percentiles(w.lat))
	}
	if c.IMAP > 0 {
		m, err := runIMAP(ctx, cl, run, c.IMAP)
		if err != nil {
			return fmt.Errorf("imap: %w", err)
		}
		fmt.Fprintf(out, "imap: %d mails (%.1f MB), %d stored, %d tickets: %.0f mails/s (%.2f s)\n", m.mails, float64(m.bytes)/1e6,
			m.stored, m.tickets, float64(m.stored)/m.elapsed.Seconds(), m.elapsed.Seconds())
	}
	after, err := cl.metrics(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "server after: RSS %.1f MB, heap in use %.1f MiB, CPU %.2f s during the run\n", after["process_resident_memory_bytes"]/1e6,
		after["go_memstats_heap_inuse_bytes"]/(1<<20), after["process_cpu_seconds_total"]-before["process_cpu_seconds_total"])
	return nil
}

func (c *Config) validate() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("-url %q is not an http(s) URL", c.URL)
	}
	ips, err := net.LookupIP(u.Hostname())
	if err != nil || len(ips) == 0 {
		return fmt.Errorf("-url host %q: %v", u.Hostname(), err)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("-url host %q is not loopback: hanbox-load only drives a server on this machine", u.Hostname())
		}
	}
	switch {
	case c.Messages < 0 || c.Messages > maxMessages:
		return fmt.Errorf("-messages must be 0..%d", maxMessages)
	case c.Concurrency < 1 || c.Concurrency > maxConcurrency:
		return fmt.Errorf("-concurrency must be 1..%d", maxConcurrency)
	case c.PerThread < 1:
		return errors.New("-per-thread must be at least 1")
	case c.Replies < 0 || c.Replies > maxReplies:
		return fmt.Errorf("-replies must be 0..%d", maxReplies)
	case c.Widget < 0 || c.Widget > maxWidget:
		return fmt.Errorf("-widget must be 0..%d", maxWidget)
	case c.Widget > 0 && (c.WidgetMessages < 1 || c.WidgetMessages > maxWidgetMsgs):
		return fmt.Errorf("-widget-messages must be 1..%d", maxWidgetMsgs)
	case c.Lists < 0 || c.Lists > maxLists:
		return fmt.Errorf("-lists must be 0..%d", maxLists)
	case c.Lists > 0 && (c.ListConcurrency < 1 || c.ListConcurrency > maxConcurrency):
		return fmt.Errorf("-list-concurrency must be 1..%d", maxConcurrency)
	case c.IMAP < 0 || c.IMAP > maxIMAP:
		return fmt.Errorf("-imap must be 0..%d", maxIMAP)
	case c.ReplyVia != "api" && c.ReplyVia != "email":
		return errors.New("-reply-via must be api or email")
	case c.Password == "":
		return errors.New("-password (or HANBOX_LOAD_PASSWORD) is required")
	}
	return nil
}

func inboundBody(run string, i, perThread int) map[string]any {
	conv := i / perThread
	return map[string]any{"external_id": fmt.Sprintf("load-%s-%d", run, i), "thread_key": fmt.Sprintf("load-%s-t%d", run, conv),
		"contact": map[string]any{"external_id": fmt.Sprintf("load-%s-c%d", run, conv), "name": fmt.Sprintf("고객 %d", conv)},
		"text":    fmt.Sprintf("안녕하세요, 주문 %d 배송이 아직 도착하지 않았습니다. Could you check order %d? (%d)", 100000+conv, 100000+conv, i)}
}

// pushInbound sends c.Messages messages from c.Concurrency clients and
// returns each push's latency and the first message's ticket.
func pushInbound(ctx context.Context, cl *client, token, path, run string, c Config) ([]time.Duration, time.Duration, string, error) {
	var next atomic.Int64
	lat := make([]time.Duration, c.Messages)
	var first atomic.Value
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < c.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= c.Messages || ctx.Err() != nil {
					return
				}
				var r struct {
					TicketID string `json:"ticket_id"`
				}
				t0 := time.Now()
				if err := cl.call(ctx, token, "POST", path, inboundBody(run, i, c.PerThread), &r); err != nil {
					once.Do(func() { firstErr = fmt.Errorf("inbound %d: %w", i, err) })
					next.Store(int64(c.Messages))
					return
				}
				lat[i] = time.Since(t0)
				if i == 0 {
					first.Store(r.TicketID)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return nil, 0, "", firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, "", fmt.Errorf("inbound: %w", err)
	}
	ticket, _ := first.Load().(string)
	return lat, elapsed, ticket, nil
}

func repliesByWebhook(ctx context.Context, cl *client, hook *webhookSink, ticket string, n int) ([]time.Duration, error) {
	path := "/api/v1/tickets/" + ticket + "/replies"
	var lat []time.Duration
	for i := 0; i < n; i++ {
		var m struct {
			ID int64 `json:"id"`
		}
		t0 := time.Now()
		if err := cl.call(ctx, "", "POST", path, map[string]any{"text": fmt.Sprintf("확인해 보겠습니다 (%d)", i)}, &m); err != nil {
			return nil, fmt.Errorf("reply: %w", err)
		}
		if err := hook.wait(ctx, m.ID); err != nil {
			return nil, fmt.Errorf("reply %d not delivered: %w", m.ID, err)
		}
		lat = append(lat, time.Since(t0))
	}
	return lat, nil
}

func repliesByEmail(ctx context.Context, cl *client, run string, n int) ([]time.Duration, error) {
	sink, err := newSMTPSink()
	if err != nil {
		return nil, err
	}
	defer sink.close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	listen := ln.Addr().String()
	ln.Close()
	host, port, _ := net.SplitHostPort(sink.addr)
	p, _ := strconv.Atoi(port)
	address := "load-" + run + "@hanbox-load.test"
	if err := cl.call(ctx, "", "POST", "/api/v1/channels", map[string]any{"kind": "email", "name": "hanbox-load mail " + run, "settings": map[string]any{
		"address": address, "smtp": map[string]any{"host": host, "port": p, "tls": "none"}, "listen": map[string]any{"addr": listen}}}, nil); err != nil {
		return nil, fmt.Errorf("create email channel: %w", err)
	}
	subject := "hanbox-load " + run
	mail := "From: Load Customer <customer@hanbox-load.test>\r\nTo: " + address + "\r\nSubject: " + subject + "\r\n" +
		"Message-ID: <" + run + "@hanbox-load.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n주문한 신발 사이즈를 바꿀 수 있나요?\r\n"
	if err := poll(ctx, func() bool {
		return smtp.SendMail(listen, nil, "customer@hanbox-load.test", []string{address}, []byte(mail)) == nil
	}); err != nil {
		return nil, fmt.Errorf("mail a ticket in: %w", err)
	}
	var ticket string
	if err := poll(ctx, func() bool {
		var list struct {
			Items []struct {
				ID      string `json:"id"`
				Subject string `json:"subject"`
			} `json:"items"`
		}
		if cl.call(ctx, "", "GET", "/api/v1/tickets", nil, &list) != nil {
			return false
		}
		for _, it := range list.Items {
			if it.Subject == subject {
				ticket = it.ID
				return true
			}
		}
		return false
	}); err != nil {
		return nil, fmt.Errorf("ticket of the mail: %w", err)
	}
	path := "/api/v1/tickets/" + ticket + "/replies"
	var lat []time.Duration
	for i := 0; i < n; i++ {
		t0 := time.Now()
		if err := cl.call(ctx, "", "POST", path, map[string]any{"text": fmt.Sprintf("네, 가능합니다 (%d)", i)}, nil); err != nil {
			return nil, fmt.Errorf("reply: %w", err)
		}
		select {
		case <-sink.got:
		case <-ctx.Done():
			return nil, fmt.Errorf("reply %d not mailed: %w", i, ctx.Err())
		}
		lat = append(lat, time.Since(t0))
	}
	return lat, nil
}

// poll calls cond every 50 ms until it holds or ctx ends.
func poll(ctx context.Context, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

func percentiles(d []time.Duration) string {
	if len(d) == 0 {
		return "none"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	r := func(v time.Duration) string { return v.Round(10 * time.Microsecond).String() }
	return fmt.Sprintf("p50 %s, p90 %s, p95 %s, p99 %s, max %s", r(at(0.5)), r(at(0.9)), r(at(0.95)), r(at(0.99)), r(s[len(s)-1]))
}

type client struct {
	base, token string
	http        *http.Client
}

// call sends a JSON request (bearer token, or the agent's when empty) and
// decodes a 2xx answer into out.
func (c *client) call(ctx context.Context, bearer, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer == "" {
		bearer = c.token
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(raw))
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// metrics reads the server's samples from /metrics by name, labels
// included as written (`hanbox_ingest_total{result="stored"}`).
func (c *client) metrics(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	m := map[string]float64{}
	for _, line := range strings.Split(string(raw), "\n") {
		name, val, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
			m[name] = v
		}
	}
	return m, nil
}

// webhookSink receives the api channel's reply webhooks on loopback.
type webhookSink struct {
	srv  *http.Server
	url  string
	mu   sync.Mutex
	seen map[int64]chan struct{}
}

func newWebhookSink() *webhookSink {
	h := &webhookSink{seen: map[int64]chan struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	h.url = "http://" + ln.Addr().String() + "/hook"
	h.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			MessageID int64 `json:"message_id"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err == nil {
			h.deliver(body.MessageID)
		}
		w.WriteHeader(http.StatusNoContent)
	})}
	go h.srv.Serve(ln)
	return h
}

// ch returns the channel closed when message id is delivered. Call with mu held.
func (h *webhookSink) ch(id int64) chan struct{} {
	c, ok := h.seen[id]
	if !ok {
		c = make(chan struct{})
		h.seen[id] = c
	}
	return c
}

// deliver records message id as delivered; a redelivery (delivery is at
// least once) changes nothing.
func (h *webhookSink) deliver(id int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.ch(id)
	select {
	case <-c:
	default:
		close(c)
	}
}

func (h *webhookSink) wait(ctx context.Context, id int64) error {
	h.mu.Lock()
	c := h.ch(id)
	h.mu.Unlock()
	select {
	case <-c:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *webhookSink) close() { h.srv.Close() }

// smtpSink is the customers' mail server: it accepts every message and
// signals each one on got.
type smtpSink struct {
	srv  *gosmtp.Server
	addr string
	got  chan struct{}
}

func newSMTPSink() (*smtpSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &smtpSink{addr: ln.Addr().String(), got: make(chan struct{}, 64)}
	s.srv = gosmtp.NewServer(s)
	s.srv.Domain = "mx.hanbox-load.test"
	s.srv.AllowInsecureAuth = true
	go s.srv.Serve(ln)
	return s, nil
}

func (s *smtpSink) close() { s.srv.Close() }

// NewSession implements gosmtp.Backend.
func (s *smtpSink) NewSession(*gosmtp.Conn) (gosmtp.Session, error) { return smtpSession{s}, nil }

type smtpSession struct{ s *smtpSink }

func (smtpSession) AuthPlain(string, string) error         { return nil }
func (smtpSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (smtpSession) Rcpt(string, *gosmtp.RcptOptions) error { return nil }
func (smtpSession) Reset()                                 {}
func (smtpSession) Logout() error                          { return nil }
func (x smtpSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, io.LimitReader(r, 64<<20)); err != nil {
		return err
	}
	select {
	case x.s.got <- struct{}{}:
	default: // nobody is timing this one
	}
	return nil
}
