package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// Ticket statuses. A ticket moves between them through inbox rules; the store
// only keeps the value.
const (
	StatusOpen     = "open"
	StatusPending  = "pending"
	StatusSnoozed  = "snoozed"
	StatusResolved = "resolved"
	StatusClosed   = "closed"
)

// Ticket priorities.
const (
	PriorityLow    = "low"
	PriorityNormal = "normal"
	PriorityHigh   = "high"
	PriorityUrgent = "urgent"
)

// Message directions.
const (
	DirInbound  = "inbound"
	DirOutbound = "outbound"
	DirNote     = "note"
	DirSystem   = "system"
)

// Message author types.
const (
	AuthorContact = "contact"
	AuthorAgent   = "agent"
	AuthorBot     = "bot"
	AuthorSystem  = "system"
)

// Delivery statuses of outbound messages.
const (
	DeliveryQueued = "queued"
	DeliverySent   = "sent"
	DeliveryFailed = "failed"
)

// Outbox row states and purposes.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxFailed  = "failed"
	// OutboxSuperseded: a newer row with the same collapse key made this
	// one redundant; it was not sent.
	OutboxSuperseded = "superseded"

	PurposeReply  = "reply"
	PurposeNotify = "notify"
	// PurposeWebhook: a signed HTTP POST of an automation rule (channel 0;
	// the payload holds the URL, secret and body).
	PurposeWebhook = "webhook"
	// PurposeCampaign: a campaign email to a contact, outside any ticket
	// (ticket 0; the payload names the campaign_sends row).
	PurposeCampaign = "campaign"
)

// Agent roles.
const (
	RoleAdmin = "admin"
	RoleAgent = "agent"
)

// TicketNumberBase is added to a ticket's row id to form its human number, so
// the first ticket is #1001 and numbers never collide across instances.
const TicketNumberBase = 1000

// Contact is a customer, known through one or more identities.
type Contact struct {
	ID     int64  `gorm:"primaryKey"`
	Name   string `gorm:"size:255"`
	Email  string `gorm:"size:320"` // primary address for outbound mail; may be unverified
	Locale string `gorm:"size:35"`
	// TimeZone is an IANA zone ("Asia/Seoul") for quiet hours; "" = unknown.
	TimeZone   string `gorm:"size:64;not null;default:''"`
	MergedInto *int64 `gorm:"index"` // set when this contact was merged into another
	CreatedAt  time.Time
	UpdatedAt  time.Time

	Identities []Identity `gorm:"foreignKey:ContactID"`
}

// Identity ties a contact to one identifier on one kind of channel: an email
// address, a widget visitor id, a Slack or Discord user id. (Kind, Value) is
// unique: an identifier belongs to at most one contact.
type Identity struct {
	ID        int64  `gorm:"primaryKey"`
	ContactID int64  `gorm:"not null;index"`
	Kind      string `gorm:"size:32;not null;uniqueIndex:ux_identity,priority:1"`
	Value     string `gorm:"size:320;not null;uniqueIndex:ux_identity,priority:2"`
	Verified  bool   `gorm:"not null;default:false"`
	CreatedAt time.Time
}

// Ticket is one conversation with a customer, across any number of channels.
type Ticket struct {
	ID              int64  `gorm:"primaryKey"`
	PublicID        string `gorm:"size:32;not null;uniqueIndex"`
	ReplyToken      string `gorm:"size:32;not null;uniqueIndex"`
	Subject         string `gorm:"size:998"`
	Status          string `gorm:"size:16;not null;index:ix_ticket_status_last,priority:1"`
	SnoozedUntil    *time.Time
	Priority        string `gorm:"size:16;not null"`
	AssigneeID      *int64 `gorm:"index"`
	TeamID          *int64 `gorm:"index:ix_ticket_team,priority:1"` // the team (department) the ticket is filed to
	ContactID       int64  `gorm:"not null;index"`
	ChannelID       int64  `gorm:"not null;index"` // origin channel
	LastChannelID   int64  `gorm:"not null"`       // channel of the latest customer message
	FirstResponseAt *time.Time
	LastCustomerAt  *time.Time
	LastAgentAt     *time.Time
	LastMessageAt   time.Time `gorm:"not null;index:ix_ticket_status_last,priority:2"`
	MessageCount    int       `gorm:"not null;default:0"`
	Version         int64     `gorm:"not null;default:1"` // bumped on every change; the collision guard compares it
	// MergedInto is the ticket this one was merged into (it is then closed);
	// messages that still name this ticket are filed there.
	MergedInto *int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// SLA (see inbox/sla.go): the policy applied, the cycle (the id of the
	// durable event that started it: creation or the latest reopening) and
	// when it started, due and warning times of both targets, whether each
	// was breached in this cycle, and SLADueAt, the soonest due time still
	// running (nil: none), which the "due soonest" sort orders by.
	SLAPolicyID           *int64
	SLACycle              int64 `gorm:"column:sla_cycle;not null;default:0"`
	SLAStartedAt          *time.Time
	FirstResponseDueAt    *time.Time
	FirstResponseWarnAt   *time.Time
	ResolutionDueAt       *time.Time
	ResolutionWarnAt      *time.Time
	FirstResponseBreached bool       `gorm:"not null;default:false"`
	ResolutionBreached    bool       `gorm:"not null;default:false"`
	SLADueAt              *time.Time `gorm:"column:sla_due_at"`
	// SLAPausedAt is when the SLA clocks paused (the ticket went pending or
	// snoozed), nil while they run; SLAPauses are the finished pauses that
	// still count for a running target.
	SLAPausedAt *time.Time `gorm:"column:sla_paused_at"`
	SLAPauses   SLAPauses  `gorm:"column:sla_pauses;type:text;not null;default:'[]'"`

	Contact *Contact    `gorm:"foreignKey:ContactID"`
	Tags    []TicketTag `gorm:"foreignKey:TicketID"`
}

// Number is the ticket's human number (#1042).
func (t *Ticket) Number() int64 { return t.ID + TicketNumberBase }

// TicketTag is one tag on a ticket.
type TicketTag struct {
	TicketID int64  `gorm:"primaryKey"`
	Tag      string `gorm:"primaryKey;size:64;index"`
}

// ThreadKey maps a channel-defined conversation key (an email Message-ID, a
// widget session, a Slack thread, a Discord channel) to the ticket it belongs
// to. Keys are namespaced by the connector that makes them ("email:<id>").
type ThreadKey struct {
	Key      string `gorm:"primaryKey;size:512"`
	TicketID int64  `gorm:"not null;index"`
	// OriginTicketID is the ticket the key was first added to, when a merge
	// moved it (an unmerge moves it back); nil while it is still there.
	OriginTicketID *int64
	CreatedAt      time.Time
}

// Message is one inbound, outbound, note or system entry on a ticket.
type Message struct {
	ID             int64   `gorm:"primaryKey"`
	TicketID       int64   `gorm:"not null;index:ix_message_ticket,priority:1"`
	Direction      string  `gorm:"size:16;not null"`
	AuthorType     string  `gorm:"size:16;not null"`
	AuthorID       int64   // contact or agent id; 0 for system
	ChannelID      int64   `gorm:"not null;uniqueIndex:ux_message_external,priority:1"`
	ExternalID     *string `gorm:"size:512;uniqueIndex:ux_message_external,priority:2"`
	Text           string
	HTML           string  // sanitized
	Meta           JSONMap `gorm:"type:text"`
	DeliveryStatus string  `gorm:"size:16"`
	DeliveryError  string
	EditedAt       *time.Time
	DeletedAt      *time.Time
	CreatedAt      time.Time `gorm:"index:ix_message_ticket,priority:2"`
	// OriginTicketID is the ticket the message was first written in, when a
	// merge moved it; nil while it is still there. A customer sees a message
	// only when they are the contact of that ticket (see inbox/customer.go),
	// and an unmerge moves it back.
	OriginTicketID *int64 `gorm:"index:ix_message_origin"`

	Attachments []Attachment `gorm:"foreignKey:MessageID"`
}

// Attachment is a file on a message. Its bytes live content-addressed under
// the data directory (attachments/ab/cdef...), named by SHA256.
type Attachment struct {
	ID          int64  `gorm:"primaryKey"`
	MessageID   int64  `gorm:"not null;index"`
	SHA256      string `gorm:"size:64;not null;index"`
	Name        string `gorm:"size:255"`
	ContentType string `gorm:"size:255"`
	Size        int64
	ContentID   string `gorm:"size:255"` // for inline cid: references
	Inline      bool
	CreatedAt   time.Time
}

// Agent is a member of the support team.
type Agent struct {
	ID           int64  `gorm:"primaryKey"`
	Email        string `gorm:"size:320;not null;uniqueIndex"`
	Name         string `gorm:"size:255"`
	Role         string `gorm:"size:16;not null"`
	PasswordHash string `gorm:"size:255"`
	Active       bool   `gorm:"not null;default:true"`
	Locale       string `gorm:"size:35"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// Availability is online, away or offline, as the agent set it; only
	// online agents are given tickets automatically.
	Availability   string `gorm:"size:16;not null;default:offline"`
	AvailabilityAt *time.Time
	// ChatCap is how many open chat-like tickets auto-assignment gives the
	// agent at most (a team's own cap overrides it).
	ChatCap        int `gorm:"not null;default:3"`
	LastAssignedAt *time.Time
	// SeenAt is when the agent last had the web inbox open (an event
	// stream): online agents unseen for a while become away.
	SeenAt *time.Time
	// Signature is added to the agent's replies per SignatureMode: ""
	// (never), SignatureAll or SignatureEmail (email replies only).
	Signature     string `gorm:"not null;default:''"`
	SignatureMode string `gorm:"size:16;not null;default:''"`
	// NotifyDesktop and NotifySound are the agent's opt-in to browser
	// notifications and a sound; NotifyOn lists the kinds (NotifyKinds),
	// comma-separated.
	NotifyDesktop bool   `gorm:"not null;default:false"`
	NotifySound   bool   `gorm:"not null;default:false"`
	NotifyOn      string `gorm:"size:128;not null;default:new_ticket,assigned,replied,mention"`
	// AvatarSum names the agent's avatar in the blob store (a PNG Hanbox
	// re-encoded; see package avatar), "" for none (initials are shown).
	AvatarSum string `gorm:"size:64;not null;default:''"`
}

// Signature modes of Agent.SignatureMode.
const (
	SignatureAll   = "all"
	SignatureEmail = "email"
)

// NotifyKinds are the events an agent can be notified of, in order: a new
// ticket filed to one of the agent's teams, a ticket assigned to the agent,
// a customer's reply on the agent's ticket, a mention in a note.
var NotifyKinds = []string{"new_ticket", "assigned", "replied", "mention"}

// Mention is an agent named in a note (@name).
type Mention struct {
	MessageID int64 `gorm:"primaryKey;autoIncrement:false"`
	AgentID   int64 `gorm:"primaryKey;autoIncrement:false"`
	TicketID  int64 `gorm:"not null"`
	AuthorID  int64 `gorm:"not null;default:0"`
	CreatedAt time.Time
}

// TicketRead is when an agent last opened a ticket.
type TicketRead struct {
	AgentID  int64 `gorm:"primaryKey;autoIncrement:false"`
	TicketID int64 `gorm:"primaryKey;autoIncrement:false"`
	ReadAt   time.Time
}

// Team is a department tickets are filed to (billing, B2B), with its
// members and the channels whose new tickets it takes by default.
type Team struct {
	ID     int64  `gorm:"primaryKey"`
	NameKo string `gorm:"size:255;not null"`
	NameEn string `gorm:"size:255;not null"`
	// AutoAssign gives the team's waiting tickets to its online members
	// fairly, under their caps (see inbox/routing.go).
	AutoAssign bool `gorm:"not null;default:false"`
	// ChatCap, when set, replaces each member's own cap for this team.
	ChatCap *int
	// CountEmail makes email tickets count against the cap (chat-like
	// channels always count).
	CountEmail bool `gorm:"not null;default:false"`
	// Restricted: the team's tickets (their messages, attachments and
	// events) are seen only by its members and admins.
	Restricted bool `gorm:"not null;default:false"`
	// Hours are the team's business hours (none: always open).
	Hours     BusinessHours `gorm:"column:business_hours;type:text"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// BusinessHours are weekly opening hours in a time zone, with closed
// dates; kept as JSON. No weekly spans means always open.
type BusinessHours struct {
	// TimeZone is an IANA name; empty means Asia/Seoul.
	TimeZone string `json:"time_zone"`
	// Weekly maps "mon".."sun" to spans [["09:00","18:00"], ...] ("24:00"
	// ends a day; a night shift is two spans on two days).
	Weekly map[string][][2]string `json:"weekly"`
	// Holidays are closed dates ("2026-12-25") in the time zone.
	Holidays []string `json:"holidays"`
}

// Value implements driver.Valuer.
func (h BusinessHours) Value() (driver.Value, error) {
	if len(h.Weekly) == 0 && len(h.Holidays) == 0 && h.TimeZone == "" {
		return nil, nil
	}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("store: encode business hours: %w", err)
	}
	return string(b), nil
}

// Scan implements sql.Scanner.
func (h *BusinessHours) Scan(src any) error {
	*h = BusinessHours{}
	b, err := jsonBytes(src, "business hours")
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, h); err != nil {
		return fmt.Errorf("store: decode business hours: %w", err)
	}
	return nil
}

// Name is the team's name in lang ("ko" or "en"), falling back to the other.
func (t *Team) Name(lang string) string {
	if lang == "ko" && t.NameKo != "" || t.NameEn == "" {
		return t.NameKo
	}
	return t.NameEn
}

// TeamMember puts an agent in a team.
type TeamMember struct {
	TeamID    int64 `gorm:"primaryKey;autoIncrement:false"`
	AgentID   int64 `gorm:"primaryKey;autoIncrement:false;index:ix_team_member_agent"`
	CreatedAt time.Time
}

// ChannelTeam makes a team the default of a channel: new tickets arriving
// on the channel are filed to it.
type ChannelTeam struct {
	ChannelID int64 `gorm:"primaryKey;autoIncrement:false"`
	TeamID    int64 `gorm:"not null;index:ix_channel_team_team"`
}

// Session is a logged-in agent's session (cookie or bearer token). Only the
// SHA-256 of the token is stored.
type Session struct {
	ID        int64  `gorm:"primaryKey"`
	TokenHash string `gorm:"size:64;not null;uniqueIndex"`
	AgentID   int64  `gorm:"not null;index"`
	Kind      string `gorm:"size:16;not null"` // "session" or "api"
	Name      string `gorm:"size:255"`         // for API tokens
	ExpiresAt *time.Time
	LastUsed  *time.Time
	CreatedAt time.Time
}

// Channel is one configured connector instance.
type Channel struct {
	ID        int64   `gorm:"primaryKey"`
	Kind      string  `gorm:"size:32;not null;index"`
	Name      string  `gorm:"size:255;not null"`
	PublicKey string  `gorm:"size:64;not null;uniqueIndex"` // names the channel in public URLs
	TokenHash string  `gorm:"size:64"`                      // SHA-256 of the inbound bearer token
	Settings  JSONMap `gorm:"type:text"`
	Secrets   JSONMap `gorm:"type:text"`
	Enabled   bool    `gorm:"not null;default:true"`
	Status    string  `gorm:"size:32"`
	LastError string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ChannelState is a connector's durable key/value state: IMAP checkpoints,
// gateway sessions, Slack message timestamps per ticket.
type ChannelState struct {
	ChannelID int64  `gorm:"primaryKey"`
	Key       string `gorm:"primaryKey;size:255"`
	Value     string
	UpdatedAt time.Time
}

// Outbox is one delivery to make: an agent reply or a notification.
type Outbox struct {
	ID            int64     `gorm:"primaryKey"`
	ChannelID     int64     `gorm:"not null;index"`
	MessageID     *int64    `gorm:"index"`
	TicketID      int64     `gorm:"not null;index"`
	Purpose       string    `gorm:"size:16;not null"`
	Payload       JSONMap   `gorm:"type:text"`
	Status        string    `gorm:"size:16;not null;index:ix_outbox_due,priority:1"`
	Attempts      int       `gorm:"not null;default:0"`
	NextAttemptAt time.Time `gorm:"not null;index:ix_outbox_due,priority:2"`
	LockedUntil   *time.Time
	LastError     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// CollapseKey, when set, marks rows a newer pending row with the same
	// key, channel and ticket makes redundant (OutboxSuperseded).
	CollapseKey string `gorm:"size:64;not null;default:''"`
	// RetrySince is when the current retry window began (nil: CreatedAt).
	RetrySince *time.Time
}

// Quarantine keeps inbound input that could not be parsed, raw, for an admin
// to inspect and retry.
type Quarantine struct {
	ID         int64  `gorm:"primaryKey"`
	ChannelID  int64  `gorm:"not null;index"`
	ExternalID string `gorm:"size:512"`
	Reason     string
	Raw        []byte
	Size       int64
	Resolved   bool `gorm:"not null;default:false"`
	CreatedAt  time.Time
}

// SavedReply is a canned response with placeholders.
type SavedReply struct {
	ID        int64  `gorm:"primaryKey"`
	Name      string `gorm:"size:255;not null"`
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// IdempotencyKey remembers the message an agent's request created under an
// Idempotency-Key, so a retry of the same request returns it instead of
// sending again. Rows are kept for a retention period (see inbox).
type IdempotencyKey struct {
	AgentID     int64  `gorm:"primaryKey;autoIncrement:false"`
	Key         string `gorm:"primaryKey;size:255"`
	RequestHash string `gorm:"size:64;not null"` // hex SHA-256 of what was asked
	MessageID   int64  `gorm:"not null"`
	CreatedAt   time.Time
}
