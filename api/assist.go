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
		"AssistDraft": map[string]any{"type": "object", "properties": map[string]any{
			"text":        map[string]any{"type": "string", "description": "the draft; empty when there is none (see fallback)"},
			"citations":   cite,
			"fallback":    map[string]any{"type": "string", "description": "why there is no draft: off, no_articles, unknown, timeout, rate_limited, rejected; empty with a draft"},
			"suggestions": cite}},
	}
}
