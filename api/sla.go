package api

import (
	"net/http"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// SLAPolicyJSON is an SLA policy: targets in business minutes of the
// ticket's team, for tickets of a priority and/or a team (empty / null:
// any). The warning comes warn_minutes before a due time when that is set,
// else at warn_percent of the target.
type SLAPolicyJSON struct {
	ID                   int64     `json:"id"`
	Name                 string    `json:"name"`
	Priority             string    `json:"priority"`
	TeamID               *int64    `json:"team_id"`
	FirstResponseMinutes int64     `json:"first_response_minutes"`
	ResolutionMinutes    int64     `json:"resolution_minutes"`
	WarnPercent          int64     `json:"warn_percent"`
	WarnMinutes          int64     `json:"warn_minutes"`
	Enabled              bool      `json:"enabled"`
	CreatedAt            time.Time `json:"created_at"`
	UpdatedAt            time.Time `json:"updated_at"`
}

// SLAPolicyBody creates (POST) or replaces (PUT) an SLA policy. warn_percent
// defaults to 80 when neither it nor warn_minutes is given; enabled
// defaults to true.
type SLAPolicyBody struct {
	Name                 string `json:"name"`
	Priority             string `json:"priority"`
	TeamID               *int64 `json:"team_id"`
	FirstResponseMinutes int64  `json:"first_response_minutes"`
	ResolutionMinutes    int64  `json:"resolution_minutes"`
	WarnPercent          *int64 `json:"warn_percent"`
	WarnMinutes          int64  `json:"warn_minutes"`
	Enabled              *bool  `json:"enabled"`
}

// TicketSLAJSON is a ticket's SLA: the policy applied, due times, breach
// flags of this cycle, the soonest running due time, and each target's
// state now (running, warning: near breach, breached, paused: pending or
// snoozed; empty: stopped in time) and, while paused, since when.
type TicketSLAJSON struct {
	PolicyID              int64           `json:"policy_id"`
	FirstResponseDueAt    *time.Time      `json:"first_response_due_at,omitempty"`
	ResolutionDueAt       *time.Time      `json:"resolution_due_at,omitempty"`
	FirstResponseBreached bool            `json:"first_response_breached"`
	ResolutionBreached    bool            `json:"resolution_breached"`
	DueAt                 *time.Time      `json:"due_at,omitempty"`
	PausedAt              *time.Time      `json:"paused_at,omitempty"`
	State                 string          `json:"state"`
	Targets               []SLATargetJSON `json:"targets"`
}

// SLATargetJSON is one target's state.
type SLATargetJSON struct {
	Target string     `json:"target"`
	State  string     `json:"state"`
	DueAt  *time.Time `json:"due_at"`
}

// ticketSLA is the SLA of t at now; nil when no policy applies.
func ticketSLA(t *store.Ticket, now time.Time) *TicketSLAJSON {
	if t.SLAPolicyID == nil && t.FirstResponseDueAt == nil && t.ResolutionDueAt == nil {
		return nil
	}
	out := &TicketSLAJSON{PolicyID: derefInt(t.SLAPolicyID), FirstResponseDueAt: t.FirstResponseDueAt, ResolutionDueAt: t.ResolutionDueAt,
		FirstResponseBreached: t.FirstResponseBreached, ResolutionBreached: t.ResolutionBreached, DueAt: t.SLADueAt, PausedAt: t.SLAPausedAt,
		State: inbox.SLABadge(t, now), Targets: []SLATargetJSON{}}
	for _, st := range inbox.TicketSLA(t, now) {
		out.Targets = append(out.Targets, SLATargetJSON{Target: st.Target, State: st.State, DueAt: st.DueAt})
	}
	return out
}

func derefInt(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func slaPolicyJSON(p *store.SLAPolicy) SLAPolicyJSON {
	return SLAPolicyJSON{ID: p.ID, Name: p.Name, Priority: p.Priority, TeamID: p.TeamID, FirstResponseMinutes: p.FirstResponseMinutes,
		ResolutionMinutes: p.ResolutionMinutes, WarnPercent: p.WarnPercent, WarnMinutes: p.WarnMinutes, Enabled: p.Enabled,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func (b *SLAPolicyBody) input() inbox.SLAPolicyInput {
	in := inbox.SLAPolicyInput{Name: b.Name, Priority: b.Priority, TeamID: derefInt(b.TeamID), FirstResponseMinutes: b.FirstResponseMinutes,
		ResolutionMinutes: b.ResolutionMinutes, WarnMinutes: b.WarnMinutes, WarnPercent: 80, Enabled: true}
	if b.WarnPercent != nil {
		in.WarnPercent = *b.WarnPercent
	}
	if b.Enabled != nil {
		in.Enabled = *b.Enabled
	}
	return in
}

func (a *API) listSLAPolicies(w http.ResponseWriter, r *http.Request) (int, any, error) {
	ps, err := a.Store.ListSLAPolicies(r.Context())
	if err != nil {
		return 0, nil, err
	}
	items := make([]SLAPolicyJSON, 0, len(ps))
	for i := range ps {
		items = append(items, slaPolicyJSON(&ps[i]))
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

func (a *API) getSLAPolicy(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	p, err := a.Store.GetSLAPolicy(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, slaPolicyJSON(p), nil
}

func (a *API) saveSLAPolicy(w http.ResponseWriter, r *http.Request, id int64, status int) (int, any, error) {
	var b SLAPolicyBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	if id != 0 {
		if _, err := a.Store.GetSLAPolicy(r.Context(), id); err != nil {
			return 0, nil, err
		}
	}
	p, err := a.Inbox.SaveSLAPolicy(r.Context(), id, b.input())
	if err != nil {
		return 0, nil, err
	}
	return status, slaPolicyJSON(p), nil
}

func (a *API) createSLAPolicy(w http.ResponseWriter, r *http.Request) (int, any, error) {
	return a.saveSLAPolicy(w, r, 0, http.StatusCreated)
}

func (a *API) putSLAPolicy(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	return a.saveSLAPolicy(w, r, id, http.StatusOK)
}

func (a *API) deleteSLAPolicy(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.Inbox.DeleteSLAPolicy(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"ok": true}, nil
}

func slaSchemas() map[string]any {
	i := map[string]any{"type": "integer"}
	str := map[string]any{"type": "string"}
	when := map[string]any{"type": "string", "format": "date-time"}
	boolean := map[string]any{"type": "boolean"}
	priority := map[string]any{"type": "string", "enum": []any{"", store.PriorityLow, store.PriorityNormal, store.PriorityHigh, store.PriorityUrgent},
		"description": "empty: any priority"}
	target := map[string]any{"type": "string", "enum": []any{store.SLAFirstResponse, store.SLAResolution}}
	state := map[string]any{"type": "string", "enum": []any{inbox.SLANone, inbox.SLARunning, inbox.SLAWarning, inbox.SLABreached, inbox.SLAPaused}}
	body := map[string]any{"name": str, "priority": priority,
		"team_id":                map[string]any{"type": []any{"integer", "null"}, "description": "null: any team"},
		"first_response_minutes": map[string]any{"type": "integer", "description": "business minutes of the ticket's team; 0: no target"},
		"resolution_minutes":     map[string]any{"type": "integer", "description": "business minutes of the ticket's team; 0: no target"},
		"warn_percent":           map[string]any{"type": "integer", "description": "1–99: warn when this share of the target has passed (default 80)"},
		"warn_minutes":           map[string]any{"type": "integer", "description": "> 0: warn this many business minutes before the due time instead"},
		"enabled":                boolean}
	policy := map[string]any{"id": i, "created_at": when, "updated_at": when}
	for k, v := range body {
		policy[k] = v
	}
	return map[string]any{
		"SLAPolicyBody": map[string]any{"type": "object", "properties": body, "required": []any{"name"},
			"description": "An SLA policy. The most specific enabled policy applies to a ticket (priority and team, then team, then priority, then any; the oldest among equals)."},
		"SLAPolicy":     map[string]any{"type": "object", "properties": policy},
		"SLAPolicyList": map[string]any{"type": "object", "properties": map[string]any{"items": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/SLAPolicy"}}}},
		"TicketSLA": map[string]any{"type": "object", "description": "A ticket's SLA (the ticket's sla field; absent when no policy applies). " +
			"First response is measured once from creation; resolution restarts when the ticket is reopened. Both clocks pause while the ticket is pending or snoozed " +
			"(paused_at: since when); the pause's business time moves the due times later.",
			"properties": map[string]any{"policy_id": i, "first_response_due_at": when, "resolution_due_at": when,
				"first_response_breached": boolean, "resolution_breached": boolean,
				"due_at":    map[string]any{"type": "string", "format": "date-time", "description": "the soonest due time still running"},
				"paused_at": map[string]any{"type": "string", "format": "date-time", "description": "when the clocks paused (pending or snoozed); absent while they run"},
				"state":     state,
				"targets": map[string]any{"type": "array", "items": map[string]any{"type": "object",
					"properties": map[string]any{"target": target, "state": state, "due_at": when}}}}},
		"SLAChanges": map[string]any{"type": "object", "required": []any{"target", "due_at"},
			"description": "An sla.warning (near breach) or sla.breached: which target of the ticket, its due time, the policy and the ticket's SLA cycle (the id of the event that created or last reopened it). Each is emitted once per ticket, target and cycle.",
			"properties":  map[string]any{"target": target, "due_at": when, "policy_id": i, "cycle": i}},
	}
}
