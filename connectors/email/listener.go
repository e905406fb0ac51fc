package email

import (
	"bytes"
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/hanbox/hanbox/connectors"
)

// listener is the optional inbound SMTP server: a mail host (or a forwarding
// rule) delivers the support address's mail straight to Hanbox.
type listener struct {
	srv    *smtp.Server
	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
}

func (l *listener) Addr() string { return l.ln.Addr().String() }

func (l *listener) Close() error {
	l.cancel()
	return l.srv.Close()
}

// ensureListener starts the listener once; it outlives Start restarts and
// is stopped by Close.
func (c *Channel) ensureListener(sink connectors.Sink) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.listener != nil {
		return nil
	}
	cfg := c.settings.Listen
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("email: smtp listen: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{ln: ln, ctx: ctx, cancel: cancel}
	srv := smtp.NewServer(smtp.BackendFunc(func(conn *smtp.Conn) (smtp.Session, error) {
		return &session{c: c, sink: sink, ctx: ctx, remote: conn.Conn().RemoteAddr().String()}, nil
	}))
	srv.Domain = cfg.Domain
	if srv.Domain == "" {
		_, srv.Domain, _ = strings.Cut(c.settings.Address, "@")
	}
	srv.MaxMessageBytes = cfg.MaxBytes
	srv.MaxRecipients = 50
	srv.ReadTimeout = 2 * time.Minute
	srv.WriteTimeout = 2 * time.Minute
	srv.ErrorLog = slogLogger{c.log}
	if cfg.Cert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.Cert, cfg.Key)
		if err != nil {
			cancel()
			ln.Close()
			return fmt.Errorf("email: smtp listener certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	} else {
		// Without a certificate AUTH is only offered on a loopback listener
		// (a local MTA handing mail over), never in clear text on a network.
		if host, _, _ := net.SplitHostPort(ln.Addr().String()); net.ParseIP(host).IsLoopback() {
			srv.AllowInsecureAuth = true
		}
	}
	l.srv = srv
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			c.log.Error("smtp listener stopped", "err", err)
		}
	}()
	c.listener = l
	c.log.Info("smtp listener started", "addr", l.Addr())
	return nil
}

type session struct {
	c      *Channel
	sink   connectors.Sink
	ctx    context.Context
	remote string
	authed bool
	from   string
	rcpts  []string
}

var (
	_ smtp.Session     = (*session)(nil)
	_ smtp.AuthSession = (*session)(nil)
)

var (
	errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	errNoMailbox    = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox here"}
	errBadAuth      = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication failed"}
	errTryLater     = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Could not store the message; try again later"}
)

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		want := s.c.listenPassword
		if want == "" || !strings.EqualFold(username, s.c.settings.Address) ||
			subtle.ConstantTimeCompare([]byte(password), []byte(want)) != 1 {
			return errBadAuth
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.c.settings.Listen.RequireAuth && !s.authed {
		return errAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.c.settings.Listen.RequireAuth && !s.authed {
		return errAuthRequired
	}
	if !isOwn(strings.TrimSpace(to), s.c.settings.own()) {
		return errNoMailbox
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	if len(s.rcpts) == 0 {
		return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "No valid recipients"}
	}
	limit := s.c.settings.MaxMessageBytes
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return err // go-smtp answers 552 past the hard cap (listen.max_bytes)
	}
	// Record the envelope recipients: a token address may appear only there
	// (forwarding rules, Bcc).
	var buf bytes.Buffer
	for _, rc := range s.rcpts {
		buf.WriteString("Delivered-To: " + rc + "\r\n")
	}
	ctx, cancel := context.WithTimeout(s.ctx, time.Minute)
	defer cancel()
	source := "smtp:" + s.remote
	if int64(len(body)) > limit {
		// Over max_message_bytes but under the cap: accepted and quarantined
		// like over-size mail found by IMAP, with a list of what it held.
		parts, size, err := partsOfStream(io.MultiReader(bytes.NewReader(body), r))
		if err != nil {
			return err
		}
		buf.Write(headerOnly(body))
		if err := s.c.quarantineOversize(ctx, buf.Bytes(), source, size, parts); err != nil {
			s.c.log.Error("smtp inbound", "from", s.from, "err", err)
			return errTryLater
		}
		return nil
	}
	buf.Write(body)
	if err := s.c.deliver(ctx, s.sink, buf.Bytes(), source); err != nil {
		s.c.log.Error("smtp inbound", "from", s.from, "err", err)
		return errTryLater
	}
	return nil
}

func (s *session) Reset() {
	s.from = ""
	s.rcpts = nil
}

func (s *session) Logout() error { return nil }

// slogLogger adapts slog to go-smtp's logger.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Printf(format string, v ...any) {
	s.l.Warn("smtp listener: " + fmt.Sprintf(format, v...))
}
func (s slogLogger) Println(v ...any) { s.l.Warn("smtp listener: " + fmt.Sprint(v...)) }
