package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/hanbox/hanbox/assist"
	"github.com/hanbox/hanbox/store"
)

// AssistSettingsJSON is the generative-answers provider as the API shows
// it: never the key itself, only whether one is stored.
type AssistSettingsJSON struct {
	Enabled   bool      `json:"enabled"`
	BaseURL   string    `json:"base_url"`
	Model     string    `json:"model"`
	TimeoutMS int       `json:"timeout_ms"`
	APIKeySet bool      `json:"api_key_set"`
	UpdatedAt time.Time `json:"updated_at"`
}

// AssistSettingsBody changes the provider settings. api_key is write-only:
// absent or empty keeps the stored key, clear_api_key removes it.
type AssistSettingsBody struct {
	Enabled     bool   `json:"enabled"`
	BaseURL     string `json:"base_url"`
	Model       string `json:"model"`
	APIKey      string `json:"api_key"`
	ClearAPIKey bool   `json:"clear_api_key"`
	TimeoutMS   int    `json:"timeout_ms"`
}

// AssistDraftJSON is a drafted reply for the agent to edit.
type AssistDraftJSON struct {
	Text        string            `json:"text"`
	Citations   []assist.Citation `json:"citations"`
	Fallback    string            `json:"fallback"`
	Suggestions []assist.Citation `json:"suggestions"`
}

func assistSettingsJSON(s store.AssistSettings) AssistSettingsJSON {
	return AssistSettingsJSON{Enabled: s.Enabled, BaseURL: s.BaseURL, Model: s.Model, TimeoutMS: s.TimeoutMS, APIKeySet: s.APIKey != "", UpdatedAt: s.UpdatedAt}
}

func (a *API) getAssistSettings(w http.ResponseWriter, r *http.Request) (int, any, error) {
	s, err := a.Assist.Settings(r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, assistSettingsJSON(s), nil
}

func (a *API) putAssistSettings(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b AssistSettingsBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	in := assist.SettingsInput{Enabled: b.Enabled, BaseURL: b.BaseURL, Model: b.Model, TimeoutMS: b.TimeoutMS}
	switch {
	case b.ClearAPIKey:
		empty := ""
		in.APIKey = &empty
	case b.APIKey != "":
		in.APIKey = &b.APIKey
	}
	s, err := a.Assist.SaveSettings(r.Context(), in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, assistSettingsJSON(s), nil
}

// DraftBurst is how many drafts one agent may ask for at once; the
// allowance refills over a minute. Each draft may cost a provider call.
const DraftBurst = 10

func (a *API) draftReply(w http.ResponseWriter, r *http.Request) (int, any, error) {
	if ok, wait := a.draftLimit.Allow("agent:" + strconv.FormatInt(principal(r).Agent.ID, 10)); !ok {
		e := errf(http.StatusTooManyRequests, "rate_limited", "too many drafts asked for by this agent; wait and try again")
		e.RetryAfter = max(wait, time.Second)
		return 0, nil, e
	}
	t, err := a.ticketParam(r)
	if err != nil {
		return 0, nil, err
	}
	d, err := a.Assist.Draft(r.Context(), t.ID)
	if err != nil {
		return 0, nil, err
	}
	if d.Suggestions == nil {
		d.Suggestions = []assist.Citation{}
	}
	return http.StatusOK, AssistDraftJSON{Text: d.Text, Citations: d.Citations, Fallback: d.Fallback, Suggestions: d.Suggestions}, nil
}

// AssistChannelJSON is one channel's answer-bot setting.
type AssistChannelJSON struct {
	ChannelID int64 `json:"channel_id"`
	AIAnswers bool  `json:"ai_answers"`
	// HandoffTeamID is null when a handoff leaves the ticket's team as it is.
	HandoffTeamID *int64 `json:"handoff_team_id"`
}

// AssistChannelBody sets a channel's handoff team (null or 0: none).
type AssistChannelBody struct {
	HandoffTeamID *int64 `json:"handoff_team_id"`
}

func assistChannelJSON(c assist.ChannelSetting) AssistChannelJSON {
	out := AssistChannelJSON{ChannelID: c.ChannelID, AIAnswers: c.AIAnswers}
	if c.HandoffTeamID != 0 {
		id := c.HandoffTeamID
		out.HandoffTeamID = &id
	}
	return out
}

func (a *API) listAssistChannels(w http.ResponseWriter, r *http.Request) (int, any, error) {
	cs, err := a.Assist.ChannelSettings(r.Context())
	if err != nil {
		return 0, nil, err
	}
	items := []AssistChannelJSON{}
	for _, c := range cs {
		items = append(items, assistChannelJSON(c))
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

func (a *API) putAssistChannel(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var b AssistChannelBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	var team int64
	if b.HandoffTeamID != nil {
		team = *b.HandoffTeamID
	}
	c, err := a.Assist.SaveChannelSetting(r.Context(), id, team)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, assistChannelJSON(c), nil
}

func assistSchemas() map[string]any {
	str := map[string]any{"type": "string"}
	b := map[string]any{"type": "boolean"}
	i := map[string]any{"type": "integer"}
	cite := map[string]any{"type": "array", "items": map[string]any{"type": "object", "properties": map[string]any{"id": i, "title": str, "url": str}}}
	return map[string]any{
		"AssistSettings": map[string]any{"type": "object", "description": "The OpenAI-compatible provider of generative answers; the API key is never returned.",
			"properties": map[string]any{"enabled": b, "base_url": str, "model": str, "timeout_ms": i, "api_key_set": b,
				"updated_at": map[string]any{"type": "string", "format": "date-time"}}},
		"AssistSettingsBody": map[string]any{"type": "object", "properties": map[string]any{"enabled": b,
			"base_url":      map[string]any{"type": "string", "description": "e.g. http://127.0.0.1:8000/v1 (…/chat/completions is appended)"},
			"model":         str,
			"api_key":       map[string]any{"type": "string", "writeOnly": true, "description": "empty keeps the stored key"},
			"clear_api_key": b,
			"timeout_ms":    map[string]any{"type": "integer", "description": "1000–120000, default 15000; bounds the whole call, retries included"}}},
		"AssistChannel": map[string]any{"type": "object", "description": "A channel's answer-bot setting",
			"properties": map[string]any{"channel_id": i, "ai_answers": map[string]any{"type": "boolean", "description": "the channel's ai_answers setting (changed in the channel's form)"},
				"handoff_team_id": map[string]any{"type": []any{"integer", "null"}, "description": "the team a generative-answers handoff files a ticket without a team to; null: none"}}},
		"AssistChannelList": map[string]any{"type": "object", "properties": map[string]any{"items": map[string]any{"type": "array",
			"items": map[string]any{"$ref": "#/components/schemas/AssistChannel"}}}},
		"AssistChannelBody": map[string]any{"type": "object", "properties": map[string]any{
			"handoff_team_id": map[string]any{"type": []any{"integer", "null"}, "description": "an existing team, or null/0 for none"}}},
		"BotFlowBody": map[string]any{"type": "object", "properties": map[string]any{"channel_id": i, "enabled": b, "greeting_ko": str, "greeting_en": str,
			"steps":        map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
			"hold_minutes": map[string]any{"type": "integer", "minimum": 0, "maximum": 1440, "description": "how long the flow holds a ticket from auto-assignment without a customer message before it hands off by itself; 0 or absent: 10"}}},
		"BotFlow": map[string]any{"type": "object", "properties": map[string]any{"id": i, "channel_id": i, "enabled": b, "greeting_ko": str, "greeting_en": str,
			"steps": map[string]any{"type": "array", "items": map[string]any{"type": "object"}}, "hold_minutes": i,
			"created_at": map[string]any{"type": "string", "format": "date-time"}, "updated_at": map[string]any{"type": "string", "format": "date-time"}}},
		"AssistDraft": map[string]any{"type": "object", "properties": map[string]any{
			"text":        map[string]any{"type": "string", "description": "the draft; empty when there is none (see fallback)"},
			"citations":   cite,
			"fallback":    map[string]any{"type": "string", "description": "why there is no draft: off, no_articles, unknown, timeout, rate_limited, rejected; empty with a draft"},
			"suggestions": cite}},
	}
}
