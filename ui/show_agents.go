package ui

import (
	"net/http"

	"github.com/hanbox/hanbox/auth"
)

func (h *handler) showAgents(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	agents, err := h.s.Store.ListAgents(r.Context())
	if err != nil {
		h.fail(w, r, p, "list agents", err)
		return
	}
	pg := h.newPage(r, p, "agents", "admin.agents")
	pg.Data = agents
	h.render(w, r, "agents", pg)
}
