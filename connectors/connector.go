// Package connectors defines the contract between Hanbox and its channels.
//
// A connector turns one channel's native events (an IMAP mailbox, a widget
// socket, Slack events, a Discord gateway) into inbox.Inbound values handed to
// a Sink, and turns inbox.Outbound values into native sends. It knows nothing
// about tickets or SQL: threading, identity and storage are the inbox's.
//
// Lifecycle: the runtime builds one Connector per enabled channel row through
// the registry (New), calls Validate if implemented, then Start in its own
// goroutine. Start runs until ctx ends; if it returns an error before that the
// runtime reports it on the channel and starts it again with backoff, forever.
// Send may be called concurrently from the outbox dispatcher, before, during
// and after Start; it must be safe for concurrent use. Handler (for webhook
// channels) may be called concurrently too.
package connectors

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hanbox/hanbox/inbox"
)

// Sink receives normalized inbound messages. Ingest is idempotent on
// (channel, external id): a connector advances its own checkpoint only after
// Ingest returned without error.
type Sink interface {
	Ingest(ctx context.Context, in *inbox.Inbound) (inbox.IngestResult, error)
}

// Connector is one running channel.
type Connector interface {
	// Kind is the registry name ("email", "slack", ...).
	Kind() string
	// Start receives from the channel until ctx ends. Connectors that only
	// receive webhooks block on ctx and return nil.
	Start(ctx context.Context, sink Sink) error
	// Send delivers an agent reply. Errors may be wrapped with Permanent,
	// RetryAfter or ErrUnreachable to steer the dispatcher; any other error
	// is retried with exponential backoff.
	Send(ctx context.Context, out *inbox.Outbound) (inbox.ExternalRef, error)
}

// Validator is implemented by connectors that check their settings before start.
type Validator interface {
	Validate(ctx context.Context) error
}

// Handler is implemented by connectors that receive HTTP requests (webhooks,
// the widget). The runtime mounts it at /connectors/{kind}/{public key}/ with
// that prefix stripped.
type Handler interface {
	http.Handler
}

// Notifier is implemented by connectors that announce ticket events (Slack).
// For each committed event the inbox writes one outbox row per notifying
// channel in the same transaction; the dispatcher calls Notify with retry, so
// notifications are never lost. A connector not interested in an event
// returns a zero ExternalRef and nil.
type Notifier interface {
	Notify(ctx context.Context, n *inbox.Notification) (inbox.ExternalRef, error)
}

// Reprocessor is implemented by connectors whose raw input can land in
// quarantine (email): an admin's "retry" hands the raw bytes back after a
// fix (a new charset, a parser change). It returns an error, and
// quarantines nothing new, when the input still cannot be imported.
type Reprocessor interface {
	Reprocess(ctx context.Context, raw []byte, externalID string) error
}

// Closer is implemented by connectors holding resources beyond Start.
type Closer interface {
	Close() error
}

// StatusReporter receives a connector's connection state for the admin page
// and /metrics.
type StatusReporter func(state string, err error)

// Connection states reported through Deps.Status.
const (
	StateConnecting = "connecting"
	StateConnected  = "connected"
	StateError      = "error"
	StateStopped    = "stopped"
)

// Channel is the configured instance a connector is built from.
type Channel struct {
	ID        int64
	Kind      string
	Name      string
	PublicKey string
	// TokenHash is the hex SHA-256 of the channel's inbound bearer token, for
	// channels that authenticate pushes with it (the api channel).
	TokenHash string
	// Settings are the channel's plain settings (JSON object).
	Settings map[string]any
	// Secrets are passwords and tokens; a value "file:/path" (or a key with
	// a "_file" suffix) is read from that file.
	Secrets map[string]any
}

// State is a connector's durable key/value store (checkpoints, gateway
// sessions, ids of posted notifications), scoped to its channel.
type State interface {
	Get(ctx context.Context, key string) (string, error) // store.ErrNotFound when unset
	Put(ctx context.Context, key, value string) error
}

// Quarantiner keeps input a connector could not turn into a message.
type Quarantiner interface {
	Quarantine(ctx context.Context, channelID int64, externalID string, raw []byte, reason string) error
}

// Deps is what the runtime gives every connector.
type Deps struct {
	Logger     *slog.Logger
	State      State
	Quarantine Quarantiner
	Status     StatusReporter
	// Inbox is the domain service, for connectors that act for agents (Slack
	// thread replies, buttons) or read history (the widget). Connectors declare
	// the narrow interface they need and assert it from this value.
	Inbox any
	// Bus carries live events (typing, presence, new messages).
	Bus *inbox.Bus
	// BaseURL is Hanbox's public URL, without a trailing slash.
	BaseURL string
	// DataDir is Hanbox's data directory.
	DataDir string
	// Locker takes cluster-wide locks for single-owner sessions.
	Locker Locker
	// HTTPClient is used for outgoing HTTP; tests point it at fakes.
	HTTPClient *http.Client
}

// Locker takes a cluster-wide lock; see store.Store.TryLock.
type Locker interface {
	TryLock(ctx context.Context, key string) (release func(), ok bool, err error)
}

// ErrUnreachable means the recipient cannot be reached on this channel now (a
// widget visitor who left). The dispatcher continues the conversation on
// another channel the contact has (email), or fails the message visibly.
var ErrUnreachable = inbox.ErrUnreachable

// Permanent wraps err so the dispatcher fails the delivery at once.
func Permanent(err error) error { return inbox.Permanent(err) }

// IsPermanent reports whether err was wrapped by Permanent.
func IsPermanent(err error) bool { return inbox.IsPermanent(err) }

// RetryAfter wraps err with a minimum delay before the next attempt (a 429
// with Retry-After, a visitor within the grace period).
func RetryAfter(d time.Duration, err error) error { return inbox.RetryAfter(d, err) }

// DecodeSettings decodes a channel's settings map into a settings struct.
func DecodeSettings(m map[string]any, dst any) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("connectors: encode settings: %w", err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("connectors: decode settings: %w", err)
	}
	return nil
}
