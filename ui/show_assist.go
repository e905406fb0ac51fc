package ui

import (
	"net/http"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
)

// assistData is the AI provider form; the key itself never reaches the
// page, only whether one is stored.
type assistData struct {
	Settings  store.AssistSettings
	APIKeySet bool
}

func (h *handler) showAssist(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	set, err := h.s.Store.AssistSettingsOf(r.Context())
	if err != nil {
		h.fail(w, r, p, "load assist settings", err)
		return
	}
	d := assistData{APIKeySet: set.APIKey != ""}
	set.APIKey = ""
	d.Settings = set
	pg := h.newPage(r, p, "assist", "admin.assist")
	pg.Data = d
	h.render(w, r, "assist", pg)
}
