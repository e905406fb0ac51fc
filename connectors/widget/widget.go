// Package widget is the website chat channel: a script that sites embed with
// one <script> tag, and the endpoints it talks to (session, WebSocket,
// long-poll fallback, uploads, attachments). Visitor messages become
// inbox.Inbound values; agent replies are pushed to the visitor's live
// sockets, or left for the visitor's next visit, or handed back to the
// dispatcher as unreachable so the conversation continues by email.
//
// Presence (which visitor has a live socket) is kept in this process's
// memory. With several Hanbox instances, a reply is delivered live only by
// the instance holding the visitor's socket; the others see the visitor as
// gone (see README).
package widget

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hanbox/hanbox/avatar"
	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/ratelimit"
)

// Kind is the registry name of the widget channel.
const Kind = "widget"

// EventVisitorRead is published on the bus when a visitor has read agent
// messages up to Data["up_to"] (a message id).
const EventVisitorRead = "visitor.read"

func init() { connectors.Register(Kind, New) }

// Channel is a running widget channel.
type Channel struct {
	ch             connectors.Channel
	settings       Settings
	origins        []originPattern
	identitySecret []byte
	svc            connectors.Visitors
	links          connectors.Pages // conversation pages (page.go); nil serves none
	baseOrigin     string           // Hanbox's own origin, where conversation pages are
	clustered      bool             // other instances may hold visitors' sockets
	bus            *inbox.Bus
	state          connectors.State
	status         connectors.StatusReporter
	log            *slog.Logger
	baseURL        string
	started        time.Time
	clock          atomic.Pointer[func() time.Time] // tests move it; see now

	hub *hub
	// life ends when the channel is closed; live sockets end with it.
	life     context.Context
	stopLife context.CancelFunc

	keyMu sync.Mutex
	key   []byte

	visitorLimit *ratelimit.Keyed // messages per visitor
	sessionLimit *ratelimit.Keyed // POST /session per IP
	uploadLimit  *ratelimit.Keyed // uploads per visitor
	eventLimit   *ratelimit.Keyed // typing, read and page frames per visitor
	viewLimit    *ratelimit.Keyed // recorded page views per visitor

	replyMu      sync.Mutex
	replyAt      time.Time
	replySeconds int64

	ticketMu      sync.Mutex
	ticketContact map[int64]int64

	// acks waits for other instances to confirm a reply reached a visitor
	// connected to them; see deliverRemote.
	ackMu sync.Mutex
	acks  map[int64]chan struct{}

	agentMu     sync.Mutex
	agentActive map[int64]time.Time
}

var (
	_ connectors.Connector = (*Channel)(nil)
	_ connectors.Handler   = (*Channel)(nil)
	_ connectors.Validator = (*Channel)(nil)
	_ connectors.Closer    = (*Channel)(nil)
)

// New builds a widget channel.
func New(ch connectors.Channel, deps connectors.Deps) (*Channel, error) {
	var s Settings
	if err := connectors.DecodeSettings(ch.Settings, &s); err != nil {
		return nil, err
	}
	secret, err := ch.Secret("identity_secret")
	if err != nil {
		return nil, err
	}
	if deps.Visitors == nil {
		return nil, errors.New("widget: the runtime gave no inbox (Deps.Visitors)")
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Channel{
		ch: ch, settings: s, identitySecret: []byte(secret), svc: deps.Visitors, links: deps.Pages, clustered: deps.Clustered, bus: deps.Bus,
		state: deps.State, status: deps.Status, log: log, baseURL: strings.TrimRight(deps.BaseURL, "/"),
		started: time.Now(), hub: newHub(),
		visitorLimit:  ratelimit.New(20, 10*time.Second),
		sessionLimit:  ratelimit.New(60, time.Minute),
		uploadLimit:   ratelimit.New(20, time.Minute),
		eventLimit:    ratelimit.New(30, 30*time.Second),
		viewLimit:     ratelimit.New(30, time.Minute),
		ticketContact: map[int64]int64{},
		agentActive:   map[int64]time.Time{},
		acks:          map[int64]chan struct{}{},
	}
	c.setClock(time.Now)
	c.viewLimit.SetClock(c.now)
	c.hub.ownPrefix = c.ownPrefix
	c.hub.now = c.now // the hub's "last seen" follows the same clock
	// A visitor counts as present for a short while after they were last
	// seen, but never longer than the grace period itself.
	c.hub.liveWindow = min(c.hub.liveWindow, s.grace())
	c.life, c.stopLife = context.WithCancel(context.Background())
	if c.bus == nil {
		c.bus = inbox.NewBus()
	}
	for _, o := range s.AllowedOrigins {
		if p, err := parseOriginPattern(o); err == nil {
			c.origins = append(c.origins, p)
		}
	}
	if u, err := url.Parse(c.baseURL); err == nil && u.Host != "" {
		c.baseOrigin = u.Scheme + "://" + u.Host
	}
	return c, nil
}

// Kind implements connectors.Connector.
func (c *Channel) Kind() string { return Kind }

// now is the channel's clock: time.Now, or a test's.
func (c *Channel) now() time.Time { return (*c.clock.Load())() }

// setClock replaces the channel's clock (tests).
func (c *Channel) setClock(f func() time.Time) { c.clock.Store(&f) }

// Close implements connectors.Closer: it ends the channel's live sockets
// (the scripts reconnect to the channel's next instance).
func (c *Channel) Close() error {
	c.stopLife()
	return nil
}

// SetClock makes the channel read the time from now: tests in other
// packages move it past the grace period instead of waiting it out.
func (c *Channel) SetClock(now func() time.Time) { c.setClock(now) }

// Sockets returns the number of visitors' WebSockets attached now: tests in
// other packages wait for a closed socket to be detached before counting
// its visitor as gone.
func (c *Channel) Sockets() int { return c.hub.connCount() }

// Validate implements connectors.Validator.
func (c *Channel) Validate(context.Context) error { return c.settings.Validate() }

// Start implements connectors.Connector: the widget receives over HTTP, so
// Start only follows the bus for agent typing and activity until ctx ends.
// Messages are ingested through deps.Visitors (the same inbox the runtime
// passes as sink), because requests may arrive before Start has run.
func (c *Channel) Start(ctx context.Context, sink connectors.Sink) error {
	if _, err := c.signingKey(ctx); err != nil {
		return err
	}
	events := c.bus.Subscribe(ctx, 256, func(e inbox.Event) bool {
		if e.Remote && e.ChannelID == c.ch.ID && (e.Type == eventRemoteDeliver || e.Type == eventRemoteDelivered) {
			return true
		}
		switch e.Type {
		case inbox.EventAgentTyping, inbox.EventAgentViewing, inbox.EventPresence, inbox.EventMessageCreated:
			return e.AgentID > 0
		case inbox.EventContactUpdated:
			return e.Contact != nil && (e.Contact.MergedFrom != 0 || e.Contact.Unmerged != 0)
		case inbox.EventTicketUpdated:
			return ticketsMoved(e) || queueMoved(e)
		case inbox.EventTicketCreated:
			return queueMoved(e)
		case inbox.EventLinkRevoked:
			return true
		}
		return false
	})
	c.reportStatus(connectors.StateConnected)
	sweep := time.NewTicker(time.Minute)
	defer sweep.Stop()
	// Unattached uploads are collected at start (their rows survive
	// restarts) and then hourly; so are page views past retention.
	c.collectUploads(ctx)
	c.pruneViews(ctx)
	collect := time.NewTicker(time.Hour)
	defer collect.Stop()
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return nil
			}
			switch {
			case e.Remote && (e.Type == eventRemoteDeliver || e.Type == eventRemoteDelivered):
				c.onRemoteEvent(ctx, e)
			case e.Type == inbox.EventLinkRevoked:
				c.onLinkRevoked(ctx, e)
			case e.Type == inbox.EventTicketUpdated || e.Type == inbox.EventTicketCreated:
				if ticketsMoved(e) {
					c.onTicketsMoved(ctx)
				}
				if queueMoved(e) {
					c.onQueueMoved(ctx, e)
				}
			default:
				c.onAgentEvent(ctx, e)
			}
		case <-sweep.C:
			c.hub.sweep(c.settings.grace() + 10*time.Minute)
		case <-collect.C:
			c.collectUploads(ctx)
			c.pruneViews(ctx)
		}
	}
}

func (c *Channel) reportStatus(state string) {
	if c.status != nil {
		c.status(state, nil)
	}
}

// onAgentEvent forwards agent typing and viewing to the ticket's visitor and
// records agent activity for the "agents online" hint.
func (c *Channel) onAgentEvent(ctx context.Context, e inbox.Event) {
	if e.Type == inbox.EventContactUpdated {
		// A merge moved identities and tickets: look the visitors up again.
		ids := c.hub.forgetContact(e.ContactID)
		if e.Contact != nil && e.Contact.MergedFrom != 0 {
			ids = append(ids, c.hub.forgetContact(e.Contact.MergedFrom)...)
		}
		for _, who := range ids {
			if ct, err := c.svc.ContactByIdentity(ctx, inbox.IdentityWidget, who); err == nil {
				c.hub.setContact(who, ct.ID, 0)
			}
		}
		c.onTicketsMoved(ctx) // pages follow their link's contact
		c.ticketMu.Lock()
		clear(c.ticketContact)
		c.ticketMu.Unlock()
		return
	}
	c.agentMu.Lock()
	if e.Type == inbox.EventPresence && isOffline(e.Data) {
		delete(c.agentActive, e.AgentID)
	} else {
		c.agentActive[e.AgentID] = c.now()
	}
	c.agentMu.Unlock()
	if e.TicketID == 0 || (e.Type != inbox.EventAgentTyping && e.Type != inbox.EventAgentViewing) {
		return
	}
	contactID := c.ticketContactID(ctx, e.TicketID)
	if contactID == 0 || !c.hub.hasContact(contactID) {
		return
	}
	conv := conversationID(e.TicketID + inbox.TicketNumberBase)
	var f frame
	if e.Type == inbox.EventAgentTyping {
		typing := true
		if v, ok := e.Data["typing"].(bool); ok {
			typing = v
		}
		f = frame{Type: "typing", From: "agent", Typing: &typing, Conversation: conv}
		if n, ok := e.Data["agent_name"].(string); ok {
			f.Author = n
		}
	} else {
		at := e.At
		f = frame{Type: "read", At: &at, Conversation: conv}
	}
	c.hub.broadcast(ctx, contactID, f, reach{ticketID: e.TicketID})
}

// ticketsMoved reports whether a ticket event is a merge or an unmerge,
// after which open pages look their ticket up again.
func ticketsMoved(e inbox.Event) bool {
	c := e.Changes
	return c != nil && (c.MergedFrom != 0 || c.MergedInto != 0 || c.Unmerged != 0 || c.UnmergedFrom != 0)
}

func isOffline(d map[string]any) bool {
	if v, ok := d["online"].(bool); ok && !v {
		return true
	}
	s, _ := d["state"].(string)
	return s == "offline"
}

// agentsOnline reports whether an agent was active in the last 15 minutes.
func (c *Channel) agentsOnline() bool {
	c.agentMu.Lock()
	defer c.agentMu.Unlock()
	for id, t := range c.agentActive {
		if c.now().Sub(t) < 15*time.Minute {
			return true
		}
		delete(c.agentActive, id)
	}
	return false
}

func (c *Channel) ticketContactID(ctx context.Context, ticketID int64) int64 {
	c.ticketMu.Lock()
	id, ok := c.ticketContact[ticketID]
	c.ticketMu.Unlock()
	if ok {
		return id
	}
	contactID, err := c.svc.TicketContact(ctx, ticketID)
	if err != nil {
		return 0
	}
	c.ticketMu.Lock()
	if len(c.ticketContact) > 50000 {
		clear(c.ticketContact)
	}
	c.ticketContact[ticketID] = contactID
	c.ticketMu.Unlock()
	return contactID
}

// Send implements connectors.Connector. The reply is pushed to every live
// socket and poller of the contact. Then: a visitor connected (or seen in the
// last few seconds) has it; one gone for less than the grace period gets a
// retry after the rest of it; one gone longer is unreachable when an email is
// known (the dispatcher continues by email), or finds it in history on the
// next visit.
func (c *Channel) Send(ctx context.Context, out *inbox.Outbound) (inbox.ExternalRef, error) {
	ref := inbox.ExternalRef{ID: "w-" + strconv.FormatInt(out.MessageID, 10)}
	f, err := c.replyFrame(ctx, out)
	if err != nil {
		return inbox.ExternalRef{}, err
	}
	r := reach{ticketID: out.Ticket.ID, keys: c.ownKeys(out.ThreadKeys)}
	live, lastSeen := c.hub.deliver(ctx, out.Contact.ID, f, r)
	if live {
		return ref, nil
	}
	if c.deliverRemote(ctx, out.Contact.ID, out.MessageID, f, r) {
		return ref, nil
	}
	if lastSeen.IsZero() {
		lastSeen = c.started
	}
	gone := c.now().Sub(lastSeen)
	if gone < c.settings.grace() {
		return inbox.ExternalRef{}, connectors.RetryAfter(c.settings.grace()-gone,
			fmt.Errorf("widget: visitor left %s ago; waiting for them to come back", gone.Round(time.Second)))
	}
	if out.Contact.Email != "" {
		return inbox.ExternalRef{}, fmt.Errorf("widget: visitor gone for %s: %w", gone.Round(time.Second), connectors.ErrUnreachable)
	}
	return ref, nil
}

// replyFrame renders an outbound message as the visitor sees it.
func (c *Channel) replyFrame(ctx context.Context, out *inbox.Outbound) (frame, error) {
	text := out.Text
	if strings.TrimSpace(text) == "" && out.HTML != "" {
		text = plaintext.FromHTML(out.HTML)
	}
	at := c.now().UTC()
	f := frame{Type: "message", ID: out.MessageID, From: "agent", Author: strings.TrimSpace(out.Agent.Name), Channel: Kind, Text: text, At: &at,
		Conversation: conversationID(out.Ticket.Number), AuthorAvatar: avatar.Path(out.Agent.AvatarSum)}
	if out.Bot != nil {
		f.From, f.Author, f.AuthorAvatar, f.Choices = "bot", "", "", out.Bot.Choices
	}
	if out.Survey != nil {
		// A rating card: the question, the faces and the thank-you.
		f.Text, f.Survey = out.Survey.Question, surveyCard(out.Survey)
	}
	atts, err := c.svc.MessageAttachments(ctx, out.MessageID)
	if err != nil {
		return frame{}, fmt.Errorf("widget: reply attachments: %w", err)
	}
	for _, a := range atts {
		f.Attachments = append(f.Attachments, attachmentView(a))
	}
	return f, nil
}

// ownKeys are this channel's chat keys among a ticket's keys.
func (c *Channel) ownKeys(keys []string) []string {
	var out []string
	for _, k := range keys {
		if strings.HasPrefix(k, ThreadKeyPrefix(c.ch.PublicKey)) {
			out = append(out, k)
		}
	}
	return out
}

// ThreadKeyPrefix is the prefix of this channel's conversation thread keys.
func ThreadKeyPrefix(publicKey string) string { return "widget:" + publicKey + ":" }

// ThreadKey is the thread key of one widget conversation.
func ThreadKey(publicKey, conversationID string) string {
	return ThreadKeyPrefix(publicKey) + conversationID
}

// signingKey returns the channel's key for session tokens and upload refs,
// created once and kept in the channel state so that every instance and
// restart shares it.
func (c *Channel) signingKey(ctx context.Context) ([]byte, error) {
	c.keyMu.Lock()
	defer c.keyMu.Unlock()
	if c.key != nil {
		return c.key, nil
	}
	if c.state == nil {
		c.key = randomBytes(32)
		return c.key, nil
	}
	v, err := c.state.Get(ctx, "signing_key")
	if errors.Is(err, connectors.ErrNotFound) {
		if err := c.state.Put(ctx, "signing_key", base64.RawURLEncoding.EncodeToString(randomBytes(32))); err != nil {
			return nil, fmt.Errorf("widget: save signing key: %w", err)
		}
		v, err = c.state.Get(ctx, "signing_key")
	}
	if err != nil {
		return nil, fmt.Errorf("widget: load signing key: %w", err)
	}
	k, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(k) < 32 {
		return nil, errors.New("widget: stored signing key is malformed")
	}
	c.key = k
	return k, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return b
}

// sign returns payload.signature for a JSON value.
func sign(key []byte, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	p := base64.RawURLEncoding.EncodeToString(b)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(p))
	return p + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)), nil
}

// verify checks a value made by sign and decodes it into v.
func verify(key []byte, tok string, v any) bool {
	p, s, ok := strings.Cut(tok, ".")
	if !ok || len(tok) > 4096 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(p))
	if !hmac.Equal(sig, m.Sum(nil)) {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

// UserHash returns the user_hash a site computes for user_id: the hex
// HMAC-SHA256 of the user id keyed with the channel's identity_secret.
func UserHash(secret, userID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(userID))
	return hex.EncodeToString(m.Sum(nil))
}

// Several Hanbox instances on one PostgreSQL database each hold some
// visitors' sockets. A reply whose visitor is not connected here is offered
// to the others over the event relay; the instance holding the socket pushes
// it and confirms.
const (
	eventRemoteDeliver   = "widget.deliver"
	eventRemoteDelivered = "widget.delivered"
	remoteAckWait        = 500 * time.Millisecond
)

// deliverRemote offers f to other instances and reports whether one of them
// delivered it to a live socket. On SQLite there is only one instance.
func (c *Channel) deliverRemote(ctx context.Context, contactID, messageID int64, f frame, r reach) bool {
	if !c.clustered || messageID == 0 {
		return false
	}
	ack := make(chan struct{}, 1)
	c.ackMu.Lock()
	c.acks[messageID] = ack
	c.ackMu.Unlock()
	defer func() {
		c.ackMu.Lock()
		delete(c.acks, messageID)
		c.ackMu.Unlock()
	}()
	c.bus.Publish(inbox.Event{Type: eventRemoteDeliver, ChannelID: c.ch.ID, ContactID: contactID, MessageID: messageID, TicketID: r.ticketID,
		Data: map[string]any{"frame": f, "keys": r.keys}})
	select {
	case <-ack:
		return true
	case <-time.After(remoteAckWait):
		return false
	case <-ctx.Done():
		return false
	}
}

// onRemoteEvent handles relayed widget events: a reply to push to a visitor
// connected here, or another instance confirming it pushed ours.
func (c *Channel) onRemoteEvent(ctx context.Context, e inbox.Event) {
	switch e.Type {
	case eventRemoteDeliver:
		raw, err := json.Marshal(e.Data["frame"])
		if err != nil {
			return
		}
		var f frame
		if json.Unmarshal(raw, &f) != nil || f.Type != "message" {
			return
		}
		r := reach{ticketID: e.TicketID}
		if ks, ok := e.Data["keys"].([]any); ok {
			for _, k := range ks {
				if s, ok := k.(string); ok {
					r.keys = append(r.keys, s)
				}
			}
		}
		if ks, ok := e.Data["keys"].([]string); ok {
			r.keys = ks
		}
		if live, _ := c.hub.deliver(ctx, e.ContactID, f, r); live {
			c.bus.Publish(inbox.Event{Type: eventRemoteDelivered, ChannelID: c.ch.ID, MessageID: e.MessageID})
		}
	case eventRemoteDelivered:
		c.ackMu.Lock()
		ack := c.acks[e.MessageID]
		c.ackMu.Unlock()
		if ack != nil {
			select {
			case ack <- struct{}{}:
			default:
			}
		}
	}
}
