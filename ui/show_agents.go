package ui

import (
	"net/http"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
)

func (h *handler) showAgents(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var agents []store.Agent
	if err := h.s.Store.DB.WithContext(r.Context()).Order("id").Find(&agents).Error; err != nil {
		h.log.Error("list agents", "err", err)
		h.renderError(w, r, p, http.StatusInternalServerError, "common.error")
		return
	}
	pg := h.newPage(r, p, "agents", "admin.agents")
	pg.Data = agents
	h.render(w, r, "agents", pg)
}
