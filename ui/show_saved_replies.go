package ui

import (
	"net/http"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
)

func (h *handler) showSavedReplies(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var rs []store.SavedReply
	if err := h.s.Store.DB.WithContext(r.Context()).Order("name").Find(&rs).Error; err != nil {
		h.log.Error("list saved replies", "err", err)
		h.renderError(w, r, p, http.StatusInternalServerError, "common.error")
		return
	}
	pg := h.newPage(r, p, "saved_replies", "admin.savedReplies")
	pg.Data = rs
	h.render(w, r, "saved_replies", pg)
}
