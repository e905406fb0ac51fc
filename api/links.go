package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/hanbox/hanbox/store"
)

// ConversationLinkJSON is a conversation page link of a ticket, as agents
// see it. Its token is never shown: only the email to its recipient
// carries it.
type ConversationLinkJSON struct {
	ID int64 `json:"id"`
	// TicketNumber is the ticket the link was made for (a ticket merged
	// into this one keeps its links, which then open this one).
	TicketNumber int64  `json:"ticket_number"`
	Recipient    string `json:"recipient"`
	// State is live, expired or revoked.
	State         string     `json:"state"`
	CreatedAt     time.Time  `json:"created_at"`
	ExpiresAt     time.Time  `json:"expires_at"`
	RevokedAt     *time.Time `json:"revoked_at,omitempty"`
	RevokedBy     *AgentJSON `json:"revoked_by,omitempty"`
	FirstOpenedAt *time.Time `json:"first_opened_at,omitempty"`
	LastOpenedAt  *time.Time `json:"last_opened_at,omitempty"`
	// OtherDeviceAt is when the link was first opened in another browser
	// than the first one (a forwarded link, or the customer's other device).
	OtherDeviceAt *time.Time `json:"other_device_at,omitempty"`
}

// Link states.
const (
	LinkLive    = "live"
	LinkExpired = "expired"
	LinkRevoked = "revoked"
)

func linkJSON(l store.ConversationLink, agents map[int64]*store.Agent, now time.Time) ConversationLinkJSON {
	out := ConversationLinkJSON{ID: l.ID, TicketNumber: l.TicketID + store.TicketNumberBase, Recipient: l.Recipient, State: LinkLive,
		CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt, RevokedAt: l.RevokedAt, FirstOpenedAt: l.FirstOpenedAt, LastOpenedAt: l.LastOpenedAt,
		OtherDeviceAt: l.OtherDeviceAt}
	switch {
	case !l.ExpiresAt.After(now):
		out.State = LinkExpired
	case l.RevokedAt != nil:
		out.State = LinkRevoked
	}
	if l.RevokedBy != nil {
		out.RevokedBy = agentJSON(agents[*l.RevokedBy])
	}
	return out
}

func (a *API) listConversationLinks(w http.ResponseWriter, r *http.Request) (int, any, error) {
	t, err := a.ticketParam(r)
	if err != nil {
		return 0, nil, err
	}
	ls, err := a.Inbox.ConversationLinks(r.Context(), t.ID)
	if err != nil {
		return 0, nil, err
	}
	agents, _, err := a.lookups(r)
	if err != nil {
		return 0, nil, err
	}
	items := make([]ConversationLinkJSON, 0, len(ls))
	now := time.Now()
	for _, l := range ls {
		items = append(items, linkJSON(l, agents, now))
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

func (a *API) revokeConversationLink(w http.ResponseWriter, r *http.Request) (int, any, error) {
	t, err := a.ticketParam(r)
	if err != nil {
		return 0, nil, err
	}
	id, err := strconv.ParseInt(r.PathValue("link"), 10, 64)
	if err != nil || id <= 0 {
		return 0, nil, errf(http.StatusNotFound, "not_found", "not found")
	}
	if err := a.Inbox.RevokeConversationLink(r.Context(), t.ID, id, principal(r).Agent.ID); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

func (a *API) unmergeTicket(w http.ResponseWriter, r *http.Request) (int, any, error) {
	t, err := a.ticketParam(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.Inbox.UnmergeTicket(r.Context(), t.ID, principal(r).Agent.ID); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

// linkSchemas document the conversation link endpoints' answers.
func linkSchemas() map[string]any {
	when := map[string]any{"type": "string", "format": "date-time"}
	link := map[string]any{
		"type": "object", "required": []any{"id", "ticket_number", "recipient", "state", "created_at", "expires_at"},
		"description": "A conversation page link (the one every agent email to recipient ends with). The token is never shown.",
		"properties": map[string]any{
			"id": map[string]any{"type": "integer", "format": "int64"}, "ticket_number": map[string]any{"type": "integer"},
			"recipient":  map[string]any{"type": "string"},
			"state":      map[string]any{"type": "string", "enum": []any{LinkLive, LinkExpired, LinkRevoked}},
			"created_at": when, "expires_at": when, "revoked_at": when, "first_opened_at": when, "last_opened_at": when,
			"other_device_at": map[string]any{"type": "string", "format": "date-time",
				"description": "first opening in another browser than the first one (a forwarded link, or another device)"},
			"revoked_by": map[string]any{"type": "object", "description": "the agent who revoked it"},
		},
	}
	return map[string]any{
		"ConversationLink":     link,
		"ConversationLinkList": map[string]any{"type": "object", "properties": map[string]any{"items": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/ConversationLink"}}}},
	}
}
