package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/web"
	"github.com/hanbox/hanbox/webhook"
)

// WebhookBody is the body of POST /webhooks and PATCH /webhooks/{id}
// (absent fields are kept on PATCH).
type WebhookBody struct {
	Name    *string   `json:"name"`
	URL     *string   `json:"url"`
	Events  *[]string `json:"events"`
	Enabled *bool     `json:"enabled"`
}

// WebhookView is a subscription on the wire. Secret is only set in the
// answers of create and regenerate.
type WebhookView struct {
	ID            int64      `json:"id"`
	Name          string     `json:"name"`
	URL           string     `json:"url"`
	Events        []string   `json:"events"`
	Enabled       bool       `json:"enabled"`
	Failing       bool       `json:"failing"`
	FailingSince  *time.Time `json:"failing_since"`
	LastSuccessAt *time.Time `json:"last_success_at"`
	LastFailureAt *time.Time `json:"last_failure_at"`
	CreatedBy     *int64     `json:"created_by"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	Secret        string     `json:"secret,omitempty"`
}

// WebhookDeliveryView is one delivery of the log on the wire.
type WebhookDeliveryView struct {
	ID            int64           `json:"id"`
	DeliveryID    string          `json:"delivery_id"`
	EventID       int64           `json:"event_id"`
	EventType     string          `json:"event_type"`
	TicketID      int64           `json:"ticket_id,omitempty"`
	Status        string          `json:"status"`
	Attempts      int             `json:"attempts"`
	StatusCode    int             `json:"status_code"`
	Response      string          `json:"response"`
	Error         string          `json:"error"`
	DurationMS    int64           `json:"duration_ms"`
	RedeliveryOf  *int64          `json:"redelivery_of,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	LastAttemptAt *time.Time      `json:"last_attempt_at"`
	NextAttemptAt *time.Time      `json:"next_attempt_at,omitempty"`
	DeliveredAt   *time.Time      `json:"delivered_at"`
	Payload       json.RawMessage `json:"payload"`
	// AttemptLog is every attempt, first first (listings only).
	AttemptLog []store.WebhookAttempt `json:"attempt_log,omitempty"`
}

func (a *API) webhookView(s *store.WebhookSubscription, withSecret bool) WebhookView {
	v := WebhookView{ID: s.ID, Name: s.Name, URL: s.URL, Events: s.EventList(), Enabled: s.Enabled, Failing: a.Webhooks.Failing(s),
		FailingSince: s.FailingSince, LastSuccessAt: s.LastSuccessAt, LastFailureAt: s.LastFailureAt, CreatedBy: s.CreatedBy,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	if withSecret {
		v.Secret = s.Secret
	}
	return v
}

// DeliveryView is the wire form of a delivery.
func DeliveryView(d *store.WebhookDelivery) WebhookDeliveryView {
	v := WebhookDeliveryView{ID: d.ID, DeliveryID: d.PublicID, EventID: d.EventID, EventType: d.EventType, TicketID: d.TicketID,
		Status: d.Status, Attempts: d.Attempts, StatusCode: d.StatusCode, Response: d.Response, Error: d.Error, DurationMS: d.DurationMS,
		RedeliveryOf: d.RedeliveryOf, CreatedAt: d.CreatedAt, LastAttemptAt: d.LastAttemptAt, DeliveredAt: d.DeliveredAt,
		Payload: json.RawMessage(d.Payload)}
	if d.Status == store.WebhookPending {
		next := d.NextAttemptAt
		v.NextAttemptAt = &next
	}
	return v
}

func (a *API) webhooksOn() error {
	if a.Webhooks == nil {
		return errf(http.StatusNotFound, "not_found", "webhooks are not enabled on this server")
	}
	return nil
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request) (int, any, error) {
	if err := a.webhooksOn(); err != nil {
		return 0, nil, err
	}
	subs, err := a.Store.WebhookSubscriptions(r.Context())
	if err != nil {
		return 0, nil, err
	}
	items := make([]WebhookView, 0, len(subs))
	for i := range subs {
		items = append(items, a.webhookView(&subs[i], false))
	}
	return http.StatusOK, map[string]any{"items": items, "event_types": webhook.EventTypes}, nil
}

// webhookInput merges a body into the current input (nil: a new one).
func webhookInput(b WebhookBody, cur *store.WebhookSubscription) (webhook.Input, error) {
	in := webhook.Input{Enabled: true}
	if cur != nil {
		in = webhook.Input{Name: cur.Name, URL: cur.URL, Events: cur.EventList(), Enabled: cur.Enabled}
	}
	var f web.Fields
	if b.Name != nil {
		in.Name = f.Line("name", *b.Name, 200)
	}
	if b.URL != nil {
		in.URL = f.Line("url", *b.URL, 2000)
	}
	if b.Events != nil {
		in.Events = f.Lines("events", *b.Events, 64)
	}
	if b.Enabled != nil {
		in.Enabled = *b.Enabled
	}
	f.Require("url", in.URL)
	return in, f.Err()
}

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request) (int, any, error) {
	if err := a.webhooksOn(); err != nil {
		return 0, nil, err
	}
	var b WebhookBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	in, err := webhookInput(b, nil)
	if err != nil {
		return 0, nil, err
	}
	sub, err := a.Webhooks.Create(r.Context(), in, principal(r).Agent.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, a.webhookView(sub, true), nil
}

func (a *API) getWebhook(w http.ResponseWriter, r *http.Request) (int, any, error) {
	sub, err := a.webhookOf(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.webhookView(sub, false), nil
}

func (a *API) webhookOf(r *http.Request) (*store.WebhookSubscription, error) {
	if err := a.webhooksOn(); err != nil {
		return nil, err
	}
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return a.Store.WebhookSubscription(r.Context(), id)
}

func (a *API) patchWebhook(w http.ResponseWriter, r *http.Request) (int, any, error) {
	sub, err := a.webhookOf(r)
	if err != nil {
		return 0, nil, err
	}
	var b WebhookBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	in, err := webhookInput(b, sub)
	if err != nil {
		return 0, nil, err
	}
	sub, err = a.Webhooks.Update(r.Context(), sub.ID, in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.webhookView(sub, false), nil
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request) (int, any, error) {
	sub, err := a.webhookOf(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.Webhooks.Delete(r.Context(), sub.ID); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

func (a *API) regenerateWebhookSecret(w http.ResponseWriter, r *http.Request) (int, any, error) {
	sub, err := a.webhookOf(r)
	if err != nil {
		return 0, nil, err
	}
	sub, err = a.Webhooks.RegenerateSecret(r.Context(), sub.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.webhookView(sub, true), nil
}

func (a *API) listWebhookDeliveries(w http.ResponseWriter, r *http.Request) (int, any, error) {
	sub, err := a.webhookOf(r)
	if err != nil {
		return 0, nil, err
	}
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	ds, err := a.Store.WebhookDeliveries(r.Context(), sub.ID, before, limit)
	if err != nil {
		return 0, nil, err
	}
	ids := make([]int64, len(ds))
	for i := range ds {
		ids[i] = ds[i].ID
	}
	attempts, err := a.Store.WebhookAttemptsOf(r.Context(), ids)
	if err != nil {
		return 0, nil, err
	}
	items := make([]WebhookDeliveryView, 0, len(ds))
	for i := range ds {
		v := DeliveryView(&ds[i])
		v.AttemptLog = attempts[ds[i].ID]
		items = append(items, v)
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

func (a *API) redeliverWebhook(w http.ResponseWriter, r *http.Request) (int, any, error) {
	sub, err := a.webhookOf(r)
	if err != nil {
		return 0, nil, err
	}
	did, err := strconv.ParseInt(r.PathValue("delivery"), 10, 64)
	if err != nil {
		return 0, nil, errf(http.StatusNotFound, "not_found", "not found")
	}
	old, err := a.Store.WebhookDelivery(r.Context(), did)
	if err != nil {
		return 0, nil, err
	}
	if old.SubscriptionID != sub.ID {
		return 0, nil, errf(http.StatusNotFound, "not_found", "not found")
	}
	d, err := a.Webhooks.Redeliver(r.Context(), old.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, DeliveryView(d), nil
}

func (a *API) testWebhook(w http.ResponseWriter, r *http.Request) (int, any, error) {
	sub, err := a.webhookOf(r)
	if err != nil {
		return 0, nil, err
	}
	d, err := a.Webhooks.SendTest(r.Context(), sub.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, DeliveryView(d), nil
}

// webhookSchemas document the webhook endpoints.
func webhookSchemas() map[string]any {
	str := map[string]any{"type": "string"}
	i := map[string]any{"type": "integer"}
	b := map[string]any{"type": "boolean"}
	when := map[string]any{"type": "string", "format": "date-time"}
	types := make([]any, 0, len(webhook.EventTypes))
	for _, t := range webhook.EventTypes {
		types = append(types, t)
	}
	events := map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": types}}
	return map[string]any{
		"WebhookBody": map[string]any{"type": "object", "properties": map[string]any{"name": str,
			"url":    map[string]any{"type": "string", "description": "https:// (http:// only for localhost)"},
			"events": events, "enabled": b}},
		"Webhook": map[string]any{"type": "object", "properties": map[string]any{"id": i, "name": str, "url": str, "events": events,
			"enabled": b, "failing": map[string]any{"type": "boolean", "description": "deliveries have failed for over an hour (the subscription stays enabled)"},
			"failing_since": when, "last_success_at": when, "last_failure_at": when, "created_by": i, "created_at": when, "updated_at": when,
			"secret": map[string]any{"type": "string", "description": "the signing secret; only in the answers of create and regenerate"}}},
		"WebhookList": map[string]any{"type": "object", "properties": map[string]any{
			"items": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/Webhook"}}, "event_types": events}},
		"WebhookDelivery": map[string]any{"type": "object", "properties": map[string]any{"id": i,
			"delivery_id": map[string]any{"type": "string", "description": "the X-Hanbox-Delivery header"},
			"event_id":    i, "event_type": str, "ticket_id": i,
			"status":   map[string]any{"type": "string", "enum": []any{store.WebhookPending, store.WebhookDelivered, store.WebhookFailed, store.WebhookCancelled}},
			"attempts": i, "status_code": i, "response": map[string]any{"type": "string", "description": "the first 1 KB of the last answer"},
			"error": str, "duration_ms": i, "redelivery_of": i, "created_at": when, "last_attempt_at": when, "next_attempt_at": when,
			"delivered_at": when, "payload": map[string]any{"$ref": "#/components/schemas/WebhookPayload"}}},
		"WebhookDeliveryList": map[string]any{"type": "object", "properties": map[string]any{
			"items": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/WebhookDelivery"}}}},
		"WebhookPayload": map[string]any{"type": "object",
			"description": "The body of every delivery, signed: X-Hanbox-Signature = \"sha256=\" + hex HMAC-SHA256(secret, X-Hanbox-Timestamp + \".\" + body).",
			"properties": map[string]any{"id": map[string]any{"type": "string", "description": "stable per event and type; dedupe on it"},
				"type": str, "version": map[string]any{"type": "integer", "const": webhook.Version}, "created_at": when,
				"data": map[string]any{"type": "object", "properties": map[string]any{"ticket": map[string]any{"type": "object"},
					"ticket_id": i, "message_id": i, "channel_id": i, "contact_id": i, "agent_id": i, "team_id": i,
					"changes": map[string]any{"type": "object", "description": "what a ticket.updated changed, field by field ({old, new})"},
					"message": map[string]any{"type": "object", "description": "message events: id, direction (inbound, outbound, note, system), author_type, author_id, channel_id, text, attachments, deleted, created_at, change"}, "contact": map[string]any{"type": "object"},
					"survey": map[string]any{"type": "object"}, "agent": map[string]any{"type": "object"}, "test": str}}}},
	}
}
