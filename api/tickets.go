package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/web"
)

// Lengths of ticket fields (characters), as their columns hold them.
const (
	maxSubject = 998
	maxTeam    = 64
	maxTag     = 64
	maxKind    = 64 // channel kinds, statuses, public ids
)

func (a *API) ticketJSON(r *http.Request, t *store.Ticket, agents map[int64]*store.Agent, chans map[int64]*store.Channel, teams map[int64]*store.Team) TicketJSON {
	out := TicketJSON{ID: t.PublicID, Number: t.Number(), Subject: t.Subject, Status: t.Status, SnoozedUntil: t.SnoozedUntil,
		Priority: t.Priority, TeamID: t.TeamID, Tags: []string{}, Contact: contactJSON(t.Contact), LastMessageAt: t.LastMessageAt,
		LastCustomerAt: t.LastCustomerAt, LastAgentAt: t.LastAgentAt, FirstResponseAt: t.FirstResponseAt, MessageCount: t.MessageCount,
		Version: t.Version, CreatedAt: t.CreatedAt, SLA: ticketSLA(t, time.Now())}
	for _, tg := range t.Tags {
		out.Tags = append(out.Tags, tg.Tag)
	}
	if t.TeamID != nil {
		if tm := teams[*t.TeamID]; tm != nil {
			out.Team = tm.Name("en")
		}
	}
	if t.AssigneeID != nil {
		out.Assignee = agentJSON(agents[*t.AssigneeID])
	}
	if ch := chans[t.ChannelID]; ch != nil {
		out.Channel = ChannelBrief{ID: ch.ID, Kind: ch.Kind, Name: ch.Name}
	}
	return out
}

func (a *API) lookups(r *http.Request) (map[int64]*store.Agent, map[int64]*store.Channel, error) {
	return a.Store.Lookups(r.Context())
}

// ticketLookups is lookups plus the teams, for ticket JSON.
func (a *API) ticketLookups(r *http.Request) (map[int64]*store.Agent, map[int64]*store.Channel, map[int64]*store.Team, error) {
	agents, chans, err := a.Store.Lookups(r.Context())
	if err != nil {
		return nil, nil, nil, err
	}
	teams, err := a.Store.TeamsByID(r.Context())
	return agents, chans, teams, err
}

func (a *API) filterFrom(r *http.Request) (store.TicketFilter, error) {
	q := r.URL.Query()
	f := store.TicketFilter{Status: q.Get("status"), Tag: q.Get("tag"), Query: q.Get("q"), Cursor: q.Get("cursor"), Viewer: viewer(r)}
	if f.Status != "" && f.Status != "all" {
		switch f.Status {
		case store.StatusOpen, store.StatusPending, store.StatusSnoozed, store.StatusResolved, store.StatusClosed:
		default:
			return f, errf(http.StatusBadRequest, "bad_status", "status must be open, pending, snoozed, resolved, closed or all")
		}
	}
	switch as := q.Get("assignee"); as {
	case "":
	case "me":
		f.AssigneeID = principal(r).Agent.ID
	case "unassigned":
		f.Unassigned = true
	default:
		id, err := strconv.ParseInt(as, 10, 64)
		if err != nil || id <= 0 {
			return f, errf(http.StatusBadRequest, "bad_assignee", "assignee must be me, unassigned or an agent id")
		}
		f.AssigneeID = id
	}
	switch tm := q.Get("team"); tm {
	case "":
	case "mine":
		f.TeamsOf = principal(r).Agent.ID
	default:
		id, err := strconv.ParseInt(tm, 10, 64)
		if err != nil || id <= 0 {
			return f, errf(http.StatusBadRequest, "bad_team", "team must be mine or a team id")
		}
		f.TeamID = id
	}
	switch q.Get("mentions") {
	case "":
	case "me":
		f.MentionOf = principal(r).Agent.ID
	default:
		return f, errf(http.StatusBadRequest, "bad_mentions", "mentions must be me")
	}
	if c := q.Get("channel"); c != "" {
		id, err := strconv.ParseInt(c, 10, 64)
		if err != nil || id <= 0 {
			return f, errf(http.StatusBadRequest, "bad_channel", "channel must be a channel id")
		}
		f.ChannelID = id
	}
	switch f.Sort = q.Get("sort"); f.Sort {
	case "", store.SortRecent, store.SortDue:
	default:
		return f, errf(http.StatusBadRequest, "bad_sort", "sort must be recent or due")
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n <= 0 {
			return f, errf(http.StatusBadRequest, "bad_limit", "limit must be a positive number")
		}
		f.Limit = n
	}
	if len(f.Query) > 500 {
		return f, errf(http.StatusBadRequest, "bad_query", "q is too long")
	}
	return f, nil
}

func (a *API) listTickets(w http.ResponseWriter, r *http.Request) (int, any, error) {
	f, err := a.filterFrom(r)
	if err != nil {
		return 0, nil, err
	}
	page, err := a.Store.ListTickets(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	agents, chans, teams, err := a.ticketLookups(r)
	if err != nil {
		return 0, nil, err
	}
	unread, err := a.Store.Unread(r.Context(), principal(r).Agent.ID, page.Items)
	if err != nil {
		return 0, nil, err
	}
	items := make([]TicketJSON, 0, len(page.Items))
	for i := range page.Items {
		tj := a.ticketJSON(r, &page.Items[i], agents, chans, teams)
		tj.Unread = unread[page.Items[i].ID]
		items = append(items, tj)
	}
	return http.StatusOK, map[string]any{"items": items, "next_cursor": page.NextCursor}, nil
}

func (a *API) ticketCounts(w http.ResponseWriter, r *http.Request) (int, any, error) {
	me := principal(r).Agent.ID
	views := map[string]store.TicketFilter{
		"mine":       {Status: store.StatusOpen, AssigneeID: me},
		"unassigned": {Status: store.StatusOpen, Unassigned: true},
		"my_teams":   {Status: store.StatusOpen, TeamsOf: me},
		"open":       {Status: store.StatusOpen},
		"pending":    {Status: store.StatusPending},
		"snoozed":    {Status: store.StatusSnoozed},
		"resolved":   {Status: store.StatusResolved},
	}
	out := map[string]int64{}
	for name, f := range views {
		f.Viewer = viewer(r)
		n, err := a.Store.CountTickets(r.Context(), f)
		if err != nil {
			return 0, nil, err
		}
		out[name] = n
	}
	return http.StatusOK, out, nil
}

// ticketParam resolves {id}: a public id, or a number like 1042.
func (a *API) ticketParam(r *http.Request) (*store.Ticket, error) {
	id := r.PathValue("id")
	var t *store.Ticket
	var err error
	if n, perr := strconv.ParseInt(strings.TrimPrefix(id, "#"), 10, 64); perr == nil && n > store.TicketNumberBase {
		t, err = a.Inbox.Ticket(r.Context(), n-store.TicketNumberBase)
	} else {
		t, err = a.Inbox.TicketByPublicID(r.Context(), id)
	}
	if err != nil {
		return nil, err
	}
	if err := a.checkVisible(r, t.ID); err != nil {
		return nil, err
	}
	return t, nil
}

func (a *API) getTicket(w http.ResponseWriter, r *http.Request) (int, any, error) {
	t, err := a.ticketParam(r)
	if err != nil {
		return 0, nil, err
	}
	full, err := a.Inbox.Contact(r.Context(), t.ContactID)
	if err != nil {
		return 0, nil, err
	}
	t.Contact = full
	agents, chans, teams, err := a.ticketLookups(r)
	if err != nil {
		return 0, nil, err
	}
	out := a.ticketJSON(r, t, agents, chans, teams)
	msgs, err := a.Inbox.Messages(r.Context(), t.ID)
	if err != nil {
		return 0, nil, err
	}
	out.Messages = make([]MessageJSON, 0, len(msgs))
	for i := range msgs {
		out.Messages = append(out.Messages, messageJSON(&msgs[i], t, agents, chans))
	}
	return http.StatusOK, out, nil
}

func messageJSON(m *store.Message, t *store.Ticket, agents map[int64]*store.Agent, chans map[int64]*store.Channel) MessageJSON {
	out := MessageJSON{ID: m.ID, Direction: m.Direction, Text: m.Text, HTML: m.HTML, DeliveryStatus: m.DeliveryStatus,
		DeliveryError: m.DeliveryError, Meta: m.Meta, EditedAt: m.EditedAt, DeletedAt: m.DeletedAt, CreatedAt: m.CreatedAt,
		Attachments: []AttachmentJSON{}, Author: AuthorJSON{Type: m.AuthorType, ID: m.AuthorID}}
	switch m.AuthorType {
	case store.AuthorAgent:
		if ag := agents[m.AuthorID]; ag != nil {
			out.Author.Name = ag.Name
		}
	case store.AuthorContact:
		if t.Contact != nil && t.Contact.ID == m.AuthorID {
			out.Author.Name = t.Contact.Name
		}
	}
	if ch := chans[m.ChannelID]; ch != nil {
		out.Channel = ChannelBrief{ID: ch.ID, Kind: ch.Kind, Name: ch.Name}
	}
	for _, at := range m.Attachments {
		out.Attachments = append(out.Attachments, AttachmentJSON{ID: at.ID, Name: at.Name, ContentType: at.ContentType, Size: at.Size,
			Inline: at.Inline, ContentID: at.ContentID, URL: fmt.Sprintf("/api/v1/attachments/%d", at.ID)})
	}
	return out
}

// TicketPatchBody is the body of PATCH /tickets/{id}. assignee is an agent
// id, "me", or null/"" to unassign.
type TicketPatchBody struct {
	Status       *string    `json:"status"`
	SnoozedUntil *time.Time `json:"snoozed_until"`
	Priority     *string    `json:"priority"`
	// Assignee is kept raw: a JSON null (unassign) must be told apart
	// from a missing field, which a pointer cannot do.
	Assignee   json.RawMessage `json:"assignee"`
	Team       *string         `json:"team"`
	TeamID     *int64          `json:"team_id"`
	Tags       *[]string       `json:"tags"`
	AddTags    []string        `json:"add_tags"`
	RemoveTags []string        `json:"remove_tags"`
	Subject    *string         `json:"subject"`
}

func (a *API) patchTicket(w http.ResponseWriter, r *http.Request) (int, any, error) {
	t, err := a.ticketParam(r)
	if err != nil {
		return 0, nil, err
	}
	var b TicketPatchBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	var f web.Fields
	p := inbox.TicketPatch{Status: b.Status, SnoozedUntil: b.SnoozedUntil, Priority: b.Priority,
		AddTags: f.Lines("tags", b.AddTags, maxTag), RemoveTags: f.Lines("tags", b.RemoveTags, maxTag)}
	if b.Team != nil {
		// The free-text team of earlier versions names a team now.
		team := f.Line("team", *b.Team, maxTeam)
		if err := f.Err(); err != nil {
			return 0, nil, err
		}
		var id int64
		if strings.TrimSpace(team) != "" {
			tm, err := a.Inbox.TeamByName(r.Context(), team)
			if err != nil {
				return 0, nil, errf(http.StatusUnprocessableEntity, "no_team", "no team is called %q", team)
			}
			id = tm.ID
		}
		p.TeamID = &id
	}
	if b.TeamID != nil {
		if *b.TeamID < 0 {
			return 0, nil, errf(http.StatusBadRequest, "bad_team", "team_id must be a team id or 0")
		}
		p.TeamID = b.TeamID
	}
	if b.Subject != nil {
		subject := f.Line("subject", *b.Subject, maxSubject)
		p.Subject = &subject
	}
	if b.Tags != nil {
		tags := f.Lines("tags", *b.Tags, maxTag)
		p.Tags = &tags
	}
	if err := f.Err(); err != nil {
		return 0, nil, err
	}
	if b.Assignee != nil {
		var id int64
		var assignee any
		if err := json.Unmarshal(b.Assignee, &assignee); err != nil {
			return 0, nil, errf(http.StatusBadRequest, "bad_assignee", "assignee must be an agent id, \"me\" or null")
		}
		switch v := assignee.(type) {
		case nil:
		case string:
			switch v {
			case "", "none":
			case "me":
				id = principal(r).Agent.ID
			default:
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return 0, nil, errf(http.StatusBadRequest, "bad_assignee", "assignee must be an agent id, \"me\" or null")
				}
				id = n
			}
		case float64:
			id = int64(v)
		default:
			return 0, nil, errf(http.StatusBadRequest, "bad_assignee", "assignee must be an agent id, \"me\" or null")
		}
		p.AssigneeID = &id
	}
	if _, err := a.Inbox.UpdateTicket(r.Context(), t.ID, principal(r).Agent.ID, p); err != nil {
		return 0, nil, err
	}
	status, out, err := a.getTicket(w, r)
	if err == nil && p.AssigneeID != nil && *p.AssigneeID > 0 {
		// Manual assignment is not limited by caps, but says so.
		if over, cerr := a.overCap(r, *p.AssigneeID); cerr == nil && over {
			if tj, ok := out.(TicketJSON); ok {
				tj.Warnings = append(tj.Warnings, "over_cap")
				out = tj
			}
		}
	}
	return status, out, err
}

// overCap reports whether agent id holds more open chat-like tickets than
// their cap.
func (a *API) overCap(r *http.Request, id int64) (bool, error) {
	ag, err := a.Store.GetAgent(r.Context(), id)
	if err != nil {
		return false, err
	}
	loads, err := a.Inbox.AgentLoads(r.Context())
	if err != nil {
		return false, err
	}
	return loads[id] > int64(ag.ChatCap), nil
}

// ReplyBody is the body of POST /tickets/{id}/replies and /notes.
type ReplyBody struct {
	Text        string           `json:"text"`
	HTML        string           `json:"html"`
	Channel     any              `json:"channel"` // channel id or kind ("email")
	Attachments []AttachmentBody `json:"attachments"`
	Version     int64            `json:"version"`  // the ticket version the agent saw (collision guard)
	Status      string           `json:"status"`   // set the ticket status with the reply
	Mentions    []int64          `json:"mentions"` // notes: the agents mentioned
}

// AttachmentBody is a base64 file in a request.
type AttachmentBody struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        string `json:"data"`
}

func decodeAttachments(f *web.Fields, in []AttachmentBody) ([]inbox.Attachment, error) {
	var out []inbox.Attachment
	for i, a := range in {
		data, err := base64.StdEncoding.DecodeString(a.Data)
		if err != nil {
			return nil, errf(http.StatusBadRequest, "bad_attachment", "attachments[%d].data is not base64", i).With("index", i)
		}
		out = append(out, inbox.Attachment{Name: f.Text("attachments.name", a.Name, 0),
			ContentType: f.Line("attachments.content_type", a.ContentType, maxName), Data: data})
	}
	return out, nil
}

// readMessage reads the ticket and body shared by replies and notes.
func (a *API) readMessage(w http.ResponseWriter, r *http.Request) (*store.Ticket, *ReplyBody, []inbox.Attachment, error) {
	t, err := a.ticketParam(r)
	if err != nil {
		return nil, nil, nil, err
	}
	var b ReplyBody
	if err := decode(w, r, &b); err != nil {
		return nil, nil, nil, err
	}
	var f web.Fields
	b.Text = f.Text("text", b.Text, 0)
	b.HTML = f.Text("html", b.HTML, 0)
	b.Status = f.Line("status", b.Status, maxKind)
	atts, err := decodeAttachments(&f, b.Attachments)
	if err != nil {
		return nil, nil, nil, err
	}
	if s, ok := b.Channel.(string); ok {
		b.Channel = f.Line("channel", s, maxKind)
	}
	if err := f.Err(); err != nil {
		return nil, nil, nil, err
	}
	return t, &b, atts, nil
}

func (a *API) reply(w http.ResponseWriter, r *http.Request) (int, any, error) {
	t, b, atts, err := a.readMessage(w, r)
	if err != nil {
		return 0, nil, err
	}
	in := inbox.ReplyInput{TicketID: t.ID, AgentID: principal(r).Agent.ID, Text: b.Text, HTML: b.HTML, Attachments: atts,
		ExpectVersion: b.Version, Status: b.Status, IdempotencyKey: r.Header.Get(IdempotencyHeader)}
	switch v := b.Channel.(type) {
	case nil:
	case float64:
		in.ChannelID = int64(v)
	case string:
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.ChannelID = n
		} else {
			in.ChannelKind = v
		}
	default:
		return 0, nil, errf(http.StatusBadRequest, "bad_channel", "channel must be a channel id or kind")
	}
	m, err := a.Inbox.Reply(r.Context(), in)
	if err != nil {
		return 0, nil, err
	}
	return a.messageResult(r, t, m.ID)
}

func (a *API) messageResult(r *http.Request, t *store.Ticket, id int64) (int, any, error) {
	m, err := a.Inbox.Message(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	agents, chans, err := a.lookups(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, messageJSON(m, t, agents, chans), nil
}

func (a *API) note(w http.ResponseWriter, r *http.Request) (int, any, error) {
	t, b, atts, err := a.readMessage(w, r)
	if err != nil {
		return 0, nil, err
	}
	m, err := a.Inbox.Note(r.Context(), inbox.NoteInput{TicketID: t.ID, AgentID: principal(r).Agent.ID, Text: b.Text, Attachments: atts,
		IdempotencyKey: r.Header.Get(IdempotencyHeader), Mentions: b.Mentions})
	if err != nil {
		return 0, nil, err
	}
	return a.messageResult(r, t, m.ID)
}

// mentionableAgents lists who a note on the ticket may mention: the same
// rule Note applies to its mentions (store.MentionableAgentIDs).
func (a *API) mentionableAgents(w http.ResponseWriter, r *http.Request) (int, any, error) {
	t, err := a.ticketParam(r)
	if err != nil {
		return 0, nil, err
	}
	ags, err := a.Store.MentionableAgents(r.Context(), t.ID)
	if err != nil {
		return 0, nil, err
	}
	items := make([]*AgentJSON, 0, len(ags))
	for i := range ags {
		items = append(items, agentJSON(&ags[i]))
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

// MergeBody names the ticket or contact to merge into the one in the path.
type MergeBody struct {
	From string `json:"from"`
}

func (a *API) mergeTicket(w http.ResponseWriter, r *http.Request) (int, any, error) {
	t, err := a.ticketParam(r)
	if err != nil {
		return 0, nil, err
	}
	var b MergeBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	var f web.Fields
	from := f.Line("from", b.From, maxKind)
	if err := f.Err(); err != nil {
		return 0, nil, err
	}
	src, err := a.Inbox.TicketByPublicID(r.Context(), from)
	if err == nil {
		err = a.checkVisible(r, src.ID)
	}
	if err != nil {
		return 0, nil, err
	}
	if err := a.Inbox.MergeTickets(r.Context(), t.ID, src.ID, principal(r).Agent.ID); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

// PresenceBody announces what an agent is doing on a ticket.
type PresenceBody struct {
	State string `json:"state"` // "viewing", "typing", "left"
}

func (a *API) presence(w http.ResponseWriter, r *http.Request) (int, any, error) {
	t, err := a.ticketParam(r)
	if err != nil {
		return 0, nil, err
	}
	var b PresenceBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	ag := principal(r).Agent
	typ := inbox.EventAgentViewing
	switch b.State {
	case "viewing", "left":
	case "typing":
		typ = inbox.EventAgentTyping
	default:
		return 0, nil, errf(http.StatusBadRequest, "bad_state", "state must be viewing, typing or left")
	}
	a.Inbox.Bus().Publish(inbox.Event{Type: typ, TicketID: t.ID, AgentID: ag.ID, ChannelID: t.LastChannelID,
		Data: map[string]any{"state": b.State, "agent_name": ag.Name, "ticket": t.PublicID}})
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

func (a *API) retryMessage(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, nil, errf(http.StatusNotFound, "not_found", "no such message")
	}
	m, err := a.Inbox.Message(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	if err := a.checkVisible(r, m.TicketID); err != nil {
		return 0, nil, err
	}
	if err := a.Inbox.RetryDelivery(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}
