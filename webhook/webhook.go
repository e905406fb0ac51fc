// Package webhook delivers Hanbox's domain events to the HTTPS endpoints
// admins subscribe (event webhooks for integrations).
//
// The path of an event: a durable inbox consumer (ConsumerName) turns each
// committed event into one delivery row per subscription and payload type,
// and schedules a job for it in the same transaction; the job scheduler
// (package jobs) runs the delivery, and a failed attempt postpones its own
// job by an exponential backoff. Jobs rather than the outbox: the outbox is a
// channel's send queue (its rows name a channel and a connector sends them),
// while jobs are the durable "work due at a time" with an injected clock,
// leases across instances, unique keys and Postpone, which is exactly a
// retry timer.
//
// Guarantees: at least once (a delivery is retried until it succeeds, for
// Options.RetryFor; receivers dedupe on the payload id), and in order per
// subscription and ticket: a delivery waits while an earlier one of the same
// ticket is pending. A subscription whose deliveries have failed for longer
// than Options.FailingAfter is flagged (Service.Failing), never disabled.
//
// Every request carries X-Hanbox-Event, X-Hanbox-Delivery, X-Hanbox-Timestamp
// (Unix seconds) and X-Hanbox-Signature: "sha256=" + hex HMAC-SHA256 of
// "<timestamp>.<body>" with the subscription's secret (connectors/api SignAt,
// the api channel's signing scheme with a timestamp).
package webhook

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/signing"
	"github.com/hanbox/hanbox/store"
)

// Names in the store.
const (
	// ConsumerName is the durable consumer that queues deliveries.
	ConsumerName = "webhooks"
	// JobDeliver is the job kind of one delivery.
	JobDeliver = "webhook.deliver"
	// JobClean is the daily job that prunes the delivery log.
	JobClean = "webhook.clean"
)

// Payload types beyond the stored event types: derived from a stored event
// (ticket.assigned from a ticket.updated that set an assignee, csat.received
// from a CSAT survey.answered) or sent by hand (webhook.test).
const (
	EventTicketAssigned = "ticket.assigned"
	EventCSATReceived   = "csat.received"
	EventTest           = "webhook.test"
)

// EventTypes are the types a subscription may choose, in display order.
var EventTypes = []string{
	inbox.EventTicketCreated, inbox.EventTicketUpdated, EventTicketAssigned,
	inbox.EventMessageCreated, inbox.EventMessageUpdated,
	inbox.EventContactUpdated, inbox.EventSurveyAnswered, EventCSATReceived,
	inbox.EventTeamUpdated, inbox.EventAgentUpdated,
	inbox.EventSLAWarning, inbox.EventSLABreached, inbox.EventTicketNoReply,
}

// Version is the payload schema version.
const Version = 1

// Payload is the JSON body of every delivery. Its schema is stable: fields
// are only ever added; a breaking change gets a new Version.
type Payload struct {
	// ID is stable per event and type ("evt_<event id>_<type>"): the same
	// on every retry and redelivery, so a receiver dedupes on it.
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	Data      Data      `json:"data"`
}

// Data is what an event is about. Fields that do not apply are left out.
type Data struct {
	Ticket    *Ticket               `json:"ticket,omitempty"`
	TicketID  int64                 `json:"ticket_id,omitempty"`
	MessageID int64                 `json:"message_id,omitempty"`
	ChannelID int64                 `json:"channel_id,omitempty"`
	ContactID int64                 `json:"contact_id,omitempty"`
	AgentID   int64                 `json:"agent_id,omitempty"`
	TeamID    int64                 `json:"team_id,omitempty"`
	Changes   *inbox.TicketChanges  `json:"changes,omitempty"`
	Message   *Message              `json:"message,omitempty"`
	Contact   *inbox.ContactChanges `json:"contact,omitempty"`
	Survey    *inbox.SurveyChanges  `json:"survey,omitempty"`
	Agent     *inbox.AgentChanges   `json:"agent,omitempty"`
	// SLA is the target an sla.warning or sla.breached is about.
	SLA *inbox.SLAChanges `json:"sla,omitempty"`
	// Rule names the automation rule whose action caused the event.
	Rule *inbox.RuleCause `json:"rule,omitempty"`
	// NoReply describes a ticket.no_reply (no customer reply for hours).
	NoReply *inbox.NoReplyChanges `json:"no_reply,omitempty"`
	// Test is set on webhook.test deliveries.
	Test string `json:"test,omitempty"`
}

// Message is the message a message.created or message.updated is about,
// as it was when the event was queued, with what the event changed.
type Message struct {
	ID int64 `json:"id"`
	// Direction is inbound, outbound, note (internal) or system.
	Direction   string       `json:"direction"`
	AuthorType  string       `json:"author_type"`
	AuthorID    int64        `json:"author_id,omitempty"`
	ChannelID   int64        `json:"channel_id"`
	Text        string       `json:"text"`
	Attachments []Attachment `json:"attachments,omitempty"`
	Deleted     bool         `json:"deleted,omitempty"`
	CreatedAt   time.Time    `json:"created_at"`
	// Change is what a message.updated changed (delivery status, edit).
	Change *inbox.MessageChanges `json:"change,omitempty"`
}

// Attachment describes a file on a message.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// Ticket is the ticket an event is about, as it was when the event was
// queued.
type Ticket struct {
	ID         int64     `json:"id"`
	Number     int64     `json:"number"`
	Subject    string    `json:"subject"`
	Status     string    `json:"status"`
	Priority   string    `json:"priority"`
	ChannelID  int64     `json:"channel_id"`
	ContactID  int64     `json:"contact_id"`
	AssigneeID *int64    `json:"assignee_id"`
	TeamID     *int64    `json:"team_id"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Options tune a Service. Zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	// Client sends deliveries (default: 10 s timeout, no redirects).
	Client *http.Client
	// BaseBackoff is the first retry delay, doubled per attempt up to
	// MaxBackoff (defaults 10s and 1h).
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// RetryFor is how long a delivery is retried before it is marked failed
	// and the ticket's later deliveries go on (default 72h).
	RetryFor time.Duration
	// FailingAfter flags a subscription whose attempts have failed for this
	// long (default 1h).
	FailingAfter time.Duration
	// Retention is how long finished deliveries stay in the log (default
	// 30 days); pending ones stay until they finish.
	Retention time.Duration
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 10 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Hour
	}
	if o.RetryFor <= 0 {
		o.RetryFor = 72 * time.Hour
	}
	if o.FailingAfter <= 0 {
		o.FailingAfter = time.Hour
	}
	if o.Retention <= 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Service manages subscriptions and delivers events.
type Service struct {
	st    *store.Store
	inbox *inbox.Service
	sched *jobs.Scheduler
	opts  Options
}

// New returns a Service. Call Enable once before the consumers and the
// scheduler run.
func New(st *store.Store, in *inbox.Service, sched *jobs.Scheduler, opts Options) *Service {
	opts.defaults()
	return &Service{st: st, inbox: in, sched: sched, opts: opts}
}

// Enable registers the delivery job on the scheduler and the durable
// consumer on the inbox.
func (w *Service) Enable(ctx context.Context) error {
	w.sched.Handle(JobDeliver, w.runDelivery)
	w.sched.Handle(JobClean, w.runClean)
	if err := w.scheduleClean(ctx); err != nil {
		return err
	}
	return w.inbox.AddConsumer(ctx, inbox.Consumer{Name: ConsumerName, Handle: w.consume})
}

// scheduleClean schedules the next daily clean-up (one per UTC day: the
// key is the day, so every instance may schedule it).
func (w *Service) scheduleClean(ctx context.Context) error {
	day := w.now().Truncate(24 * time.Hour).Add(24 * time.Hour)
	_, err := w.sched.Schedule(ctx, jobs.Spec{Kind: JobClean, Key: "day:" + day.Format(time.DateOnly), Due: day})
	return err
}

func (w *Service) runClean(ctx context.Context, j *jobs.Job) error {
	n, err := w.Clean(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		w.opts.Logger.Info("webhook deliveries pruned", "deleted", n)
	}
	return w.scheduleClean(ctx)
}

// Clean deletes finished deliveries older than Options.Retention.
func (w *Service) Clean(ctx context.Context) (int64, error) {
	res := w.st.DB.WithContext(ctx).Where("status <> ? AND created_at < ?", store.WebhookPending, w.now().Add(-w.opts.Retention)).
		Delete(&store.WebhookDelivery{})
	if res.Error != nil {
		return 0, fmt.Errorf("webhook: clean: %w", res.Error)
	}
	if err := w.st.DeleteOrphanWebhookAttempts(ctx); err != nil {
		return 0, err
	}
	return res.RowsAffected, nil
}

func (w *Service) now() time.Time { return w.opts.Now().UTC().Truncate(time.Microsecond) }

// Failing reports whether sub has failed for longer than FailingAfter.
func (w *Service) Failing(sub *store.WebhookSubscription) bool {
	return sub.FailingSince != nil && w.now().Sub(*sub.FailingSince) >= w.opts.FailingAfter
}

// Input is a subscription as an admin edits it.
type Input struct {
	Name    string
	URL     string
	Events  []string
	Enabled bool
}

func invalid(code, reason string) error { return &inbox.InvalidError{Code: code, Reason: reason} }

// CheckURL accepts https URLs, and http only for a loopback host (a
// receiver on the same machine, in development and tests).
func CheckURL(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.User != nil || len(raw) > 2000 {
		return invalid("webhook_url", "the URL must be an absolute https:// URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if loopback(u.Hostname()) {
			return nil
		}
	}
	return invalid("webhook_url", "the URL must use https:// (http:// only for localhost)")
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (in *Input) check() (events string, err error) {
	if err := CheckURL(in.URL); err != nil {
		return "", err
	}
	if len(in.Name) > 200 {
		return "", invalid("webhook_name", "the name is longer than 200 characters")
	}
	var evs []string
	for _, e := range in.Events {
		e = strings.TrimSpace(e)
		if !slices.Contains(EventTypes, e) {
			return "", invalid("webhook_events", fmt.Sprintf("unknown event type %q", e))
		}
		if !slices.Contains(evs, e) {
			evs = append(evs, e)
		}
	}
	if len(evs) == 0 {
		return "", invalid("webhook_events", "choose at least one event type")
	}
	return strings.Join(evs, " "), nil
}

// NewSecret returns a fresh signing secret.
func NewSecret() string {
	b := make([]byte, 24)
	if _, err := crand.Read(b); err != nil {
		panic(err)
	}
	return "whsec_" + hex.EncodeToString(b)
}

// Create adds a subscription with a new secret, returned once.
func (w *Service) Create(ctx context.Context, in Input, createdBy int64) (*store.WebhookSubscription, error) {
	evs, err := in.check()
	if err != nil {
		return nil, err
	}
	ts := w.now()
	sub := &store.WebhookSubscription{Name: strings.TrimSpace(in.Name), URL: strings.TrimSpace(in.URL), Secret: NewSecret(),
		Events: evs, Enabled: in.Enabled, CreatedAt: ts, UpdatedAt: ts}
	if createdBy > 0 {
		sub.CreatedBy = &createdBy
	}
	if err := w.st.DB.WithContext(ctx).Create(sub).Error; err != nil {
		return nil, fmt.Errorf("webhook: create: %w", err)
	}
	return sub, nil
}

// Update changes a subscription's name, URL, events and enabled flag.
// Disabling it cancels its pending deliveries when they come due.
func (w *Service) Update(ctx context.Context, id int64, in Input) (*store.WebhookSubscription, error) {
	evs, err := in.check()
	if err != nil {
		return nil, err
	}
	sub, err := w.st.WebhookSubscription(ctx, id)
	if err != nil {
		return nil, err
	}
	sub.Name, sub.URL, sub.Events, sub.Enabled, sub.UpdatedAt = strings.TrimSpace(in.Name), strings.TrimSpace(in.URL), evs, in.Enabled, w.now()
	if err := w.st.DB.WithContext(ctx).Select("name", "url", "events", "enabled", "updated_at").Updates(sub).Error; err != nil {
		return nil, fmt.Errorf("webhook: update %d: %w", id, err)
	}
	return sub, nil
}

// RegenerateSecret gives a subscription a new secret, returned once.
func (w *Service) RegenerateSecret(ctx context.Context, id int64) (*store.WebhookSubscription, error) {
	sub, err := w.st.WebhookSubscription(ctx, id)
	if err != nil {
		return nil, err
	}
	sub.Secret, sub.UpdatedAt = NewSecret(), w.now()
	if err := w.st.DB.WithContext(ctx).Select("secret", "updated_at").Updates(sub).Error; err != nil {
		return nil, fmt.Errorf("webhook: new secret %d: %w", id, err)
	}
	return sub, nil
}

// Delete removes a subscription and its delivery log.
func (w *Service) Delete(ctx context.Context, id int64) error {
	return w.st.Tx(ctx, func(tx *gorm.DB) error {
		res := tx.Delete(&store.WebhookSubscription{}, id)
		if res.Error != nil {
			return fmt.Errorf("webhook: delete %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("webhook: delete %d: %w", id, store.ErrNotFound)
		}
		return tx.Where("subscription_id = ?", id).Delete(&store.WebhookDelivery{}).Error
	})
}

// payloadTypes are the payload types a stored event yields.
func payloadTypes(e inbox.Event) []string {
	types := []string{e.Type}
	if e.Type == inbox.EventTicketUpdated && e.Changes != nil && e.Changes.Assignee != nil && e.Changes.Assignee.New != nil {
		types = append(types, EventTicketAssigned)
	}
	if e.Type == inbox.EventSurveyAnswered && e.Survey != nil && e.Survey.Kind == store.SurveyCSAT {
		types = append(types, EventCSATReceived)
	}
	return types
}

// consume queues the deliveries of one durable event. It is idempotent: a
// delivery's dedupe key is its event and type.
func (w *Service) consume(ctx context.Context, e inbox.Event) error {
	if e.ID <= 0 {
		return nil
	}
	var subs []store.WebhookSubscription
	if err := w.st.DB.WithContext(ctx).Where("enabled = ?", true).Order("id").Find(&subs).Error; err != nil {
		return fmt.Errorf("webhook: subscriptions: %w", err)
	}
	if len(subs) == 0 {
		return nil
	}
	var ticket *Ticket
	if e.TicketID > 0 {
		var t store.Ticket
		err := w.st.DB.WithContext(ctx).Take(&t, e.TicketID).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("webhook: ticket %d: %w", e.TicketID, err)
		}
		if err == nil {
			ticket = &Ticket{ID: t.ID, Number: t.Number(), Subject: t.Subject, Status: t.Status, Priority: t.Priority,
				ChannelID: t.ChannelID, ContactID: t.ContactID, AssigneeID: t.AssigneeID, TeamID: t.TeamID,
				CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
		}
	}
	msg, err := w.message(ctx, e)
	if err != nil {
		return err
	}
	at := e.At
	if at.IsZero() {
		at = w.now()
	}
	data := Data{Ticket: ticket, TicketID: e.TicketID, MessageID: e.MessageID, ChannelID: e.ChannelID, ContactID: e.ContactID,
		AgentID: e.AgentID, TeamID: e.TeamID, Changes: e.Changes, Message: msg, Contact: e.Contact, Survey: e.Survey, Agent: e.Agent,
		SLA: e.SLA, Rule: e.Rule, NoReply: e.NoReply}
	return w.st.Tx(ctx, func(tx *gorm.DB) error {
		for _, typ := range payloadTypes(e) {
			body, err := json.Marshal(Payload{ID: "evt_" + strconv.FormatInt(e.ID, 10) + "_" + typ, Type: typ, Version: Version,
				CreatedAt: at.UTC(), Data: data})
			if err != nil {
				return fmt.Errorf("webhook: encode event %d: %w", e.ID, err)
			}
			for _, sub := range subs {
				if !sub.Subscribed(typ) {
					continue
				}
				d := store.WebhookDelivery{SubscriptionID: sub.ID, EventID: e.ID, EventType: typ, TicketID: e.TicketID,
					DedupeKey: "event:" + strconv.FormatInt(e.ID, 10) + ":" + typ, Payload: string(body)}
				if err := w.queue(tx, &d); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// message loads the message an event names (nil for none or one gone).
func (w *Service) message(ctx context.Context, e inbox.Event) (*Message, error) {
	if e.MessageID <= 0 {
		return nil, nil
	}
	var m store.Message
	err := w.st.DB.WithContext(ctx).Preload("Attachments").Take(&m, e.MessageID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("webhook: message %d: %w", e.MessageID, err)
	}
	out := &Message{ID: m.ID, Direction: m.Direction, AuthorType: m.AuthorType, AuthorID: m.AuthorID, ChannelID: m.ChannelID,
		Text: m.Text, Deleted: m.DeletedAt != nil, CreatedAt: m.CreatedAt, Change: e.Message}
	if out.Deleted {
		out.Text = ""
	} else {
		for _, a := range m.Attachments {
			out.Attachments = append(out.Attachments, Attachment{Name: a.Name, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256})
		}
	}
	return out, nil
}

// queue writes a delivery (unless its dedupe key exists) and its job.
func (w *Service) queue(tx *gorm.DB, d *store.WebhookDelivery) error {
	ts := w.now()
	d.PublicID, d.Status, d.NextAttemptAt, d.CreatedAt = newDeliveryID(), store.WebhookPending, ts, ts
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(d)
	if res.Error != nil {
		return fmt.Errorf("webhook: queue delivery: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil
	}
	_, err := w.sched.ScheduleTx(tx, jobs.Spec{Kind: JobDeliver, Key: jobKey(d.ID), Due: ts, Payload: deliveryJob{ID: d.ID}})
	return err
}

type deliveryJob struct {
	ID int64 `json:"id"`
}

func jobKey(id int64) string { return "delivery:" + strconv.FormatInt(id, 10) }

func newDeliveryID() string {
	b := make([]byte, 16)
	if _, err := crand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// Redeliver sends a past delivery's payload again, as a new delivery (with
// its own delivery id, the same payload id) outside the ticket's order.
func (w *Service) Redeliver(ctx context.Context, deliveryID int64) (*store.WebhookDelivery, error) {
	old, err := w.st.WebhookDelivery(ctx, deliveryID)
	if err != nil {
		return nil, err
	}
	if _, err := w.st.WebhookSubscription(ctx, old.SubscriptionID); err != nil {
		return nil, err
	}
	d := &store.WebhookDelivery{SubscriptionID: old.SubscriptionID, EventID: old.EventID, EventType: old.EventType,
		RedeliveryOf: &old.ID, Payload: old.Payload}
	d.DedupeKey = "redeliver:" + newDeliveryID()
	if err := w.st.Tx(ctx, func(tx *gorm.DB) error { return w.queue(tx, d) }); err != nil {
		return nil, err
	}
	return d, nil
}

// SendTest queues a webhook.test delivery to a subscription.
func (w *Service) SendTest(ctx context.Context, subID int64) (*store.WebhookDelivery, error) {
	if _, err := w.st.WebhookSubscription(ctx, subID); err != nil {
		return nil, err
	}
	key := newDeliveryID()
	body, err := json.Marshal(Payload{ID: "test_" + key, Type: EventTest, Version: Version, CreatedAt: w.now(),
		Data: Data{Test: "This is a test delivery from Hanbox."}})
	if err != nil {
		return nil, err
	}
	d := &store.WebhookDelivery{SubscriptionID: subID, EventType: EventTest, DedupeKey: "test:" + key, Payload: string(body)}
	if err := w.st.Tx(ctx, func(tx *gorm.DB) error { return w.queue(tx, d) }); err != nil {
		return nil, err
	}
	return d, nil
}

// runDelivery is the job of one delivery: wait for the ticket's earlier
// deliveries, send, record, and retry by postponing itself.
func (w *Service) runDelivery(ctx context.Context, j *jobs.Job) error {
	var p deliveryJob
	if err := j.Decode(&p); err != nil {
		return jobs.Permanent(err)
	}
	db := w.st.DB.WithContext(ctx)
	var d store.WebhookDelivery
	if err := db.Take(&d, p.ID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil // its subscription was deleted
		}
		return fmt.Errorf("webhook: delivery %d: %w", p.ID, err)
	}
	if d.Status != store.WebhookPending {
		return nil
	}
	ts := w.now()
	var sub store.WebhookSubscription
	if err := db.Take(&sub, d.SubscriptionID).Error; err != nil || !sub.Enabled {
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("webhook: subscription %d: %w", d.SubscriptionID, err)
		}
		return w.finish(ctx, &d, map[string]any{"status": store.WebhookCancelled, "error": "the subscription is disabled or deleted"})
	}
	if d.TicketID != 0 {
		var prev store.WebhookDelivery
		err := db.Where("subscription_id = ? AND ticket_id = ? AND status = ? AND id < ?", d.SubscriptionID, d.TicketID, store.WebhookPending, d.ID).
			Order("id").Limit(1).Take(&prev).Error
		if err == nil {
			// The earlier delivery moves this one up when it finishes.
			return jobs.Postpone(later(prev.NextAttemptAt, ts.Add(time.Second)))
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("webhook: lane of %d: %w", d.ID, err)
		}
	}
	if d.NextAttemptAt.After(ts) {
		return jobs.Postpone(d.NextAttemptAt)
	}
	res := w.send(ctx, &sub, &d, ts)
	up := map[string]any{"attempts": d.Attempts + 1, "last_attempt_at": ts, "status_code": res.code,
		"response": res.response, "error": res.err, "duration_ms": res.duration.Milliseconds()}
	subUp := map[string]any{}
	if res.ok {
		up["status"], up["delivered_at"] = store.WebhookDelivered, ts
		subUp["failing_since"], subUp["last_success_at"] = nil, ts
	} else {
		subUp["failing_since"], subUp["last_failure_at"] = gorm.Expr("COALESCE(failing_since, ?)", ts), ts
	}
	var next time.Time
	if !res.ok {
		if ts.Sub(d.CreatedAt) < w.opts.RetryFor {
			next = ts.Add(w.backoff(d.Attempts + 1)).Truncate(time.Microsecond)
			up["next_attempt_at"] = next
		} else {
			up["status"] = store.WebhookFailed
		}
	}
	// The attempt, the delivery's state and the subscription's flags are
	// one transaction: the log never shows an attempt the delivery does
	// not count (or the reverse), and a failed write leaves the delivery
	// as it was, to be tried again.
	err := w.st.Tx(ctx, func(tx *gorm.DB) error {
		if err := store.AddWebhookAttemptTx(tx, &store.WebhookAttempt{DeliveryID: d.ID, Attempt: d.Attempts + 1, At: ts, StatusCode: res.code,
			DurationMS: res.duration.Milliseconds(), Error: res.err}); err != nil {
			return err
		}
		if err := tx.Model(&store.WebhookSubscription{}).Where("id = ?", sub.ID).Updates(subUp).Error; err != nil {
			return fmt.Errorf("webhook: record on subscription %d: %w", sub.ID, err)
		}
		if err := tx.Model(&store.WebhookDelivery{}).Where("id = ?", d.ID).Updates(up).Error; err != nil {
			return fmt.Errorf("webhook: record attempt %d of delivery %d: %w", d.Attempts+1, d.ID, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !next.IsZero() {
		w.opts.Logger.Warn("webhook delivery failed; will retry", "subscription_id", sub.ID, "delivery", d.PublicID,
			"status", res.code, "err", res.err, "next", next)
		return jobs.Postpone(next)
	}
	if !res.ok {
		w.opts.Logger.Error("webhook delivery failed for good", "subscription_id", sub.ID, "delivery", d.PublicID)
	}
	return w.moveLane(ctx, &d)
}

// finish records a delivery's final state and moves the ticket's next
// pending delivery up.
func (w *Service) finish(ctx context.Context, d *store.WebhookDelivery, up map[string]any) error {
	if err := w.st.DB.WithContext(ctx).Model(&store.WebhookDelivery{}).Where("id = ?", d.ID).Updates(up).Error; err != nil {
		return fmt.Errorf("webhook: record delivery %d: %w", d.ID, err)
	}
	return w.moveLane(ctx, d)
}

// moveLane makes the ticket's next pending delivery after d due now (it
// waited for d).
func (w *Service) moveLane(ctx context.Context, d *store.WebhookDelivery) error {
	db := w.st.DB.WithContext(ctx)
	if d.TicketID == 0 {
		return nil
	}
	var next store.WebhookDelivery
	err := db.Where("subscription_id = ? AND ticket_id = ? AND status = ? AND id > ?", d.SubscriptionID, d.TicketID, store.WebhookPending, d.ID).
		Order("id").Limit(1).Take(&next).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("webhook: next in lane of %d: %w", d.ID, err)
	}
	_, err = w.sched.Move(ctx, jobs.Spec{Kind: JobDeliver, Key: jobKey(next.ID), Due: later(next.NextAttemptAt, w.now()), Payload: deliveryJob{ID: next.ID}})
	return err
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (w *Service) backoff(attempts int) time.Duration {
	d := w.opts.BaseBackoff << min(attempts-1, 20)
	if d > w.opts.MaxBackoff || d <= 0 {
		d = w.opts.MaxBackoff
	}
	// Up to 10% jitter so subscriptions failing together do not retry together.
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}

type result struct {
	ok       bool
	code     int
	response string
	err      string
	duration time.Duration
}

// responseSnippet bounds the response body kept in the log.
const responseSnippet = 1024

func (w *Service) send(ctx context.Context, sub *store.WebhookSubscription, d *store.WebhookDelivery, ts time.Time) result {
	body := []byte(d.Payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		return result{err: "bad URL: " + err.Error()}
	}
	stamp := ts.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Hanbox-Webhook/1")
	req.Header.Set("X-Hanbox-Event", d.EventType)
	req.Header.Set("X-Hanbox-Delivery", d.PublicID)
	req.Header.Set("X-Hanbox-Timestamp", strconv.FormatInt(stamp, 10))
	req.Header.Set("X-Hanbox-Signature", signing.SignAt(sub.Secret, stamp, body))
	start := time.Now()
	resp, err := w.opts.Client.Do(req)
	if err != nil {
		return result{err: trim(err.Error(), 500), duration: time.Since(start)}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, responseSnippet))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	r := result{code: resp.StatusCode, response: trim(string(snippet), responseSnippet), duration: time.Since(start)}
	r.ok = resp.StatusCode >= 200 && resp.StatusCode < 300
	if !r.ok {
		r.err = "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	return r
}

// trim keeps at most n bytes of valid UTF-8.
func trim(s string, n int) string {
	if len(s) > n {
		s = s[:n]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
