package ui

import (
	"net/http"

	"github.com/hanbox/hanbox/auth"
)

// showPassword shows the change-password form; the script posts it to
// /api/v1/auth/password.
func (h *handler) showPassword(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	pg := h.newPage(r, p, "password", "password.title")
	h.render(w, r, "password", pg)
}
