package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/hanbox/hanbox/inbox"
)

// streamRecheck is how often an open event stream checks that its session
// or token is still valid, besides checking at once when the agent's
// access changes (inbox.EventAuthChanged).
var streamRecheck = 30 * time.Second

// events streams bus events to an agent as server-sent events. Each event is
// one "data:" line of JSON with its type as the SSE event name; a comment
// line every 25 s keeps proxies from closing an idle stream. A client that
// reconnects re-fetches what it shows: events are not replayed. The stream
// ends (with an "end" event) as soon as its session or token stops being
// valid: logged out, password changed, token deleted, agent deactivated.
func (a *API) events(w http.ResponseWriter, r *http.Request) (int, any, error) {
	fl, ok := w.(http.Flusher)
	if !ok {
		return 0, nil, errf(http.StatusInternalServerError, "internal", "streaming unsupported")
	}
	ctx := r.Context()
	p := principal(r)
	me := p.Agent.ID
	ch := a.Inbox.Bus().Subscribe(ctx, 256, func(e inbox.Event) bool { return e.Type != inbox.EventAuthChanged })
	revoked := a.Inbox.Bus().Subscribe(ctx, 4, func(e inbox.Event) bool { return e.Type == inbox.EventAuthChanged && e.AgentID == me })
	if a.SSEClients != nil {
		a.SSEClients.Add(1)
		defer a.SSEClients.Add(-1)
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 2000\n: connected\n\n")
	fl.Flush()
	// An open stream is an open screen: presence-derived availability
	// counts the agent as there while any stream of theirs lives.
	touch := func() {
		if err := a.Inbox.TouchPresence(ctx, me, time.Now()); err != nil && ctx.Err() == nil {
			a.log.Warn("presence", "agent_id", me, "err", err)
		}
	}
	touch()
	seen := &visibility{a: a, viewer: viewer(r), ttl: 5 * time.Second, at: map[int64]visibleAt{}}
	ping := time.NewTicker(25 * time.Second)
	defer ping.Stop()
	recheck := time.NewTicker(streamRecheck)
	defer recheck.Stop()
	valid := func() bool {
		if _, _, err := a.Auth.Lookup(ctx, p.Token); err != nil {
			fmt.Fprint(w, "event: end\ndata: {\"reason\":\"signed_out\"}\n\n")
			fl.Flush()
			return false
		}
		return true
	}
	for {
		select {
		case <-ctx.Done():
			return 0, nil, nil
		case <-ping.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return 0, nil, nil
			}
			fl.Flush()
			touch()
		case <-revoked:
			if !valid() {
				return 0, nil, nil
			}
		case <-recheck.C:
			if !valid() {
				return 0, nil, nil
			}
		case e, ok := <-ch:
			if !ok {
				return 0, nil, nil
			}
			if (e.Type == inbox.EventAgentTyping || e.Type == inbox.EventAgentViewing) && e.AgentID == me {
				continue // an agent's own presence is not news to them
			}
			if e.TicketID > 0 && !seen.visible(ctx, e.TicketID) {
				continue // a restricted team's ticket, and this agent is not in the team
			}
			b, err := json.Marshal(e)
			if err != nil {
				continue
			}
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Type, b); err != nil {
				return 0, nil, nil
			}
			fl.Flush()
		}
	}
}

// visibility remembers, for one event stream, which tickets its agent may
// see (team restrictions), for a few seconds each, so a burst of events on
// one ticket costs one query. Admins see everything.
type visibility struct {
	a      *API
	viewer int64
	ttl    time.Duration
	at     map[int64]visibleAt
}

type visibleAt struct {
	ok   bool
	when time.Time
}

func (v *visibility) visible(ctx context.Context, ticketID int64) bool {
	if v.viewer == 0 {
		return true
	}
	if c, ok := v.at[ticketID]; ok && time.Since(c.when) < v.ttl {
		return c.ok
	}
	ok, err := v.a.Store.CanSee(ctx, v.viewer, ticketID)
	if err != nil {
		return false // fail closed
	}
	if len(v.at) > 10000 {
		clear(v.at)
	}
	v.at[ticketID] = visibleAt{ok: ok, when: time.Now()}
	return ok
}

// eventSchemas describes the JSON of one event on the stream (inbox.Event)
// for the OpenAPI document. TestEventSchemaMatchesEvent keeps it in step
// with the Go types, so the stream's format cannot drift unnoticed.
func eventSchemas() map[string]any {
	obj := func(props map[string]any, required ...string) map[string]any {
		m := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			m["required"] = required
		}
		return m
	}
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
	id := map[string]any{"type": "integer", "format": "int64"}
	str := map[string]any{"type": "string"}
	when := map[string]any{"type": "string", "format": "date-time"}
	change := func(v any) map[string]any { return obj(map[string]any{"old": v, "new": v}, "old", "new") }
	nullable := func(v map[string]any) map[string]any {
		return map[string]any{"oneOf": []any{v, map[string]any{"type": "null"}}}
	}
	types := []any{inbox.EventTicketCreated, inbox.EventTicketUpdated, inbox.EventMessageCreated, inbox.EventMessageUpdated,
		inbox.EventContactUpdated, inbox.EventSurveyAnswered, inbox.EventChannelsChanged, inbox.EventContactTyping, inbox.EventAgentTyping,
		inbox.EventAgentViewing, inbox.EventVisitorPage, inbox.EventPresence, inbox.EventTeamUpdated, inbox.EventAgentUpdated,
		inbox.EventSLAWarning, inbox.EventSLABreached, inbox.EventTicketSLA, inbox.EventTicketNoReply, inbox.EventSLAPolicyUpdated}
	return map[string]any{
		"Event": map[string]any{
			"type": "object", "required": []any{"type", "at"},
			"description": "One server-sent event: the SSE event name is its type, the data line this JSON. Durable events " +
				"(ticket.*, message.*, contact.updated, survey.answered, sla.warning, sla.breached) carry an id and typed changes; ephemeral ones (typing, presence, " +
				"viewing, visitor pages) a free-form data object. Unknown fields and types may be added; ignore them.",
			"properties": map[string]any{
				"id": id, "type": map[string]any{"type": "string", "examples": types},
				"ticket_id": id, "message_id": id, "channel_id": id, "contact_id": id, "agent_id": id, "team_id": id,
				"agent":   obj(map[string]any{"availability": change(str), "chat_cap": change(id)}),
				"changes": ref("TicketChanges"), "message": ref("MessageChanges"), "contact": ref("ContactChanges"),
				"survey": ref("SurveyChanges"), "sla": ref("SLAChanges"),
				"rule": obj(map[string]any{"id": id, "name": str, "chain": map[string]any{"type": "array", "items": id,
					"description": "the rules that led to this change, this one last"}}),
				"no_reply": obj(map[string]any{"hours": id, "since": when}),
				"data": map[string]any{"type": "object", "description": "ephemeral events: agent.viewing/agent.typing {state, agent_name, ticket}, " +
					"contact.typing {typing, visitor}, visitor.page {visitor, url, title, referrer}, presence {visitor, online}"},
				"at": when,
			},
		},
		"AgentRef": obj(map[string]any{"id": id, "name": str}, "id", "name"),
		"TicketChanges": map[string]any{
			"type": "object", "description": "What a ticket.updated changed; absent fields did not change.",
			"properties": map[string]any{
				"status": change(str), "snoozed_until": change(nullable(when)), "priority": change(str),
				"assignee": change(nullable(ref("AgentRef"))), "team": change(str), "team_id": change(id), "subject": change(str),
				"assigned_by":     map[string]any{"type": "string", "description": "auto: chosen by auto-assignment"},
				"tags":            change(map[string]any{"type": "array", "items": str}),
				"last_message_at": when, "merged_from": id, "merged_into": id, "unmerged": id, "unmerged_from": id,
			},
		},
		"MessageChanges": obj(map[string]any{
			"direction":       map[string]any{"type": "string", "enum": []any{"inbound", "outbound", "note", "system"}},
			"delivery_status": map[string]any{"type": "string", "enum": []any{"queued", "sent", "failed"}},
			"delivery_error":  str, "bounced": map[string]any{"type": "boolean"}, "continued_on": str,
			"edited": map[string]any{"type": "boolean"}, "deleted": map[string]any{"type": "boolean"},
			"mentions":    map[string]any{"type": "array", "items": id, "description": "agents a created note mentions"},
			"assignee_id": map[string]any{"type": "integer", "description": "the ticket's assignee when a customer's message arrived"},
		}),
		"ContactChanges": obj(map[string]any{"merged_from": id, "attributes": map[string]any{"type": "array", "items": str}, "event": str, "event_id": id,
			"unmerged": id, "unmerged_from": id}),
		"SurveyChanges": map[string]any{
			"type": "object", "required": []any{"id", "kind", "score"},
			"description": "A survey.answered: the customer's latest answer. low is set for a low CSAT score (1–2 of 5).",
			"properties": map[string]any{
				"id": id, "kind": map[string]any{"type": "string", "enum": []any{"csat", "nps"}},
				"score": map[string]any{"type": "integer"}, "comment": str, "previous": map[string]any{"type": "integer"},
				"low": map[string]any{"type": "boolean"},
			},
		},
	}
}
