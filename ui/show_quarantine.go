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
	var qs []store.Quarantine
	if err := h.s.Store.DB.WithContext(r.Context()).Omit("raw").Order("id DESC").Limit(200).Find(&qs).Error; err != nil {
		h.log.Error("list quarantine", "err", err)
		h.renderError(w, r, p, http.StatusInternalServerError, "common.error")
		return
	}
	_, chans, err := h.lookups(r)
	if err != nil {
		h.log.Error("lookups", "err", err)
		h.renderError(w, r, p, http.StatusInternalServerError, "common.error")
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
