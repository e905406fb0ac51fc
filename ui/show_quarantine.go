package ui

import (
	"net/http"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
)

type quarantineView struct {
	store.Quarantine
	ChannelName string
}

func (h *handler) showQuarantine(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	qs, err := h.s.Store.ListQuarantine(r.Context(), 200)
	if err != nil {
		h.fail(w, r, p, "list quarantine", err)
		return
	}
	_, chans, err := h.lookups(r)
	if err != nil {
		h.fail(w, r, p, "lookups", err)
		return
	}
	items := make([]quarantineView, 0, len(qs))
	for _, q := range qs {
		v := quarantineView{Quarantine: q}
		if ch := chans[q.ChannelID]; ch != nil {
			v.ChannelName = ch.Name
		}
		items = append(items, v)
	}
	pg := h.newPage(r, p, "quarantine", "admin.quarantine")
	pg.Data = items
	h.render(w, r, "quarantine", pg)
}
