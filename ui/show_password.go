package ui

import (
	"net/http"
	"slices"

	"github.com/hanbox/hanbox/api"
	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
)

// notifyChoice is one notification kind on the profile form.
type notifyChoice struct {
	Kind  string
	Label string // catalogue key
	On    bool
}

// notifyLabels are the catalogue keys of the notification kinds.
var notifyLabels = map[string]string{"new_ticket": "notify.kind.new_ticket", "assigned": "notify.kind.assigned",
	"replied": "notify.kind.replied", "mention": "notify.kind.mention"}

// showPassword shows the agent's own profile (display name, language,
// signature), notification settings and the change-password form; the
// script sends them to /api/v1/agents/me/profile and /api/v1/auth/password.
func (h *handler) showPassword(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	pg := h.newPage(r, p, "password", "profile.title")
	on := api.NotifyKindsOf(p.Agent)
	var kinds []notifyChoice
	for _, k := range store.NotifyKinds {
		kinds = append(kinds, notifyChoice{Kind: k, Label: notifyLabels[k], On: slices.Contains(on, k)})
	}
	pg.Data = kinds
	h.render(w, r, "password", pg)
}
