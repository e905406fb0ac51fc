package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// Opt-out topics: what a contact asked not to receive.
const (
	TopicSurveys   = "surveys"   // CSAT and NPS requests, on every channel
	TopicMarketing = "marketing" // engagement and campaign messages
)

// ContactOptOut records that a contact asked not to receive a topic. The
// row's presence is the opt-out; (ContactID, Topic) is the key.
type ContactOptOut struct {
	ContactID int64  `gorm:"primaryKey;autoIncrement:false"`
	Topic     string `gorm:"primaryKey;size:32"`
	// Source says how: "link" (the unsubscribe page), "one-click" (RFC 8058
	// POST from a mail client), "agent", "api".
	Source    string `gorm:"size:32;not null;default:''"`
	CreatedAt time.Time
}

// PutOptOut records an opt-out; an existing one is kept as it was (the
// first time the contact asked).
func (s *Store) PutOptOut(ctx context.Context, o *ContactOptOut) error {
	if o.CreatedAt.IsZero() {
		o.CreatedAt = time.Now().UTC()
	}
	if err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(o).Error; err != nil {
		return fmt.Errorf("store: opt-out of contact %d: %w", o.ContactID, err)
	}
	return nil
}

// DeleteOptOut withdraws an opt-out (the contact subscribed again). It
// reports whether there was one.
func (s *Store) DeleteOptOut(ctx context.Context, contactID int64, topic string) (bool, error) {
	res := s.DB.WithContext(ctx).Where("contact_id = ? AND topic = ?", contactID, topic).Delete(&ContactOptOut{})
	if res.Error != nil {
		return false, fmt.Errorf("store: delete opt-out of contact %d: %w", contactID, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// OptedOut reports whether a contact opted out of a topic.
func (s *Store) OptedOut(ctx context.Context, contactID int64, topic string) (bool, error) {
	var n int64
	if err := s.DB.WithContext(ctx).Model(&ContactOptOut{}).Where("contact_id = ? AND topic = ?", contactID, topic).Count(&n).Error; err != nil {
		return false, fmt.Errorf("store: opt-out of contact %d: %w", contactID, err)
	}
	return n > 0, nil
}

// OptOutsOf lists a contact's opt-outs, by topic.
func (s *Store) OptOutsOf(ctx context.Context, contactID int64) ([]ContactOptOut, error) {
	var out []ContactOptOut
	if err := s.DB.WithContext(ctx).Where("contact_id = ?", contactID).Order("topic").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: opt-outs of contact %d: %w", contactID, err)
	}
	return out, nil
}
