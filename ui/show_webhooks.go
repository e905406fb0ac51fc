package ui

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/webhook"
)

// webhookRow is a subscription on the Webhooks screen.
type webhookRow struct {
	store.WebhookSubscription
	Failing bool
}

type webhooksData struct {
	Subs       []webhookRow
	EventTypes []string
}

type webhookData struct {
	Sub        webhookRow
	EventTypes []string
	Deliveries []deliveryRow
}

// deliveryRow is a delivery with every attempt of it.
type deliveryRow struct {
	store.WebhookDelivery
	Log []store.WebhookAttempt
}

// showWebhooks lists the event webhook subscriptions, flags the failing
// ones, and offers the form that adds one.
func (h *handler) showWebhooks(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	subs, err := h.s.Store.WebhookSubscriptions(r.Context())
	if err != nil {
		h.fail(w, r, p, "list webhooks", err)
		return
	}
	d := webhooksData{EventTypes: webhook.EventTypes}
	for _, s := range subs {
		d.Subs = append(d.Subs, webhookRow{WebhookSubscription: s, Failing: h.s.Webhooks.Failing(&s)})
	}
	pg := h.newPage(r, p, "webhooks", "admin.webhooks")
	pg.Data = d
	h.render(w, r, "webhooks", pg)
}

// showWebhook is one subscription: its settings form, secret regeneration,
// a test event, and its delivery log with redelivery.
func (h *handler) showWebhook(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.renderError(w, r, p, http.StatusNotFound, "error.notFound")
		return
	}
	sub, err := h.s.Store.WebhookSubscription(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		h.renderError(w, r, p, http.StatusNotFound, "error.notFound")
		return
	}
	if err != nil {
		h.fail(w, r, p, "get webhook", err)
		return
	}
	ds, err := h.s.Store.WebhookDeliveries(r.Context(), id, 0, 100)
	if err != nil {
		h.fail(w, r, p, "list webhook deliveries", err)
		return
	}
	ids := make([]int64, len(ds))
	for i := range ds {
		ids[i] = ds[i].ID
	}
	logs, err := h.s.Store.WebhookAttemptsOf(r.Context(), ids)
	if err != nil {
		h.fail(w, r, p, "list webhook attempts", err)
		return
	}
	rows := make([]deliveryRow, len(ds))
	for i := range ds {
		rows[i] = deliveryRow{WebhookDelivery: ds[i], Log: logs[ds[i].ID]}
	}
	pg := h.newPage(r, p, "webhook", "admin.webhooks")
	pg.Data = webhookData{Sub: webhookRow{WebhookSubscription: *sub, Failing: h.s.Webhooks.Failing(sub)}, EventTypes: webhook.EventTypes, Deliveries: rows}
	h.render(w, r, "webhooks", pg)
}
