package api

import (
	"time"

	"github.com/hanbox/hanbox/avatar"
	"github.com/hanbox/hanbox/store"
)

// Wire types: what the API shows, separate from the stored rows.

// TicketJSON is a ticket in lists and details.
type TicketJSON struct {
	ID              string       `json:"id"`
	Number          int64        `json:"number"`
	Subject         string       `json:"subject"`
	Status          string       `json:"status"`
	SnoozedUntil    *time.Time   `json:"snoozed_until,omitempty"`
	Priority        string       `json:"priority"`
	Assignee        *AgentJSON   `json:"assignee"`
	Team            string       `json:"team,omitempty"` // the team's name (English, else Korean)
	TeamID          *int64       `json:"team_id"`
	Tags            []string     `json:"tags"`
	Channel         ChannelBrief `json:"channel"`
	Contact         *ContactJSON `json:"contact"`
	LastMessageAt   time.Time    `json:"last_message_at"`
	LastCustomerAt  *time.Time   `json:"last_customer_at,omitempty"`
	LastAgentAt     *time.Time   `json:"last_agent_at,omitempty"`
	FirstResponseAt *time.Time   `json:"first_response_at,omitempty"`
	MessageCount    int          `json:"message_count"`
	// Unread (lists only): the customer wrote since you last opened it.
	Unread    bool          `json:"unread,omitempty"`
	Version   int64         `json:"version"`
	CreatedAt time.Time     `json:"created_at"`
	Messages  []MessageJSON `json:"messages,omitempty"`
	// SLA is the ticket's SLA (absent when no policy applies).
	SLA *TicketSLAJSON `json:"sla,omitempty"`
	// Warnings of a change that was made anyway: "over_cap" when a manual
	// assignment leaves the assignee above their concurrent-chat cap.
	Warnings []string `json:"warnings,omitempty"`
}

// ChannelBrief names a channel inside other objects.
type ChannelBrief struct {
	ID   int64  `json:"id"`
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// MessageJSON is one message of a ticket.
type MessageJSON struct {
	ID             int64            `json:"id"`
	Direction      string           `json:"direction"`
	Author         AuthorJSON       `json:"author"`
	Channel        ChannelBrief     `json:"channel"`
	Text           string           `json:"text"`
	HTML           string           `json:"html,omitempty"`
	Attachments    []AttachmentJSON `json:"attachments"`
	DeliveryStatus string           `json:"delivery_status,omitempty"`
	DeliveryError  string           `json:"delivery_error,omitempty"`
	Meta           map[string]any   `json:"meta,omitempty"`
	EditedAt       *time.Time       `json:"edited_at,omitempty"`
	DeletedAt      *time.Time       `json:"deleted_at,omitempty"`
	CreatedAt      time.Time        `json:"created_at"`
}

// AuthorJSON is who wrote a message.
type AuthorJSON struct {
	Type string `json:"type"`
	ID   int64  `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// AttachmentJSON is a file on a message; URL needs the same authentication.
type AttachmentJSON struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Inline      bool   `json:"inline,omitempty"`
	ContentID   string `json:"content_id,omitempty"`
	URL         string `json:"url"`
}

// ContactJSON is a customer.
type ContactJSON struct {
	ID         int64          `json:"id"`
	Name       string         `json:"name"`
	Email      string         `json:"email,omitempty"`
	Identities []IdentityJSON `json:"identities,omitempty"`
	MergedInto *int64         `json:"merged_into,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
}

// IdentityJSON is one of a contact's channel identities.
type IdentityJSON struct {
	Kind     string `json:"kind"`
	Value    string `json:"value"`
	Verified bool   `json:"verified"`
}

// AgentJSON is a team member.
type AgentJSON struct {
	ID     int64  `json:"id"`
	Email  string `json:"email"`
	Name   string `json:"name"`
	Role   string `json:"role,omitempty"`
	Active bool   `json:"active"`
	// Availability is online, away or offline; ChatCap the agent's
	// concurrent-chat cap.
	Availability string `json:"availability"`
	ChatCap      int    `json:"chat_cap"`
	// AvatarURL is the agent's avatar, "" for none.
	AvatarURL string `json:"avatar_url,omitempty"`
}

// ChannelJSON is a configured channel. Secrets are never shown, only their names.
type ChannelJSON struct {
	ID         int64          `json:"id"`
	Kind       string         `json:"kind"`
	Name       string         `json:"name"`
	PublicKey  string         `json:"public_key"`
	Settings   map[string]any `json:"settings"`
	SecretKeys []string       `json:"secret_keys"`
	Enabled    bool           `json:"enabled"`
	Status     string         `json:"status"`
	LastError  string         `json:"last_error,omitempty"`
	Token      string         `json:"token,omitempty"` // only when created or rotated
	InboundURL string         `json:"inbound_url,omitempty"`
	// Endpoints are what the kind shows admins to copy (a widget snippet,
	// webhook URLs), by name; see GET /channel-kinds for their labels.
	Endpoints map[string]string `json:"endpoints,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
}

func agentJSON(a *store.Agent) *AgentJSON {
	if a == nil {
		return nil
	}
	return &AgentJSON{ID: a.ID, Email: a.Email, Name: a.Name, Role: a.Role, Active: a.Active, Availability: a.Availability, ChatCap: a.ChatCap,
		AvatarURL: avatar.Path(a.AvatarSum)}
}

func contactJSON(c *store.Contact) *ContactJSON {
	if c == nil {
		return nil
	}
	out := &ContactJSON{ID: c.ID, Name: c.Name, Email: c.Email, MergedInto: c.MergedInto, CreatedAt: c.CreatedAt}
	for _, id := range c.Identities {
		out.Identities = append(out.Identities, IdentityJSON{Kind: id.Kind, Value: id.Value, Verified: id.Verified})
	}
	return out
}
