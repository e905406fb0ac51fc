package ui

import (
	"net/http"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// botStepRows and botOptionRows are how many step and button rows the
// flow form offers (the inbox allows at most MaxBotSteps and MaxBotOptions).
const (
	botStepRows   = inbox.MaxBotSteps
	botOptionRows = inbox.MaxBotOptions
)

type botData struct {
	Flows []botFlowView
	Teams []store.TeamInfo
	Kinds []string
}

// botFlowView is one widget channel's flow form: its saved flow (ID 0:
// none yet), padded to the form's rows.
type botFlowView struct {
	Channel store.Channel
	Flow    store.BotFlow
	Steps   []store.BotStep
	Options []store.BotOption
}

func (h *handler) showBot(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ctx := r.Context()
	d := botData{Kinds: []string{store.BotStepName, store.BotStepEmail, store.BotStepOrder, store.BotStepDepartment}}
	chans, err := h.s.Store.ListChannels(ctx)
	if err != nil {
		h.fail(w, r, p, "list channels", err)
		return
	}
	flows, err := h.s.Inbox.BotFlows(ctx)
	if err != nil {
		h.fail(w, r, p, "list bot flows", err)
		return
	}
	if d.Teams, err = h.s.Store.ListTeams(ctx); err != nil {
		h.fail(w, r, p, "list teams", err)
		return
	}
	byChannel := map[int64]store.BotFlow{}
	for _, f := range flows {
		byChannel[f.ChannelID] = f
	}
	for _, ch := range chans {
		if ch.Kind != "widget" {
			continue
		}
		v := botFlowView{Channel: ch, Flow: byChannel[ch.ID]}
		v.Steps = append(v.Steps, v.Flow.Steps...)
		for _, s := range v.Flow.Steps {
			if s.Kind == store.BotStepDepartment && len(v.Options) == 0 {
				v.Options = append(v.Options, s.Options...)
			}
		}
		for len(v.Steps) < botStepRows {
			v.Steps = append(v.Steps, store.BotStep{})
		}
		for len(v.Options) < botOptionRows {
			v.Options = append(v.Options, store.BotOption{})
		}
		d.Flows = append(d.Flows, v)
	}
	pg := h.newPage(r, p, "bot", "admin.bot")
	pg.Data = d
	h.render(w, r, "bot", pg)
}
