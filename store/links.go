package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// ConversationLink is the signed link to a ticket's conversation page that
// agent emails carry. One link is live per ticket and recipient (revoked
// links stay as a record); every email that carries it moves its expiry.
type ConversationLink struct {
	ID        int64  `gorm:"primaryKey"`
	PublicID  string `gorm:"size:32;not null;uniqueIndex:ux_link_public_id"`
	TicketID  int64  `gorm:"not null;index:ix_link_ticket"`
	ContactID int64  `gorm:"not null"`
	Recipient string `gorm:"size:320;not null"`
	CreatedAt time.Time
	ExpiresAt time.Time `gorm:"not null"`
	// RevokedAt is set when an agent revoked the link (RevokedBy is the
	// agent), or when an expired link was replaced (RevokedBy 0).
	RevokedAt     *time.Time
	RevokedBy     *int64
	FirstOpenedAt *time.Time
	LastOpenedAt  *time.Time
	// DeviceHash is the SHA-256 of the browser cookie of the first opening;
	// OtherDeviceAt is when the link was first opened in another browser
	// (a forwarded link, or the customer's second device).
	DeviceHash    string `gorm:"size:64"`
	OtherDeviceAt *time.Time
}

// LiveLink returns the unrevoked link of a ticket for recipient;
// ErrNotFound when there is none.
func (s *Store) LiveLink(ctx context.Context, ticketID int64, recipient string) (*ConversationLink, error) {
	var l ConversationLink
	err := s.DB.WithContext(ctx).Where("ticket_id = ? AND recipient = ? AND revoked_at IS NULL", ticketID, recipient).Take(&l).Error
	if err != nil {
		return nil, fmt.Errorf("store: live link of ticket %d: %w", ticketID, notFound(err))
	}
	return &l, nil
}

// CreateLink inserts l; a concurrent insert of the same live link fails
// with a duplicate-key error (IsDuplicate).
func (s *Store) CreateLink(ctx context.Context, l *ConversationLink) error {
	if err := s.DB.WithContext(ctx).Create(l).Error; err != nil {
		return fmt.Errorf("store: create link: %w", err)
	}
	return nil
}

// ExtendLink moves a live link's expiry to until when that is later.
func (s *Store) ExtendLink(ctx context.Context, id int64, until time.Time) error {
	if err := s.DB.WithContext(ctx).Model(&ConversationLink{}).Where("id = ? AND revoked_at IS NULL AND expires_at < ?", id, until).
		UpdateColumn("expires_at", until).Error; err != nil {
		return fmt.Errorf("store: extend link %d: %w", id, err)
	}
	return nil
}

// RevokeLink revokes link id on behalf of agentID (0 for the system) at t;
// a link revoked before keeps its first revocation. It reports whether the
// link was live.
func (s *Store) RevokeLink(ctx context.Context, id, agentID int64, t time.Time) (bool, error) {
	res := s.DB.WithContext(ctx).Model(&ConversationLink{}).Where("id = ? AND revoked_at IS NULL", id).
		UpdateColumns(map[string]any{"revoked_at": t, "revoked_by": agentID})
	if res.Error != nil {
		return false, fmt.Errorf("store: revoke link %d: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// LinkByPublicID returns a link by the id its token carries.
func (s *Store) LinkByPublicID(ctx context.Context, publicID string) (*ConversationLink, error) {
	var l ConversationLink
	if err := s.DB.WithContext(ctx).Where("public_id = ?", publicID).Take(&l).Error; err != nil {
		return nil, fmt.Errorf("store: link %s: %w", publicID, notFound(err))
	}
	return &l, nil
}

// Link returns a link by its row id.
func (s *Store) Link(ctx context.Context, id int64) (*ConversationLink, error) {
	var l ConversationLink
	if err := s.DB.WithContext(ctx).Take(&l, id).Error; err != nil {
		return nil, fmt.Errorf("store: link %d: %w", id, notFound(err))
	}
	return &l, nil
}

// TicketLinks returns the links of the given tickets, newest first.
func (s *Store) TicketLinks(ctx context.Context, ticketIDs []int64) ([]ConversationLink, error) {
	var ls []ConversationLink
	if len(ticketIDs) == 0 {
		return ls, nil
	}
	if err := s.DB.WithContext(ctx).Where("ticket_id IN ?", ticketIDs).Order("id DESC").Find(&ls).Error; err != nil {
		return nil, fmt.Errorf("store: links of tickets: %w", err)
	}
	return ls, nil
}

// RecordLinkOpen records that link id was opened at t by the browser whose
// cookie hashes to deviceHash. The first opening's browser is the link's
// device; otherDevice reports an opening in another browser (and records
// when that first happened).
func (s *Store) RecordLinkOpen(ctx context.Context, id int64, deviceHash string, t time.Time) (otherDevice bool, err error) {
	err = s.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec(`UPDATE conversation_links SET first_opened_at = COALESCE(first_opened_at, ?), last_opened_at = ?,
			device_hash = CASE WHEN device_hash IS NULL OR device_hash = '' THEN ? ELSE device_hash END WHERE id = ?`,
			t, t, deviceHash, id).Error; err != nil {
			return err
		}
		var l ConversationLink
		if err := tx.Select("id", "device_hash").Take(&l, id).Error; err != nil {
			return notFound(err)
		}
		if l.DeviceHash == deviceHash {
			return nil
		}
		otherDevice = true
		return tx.Exec("UPDATE conversation_links SET other_device_at = COALESCE(other_device_at, ?) WHERE id = ?", t, id).Error
	})
	if err != nil {
		return false, fmt.Errorf("store: record link %d opened: %w", id, err)
	}
	return otherDevice, nil
}
