package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
)

// Kind is the registry name of the email channel.
const Kind = "email"

// DefaultMaxMessageBytes bounds one message when max_message_bytes is unset.
const DefaultMaxMessageBytes = 25 << 20

func init() { connectors.Register(Kind, New) }

// TLS modes of the IMAP and SMTP connections.
const (
	TLSImplicit = "implicit"
	TLSStartTLS = "starttls"
	TLSNone     = "none"
)

// After-import actions on the IMAP server.
const (
	AfterLeave = "leave"
	AfterSeen  = "seen"
	AfterMove  = "move"
)

// Settings of an email channel (the channel row's settings JSON). Passwords
// are secrets: "imap_password" and "smtp_password" (or their _file variants).
type Settings struct {
	// Address is the support address customers write to.
	Address string `json:"address"`
	// Aliases are other addresses that deliver to this mailbox.
	Aliases []string `json:"aliases,omitempty"`
	// FromName is the display name on outgoing mail when the agent has none.
	FromName string `json:"from_name"`
	// ReplyToToken sets Reply-To to local+<ticket token>@domain, so replies
	// thread even when a mailer drops In-Reply-To and References.
	ReplyToToken bool `json:"reply_to_token"`
	// KBSuggestions lets the answer bot acknowledge a new email ticket
	// with up to three help articles that may answer it (package kb);
	// off by default.
	KBSuggestions bool `json:"kb_suggestions"`
	// AIAnswers lets the bot answer customers with the generative-answers
	// provider (package assist), off by default.
	AIAnswers bool `json:"ai_answers"`
	IMAP      IMAP `json:"imap"`
	SMTP      SMTP `json:"smtp"`
	// Listen configures the optional inbound SMTP listener.
	Listen Listen `json:"listen"`
	// MaxMessageBytes bounds one inbound message (default 25 MB).
	MaxMessageBytes int64 `json:"max_message_bytes"`
}

// IMAP configures mailbox sync. An empty Host disables it.
type IMAP struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	TLS      string `json:"tls"`
	Username string `json:"username"`
	// Folder is the mailbox synced (default INBOX).
	Folder string `json:"folder"`
	// AfterImport is leave (default), seen or move (to MoveTo).
	AfterImport string `json:"after_import"`
	MoveTo      string `json:"move_to"`
	// PollInterval is used when the server has no IDLE (Go duration, default 1m).
	PollInterval string `json:"poll_interval"`
	// InsecureSkipVerify accepts any server certificate (tests, self-signed).
	InsecureSkipVerify bool `json:"insecure_skip_verify,omitempty"`
}

// SMTP configures outgoing mail.
type SMTP struct {
	Host               string `json:"host"`
	Port               int    `json:"port"`
	TLS                string `json:"tls"`
	Username           string `json:"username"`
	InsecureSkipVerify bool   `json:"insecure_skip_verify,omitempty"`
}

// Listen configures the inbound SMTP listener. An empty Addr disables it.
type Listen struct {
	Addr string `json:"addr"`
	// MaxBytes is the listener's hard cap: larger mail is refused with 552
	// (default 4 × max_message_bytes). Mail between max_message_bytes and
	// the cap is accepted and quarantined (headers kept), as by IMAP.
	MaxBytes int64 `json:"max_bytes"`
	// RequireAuth demands AUTH PLAIN with the secret "listen_password"
	// (user name: the support address) before mail is accepted.
	RequireAuth bool   `json:"require_auth"`
	Cert        string `json:"cert"`
	Key         string `json:"key"`
	// Domain is the name the listener greets with (default: the address's domain).
	Domain string `json:"domain"`
}

// Validate checks the settings.
func (s *Settings) Validate() error {
	if _, err := splitAddr(s.Address); err != nil {
		return fmt.Errorf("email: address: %w", err)
	}
	for _, a := range s.Aliases {
		if _, err := splitAddr(a); err != nil {
			return fmt.Errorf("email: alias %q: %w", a, err)
		}
	}
	if s.IMAP.Host == "" && s.Listen.Addr == "" {
		return errors.New("email: set imap.host or listen.addr to receive mail")
	}
	for _, m := range []string{s.IMAP.TLS, s.SMTP.TLS} {
		switch m {
		case "", TLSImplicit, TLSStartTLS, TLSNone:
		default:
			return fmt.Errorf("email: tls must be implicit, starttls or none, not %q", m)
		}
	}
	switch s.IMAP.AfterImport {
	case "", AfterLeave, AfterSeen:
	case AfterMove:
		if s.IMAP.MoveTo == "" {
			return errors.New("email: imap.after_import move needs imap.move_to")
		}
	default:
		return fmt.Errorf("email: imap.after_import must be leave, seen or move, not %q", s.IMAP.AfterImport)
	}
	if s.IMAP.PollInterval != "" {
		if d, err := time.ParseDuration(s.IMAP.PollInterval); err != nil || d < time.Second {
			return fmt.Errorf("email: imap.poll_interval %q is not a duration of at least 1s", s.IMAP.PollInterval)
		}
	}
	if (s.Listen.Cert == "") != (s.Listen.Key == "") {
		return errors.New("email: listen.cert and listen.key go together")
	}
	if s.MaxMessageBytes < 0 || s.Listen.MaxBytes < 0 {
		return errors.New("email: size limits must not be negative")
	}
	return nil
}

func (s *Settings) defaults() {
	s.Address = strings.ToLower(strings.TrimSpace(s.Address))
	if s.IMAP.Folder == "" {
		s.IMAP.Folder = "INBOX"
	}
	if s.IMAP.AfterImport == "" {
		s.IMAP.AfterImport = AfterLeave
	}
	if s.IMAP.TLS == "" {
		s.IMAP.TLS = TLSImplicit
	}
	if s.SMTP.TLS == "" {
		s.SMTP.TLS = TLSStartTLS
	}
	if s.IMAP.Port == 0 {
		s.IMAP.Port = map[string]int{TLSImplicit: 993, TLSStartTLS: 143, TLSNone: 143}[s.IMAP.TLS]
	}
	if s.SMTP.Port == 0 {
		s.SMTP.Port = map[string]int{TLSImplicit: 465, TLSStartTLS: 587, TLSNone: 25}[s.SMTP.TLS]
	}
	if s.MaxMessageBytes == 0 {
		s.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if s.Listen.MaxBytes == 0 {
		s.Listen.MaxBytes = 4 * s.MaxMessageBytes
	}
}

func (s *Settings) pollInterval() time.Duration {
	if d, err := time.ParseDuration(s.IMAP.PollInterval); err == nil && d >= time.Second {
		return d
	}
	return time.Minute
}

// own returns the channel's addresses, lower case.
func (s *Settings) own() []string {
	out := []string{s.Address}
	for _, a := range s.Aliases {
		out = append(out, strings.ToLower(strings.TrimSpace(a)))
	}
	return out
}

func splitAddr(a string) ([2]string, error) {
	a = strings.TrimSpace(a)
	at := strings.LastIndexByte(a, '@')
	if at <= 0 || at == len(a)-1 || strings.ContainsAny(a, " <>\"") {
		return [2]string{}, fmt.Errorf("%q is not an email address", a)
	}
	return [2]string{a[:at], a[at+1:]}, nil
}

// Channel is a running email channel.
type Channel struct {
	ch       connectors.Channel
	settings Settings
	deps     connectors.Deps
	log      *slog.Logger

	imapPassword   string
	smtpPassword   string
	listenPassword string

	bouncer bouncer
	stored  storedMail
	links   connectors.Linker // conversation page links in agent mail; nil adds none

	mu       sync.Mutex
	listener *listener

	// dial and wait replace the network and the clock in tests.
	dial func(ctx context.Context, addr string) (net.Conn, error)
	wait func(ctx context.Context, d time.Duration) error
}

// bouncer is the narrow inbox interface for delivery reports.
type bouncer interface {
	MarkBounced(ctx context.Context, channelID int64, sentMessageID string, reason string) error
}

var (
	_ connectors.Connector = (*Channel)(nil)
	_ connectors.Validator = (*Channel)(nil)
	_ connectors.Closer    = (*Channel)(nil)
	_ bouncer              = (*inbox.Service)(nil)
)

// New builds an email channel.
func New(ch connectors.Channel, deps connectors.Deps) (*Channel, error) {
	var s Settings
	if err := connectors.DecodeSettings(ch.Settings, &s); err != nil {
		return nil, err
	}
	s.defaults()
	c := &Channel{ch: ch, settings: s, deps: deps, log: deps.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.deps.Status == nil {
		c.deps.Status = func(string, error) {}
	}
	var err error
	if c.imapPassword, err = ch.Secret("imap_password"); err != nil {
		return nil, err
	}
	if c.smtpPassword, err = ch.Secret("smtp_password"); err != nil {
		return nil, err
	}
	if c.listenPassword, err = ch.Secret("listen_password"); err != nil {
		return nil, err
	}
	c.bouncer = deps.Bounces
	c.links = deps.Links
	c.stored = deps.Messages
	return c, nil
}

// Kind implements connectors.Connector.
func (c *Channel) Kind() string { return Kind }

// Validate implements connectors.Validator.
func (c *Channel) Validate(context.Context) error { return c.settings.Validate() }

// Start implements connectors.Connector: it runs the inbound SMTP listener
// (when configured) for the channel's lifetime and syncs the IMAP mailbox
// (when configured). A lost or refused IMAP connection is retried inside
// Start within seconds (see reconnectMin); any other IMAP failure (a rejected
// login, a missing folder, the store) returns an error so the runtime
// restarts Start with its backoff. The listener keeps running across those
// restarts.
func (c *Channel) Start(ctx context.Context, sink connectors.Sink) error {
	if c.settings.Listen.Addr != "" {
		if err := c.ensureListener(sink); err != nil {
			c.deps.Status(connectors.StateError, err)
			return err
		}
	}
	if c.settings.IMAP.Host == "" {
		c.deps.Status(connectors.StateConnected, nil)
		<-ctx.Done()
		return nil
	}
	return c.runIMAP(ctx, sink)
}

// Close implements connectors.Closer: it stops the SMTP listener.
func (c *Channel) Close() error {
	c.mu.Lock()
	l := c.listener
	c.listener = nil
	c.mu.Unlock()
	if l != nil {
		return l.Close()
	}
	return nil
}

// ListenAddr returns the address the inbound SMTP listener is bound to, or ""
// (tests bind port 0 and ask).
func (c *Channel) ListenAddr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.listener == nil {
		return ""
	}
	return c.listener.Addr()
}

// deliver parses one raw message and hands it on: a customer message is
// ingested, a bounce marks our sent message failed, anything unusable is
// quarantined. It returns nil once the message is durably accounted for, so
// the caller may advance its checkpoint; an error means "try again later".
func (c *Channel) deliver(ctx context.Context, sink connectors.Sink, raw []byte, source string) error {
	return c.deliverParsed(ctx, sink, raw, source, false)
}

// deliverParsed is deliver; retry is set for input handed back from the
// quarantine.
func (c *Channel) deliverParsed(ctx context.Context, sink connectors.Sink, raw []byte, source string, retry bool) error {
	in, err := c.inbound(ctx, raw, source, retry)
	if err != nil || in == nil {
		return err
	}
	err = c.ingestMail(ctx, sink, []*inbox.Inbound{in}, [][]byte{raw})[0]
	return c.settle(ctx, raw, source, err)
}

// Reprocess implements connectors.Reprocessor: quarantined mail is parsed
// again and, if it now parses, delivered as if it had just arrived.
func (c *Channel) Reprocess(ctx context.Context, raw []byte, externalID string) error {
	if _, err := Parse(raw, c.parseOptions(true)); err != nil {
		return fmt.Errorf("email: still cannot parse: %w", err)
	}
	if c.deps.Sink == nil {
		return errors.New("email: no inbox to deliver to")
	}
	return c.deliverParsed(ctx, c.deps.Sink, raw, externalID, true)
}

// inbound parses raw mail. It returns nil (and handles the mail) for what is
// not a customer message: unparseable mail (quarantined), bounces (the
// original reply is marked failed) and our own replies coming back.
func (c *Channel) inbound(ctx context.Context, raw []byte, source string, retry bool) (*inbox.Inbound, error) {
	p, err := Parse(raw, c.parseOptions(retry))
	if err != nil {
		return nil, c.quarantine(ctx, raw, source, err.Error())
	}
	if b := p.Bounce; b != nil {
		if !b.Failed {
			c.log.Info("delivery delay report ignored", "source", source, "original", b.OriginalMessageID)
			return nil, nil
		}
		if c.bouncer == nil {
			return nil, c.quarantine(ctx, raw, source, "bounce: "+b.Reason)
		}
		err := c.bouncer.MarkBounced(ctx, c.ch.ID, b.OriginalMessageID, b.Reason)
		if errors.Is(err, inbox.ErrNotFound) {
			return nil, c.quarantine(ctx, raw, source, fmt.Sprintf("bounce for a message Hanbox did not send (%s): %s", b.OriginalMessageID, b.Reason))
		}
		return nil, err
	}
	if len(p.Repairs) > 0 && !p.OriginalKept {
		// Too large to attach: the quarantine keeps the original instead
		// (a retry comes from there already), and the message is still
		// imported with what could be read.
		if !retry {
			reason := "kept for reference, the message was imported: Hanbox repaired it (" +
				strings.Join(p.Repairs, "; ") + ") and it is too large to attach"
			if err := c.quarantine(ctx, raw, source, reason); err != nil {
				return nil, err
			}
		}
		p.Inbound.Text = withNote(p.Inbound.Text, "[This mail was malformed and Hanbox repaired it; the mail as received is too large to attach and is kept in the quarantine.]")
	}
	if in := p.Inbound; isOwn(in.Contact.ID, c.settings.own()) && strings.HasPrefix(in.ExternalID, "hanbox.") {
		// Our own reply came back (a copy to ourselves, a list): never a
		// customer message, and ingesting it could start a mail loop.
		c.log.Info("own outgoing mail ignored", "source", source, "message_id", in.ExternalID)
		return nil, nil
	}
	return p.Inbound, nil
}

func (c *Channel) parseOptions(retry bool) ParseOptions {
	return ParseOptions{ChannelID: c.ch.ID, Own: c.settings.own(), Retry: retry}
}

// settle turns an ingest error into the connector's answer: mail the inbox
// refuses as invalid is quarantined, anything else is retried later.
func (c *Channel) settle(ctx context.Context, raw []byte, source string, err error) error {
	if errors.Is(err, inbox.ErrInvalid) {
		return c.quarantine(ctx, raw, source, err.Error())
	}
	return err
}

func (c *Channel) quarantine(ctx context.Context, raw []byte, externalID, reason string) error {
	if c.deps.Quarantine == nil {
		return fmt.Errorf("email: cannot quarantine %s: %s", externalID, reason)
	}
	if err := c.deps.Quarantine.Quarantine(ctx, c.ch.ID, externalID, raw, reason); err != nil {
		return fmt.Errorf("email: quarantine: %w", err)
	}
	return nil
}

func hostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
