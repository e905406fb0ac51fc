package ui

import (
	"net/http"

	"github.com/hanbox/hanbox/audit"
	"github.com/hanbox/hanbox/auth"
)

// logout ends the session; the form carries the session's CSRF token,
// which the agent wrapper checks.
func (h *handler) logout(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if err := h.s.Auth.Logout(r.Context(), p.Token); err != nil {
		h.log.Error("logout", "err", err)
	} else {
		h.s.Audit.Record(r, audit.Entry{Action: audit.ActionLogout, TargetType: "agents", TargetID: p.Agent.ID})
	}
	auth.ClearCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
