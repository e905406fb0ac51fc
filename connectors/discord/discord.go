// Package discord is the Discord channel: a bot watches support channels
// (and the threads under them) and direct messages through the Discord
// gateway, turns customer messages into tickets, and posts agent replies back
// into the customer's thread or DM over REST.
//
// One gateway session per bot runs in the whole cluster: Start takes the
// lock "discord:<bot user id>" before connecting and waits in standby while
// another instance holds it. A dropped socket is resumed (RESUME with the
// session id and last sequence), so Discord replays what was missed; after a
// new session (restart, failover) the connector catches up over REST from
// per-channel checkpoints. Every message is ingested under its Discord
// message id, which the inbox dedupes.
//
// Events are handled one at a time on the gateway reader, in order; a
// message is retried while the store fails and quarantined if it keeps
// failing, so the stream never stalls for good.
package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/hanbox/hanbox/connectors"
)

// Kind is the registry name of the Discord channel.
const Kind = "discord"

// StateStandby is reported while another instance owns the gateway session.
const StateStandby = "standby"

// Intents the bot identifies with. MESSAGE_CONTENT is privileged: it must be
// enabled for the application in the Developer Portal. Guilds (not
// privileged) fills the state cache with channels, threads and roles, used to
// place threads and render mentions without REST calls.
const intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages |
	discordgo.IntentsDirectMessages | discordgo.IntentsMessageContent

// InvitePermissions are the permissions the bot needs in the server: see
// channels, post in them and in threads, open threads, read history (for
// catching up after a restart) and upload files.
const InvitePermissions = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
	discordgo.PermissionCreatePublicThreads | discordgo.PermissionSendMessagesInThreads |
	discordgo.PermissionReadMessageHistory | discordgo.PermissionAttachFiles

// InviteURL is the link that adds the bot of application appID to a server
// with InvitePermissions.
func InviteURL(appID string) string {
	return "https://discord.com/oauth2/authorize?client_id=" + url.QueryEscape(appID) +
		"&scope=bot&permissions=" + strconv.FormatInt(InvitePermissions, 10)
}

// Timings; variables so tests can shorten them.
var (
	// standbyRetry is how often a standby instance tries to take the session.
	standbyRetry = 3 * time.Second
	// fatalBackoff is the first wait after a configuration error (bad token,
	// missing intent) before Start returns; it doubles up to maxFatalBackoff.
	fatalBackoff    = 30 * time.Second
	maxFatalBackoff = 10 * time.Minute
	// reconnectBackoff is the first wait between failed gateway connections.
	reconnectBackoff = time.Second
	// openTimeout bounds the gateway handshake (HELLO, READY or RESUMED).
	openTimeout = 30 * time.Second
)

// Errors shown on the channel page; they say what to fix.
var (
	errInvalidToken = errors.New("discord: invalid bot token: reset it in the Developer Portal (Bot → Reset Token) and save it in this channel")
	errIntents      = errors.New("discord: the gateway refused the bot's intents: enable MESSAGE CONTENT INTENT in the Developer Portal (Bot → Privileged Gateway Intents)")
)

func init() {
	connectors.Register(Kind, New)
	// discordgo logs through one package-level hook; route it to slog.
	discordgo.Logger = func(level, _ int, format string, a ...any) {
		l := slog.LevelInfo
		switch level {
		case discordgo.LogError:
			l = slog.LevelError
		case discordgo.LogWarning:
			l = slog.LevelWarn
		case discordgo.LogDebug:
			l = slog.LevelDebug
		}
		slog.Default().Log(context.Background(), l, "discordgo: "+fmt.Sprintf(format, a...))
	}
}

// Channel is a running Discord channel.
type Channel struct {
	ch       connectors.Channel
	settings Settings
	token    string
	deps     connectors.Deps
	log      *slog.Logger
	client   *http.Client
	// rest makes every REST call (replies, threads, lookups); gateway
	// sessions share its rate limiter.
	rest    *discordgo.Session
	support map[string]bool
	// checkpoints remember the newest stored message per channel, to catch
	// up after a new session (see backfill.go).
	checkpoints *checkpoints
	// fileHosts are the hosts attachments may be downloaded from.
	fileHosts map[string]bool

	mu          sync.Mutex
	botID       string
	fatalStreak int
	places      map[string]place // channel id → where it is, see classify
}

var (
	_ connectors.Connector = (*Channel)(nil)
	_ connectors.Validator = (*Channel)(nil)
)

// New builds a Discord channel. It does no I/O.
func New(ch connectors.Channel, deps connectors.Deps) (*Channel, error) {
	var s Settings
	if err := connectors.DecodeSettings(ch.Settings, &s); err != nil {
		return nil, err
	}
	token, err := ch.Secret("bot_token")
	if err != nil {
		return nil, err
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Status == nil {
		deps.Status = func(string, error) {}
	}
	client, err := apiClient(deps.HTTPClient, s.APIBase)
	if err != nil {
		return nil, fmt.Errorf("discord: api_base: %w", err)
	}
	c := &Channel{ch: ch, settings: s, token: token, deps: deps, log: deps.Logger, client: client,
		support: map[string]bool{}, places: map[string]place{},
		fileHosts: map[string]bool{"cdn.discordapp.com": true, "media.discordapp.net": true}}
	for _, id := range s.SupportChannels {
		c.support[id] = true
	}
	if s.APIBase != "" {
		if u, err := url.Parse(s.APIBase); err == nil {
			c.fileHosts[u.Host] = true
		}
	}
	c.checkpoints = &checkpoints{state: deps.State}
	c.rest = c.newSession()
	return c, nil
}

// newSession returns a discordgo session configured for Hanbox: our HTTP
// client, no compression, no automatic reconnects or rate-limit sleeps (the
// connector and the dispatcher own retrying), events handled in order.
func (c *Channel) newSession() *discordgo.Session {
	s, _ := discordgo.New("Bot " + c.token) // New never fails
	s.Client = c.client
	s.UserAgent = "DiscordBot (https://github.com/hanbox/hanbox, 1) Hanbox"
	s.Compress = false
	s.Identify.Compress = false
	s.Identify.Intents = intents
	s.ShouldReconnectOnError = false
	s.ShouldReconnectVoiceOnSessionError = false
	s.ShouldRetryOnRateLimit = false
	s.SyncEvents = true
	s.LogLevel = discordgo.LogError // drops and retries are logged by the connector
	s.State.MaxMessageCount = 0
	if c.rest != nil {
		s.Ratelimiter = c.rest.Ratelimiter
	}
	return s
}

// Kind implements connectors.Connector.
func (c *Channel) Kind() string { return Kind }

// Validate implements connectors.Validator.
func (c *Channel) Validate(context.Context) error {
	if c.token == "" {
		return errors.New("discord: bot_token is required (Developer Portal → your application → Bot → Reset Token)")
	}
	return c.settings.Validate()
}

// Start implements connectors.Connector: it learns the bot's user, takes the
// cluster-wide session lock (standing by while another instance holds it),
// and runs the gateway session until ctx ends.
func (c *Channel) Start(ctx context.Context, sink connectors.Sink) error {
	c.deps.Status(connectors.StateConnecting, nil)
	me, err := c.rest.User("@me", discordgo.WithContext(ctx))
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		if httpStatus(err) == http.StatusUnauthorized {
			return c.fatal(ctx, errInvalidToken)
		}
		return fmt.Errorf("discord: get bot user: %w", err)
	}
	c.mu.Lock()
	c.botID = me.ID
	c.mu.Unlock()

	release, err := c.acquire(ctx, "discord:"+me.ID)
	if err != nil || release == nil {
		return err
	}
	defer release()
	// Load checkpoints only now: a standby instance must see what the
	// previous owner stored.
	if err := c.checkpoints.load(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("discord: load checkpoints: %w", err)
	}
	return c.run(ctx, sink)
}

// acquire takes the session lock, reporting standby and retrying while
// another instance holds it. It returns a nil release when ctx ended.
func (c *Channel) acquire(ctx context.Context, key string) (func(), error) {
	if c.deps.Locker == nil {
		return func() {}, nil
	}
	standby := false
	for {
		release, ok, err := c.deps.Locker.TryLock(ctx, key)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil
			}
			return nil, fmt.Errorf("discord: take session lock: %w", err)
		}
		if ok {
			return release, nil
		}
		if !standby {
			standby = true
			c.deps.Status(StateStandby, nil)
			c.log.Info("discord: another instance holds the gateway session; standing by")
		}
		if !connectors.Sleep(ctx, standbyRetry) {
			return nil, nil
		}
	}
}

// fatal reports a configuration error and waits before returning it, so a
// wrong token or a missing intent does not make the runtime reconnect
// quickly over and over (Discord limits identifies per day).
func (c *Channel) fatal(ctx context.Context, err error) error {
	c.mu.Lock()
	wait := fatalBackoff << min(c.fatalStreak, 10)
	c.fatalStreak++
	c.mu.Unlock()
	wait = min(wait, maxFatalBackoff)
	c.deps.Status(connectors.StateError, err)
	c.log.Error("discord: channel needs attention", "err", err, "retry_in", wait)
	connectors.Sleep(ctx, wait)
	return err
}

// run keeps one gateway session connected until ctx ends. After a drop it
// reopens the same session, which RESUMEs; after repeated failures or a
// close code that forbids resuming it identifies afresh.
func (c *Channel) run(ctx context.Context, sink connectors.Sink) error {
	dropped := make(chan struct{}, 1)
	ready := make(chan struct{}, 1)
	var (
		gw       *discordgo.Session
		dial     *dialTracker
		failures int
	)
	backoff := reconnectBackoff
	for {
		if gw == nil {
			gw, dial = c.gateway(ctx, sink, dropped, ready)
		}
		select { // forget a drop signalled by the previous connection
		case <-dropped:
		default:
		}
		err := dial.open(ctx, gw)
		if err == nil || errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			failures, backoff = 0, reconnectBackoff
			c.mu.Lock()
			c.fatalStreak = 0
			c.mu.Unlock()
			c.deps.Status(connectors.StateConnected, nil)
			if c.wait(ctx, gw, sink, dropped, ready) {
				return nil
			}
			c.log.Info("discord: gateway connection lost; resuming")
			c.deps.Status(connectors.StateConnecting, nil)
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			switch ce.Code {
			case 4004:
				return c.fatal(ctx, errInvalidToken)
			case 4013, 4014:
				return c.fatal(ctx, errIntents)
			case 4010, 4011, 4012:
				return c.fatal(ctx, fmt.Errorf("discord: the gateway refused the session (close %d: %s)", ce.Code, ce.Text))
			case 4007, 4009:
				gw = nil // the session cannot be resumed: identify again
			}
		}
		failures++
		if failures >= 3 {
			gw = nil
		}
		c.log.Warn("discord: gateway connection failed", "err", err, "retry_in", backoff)
		c.deps.Status(connectors.StateConnecting, fmt.Errorf("discord: connect gateway: %w", err))
		if !connectors.Sleep(ctx, backoff) {
			return nil
		}
		backoff = min(backoff*2, time.Minute)
	}
}

// wait serves a connected session until it drops (false) or ctx ends
// (true, after closing it). Each READY — a new session, which Discord does
// not replay into — starts a catch-up over REST.
func (c *Channel) wait(ctx context.Context, gw *discordgo.Session, sink connectors.Sink, dropped, ready <-chan struct{}) bool {
	for {
		select {
		case <-ctx.Done():
			_ = gw.Close() // sends a close frame and waits 1 s
			return true
		case <-dropped:
			return false
		case <-ready:
			c.backfill(ctx, sink, gw.State)
		}
	}
}

// gateway returns a new gateway session with the message handlers attached.
func (c *Channel) gateway(ctx context.Context, sink connectors.Sink, dropped, ready chan<- struct{}) (*discordgo.Session, *dialTracker) {
	gw := c.newSession()
	dial := &dialTracker{}
	gw.Dialer = &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: openTimeout,
		NetDialContext:   dial.dialContext,
	}
	gw.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) {
		if r.User != nil {
			c.mu.Lock()
			c.botID = r.User.ID
			c.mu.Unlock()
		}
		c.log.Info("discord: gateway session ready", "session_id", r.SessionID)
		select {
		case ready <- struct{}{}:
		default:
		}
	})
	// MESSAGE_CREATE is decoded here from the raw event: discordgo hands a
	// payload it cannot decode to typed handlers as an empty message, which
	// would drop it silently; undecodable messages are quarantined instead.
	gw.AddHandler(func(s *discordgo.Session, e *discordgo.Event) {
		if e.Type == "MESSAGE_CREATE" {
			c.onCreateRaw(ctx, sink, s.State, e.RawData)
		}
	})
	gw.AddHandler(func(s *discordgo.Session, m *discordgo.MessageUpdate) {
		if m.Message != nil {
			c.onUpdate(ctx, s.State, m.Message)
		}
	})
	gw.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageDelete) {
		if m.Message != nil {
			c.onDelete(ctx, m.ID)
		}
	})
	gw.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageDeleteBulk) {
		for _, id := range m.Messages {
			c.onDelete(ctx, id)
		}
	})
	gw.AddHandler(func(_ *discordgo.Session, i *discordgo.InteractionCreate) {
		c.onInteraction(ctx, i.Interaction)
	})
	gw.AddHandler(func(*discordgo.Session, *discordgo.Disconnect) {
		select {
		case dropped <- struct{}{}:
		default:
		}
	})
	return gw, dial
}

// dialTracker keeps the gateway's TCP connection so the handshake can be
// bounded and interrupted: discordgo's Open reads without deadlines and
// cannot be cancelled.
type dialTracker struct {
	mu   sync.Mutex
	conn net.Conn
}

func (d *dialTracker) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := (&net.Dialer{Timeout: openTimeout}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(openTimeout))
	d.mu.Lock()
	d.conn = conn
	d.mu.Unlock()
	return conn, nil
}

// open runs gw.Open with the handshake bounded by openTimeout and ended
// early by ctx; once connected the socket has no deadline (heartbeats detect
// a dead peer).
func (d *dialTracker) open(ctx context.Context, gw *discordgo.Session) error {
	stop := context.AfterFunc(ctx, func() {
		d.mu.Lock()
		if d.conn != nil {
			_ = d.conn.Close()
		}
		d.mu.Unlock()
	})
	err := gw.Open()
	stop()
	if err == nil {
		d.mu.Lock()
		if d.conn != nil {
			_ = d.conn.SetDeadline(time.Time{})
		}
		d.mu.Unlock()
	}
	return err
}

// httpStatus returns the HTTP status of a discordgo REST error, or 0.
func httpStatus(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.StatusCode
	}
	return 0
}

// apiCode returns Discord's JSON error code of a REST error, or 0.
func apiCode(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		return re.Message.Code
	}
	return 0
}
