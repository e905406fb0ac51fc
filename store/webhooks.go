package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Webhook delivery states.
const (
	WebhookPending   = "pending"
	WebhookDelivered = "delivered"
	// WebhookFailed: retried for the subscription's whole retry period
	// without success; later deliveries on its ticket went on.
	WebhookFailed = "failed"
	// WebhookCancelled: the subscription was disabled or deleted before it
	// was delivered.
	WebhookCancelled = "cancelled"
)

// WebhookSubscription is an admin's subscription of one endpoint to event
// types. Secret signs every delivery (it is shown to the admin once and never
// returned by the API). FailingSince is when the current run of failed
// attempts began (nil while deliveries succeed): a subscription failing for
// long is flagged, never disabled by Hanbox.
type WebhookSubscription struct {
	ID   int64  `gorm:"primaryKey"`
	Name string `gorm:"size:200;not null;default:''"`
	URL  string `gorm:"not null"`
	// Secret is the HMAC key; never logged, never returned by the API.
	Secret string `gorm:"not null"`
	// Events is the subscribed event types, space-separated.
	Events        string `gorm:"not null;default:''"`
	Enabled       bool   `gorm:"not null;default:true"`
	CreatedBy     *int64
	FailingSince  *time.Time
	LastSuccessAt *time.Time
	LastFailureAt *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// EventList returns the subscribed event types.
func (w *WebhookSubscription) EventList() []string { return strings.Fields(w.Events) }

// Subscribed reports whether the subscription takes events of type typ.
func (w *WebhookSubscription) Subscribed(typ string) bool {
	for _, e := range strings.Fields(w.Events) {
		if e == typ {
			return true
		}
	}
	return false
}

// WebhookDelivery is one payload for one subscription: the queue entry and
// its log line (the last attempt's status code, response snippet, error and
// duration). Deliveries of one subscription and ticket go out in id order.
type WebhookDelivery struct {
	ID             int64  `gorm:"primaryKey"`
	PublicID       string `gorm:"size:40;not null;uniqueIndex:ux_webhook_delivery_public_id"`
	SubscriptionID int64  `gorm:"not null;uniqueIndex:ux_webhook_delivery_dedupe,priority:1;index:ix_webhook_delivery_lane,priority:1"`
	EventID        int64  `gorm:"not null;default:0"`
	EventType      string `gorm:"size:64;not null"`
	TicketID       int64  `gorm:"not null;default:0;index:ix_webhook_delivery_lane,priority:2"`
	DedupeKey      string `gorm:"size:128;not null;uniqueIndex:ux_webhook_delivery_dedupe,priority:2"`
	RedeliveryOf   *int64
	Payload        string `gorm:"not null"`
	Status         string `gorm:"size:16;not null;index:ix_webhook_delivery_lane,priority:3"`
	Attempts       int    `gorm:"not null;default:0"`
	NextAttemptAt  time.Time
	StatusCode     int    `gorm:"not null;default:0"`
	Response       string `gorm:"not null;default:''"`
	Error          string `gorm:"not null;default:''"`
	DurationMS     int64  `gorm:"column:duration_ms;not null;default:0"`
	CreatedAt      time.Time
	LastAttemptAt  *time.Time
	DeliveredAt    *time.Time
}

// WebhookSubscriptions lists subscriptions by id.
func (s *Store) WebhookSubscriptions(ctx context.Context) ([]WebhookSubscription, error) {
	var out []WebhookSubscription
	if err := s.DB.WithContext(ctx).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: webhook subscriptions: %w", err)
	}
	return out, nil
}

// WebhookSubscription returns one subscription or ErrNotFound.
func (s *Store) WebhookSubscription(ctx context.Context, id int64) (*WebhookSubscription, error) {
	var w WebhookSubscription
	if err := s.DB.WithContext(ctx).Take(&w, id).Error; err != nil {
		return nil, fmt.Errorf("store: webhook subscription %d: %w", id, notFound(err))
	}
	return &w, nil
}

// WebhookDeliveries lists a subscription's deliveries, newest first; before
// (a delivery id, 0 for none) pages back.
func (s *Store) WebhookDeliveries(ctx context.Context, subscriptionID, before int64, limit int) ([]WebhookDelivery, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	q := s.DB.WithContext(ctx).Where("subscription_id = ?", subscriptionID)
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	var out []WebhookDelivery
	if err := q.Order("id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: webhook deliveries of %d: %w", subscriptionID, err)
	}
	return out, nil
}

// WebhookDelivery returns one delivery or ErrNotFound.
func (s *Store) WebhookDelivery(ctx context.Context, id int64) (*WebhookDelivery, error) {
	var d WebhookDelivery
	if err := s.DB.WithContext(ctx).Take(&d, id).Error; err != nil {
		return nil, fmt.Errorf("store: webhook delivery %d: %w", id, notFound(err))
	}
	return &d, nil
}

// WebhookAttempt is one attempt of a delivery.
type WebhookAttempt struct {
	DeliveryID int64     `gorm:"primaryKey;autoIncrement:false" json:"-"`
	Attempt    int       `gorm:"primaryKey;autoIncrement:false" json:"attempt"`
	At         time.Time `gorm:"not null" json:"at"`
	StatusCode int       `gorm:"not null;default:0" json:"status_code"`
	DurationMS int64     `gorm:"column:duration_ms;not null;default:0" json:"duration_ms"`
	Error      string    `gorm:"not null;default:''" json:"error"`
}

// AddWebhookAttempt records an attempt; recording the same attempt again
// (a job run twice) is a no-op.
func (s *Store) AddWebhookAttempt(ctx context.Context, a *WebhookAttempt) error {
	return AddWebhookAttemptTx(s.DB.WithContext(ctx), a)
}

// AddWebhookAttemptTx is AddWebhookAttempt in tx (the delivery's state is
// written in the same transaction).
func AddWebhookAttemptTx(tx *gorm.DB, a *WebhookAttempt) error {
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(a).Error; err != nil {
		return fmt.Errorf("store: webhook attempt %d/%d: %w", a.DeliveryID, a.Attempt, err)
	}
	return nil
}

// WebhookAttemptsOf returns the attempts of the deliveries by delivery id,
// first attempt first.
func (s *Store) WebhookAttemptsOf(ctx context.Context, deliveryIDs []int64) (map[int64][]WebhookAttempt, error) {
	out := map[int64][]WebhookAttempt{}
	if len(deliveryIDs) == 0 {
		return out, nil
	}
	var rows []WebhookAttempt
	if err := s.DB.WithContext(ctx).Where("delivery_id IN ?", deliveryIDs).Order("delivery_id, attempt").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: webhook attempts: %w", err)
	}
	for _, r := range rows {
		out[r.DeliveryID] = append(out[r.DeliveryID], r)
	}
	return out, nil
}

// DeleteOrphanWebhookAttempts drops the attempts of deliveries that are gone.
func (s *Store) DeleteOrphanWebhookAttempts(ctx context.Context) error {
	if err := s.DB.WithContext(ctx).Exec(`DELETE FROM webhook_attempts WHERE delivery_id NOT IN (SELECT id FROM webhook_deliveries)`).Error; err != nil {
		return fmt.Errorf("store: prune webhook attempts: %w", err)
	}
	return nil
}
