package ui

import (
	"net/http"

	"github.com/hanbox/hanbox/auth"
)

func (h *handler) showSavedReplies(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	rs, err := h.s.Store.ListSavedReplies(r.Context())
	if err != nil {
		h.fail(w, r, p, "list saved replies", err)
		return
	}
	pg := h.newPage(r, p, "saved_replies", "admin.savedReplies")
	pg.Data = rs
	h.render(w, r, "saved_replies", pg)
}
