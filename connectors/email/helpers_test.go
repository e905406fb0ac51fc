package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/connectors/conntest"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// memIMAP is go-imap's in-memory server on a loopback port. stop and start
// take the server down and bring it back on the same port, with the same
// mailboxes (an outage).
type memIMAP struct {
	host string
	port int
	user *imapmemserver.User
	mem  *imapmemserver.Server
	caps imap.CapSet

	mu  sync.Mutex
	srv *imapserver.Server
}

func newMemIMAP(t testing.TB, caps imap.CapSet) *memIMAP {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("support", "imap-secret")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	if caps == nil {
		caps = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}
	}
	m := &memIMAP{host: "127.0.0.1", user: user, mem: mem, caps: caps}
	m.start(t)
	t.Cleanup(m.stop)
	return m
}

// imapServer serves mem's mailboxes.
func imapServer(mem *imapmemserver.Server, caps imap.CapSet) *imapserver.Server {
	return imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		InsecureAuth: true,
		Caps:         caps,
		Logger:       discardLogger{},
	})
}

// start serves on the server's port (a new one the first time).
func (m *memIMAP) start(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(m.host, strconv.Itoa(m.port)))
	if err != nil {
		t.Fatal(err)
	}
	m.port = ln.Addr().(*net.TCPAddr).Port
	srv := imapServer(m.mem, m.caps)
	m.mu.Lock()
	m.srv = srv
	m.mu.Unlock()
	go srv.Serve(ln)
}

// stop closes the listener and every connection.
func (m *memIMAP) stop() {
	m.mu.Lock()
	srv := m.srv
	m.srv = nil
	m.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// deliver appends a message to a mailbox server-side (wakes IDLE clients).
func (m *memIMAP) deliver(t testing.TB, mailbox string, raw []byte) {
	t.Helper()
	if _, err := m.user.Append(mailbox, bytes.NewReader(raw), &imap.AppendOptions{}); err != nil {
		t.Fatalf("append: %v", err)
	}
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}

// smtpSink is a loopback SMTP server that captures submitted mail. It
// requires AUTH PLAIN as user/pass and can be told to reject the next
// messages with an SMTP code.
type smtpSink struct {
	addr string
	port int
	user string
	pass string
	got  chan captured

	mu      sync.Mutex
	failing []int // codes to answer the next DATA commands with
}

type captured struct {
	from  string
	rcpts []string
	raw   []byte
}

func newSMTPSink(t testing.TB) *smtpSink { return newSMTPSinkTLS(t, TLSNone, nil) }

// newSMTPSinkTLS serves SMTP with STARTTLS or implicit TLS using cfg.
func newSMTPSinkTLS(t testing.TB, mode string, cfg *tls.Config) *smtpSink {
	t.Helper()
	s := &smtpSink{user: "support@example.com", pass: "smtp-secret", got: make(chan captured, 100)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }))
	srv.Domain = "smtp.test"
	srv.AllowInsecureAuth = mode == TLSNone
	srv.ErrorLog = discardLogger{}
	var ln net.Listener
	var err error
	switch mode {
	case TLSImplicit:
		ln, err = tls.Listen("tcp", "127.0.0.1:0", cfg)
	case TLSStartTLS:
		srv.TLSConfig = cfg
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	default:
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.addr = ln.Addr().String()
	s.port = ln.Addr().(*net.TCPAddr).Port
	return s
}

func (s *smtpSink) failNext(codes ...int) {
	s.mu.Lock()
	s.failing = append(s.failing, codes...)
	s.mu.Unlock()
}

// next waits for the next captured message.
func (s *smtpSink) next(t testing.TB) captured {
	t.Helper()
	select {
	case c := <-s.got:
		return c
	case <-time.After(15 * time.Second):
		t.Fatal("no mail reached the SMTP server")
		return captured{}
	}
}

type sinkSession struct {
	s      *smtpSink
	authed bool
	from   string
	rcpts  []string
}

func (ss *sinkSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (ss *sinkSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.s.user || pass != ss.s.pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		ss.authed = true
		return nil
	}), nil
}
func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.rcpts = append(ss.rcpts, to)
	return nil
}
func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	var code int
	if len(ss.s.failing) > 0 {
		code, ss.s.failing = ss.s.failing[0], ss.s.failing[1:]
	}
	ss.s.mu.Unlock()
	if code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: "injected failure"}
	}
	ss.s.got <- captured{from: ss.from, rcpts: ss.rcpts, raw: b}
	return nil
}
func (ss *sinkSession) Reset()        { ss.from, ss.rcpts = "", nil }
func (ss *sinkSession) Logout() error { return nil }

// settingsFor returns channel settings for an IMAP server and SMTP sink.
func settingsFor(m *memIMAP, s *smtpSink) map[string]any {
	st := map[string]any{
		"address":        "support@example.com",
		"from_name":      "Hanbox Support",
		"reply_to_token": true,
	}
	if m != nil {
		st["imap"] = map[string]any{"host": m.host, "port": m.port, "tls": "none", "username": "support"}
	}
	if s != nil {
		st["smtp"] = map[string]any{"host": "127.0.0.1", "port": s.port, "tls": "none", "username": s.user}
	}
	return st
}

func secretsFor() map[string]any {
	return map[string]any{"imap_password": "imap-secret", "smtp_password": "smtp-secret"}
}

// header reads a captured message's header.
func header(t testing.TB, raw []byte) mail.Header {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read captured mail: %v", err)
	}
	return r.Header
}

// storeState is connectors.State over a store, for tests that run a Channel
// without the runtime.
type storeState struct {
	st *store.Store
	id int64
}

func (s storeState) Get(ctx context.Context, k string) (string, error) {
	return s.st.GetState(ctx, s.id, k)
}
func (s storeState) Put(ctx context.Context, k, v string) error {
	return s.st.PutState(ctx, s.id, k, v)
}

// directChannel builds a Channel outside the runtime, over env's store.
func directChannel(t testing.TB, env *conntest.Env, row store.Channel, status connectors.StatusReporter) *Channel {
	t.Helper()
	if status == nil {
		status = func(string, error) {}
	}
	conn, err := New(connectors.ToChannel(row), connectors.Deps{
		State: storeState{env.Store, row.ID}, Quarantine: env.Inbox, Sink: env.Inbox, Bounces: env.Inbox, Messages: env.Inbox, Status: status, Bus: env.Inbox.Bus(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// customerMail builds a plain customer message.
func customerMail(from, to, subject, msgID, body string, extra ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: %s\r\nMIME-Version: 1.0\r\n",
		from, to, mime2047(subject), msgID, time.Now().UTC().Format(time.RFC1123Z))
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body + "\r\n")
	return b.Bytes()
}

func mime2047(s string) string {
	var h mail.Header
	h.SetSubject(s)
	return h.Get("Subject")
}

func countMessages(t testing.TB, env *conntest.Env, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := env.Store.DB.Model(&store.Message{}).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func ticketOf(t testing.TB, env *conntest.Env, channelID int64, ext string) int64 {
	t.Helper()
	m, err := env.Inbox.MessageByExternalID(context.Background(), channelID, ext)
	if err != nil {
		return 0
	}
	return m.TicketID
}

func waitTicket(t testing.TB, env *conntest.Env, channelID int64, ext string) int64 {
	t.Helper()
	var id int64
	env.Eventually("message "+ext, func() bool {
		id = ticketOf(t, env, channelID, ext)
		return id != 0
	})
	return id
}

// errSink fails after n successful ingests.
type flakySink struct {
	inner connectors.Sink
	mu    sync.Mutex
	n     int
	after func(n int) error
}

func (f *flakySink) Ingest(ctx context.Context, in *inbox.Inbound) (inbox.IngestResult, error) {
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	if err := f.after(n); err != nil {
		return inbox.IngestResult{}, err
	}
	return f.inner.Ingest(ctx, in)
}

var errInjected = errors.New("injected ingest failure")
