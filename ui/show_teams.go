package ui

import (
	"net/http"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
)

type teamsData struct {
	Teams    []store.TeamInfo
	Agents   []store.Agent
	Channels []store.Channel
}

func (h *handler) showTeams(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ctx := r.Context()
	var d teamsData
	var err error
	if d.Teams, err = h.s.Store.ListTeams(ctx); err != nil {
		h.fail(w, r, p, "list teams", err)
		return
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
