package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// AttrPagesViewed is the built-in counter of a contact's page views (the
// visits counter is AttrVisits).
const AttrPagesViewed = "pages_viewed"

// Page view limits.
const (
	// VisitGap separates visits: a view with no view of the same visitor in
	// the VisitGap before it starts a new visit.
	VisitGap = 30 * time.Minute
	// MaxPageViewsPerVisitor bounds the rows kept per visitor: older ones
	// are deleted as new ones arrive (the counters keep counting).
	MaxPageViewsPerVisitor = 500
)

// PageView is one page a widget visitor saw. ContactID is nil until the
// visitor has a contact (ClaimPageViewsTx); OriginContactID is the contact
// it was recorded for when a merge moved it (see MoveProfileTx).
type PageView struct {
	ID              int64
	ContactID       *int64
	OriginContactID *int64
	Visitor         string // the widget identity value
	ChannelID       int64
	URL             string
	Path            string // path and query of URL, matched by path patterns
	Title           string
	VisitStart      bool
	At              time.Time
}

// AddPageViewTx stores v inside tx. Whether it starts a visit is decided
// here (no view of v.Visitor within VisitGap before v.At); the visitor's
// rows beyond MaxPageViewsPerVisitor are deleted; and when v has a contact
// its seen times move and its counters grow (pages_viewed, and visits on a
// visit start). Callers serialize views of one visitor (a lock on it), so
// two at once cannot both start a visit.
func AddPageViewTx(tx *gorm.DB, v *PageView) error {
	var recent int64
	if err := tx.Model(&PageView{}).Where("visitor = ? AND at > ?", v.Visitor, v.At.Add(-VisitGap)).Count(&recent).Error; err != nil {
		return fmt.Errorf("store: page views of %q: %w", v.Visitor, err)
	}
	v.VisitStart = recent == 0
	if err := tx.Create(v).Error; err != nil {
		return fmt.Errorf("store: add page view: %w", err)
	}
	if err := tx.Exec(`DELETE FROM page_views WHERE visitor = ? AND id <= (SELECT id FROM page_views WHERE visitor = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
		v.Visitor, v.Visitor, MaxPageViewsPerVisitor).Error; err != nil {
		return fmt.Errorf("store: trim page views of %q: %w", v.Visitor, err)
	}
	if v.ContactID == nil {
		return nil
	}
	counters := []string{AttrPagesViewed}
	if v.VisitStart {
		counters = append(counters, AttrVisits)
	}
	return TouchContactTx(tx, *v.ContactID, v.At, counters...)
}

// ClaimPageViewsTx gives a visitor's views recorded before it had a contact
// to contactID (the visitor's identity was just created), counting them in
// the contact's counters and seen times.
func ClaimPageViewsTx(tx *gorm.DB, visitor string, contactID int64) error {
	var agg struct {
		N      int64
		Visits int64
	}
	if err := tx.Raw(`SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN visit_start THEN 1 ELSE 0 END), 0) AS visits
		FROM page_views WHERE visitor = ? AND contact_id IS NULL`, visitor).Scan(&agg).Error; err != nil {
		return fmt.Errorf("store: unclaimed views of %q: %w", visitor, err)
	}
	if agg.N == 0 {
		return nil
	}
	// The first and last views as rows: MIN/MAX of a timestamp come back
	// as text on SQLite.
	var ends []PageView
	for _, order := range []string{"at ASC", "at DESC"} {
		var v PageView
		if err := tx.Where("visitor = ? AND contact_id IS NULL", visitor).Order(order).Limit(1).Take(&v).Error; err != nil {
			return fmt.Errorf("store: unclaimed views of %q: %w", visitor, err)
		}
		ends = append(ends, v)
	}
	if err := tx.Model(&PageView{}).Where("visitor = ? AND contact_id IS NULL", visitor).Update("contact_id", contactID).Error; err != nil {
		return fmt.Errorf("store: claim views of %q: %w", visitor, err)
	}
	for _, v := range ends {
		if err := TouchContactTx(tx, contactID, v.At); err != nil {
			return err
		}
	}
	if err := AddCounterTx(tx, contactID, AttrPagesViewed, float64(agg.N)); err != nil {
		return err
	}
	return AddCounterTx(tx, contactID, AttrVisits, float64(agg.Visits))
}

// AddCounterTx adds n (may be negative; 0 does nothing) to a built-in
// counter of a contact.
func AddCounterTx(tx *gorm.DB, contactID int64, key string, n float64) error {
	if n == 0 {
		return nil
	}
	err := tx.Exec(`INSERT INTO contact_attributes (contact_id, key, type, num_value) VALUES (?, ?, 'number', ?)
		ON CONFLICT (contact_id, key) DO UPDATE SET num_value = COALESCE(contact_attributes.num_value, 0) + excluded.num_value`,
		contactID, key, n).Error
	if err != nil {
		return fmt.Errorf("store: count %s of contact %d: %w", key, contactID, err)
	}
	return nil
}

// ContactPageViews returns a contact's latest page views, newest first.
func (s *Store) ContactPageViews(ctx context.Context, contactID int64, limit int) ([]PageView, error) {
	var out []PageView
	if err := s.DB.WithContext(ctx).Where("contact_id = ?", contactID).Order("at DESC, id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: page views of contact %d: %w", contactID, err)
	}
	return out, nil
}

// PrunePageViews deletes the page views older than before (the retention
// period) and returns how many went.
func (s *Store) PrunePageViews(ctx context.Context, before time.Time) (int64, error) {
	res := s.DB.WithContext(ctx).Where("at < ?", before.UTC()).Delete(&PageView{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: prune page views: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// MessagesSent returns the latest outbound messages (replies, cards, bot
// answers: what the customer received) of the tickets in ticketIDs, newest
// first, without their bodies' HTML.
func (s *Store) MessagesSent(ctx context.Context, ticketIDs []int64, limit int) ([]Message, error) {
	if len(ticketIDs) == 0 {
		return nil, nil
	}
	var out []Message
	if err := s.DB.WithContext(ctx).Select("id", "ticket_id", "direction", "author_type", "author_id", "channel_id", "text", "delivery_status", "deleted_at", "created_at").
		Where("ticket_id IN ? AND direction = ? AND deleted_at IS NULL", ticketIDs, DirOutbound).Order("created_at DESC, id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: messages sent: %w", err)
	}
	return out, nil
}
