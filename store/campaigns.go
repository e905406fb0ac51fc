package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Campaign channels.
const (
	CampaignEmail  = "email"
	CampaignWidget = "widget"
)

// Campaign trigger kinds.
const (
	TriggerEvent      = "event"      // an event arrives (after a delay, unless a stop event happened)
	TriggerMilestone  = "milestone"  // a number attribute or counter reaches a value
	TriggerSchedule   = "schedule"   // N days after a date attribute, or a fixed date
	TriggerInactivity = "inactivity" // last seen more than N days ago
	TriggerOnboarding = "onboarding" // the contact's first widget visits
	TriggerPage       = "page"       // a widget page whose URL matches a pattern
)

// TriggerKinds lists the trigger kinds in display order.
func TriggerKinds() []string {
	return []string{TriggerEvent, TriggerMilestone, TriggerSchedule, TriggerInactivity, TriggerOnboarding, TriggerPage}
}

// Campaign send statuses.
const (
	SendQueued    = "queued"    // committed, waiting for its channel
	SendDelivered = "delivered" // accepted by the mail server / shown in the widget
	SendFailed    = "failed"
)

// TriggerConfig holds a trigger's settings; which fields count depends on
// the kind.
type TriggerConfig struct {
	// Event: the event's name, the delay before sending and the stop event
	// that, when it happens after the trigger and before the send, cancels
	// it ("cart_added, not order_paid within 60 minutes"). Repeat sends
	// once per triggering event instead of once per contact.
	Event        string `json:"event,omitempty"`
	DelayMinutes int    `json:"delay_minutes,omitempty"`
	StopEvent    string `json:"stop_event,omitempty"`
	Repeat       bool   `json:"repeat,omitempty"`
	// Milestone: a number attribute (or counter such as messages) reaching
	// Reach.
	Attribute string  `json:"attribute,omitempty"`
	Reach     float64 `json:"value,omitempty"`
	// Schedule: Days after the date attribute DateAttribute (one round per
	// entry), or the fixed date At (RFC 3339 or YYYY-MM-DD).
	DateAttribute string `json:"date_attribute,omitempty"`
	Days          []int  `json:"days,omitempty"`
	At            string `json:"at,omitempty"`
	// Inactivity: last seen more than InactiveDays days ago.
	InactiveDays int `json:"inactive_days,omitempty"`
	// Page (and optionally onboarding and any widget message): the page
	// URL pattern (* matches anything) and office hours only.
	URLPattern      string `json:"url_pattern,omitempty"`
	OfficeHoursOnly bool   `json:"office_hours_only,omitempty"`
	// MinSeconds (page): the visitor has been on the page this long before
	// the message shows. The widget times it from the page's load; the
	// server refuses to count the card seen earlier.
	MinSeconds int `json:"min_seconds,omitempty"`
}

// Value implements driver.Valuer.
func (t TriggerConfig) Value() (driver.Value, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("store: encode trigger: %w", err)
	}
	return string(b), nil
}

// Scan implements sql.Scanner.
func (t *TriggerConfig) Scan(src any) error {
	b, err := jsonBytes(src, "trigger")
	if err != nil {
		return err
	}
	*t = TriggerConfig{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, t); err != nil {
			return fmt.Errorf("store: decode trigger: %w", err)
		}
	}
	return nil
}

// Campaign is a life-cycle message: who gets it, on which channel, when,
// what it says and the limits every send honours.
type Campaign struct {
	ID      int64  `gorm:"primaryKey"`
	Name    string `gorm:"size:200;not null"`
	Enabled bool   `gorm:"not null"`
	Channel string `gorm:"size:16;not null"`
	// ChannelID is the email channel mail goes out on (0: the first
	// enabled one).
	ChannelID int64 `gorm:"not null"`
	// SegmentID is the audience; nil is every contact.
	SegmentID     *int64
	TriggerKind   string        `gorm:"size:16;not null"`
	TriggerConfig TriggerConfig `gorm:"type:text;not null"`
	// GoalEvent is the event that counts as the message's goal (order_paid):
	// a send whose contact does it afterwards counts as goal reached, and a
	// send still waiting is dropped.
	GoalEvent string `gorm:"size:64;not null"`
	SubjectKo string `gorm:"not null"`
	SubjectEn string `gorm:"not null"`
	BodyKo    string `gorm:"not null"`
	BodyEn    string `gorm:"not null"`
	// RequireConsent sends only to contacts whose consent attribute
	// (email_marketing for email, proactive_chat for the widget) is true.
	// Without it a contact who set it to false, or opted out of marketing,
	// still gets nothing.
	RequireConsent bool `gorm:"not null"`
	// TrackOpens adds a signed 1x1 image to the campaign's emails: loading
	// it counts the send as seen. Approximate: many mail apps block remote
	// images (not counted) or fetch them ahead of the reader (counted).
	TrackOpens bool `gorm:"not null"`
	// CapDays: no campaign message (and no survey) to a contact more often.
	CapDays    int    `gorm:"not null"`
	QuietStart string `gorm:"size:5;not null"`
	QuietEnd   string `gorm:"size:5;not null"`
	TimeZone   string `gorm:"size:64;not null"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
	DeletedAt  *time.Time
}

// CampaignSend is one campaign message to one contact for one round.
type CampaignSend struct {
	ID             int64  `gorm:"primaryKey"`
	PublicID       string `gorm:"size:32;not null"`
	CampaignID     int64  `gorm:"not null"`
	ContactID      int64  `gorm:"not null"`
	RoundKey       string `gorm:"size:64;not null"`
	Channel        string `gorm:"size:16;not null"`
	ChannelID      int64  `gorm:"not null"`
	Status         string `gorm:"size:16;not null"`
	Locale         string `gorm:"size:8;not null"`
	TriggerAt      *time.Time
	EmailMessageID string `gorm:"size:255;not null"`
	DeliveredAt    *time.Time
	SeenAt         *time.Time
	ClickedAt      *time.Time
	DismissedAt    *time.Time
	RepliedAt      *time.Time
	ReplyTicketID  *int64
	UnsubscribedAt *time.Time
	GoalAt         *time.Time
	LastError      string `gorm:"not null"`
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// CampaignStats counts a campaign's sends by what became of them.
type CampaignStats struct {
	Sent         int64 `json:"sent"`
	Delivered    int64 `json:"delivered"`
	Failed       int64 `json:"failed"`
	Seen         int64 `json:"seen"`
	Clicked      int64 `json:"clicked"`
	Dismissed    int64 `json:"dismissed"`
	Replied      int64 `json:"replied"`
	Unsubscribed int64 `json:"unsubscribed"`
	GoalReached  int64 `json:"goal_reached"`
}

// CampaignStatsOf counts the sends of campaign id in one query.
func (s *Store) CampaignStatsOf(ctx context.Context, id int64) (CampaignStats, error) {
	var st CampaignStats
	err := s.DB.WithContext(ctx).Raw(`SELECT COUNT(*) AS sent, COUNT(delivered_at) AS delivered,
		COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0) AS failed,
		COUNT(seen_at) AS seen, COUNT(clicked_at) AS clicked, COUNT(dismissed_at) AS dismissed, COUNT(replied_at) AS replied,
		COUNT(unsubscribed_at) AS unsubscribed, COUNT(goal_at) AS goal_reached
		FROM campaign_sends WHERE campaign_id = ?`, SendFailed, id).Scan(&st).Error
	if err != nil {
		return st, fmt.Errorf("store: campaign %d stats: %w", id, err)
	}
	return st, nil
}

// Campaigns returns the campaigns that are not deleted, newest first.
func (s *Store) Campaigns(ctx context.Context) ([]Campaign, error) {
	var out []Campaign
	if err := s.DB.WithContext(ctx).Where("deleted_at IS NULL").Order("id DESC").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: campaigns: %w", err)
	}
	return out, nil
}

// CampaignByID returns a campaign, deleted or not.
func (s *Store) CampaignByID(ctx context.Context, id int64) (*Campaign, error) {
	var c Campaign
	err := s.DB.WithContext(ctx).Take(&c, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("store: campaign %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: campaign %d: %w", id, err)
	}
	return &c, nil
}

// CampaignSendsOf lists a contact's campaign messages, newest first.
func (s *Store) CampaignSendsOf(ctx context.Context, contactID int64, limit int) ([]CampaignSend, error) {
	var out []CampaignSend
	if err := s.DB.WithContext(ctx).Where("contact_id = ?", contactID).Order("id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: campaign sends of contact %d: %w", contactID, err)
	}
	return out, nil
}

// SegmentWhere compiles a segment definition to one SQL condition over
// contacts aliased c, for callers that add their own conditions and look
// at one contact or a page of them (a campaign's send, its planner's page
// of its audience): the correlated shape, a few index probes per contact.
func (s *Store) SegmentWhere(ctx context.Context, d SegmentDef, now time.Time) (string, []any, error) {
	return s.compileSegment(ctx, d, now, false)
}

// SegmentBulkWhere is SegmentWhere in the shape for counting or listing
// many contacts (uncorrelated subqueries; see member), as SegmentCount runs
// it on PostgreSQL.
func (s *Store) SegmentBulkWhere(ctx context.Context, d SegmentDef, now time.Time) (string, []any, error) {
	return s.compileSegment(ctx, d, now, true)
}
