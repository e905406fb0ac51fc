package inbox

import (
	"io"
	"time"
)

// Identity kinds. Connectors namespace their values where ids are not global:
// a Slack user is "T123/U456", a widget visitor "<channel public key>/<visitor id>",
// an api-channel contact "<channel id>/<external id>" (or "<channel id>:email:<address>"
// when the integration names a sender only by an address it does not vouch
// for). Email addresses are global and lower-cased; an email identity is
// always a proven address (see resolveContact's rule in contacts.go).
const (
	IdentityEmail   = "email"
	IdentityWidget  = "widget"
	IdentitySlack   = "slack"
	IdentityDiscord = "discord"
	IdentityAPI     = "api"
	IdentityPhone   = "phone"
)

// ContactRef describes the sender of an inbound message as the channel knows them.
type ContactRef struct {
	// Kind and ID name the channel identity (see the Identity* constants).
	Kind string
	ID   string
	// Verified is true when the channel vouches for the identity: the From of
	// an email, a Slack or Discord user id, a widget user_id with a valid hash.
	// An email identity (Kind email) must be verified: an address nobody
	// vouches for cannot say who a sender is (Ingest refuses it with ErrInvalid).
	Verified bool
	Name     string
	// Email, when known. EmailVerified says whether the channel vouches for it
	// (a verified widget identity, a Slack profile); it counts only for a
	// Verified identity. An unverified email is only the contact's reply
	// address: it never becomes an identity, links or merges nothing.
	Email         string
	EmailVerified bool
	Locale        string
}

// Attachment is a file on an inbound message. Data is bounded by the
// connector's size limit before it gets here.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
	ContentID   string // for inline images referenced as cid: in HTML
	Inline      bool
}

// Inbound is one customer message, normalized by a connector.
type Inbound struct {
	// ChannelID is the channel the message arrived on. Set by the connector.
	ChannelID int64
	// ExternalID is the channel's id for the message (email Message-ID, Slack
	// ts, Discord message id, widget client message id). Ingest is idempotent
	// on (ChannelID, ExternalID). Required.
	ExternalID string
	// ThreadKeys are keys that may name an existing conversation, strongest
	// first (email In-Reply-To, then References newest first, then the reply
	// token; a Slack thread; a Discord thread). The first key known to Hanbox
	// picks the ticket.
	ThreadKeys []string
	// OwnKeys are keys this message adds to its ticket so that later messages
	// thread to it (its own email Message-ID, the widget session).
	OwnKeys []string
	// FallbackNumber is a ticket number seen in the subject ([#1042]); it is
	// used only when no key matched and the sender is a contact on that ticket.
	FallbackNumber int64
	// NewTicket forces a new ticket even if a key matches.
	NewTicket bool

	Contact ContactRef
	// Participants are other people on the message (email Cc), recorded in
	// the message's metadata so a reply-all keeps them. They do not become
	// contacts: a Cc line proves nothing about an address.
	Participants []ContactRef

	Subject     string
	Text        string
	HTML        string // raw; Ingest sanitizes it
	Attachments []Attachment
	// Meta is channel data kept with the message and handed back on replies:
	// email headers needed to thread, Slack channel and thread ts, Discord
	// channel id, widget page URL and title.
	Meta map[string]any
	// Auto marks machine-sent mail (auto-replies, bulk): stored, but it never
	// triggers automatic responses or reopens a ticket.
	Auto bool
	// SentAt is when the customer sent it; zero means now.
	SentAt time.Time
}

// IngestResult tells a connector where the message went.
type IngestResult struct {
	TicketID  int64
	MessageID int64
	// Duplicate is true when the message had been stored before; nothing changed.
	Duplicate bool
	// NewTicket is true when this message opened a ticket.
	NewTicket bool
	ContactID int64
}

// OutboundAttachment is a file on an agent reply.
type OutboundAttachment struct {
	Name        string
	ContentType string
	Size        int64
	SHA256      string
	// Open returns the bytes.
	Open func() (io.ReadCloser, error)
}

// TicketRef is what a connector may know about a ticket.
type TicketRef struct {
	ID         int64
	PublicID   string
	Number     int64
	Subject    string
	Status     string
	ReplyToken string
	URL        string // agent-facing link
}

// PersonRef is a contact or agent as a connector sees it.
type PersonRef struct {
	ID    int64
	Name  string
	Email string
	// AvatarSum is an agent's avatar blob (store.Agent.AvatarSum), "" for
	// none; connectors that can show a picture link avatar.Path of it.
	AvatarSum string
}

// PriorMessage is a message of the conversation, for connectors that quote or
// summarise history (an email continuing a chat).
type PriorMessage struct {
	Direction  string
	AuthorName string
	Text       string
	At         time.Time
}

// Outbound is one agent reply to deliver on a channel.
type Outbound struct {
	OutboxID int64
	// Attempt counts delivery attempts of this outbox row, 1 for the first,
	// so a connector can give an answer that is probably final ("400 Bad
	// Request" from a webhook) a few chances before failing for good.
	Attempt   int
	MessageID int64
	ChannelID int64
	Ticket    TicketRef
	Contact   PersonRef
	Agent     PersonRef

	Text        string
	HTML        string // sanitized
	Attachments []OutboundAttachment

	// ReplyTo is the newest customer message of this ticket on this channel,
	// with the Meta its connector stored at ingest; nil when the customer never
	// wrote on this channel (a reply that continues a chat by email).
	ReplyTo *ReplyContext
	// ThreadKeys are all keys of the ticket, oldest first (an email connector
	// builds References from its own).
	ThreadKeys []string
	// History is the recent conversation, oldest first, for summaries.
	History []PriorMessage
	// Continued is true when the reply was moved to this channel because the
	// customer could not be reached on theirs (a visitor who left the chat).
	Continued bool
	// FromChannelKind is the channel kind the reply was meant for when Continued.
	FromChannelKind string
	// Survey is set when the message asks the customer to rate the
	// conversation (a CSAT request); Text then names the rating page.
	Survey *SurveyRequest
	// Bot is set on the answer bot's messages: their quick-reply buttons.
	Bot *BotPrompt
	// Campaign is set on a campaign email (outside any ticket: Ticket is
	// zero); Text is its body.
	Campaign *CampaignMessage
}

// ReplyContext is the customer message an outbound message answers.
type ReplyContext struct {
	MessageID  int64
	ExternalID string
	Meta       map[string]any
	At         time.Time
}

// ExternalRef is what a channel says about a message it sent.
type ExternalRef struct {
	// ID is the channel's id for the sent message (email Message-ID, Slack ts);
	// it is stored as the message's external id.
	ID string
	// Keys are thread keys to add to the ticket so the customer's answer threads.
	Keys []string
	// Meta is merged into the message's metadata.
	Meta map[string]any
}

// Notification is an event delivered to a notifying channel (Slack) through
// the outbox, so notifications are as durable as replies.
type Notification struct {
	OutboxID int64
	Event    Event
	Ticket   TicketRef
	Contact  PersonRef
	Assignee *PersonRef
	// Channel is the name and kind of the ticket's origin channel.
	ChannelName string
	ChannelKind string
	Tags        []string
	// Excerpt is the text of the message that caused the event, if any.
	Excerpt      string
	MessageID    int64
	MessageDir   string
	WaitingSince *time.Time
	Priority     string
}
