package ui

import (
	"net/http"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/kb"
	"github.com/hanbox/hanbox/store"
)

// assistData is the AI provider form; the key itself never reaches the
// page, only whether one is stored. Channels are the handoff-team rows.
type assistData struct {
	Settings  store.AssistSettings
	APIKeySet bool
	Channels  []assistChannelView
	Teams     []store.TeamInfo
}

// assistChannelView is one channel's handoff-team row (TeamID 0: none).
type assistChannelView struct {
	Channel   store.Channel
	AIAnswers bool
	TeamID    int64
}

func (h *handler) showAssist(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ctx := r.Context()
	set, err := h.s.Store.AssistSettingsOf(ctx)
	if err != nil {
		h.fail(w, r, p, "load assist settings", err)
		return
	}
	d := assistData{APIKeySet: set.APIKey != ""}
	set.APIKey = ""
	d.Settings = set
	chans, err := h.s.Store.ListChannels(ctx)
	if err != nil {
		h.fail(w, r, p, "list channels", err)
		return
	}
	saved, err := h.s.Store.AssistChannels(ctx)
	if err != nil {
		h.fail(w, r, p, "list assist channels", err)
		return
	}
	if d.Teams, err = h.s.Store.ListTeams(ctx); err != nil {
		h.fail(w, r, p, "list teams", err)
		return
	}
	team := map[int64]int64{}
	for _, c := range saved {
		if c.HandoffTeamID != nil {
			team[c.ChannelID] = *c.HandoffTeamID
		}
	}
	for _, ch := range chans {
		d.Channels = append(d.Channels, assistChannelView{Channel: ch, AIAnswers: ch.Settings[kb.SettingAIAnswers] == true, TeamID: team[ch.ID]})
	}
	pg := h.newPage(r, p, "assist", "admin.assist")
	pg.Data = d
	h.render(w, r, "assist", pg)
}
