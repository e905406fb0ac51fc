package api

import (
	"net/http"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// BotFlowBody creates (POST /bot/flows) or replaces (PUT /bot/flows/{id})
// a widget channel's bot flow. Step kinds: name, email, order, department
// (a department step has options, each filing the ticket to a team).
type BotFlowBody struct {
	ChannelID  int64           `json:"channel_id"`
	Enabled    bool            `json:"enabled"`
	GreetingKo string          `json:"greeting_ko"`
	GreetingEn string          `json:"greeting_en"`
	Steps      []store.BotStep `json:"steps"`
	// HoldMinutes bounds how long the flow holds a ticket from
	// auto-assignment without a customer message (0 or absent: 10).
	HoldMinutes int `json:"hold_minutes"`
}

// BotFlowJSON is a bot flow as the API shows it.
type BotFlowJSON struct {
	ID          int64           `json:"id"`
	ChannelID   int64           `json:"channel_id"`
	Enabled     bool            `json:"enabled"`
	GreetingKo  string          `json:"greeting_ko"`
	GreetingEn  string          `json:"greeting_en"`
	Steps       []store.BotStep `json:"steps"`
	HoldMinutes int             `json:"hold_minutes"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

func botFlowJSON(f *store.BotFlow) BotFlowJSON {
	steps := []store.BotStep(f.Steps)
	if steps == nil {
		steps = []store.BotStep{}
	}
	return BotFlowJSON{ID: f.ID, ChannelID: f.ChannelID, Enabled: f.Enabled, GreetingKo: f.GreetingKo, GreetingEn: f.GreetingEn,
		Steps: steps, HoldMinutes: f.HoldMinutes, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
}

func (b BotFlowBody) input() inbox.BotFlowInput {
	return inbox.BotFlowInput{ChannelID: b.ChannelID, Enabled: b.Enabled, GreetingKo: b.GreetingKo, GreetingEn: b.GreetingEn, Steps: b.Steps, HoldMinutes: b.HoldMinutes}
}

func (a *API) listBotFlows(w http.ResponseWriter, r *http.Request) (int, any, error) {
	flows, err := a.Inbox.BotFlows(r.Context())
	if err != nil {
		return 0, nil, err
	}
	items := []BotFlowJSON{}
	for i := range flows {
		items = append(items, botFlowJSON(&flows[i]))
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

func (a *API) createBotFlow(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b BotFlowBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	f, err := a.Inbox.SaveBotFlow(r.Context(), 0, b.input())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, botFlowJSON(f), nil
}

func (a *API) getBotFlow(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	f, err := a.Inbox.BotFlow(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, botFlowJSON(f), nil
}

func (a *API) putBotFlow(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if _, err := a.Inbox.BotFlow(r.Context(), id); err != nil {
		return 0, nil, err
	}
	var b BotFlowBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	f, err := a.Inbox.SaveBotFlow(r.Context(), id, b.input())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, botFlowJSON(f), nil
}

func (a *API) deleteBotFlow(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.Inbox.DeleteBotFlow(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}
