// Package slack is the Slack channel. It does three jobs for one Slack app:
//
//   - Notifier: announces new tickets in a notify channel as one Block Kit
//     message per ticket, keeps that message up to date (assignee, status)
//     and threads later customer messages under it.
//   - Agent desk: an agent's reply in a notification's thread goes to the
//     customer on the ticket's own channel ("note:" makes it a private note);
//     the "Assign to me" and "Resolve" buttons act on the ticket. Slack users
//     are matched to Hanbox agents by their verified profile email.
//   - Customer channel: messages from non-agents in the configured customer
//     channels (Slack Connect) become tickets, one per Slack thread, and agent
//     replies are posted back into that thread.
//
// Events arrive over the Events API (signed HTTP requests to /events and
// /interactions) or Socket Mode; either way they are acknowledged at once
// and processed by a small bounded worker pool.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/hanbox/hanbox/connectors"
)

// Kind is the registry name of the Slack channel.
const Kind = "slack"

func init() { connectors.Register(Kind, New) }

const (
	queueSize = 256 // events accepted but not yet processed
	workers   = 2
)

// Channel is a running Slack channel.
type Channel struct {
	ch       connectors.Channel
	settings Settings
	deps     connectors.Deps
	log      *slog.Logger
	api      *slackgo.Client
	inbox    connectors.Desk
	secret   string // signing secret
	appToken string
	hasToken bool

	queue chan job
	seen  *recent // event ids already accepted
	users *userCache

	// degraded is set when a Slack error was reported on the channel status;
	// the next successful call reports the channel connected again.
	degraded atomic.Bool

	mu        sync.Mutex
	sink      connectors.Sink
	accepting bool
	self      identity
}

// identity is the bot as auth.test describes it.
type identity struct {
	TeamID string
	UserID string
	BotID  string
}

var (
	_ connectors.Connector = (*Channel)(nil)
	_ connectors.Notifier  = (*Channel)(nil)
	_ connectors.Handler   = (*Channel)(nil)
	_ connectors.Validator = (*Channel)(nil)
)

// New builds a Slack channel from its row. It makes no network calls.
func New(ch connectors.Channel, deps connectors.Deps) (*Channel, error) {
	var s Settings
	if err := connectors.DecodeSettings(ch.Settings, &s); err != nil {
		return nil, err
	}
	s.defaults()
	token, err := ch.Secret("bot_token")
	if err != nil {
		return nil, err
	}
	secret, err := ch.Secret("signing_secret")
	if err != nil {
		return nil, err
	}
	appToken, err := ch.Secret("app_token")
	if err != nil {
		return nil, err
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.HTTPClient == nil {
		deps.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if deps.Status == nil {
		deps.Status = func(string, error) {}
	}
	opts := []slackgo.Option{slackgo.OptionHTTPClient(deps.HTTPClient)}
	if s.APIURL != "" {
		opts = append(opts, slackgo.OptionAPIURL(s.APIURL))
	}
	if appToken != "" {
		opts = append(opts, slackgo.OptionAppLevelToken(appToken))
	}
	c := &Channel{
		ch: ch, settings: s, deps: deps, log: deps.Logger,
		api:      slackgo.New(token, opts...),
		secret:   secret,
		appToken: appToken,
		queue:    make(chan job, queueSize),
		seen:     newRecent(4096),
		users:    newUserCache(10*time.Minute, 2000),
	}
	c.inbox = deps.Desk
	c.hasToken = token != ""
	return c, nil
}

// Kind implements connectors.Connector.
func (c *Channel) Kind() string { return Kind }

// Validate implements connectors.Validator: it checks settings and secrets
// without calling Slack (the token is checked by auth.test in Start, which
// the runtime retries, so a Slack outage does not disable the channel).
func (c *Channel) Validate(context.Context) error {
	errs := []error{c.settings.Validate()}
	if !c.hasToken {
		errs = append(errs, errors.New("slack: secret bot_token is required (xoxb-...)"))
	}
	if c.settings.Mode == ModeSocket && c.appToken == "" {
		errs = append(errs, errors.New("slack: mode socket needs the app-level token in secret app_token (xapp-...)"))
	}
	if c.settings.Mode == ModeEvents && c.secret == "" {
		errs = append(errs, errors.New("slack: secret signing_secret is required to verify Events API requests"))
	}
	return errors.Join(errs...)
}

// Start implements connectors.Connector: it checks the token with
// auth.test, runs the event workers and, in socket mode, the Socket Mode
// connection, until ctx ends. Events accepted before ctx ended are drained.
func (c *Channel) Start(ctx context.Context, sink connectors.Sink) error {
	c.deps.Status(connectors.StateConnecting, nil)
	self, err := c.authTest(ctx)
	if err != nil {
		c.deps.Status(connectors.StateError, err)
		return err
	}
	c.mu.Lock()
	c.sink = sink
	c.self = self
	c.accepting = true
	c.mu.Unlock()

	wctx, stopWorkers := context.WithCancel(ctx)
	defer stopWorkers()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { c.work(wctx) })
	}
	var runErr error
	if c.settings.Mode == ModeSocket {
		runErr = c.runSocket(ctx)
	} else {
		c.deps.Status(connectors.StateConnected, nil)
		<-ctx.Done()
	}
	c.mu.Lock()
	c.accepting = false
	c.mu.Unlock()
	stopWorkers()
	wg.Wait()
	c.drain()
	if ctx.Err() != nil {
		return nil
	}
	return runErr
}

// authTest asks Slack who the bot is.
func (c *Channel) authTest(ctx context.Context) (identity, error) {
	res, err := c.api.AuthTestContext(ctx)
	if err != nil {
		return identity{}, c.transportErr("auth.test", err)
	}
	return identity{TeamID: res.TeamID, UserID: res.UserID, BotID: res.BotID}, nil
}

func (c *Channel) identity() identity {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.self
}

// permanentCodes are Slack error codes that retrying cannot fix, with the fix.
var permanentCodes = map[string]string{
	"channel_not_found":   "the Slack channel does not exist or the bot cannot see it: check the channel id and invite the bot (/invite @yourapp)",
	"not_in_channel":      "the bot is not a member of the Slack channel: invite it (/invite @yourapp)",
	"is_archived":         "the Slack channel is archived: unarchive it or pick another channel",
	"invalid_auth":        "the bot token is invalid: copy the Bot User OAuth Token (xoxb-...) again from the app's OAuth & Permissions page",
	"not_authed":          "no bot token was sent: set the secret bot_token",
	"account_inactive":    "the bot token belongs to a deleted or deactivated app or workspace: reinstall the app and update bot_token",
	"token_revoked":       "the bot token was revoked: reinstall the app and update bot_token",
	"missing_scope":       "the app lacks an OAuth scope: add the scopes listed in the Hanbox Slack README and reinstall the app",
	"msg_too_long":        "the message is too long for Slack",
	"no_text":             "the message is empty",
	"invalid_blocks":      "Slack rejected the message blocks",
	"restricted_action":   "a workspace setting prevents the bot from posting in this channel",
	"cant_update_message": "the notification message can no longer be edited",
	"message_not_found":   "the notification message was deleted in Slack",
}

// transportErr classifies a Slack API error for the dispatcher: 429 →
// RetryAfter, configuration errors → Permanent (and reported on the channel
// status), anything else is retried.
func (c *Channel) transportErr(op string, err error) error {
	var rl *slackgo.RateLimitedError
	if errors.As(err, &rl) {
		return connectors.RetryAfter(rl.RetryAfter, fmt.Errorf("slack: %s: rate limited: %w", op, err))
	}
	var se slackgo.SlackErrorResponse
	if errors.As(err, &se) {
		if fix, ok := permanentCodes[se.Err]; ok {
			perr := fmt.Errorf("slack: %s: %s: %s", op, se.Err, fix)
			switch se.Err {
			case "channel_not_found", "not_in_channel", "invalid_auth", "not_authed", "account_inactive", "token_revoked", "missing_scope", "is_archived", "restricted_action":
				c.degraded.Store(true)
				c.deps.Status(connectors.StateError, perr)
			}
			return connectors.Permanent(perr)
		}
	}
	var sc slackgo.StatusCodeError
	if errors.As(err, &sc) && sc.Code >= 400 && sc.Code < 500 && sc.Code != http.StatusRequestTimeout {
		return connectors.Permanent(fmt.Errorf("slack: %s: %w", op, err))
	}
	return fmt.Errorf("slack: %s: %w", op, err)
}

// healthy records a successful Slack call, clearing a reported error.
func (c *Channel) healthy() {
	if c.degraded.CompareAndSwap(true, false) {
		c.deps.Status(connectors.StateConnected, nil)
	}
}
