package ui

import (
	"net/http"
	"time"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

type teamsData struct {
	Teams    []teamView
	Days     []string
	Agents   []store.Agent
	Channels []store.Channel
}

// teamView is a team on the Teams screen, with its hours' state now.
type teamView struct {
	store.TeamInfo
	TimeZone string
	HasHours bool
	Open     bool
}

func (h *handler) showTeams(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ctx := r.Context()
	d := teamsData{Days: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}}
	teams, err := h.s.Store.ListTeams(ctx)
	if err != nil {
		h.fail(w, r, p, "list teams", err)
		return
	}
	for _, t := range teams {
		tz := t.Hours.TimeZone
		if tz == "" {
			tz = inbox.DefaultTimeZone
		}
		d.Teams = append(d.Teams, teamView{TeamInfo: t, TimeZone: tz, Open: inbox.OpenAt(t.Hours, time.Now()).Open,
			HasHours: len(t.Hours.Weekly) > 0})
	}
	if d.Agents, err = h.s.Store.ListAgents(ctx); err != nil {
		h.fail(w, r, p, "list agents", err)
		return
	}
	if d.Channels, err = h.s.Store.ListChannels(ctx); err != nil {
		h.fail(w, r, p, "list channels", err)
		return
	}
	pg := h.newPage(r, p, "teams", "admin.teams")
	pg.Data = d
	h.render(w, r, "teams", pg)
}

// viewerOf is the agent whose team visibility limits what p sees: 0 for
// admins, who see everything.
func viewerOf(p *auth.Principal) int64 {
	if p == nil || p.Agent.Role == store.RoleAdmin {
		return 0
	}
	return p.Agent.ID
}

// canSee reports whether p may see ticket id (team restrictions).
func (h *handler) canSee(r *http.Request, p *auth.Principal, ticketID int64) (bool, error) {
	v := viewerOf(p)
	if v == 0 {
		return true, nil
	}
	return h.s.Store.CanSee(r.Context(), v, ticketID)
}
