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
	"io"
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
	// Secrets are passwords and tokens, as set by an admin. They are values,
	// never file references: see Secret.
	Secrets map[string]any
}

// State is a connector's durable key/value store (checkpoints, gateway
// sessions, ids of posted notifications), scoped to its channel.
type State interface {
	Get(ctx context.Context, key string) (string, error) // ErrNotFound when unset
	Put(ctx context.Context, key, value string) error
}

// ErrNotFound is returned by State.Get for an unset key, and by inbox
// lookups for a missing ticket, message or contact.
var ErrNotFound = inbox.ErrNotFound

// Quarantiner keeps input a connector could not turn into a message.
type Quarantiner interface {
	Quarantine(ctx context.Context, channelID int64, externalID string, raw []byte, reason string) error
}

// The inbox as connectors see it: one narrow door per need. The runtime
// fills every door with the inbox service, checked at compile time (see
// runtime.go), so a connector uses its door without a type assertion and a
// test fills only the door it exercises.

// Desk is how a connector acts for agents (Slack thread replies and
// buttons) and mirrors customers' edits into their tickets.
type Desk interface {
	Editor
	AgentByEmail(ctx context.Context, email string) (*inbox.Agent, error)
	Reply(ctx context.Context, r inbox.ReplyInput) (*inbox.Message, error)
	AddNote(ctx context.Context, ticketID, agentID int64, text string, atts []inbox.Attachment) (*inbox.Message, error)
	UpdateTicket(ctx context.Context, ticketID, actorID int64, p inbox.TicketPatch) (*inbox.Ticket, error)
	Ticket(ctx context.Context, id int64) (*inbox.Ticket, error)
	// AnswerSurveyByIdentity records a customer's rating button click; the
	// identity must own the survey.
	AnswerSurveyByIdentity(ctx context.Context, kind, value, publicID string, score int, comment string) (*inbox.SurveyAccess, error)
}

// Editor records a customer's edit or deletion of a message on its channel
// (Discord, Slack); ErrNotFound when the message is not in any ticket.
type Editor interface {
	EditMessage(ctx context.Context, channelID int64, externalID, text string, deleted bool) error
}

// MessageFinder finds a stored message by the id its channel gave it
// (email duplicate detection); ErrNotFound when there is none.
type MessageFinder interface {
	MessageByExternalID(ctx context.Context, channelID int64, externalID string) (*inbox.Message, error)
}

// Bouncer marks an agent reply that the remote side refused (email
// delivery reports).
type Bouncer interface {
	MarkBounced(ctx context.Context, channelID int64, sentMessageID, reason string) error
}

// Visitors is what a chat channel (the widget) reads and writes for its
// visitors: their contact, the customer-visible history of their
// conversations (inbox/customer.go: one rule for every view), the files on
// them, and uploads ahead of a message. Which contact a visitor is decides
// whose conversations they see; the inbox decides that.
type Visitors interface {
	Sink
	ContactByIdentity(ctx context.Context, kind, value string) (*inbox.Contact, error)
	Contact(ctx context.Context, id int64) (*inbox.Contact, error)
	SetContactEmail(ctx context.Context, contactID int64, email string) error
	TicketContact(ctx context.Context, ticketID int64) (int64, error)
	CustomerConversations(ctx context.Context, sc inbox.Scope, limit int) ([]inbox.CustomerConversation, error)
	CustomerMessages(ctx context.Context, contactID int64, ticketIDs []int64, since int64, limit int) ([]inbox.CustomerMessage, error)
	CustomerMessage(ctx context.Context, sc inbox.Scope, messageID int64) (*inbox.CustomerMessage, error)
	CustomerAttachment(ctx context.Context, sc inbox.Scope, id int64) (*inbox.StoredAttachment, error)
	CanContinue(ctx context.Context, contactID, ticketID int64) (*inbox.CustomerConversation, error)
	MessageAttachments(ctx context.Context, messageID int64) ([]inbox.StoredAttachment, error)
	OpenBlob(sum string) (io.ReadCloser, error)
	FirstResponseMedian(ctx context.Context, channelID int64, sample int) (time.Duration, error)
	PutUpload(ctx context.Context, u inbox.Upload, q inbox.UploadQuota) (string, error)
	AttachedUploads(ctx context.Context, channelID int64, owner string, sums []string) error
	CollectUploads(ctx context.Context, channelID int64, cutoff time.Time) (files int, bytes int64, err error)
	// PendingSurveys and AnswerSurveyAs serve the rating card in a chat:
	// the contact's unanswered surveys (with their request messages' ids)
	// and the contact's answer.
	PendingSurveys(ctx context.Context, contactID int64) ([]inbox.SurveyRequest, []int64, error)
	AnswerSurveyAs(ctx context.Context, contactID int64, publicID string, score int, comment string) (*inbox.SurveyAccess, error)
	// RecordSelfServed counts a visit whose visitor said a help article
	// answered their question (once per visit key).
	RecordSelfServed(ctx context.Context, channelID int64, visitKey string, articleID int64, locale string) (bool, error)
	// TicketQueuePlace and TeamQueue show a waiting visitor their place in
	// the team queue, computed from the queue.
	TicketQueuePlace(ctx context.Context, ticketID int64) (inbox.QueuePlace, error)
	TeamQueue(ctx context.Context, teamID int64, limit int) ([]int64, error)
	// QueuePace is how long one place in a team's queue takes lately, for
	// the expected wait (ok false: not enough data to say).
	QueuePace(ctx context.Context, teamID int64, at time.Time) (time.Duration, bool, error)
}

// Identifier is implemented by a Visitors that keeps customer profiles: a
// site's verified identify (user_hash) may set the user's attributes. The
// contact is found or created as a first message would; the values are
// checked against the attribute definitions (inbox.ErrInvalid otherwise).
type Identifier interface {
	IdentifyContact(ctx context.Context, ref inbox.ContactRef, attrs map[string]any) (int64, error)
}

// PageViewer is implemented by a Visitors that records the pages widget
// visitors see (the profile's visits and pages viewed, page conditions of
// segments). RecordPageView refuses what is not an http(s) URL with
// inbox.ErrInvalid; PrunePageViews deletes views older than before.
type PageViewer interface {
	RecordPageView(ctx context.Context, in inbox.PageViewInput) (*inbox.PageView, error)
	PrunePageViews(ctx context.Context, before time.Time) (int64, error)
}

// Campaigner is implemented by a Visitors that keeps life-cycle messages
// (campaigns): the widget messages waiting for a contact's visit, and what
// the contact did with one (seen, click, dismiss). lang is the language
// the widget shows ("ko", "en"; "" takes the contact's locale).
type Campaigner interface {
	PendingCampaigns(ctx context.Context, contactID int64, lang string) ([]inbox.CampaignCard, error)
	CampaignAction(ctx context.Context, contactID int64, in inbox.CampaignActionInput) error
}

// Onboarder is implemented by a Visitors whose onboarding messages greet
// brand-new visitors: while OnboardsVisitors is true, a chat channel gives
// a visitor without a contact one on their visit (VisitorContact: no
// ticket, no message), so their first visit can be greeted.
type Onboarder interface {
	OnboardsVisitors(ctx context.Context) (bool, error)
	VisitorContact(ctx context.Context, ref inbox.ContactRef) (int64, error)
}

// Pages opens conversation links for a chat channel that serves the live
// part of conversation pages (the widget): a link grants one ticket's
// customer-visible thread, as one contact sees it.
type Pages interface {
	OpenConversation(ctx context.Context, token string) (*inbox.LinkAccess, error)
	LinkByPublicID(ctx context.Context, publicID string) (*inbox.LinkAccess, error)
}

// Linker gives an outgoing email the link to its conversation page.
type Linker interface {
	ConversationLink(ctx context.Context, ticketID int64, recipient string) (string, error)
}

// TicketNamer names a ticket the way callers outside Hanbox see it: its
// public id and its number (the api channel answers a push with them).
type TicketNamer interface {
	TicketPublicID(ctx context.Context, id int64) (publicID string, number int64, err error)
}

// PageHost is implemented by a connector that serves the live part of
// conversation pages (sessions, sockets, uploads) under its routes; the
// page (served by the UI) talks to the first running one. PageHostPath is
// that connector's path under the server, "/connectors/widget/<key>".
type PageHost interface {
	PageHostPath() string
}

// Deps is what the runtime gives every connector.
type Deps struct {
	Logger     *slog.Logger
	State      State
	Quarantine Quarantiner
	Status     StatusReporter
	// Sink is the inbox that Start also receives, for input that arrives
	// before Start runs (webhook pushes, widget requests, an admin's retry
	// of quarantined input).
	Sink Sink
	// Desk, Edits, Messages, Bounces, Visitors, Pages, Links and Tickets
	// are the inbox's doors (see above).
	Desk     Desk
	Edits    Editor
	Messages MessageFinder
	Bounces  Bouncer
	Visitors Visitors
	Pages    Pages
	Links    Linker
	Tickets  TicketNamer
	// Bus carries live events (typing, presence, new messages).
	Bus *inbox.Bus
	// BaseURL is Hanbox's public URL, without a trailing slash.
	BaseURL string
	// Locker takes cluster-wide locks for single-owner sessions.
	Locker Locker
	// Clustered is true when other Hanbox instances may share the store
	// (PostgreSQL): work such as pushing to a visitor's socket may then be
	// another instance's.
	Clustered bool
	// HTTPClient is used for outgoing HTTP; tests point it at fakes.
	HTTPClient *http.Client
}

// Locker takes a cluster-wide lock for single-instance work.
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
