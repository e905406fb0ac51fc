package api

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hanbox/hanbox/avatar"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/web"
)

// ProfileJSON is the signed-in agent's own settings: how customers see
// them (name, signature) and how Hanbox tells them of things.
type ProfileJSON struct {
	Name          string   `json:"name"`
	Locale        string   `json:"locale"`
	Signature     string   `json:"signature"`
	SignatureMode string   `json:"signature_mode"`
	NotifyDesktop bool     `json:"notify_desktop"`
	NotifySound   bool     `json:"notify_sound"`
	NotifyOn      []string `json:"notify_on"`
	// AvatarURL is the agent's avatar ("" for none: initials are shown).
	AvatarURL string `json:"avatar_url"`
}

func profileJSON(a *store.Agent) ProfileJSON {
	return ProfileJSON{Name: a.Name, Locale: a.Locale, Signature: a.Signature, SignatureMode: a.SignatureMode,
		NotifyDesktop: a.NotifyDesktop, NotifySound: a.NotifySound, NotifyOn: NotifyKindsOf(a), AvatarURL: avatar.Path(a.AvatarSum)}
}

// NotifyKindsOf returns the notification kinds agent a chose, in the order
// of store.NotifyKinds.
func NotifyKindsOf(a *store.Agent) []string {
	out := []string{}
	for _, k := range store.NotifyKinds {
		if slices.Contains(strings.Split(a.NotifyOn, ","), k) {
			out = append(out, k)
		}
	}
	return out
}

// ProfileBody changes the signed-in agent's own settings; absent fields
// stay as they are.
type ProfileBody struct {
	Name          *string   `json:"name"`
	Locale        *string   `json:"locale"`
	Signature     *string   `json:"signature"`
	SignatureMode *string   `json:"signature_mode"`
	NotifyDesktop *bool     `json:"notify_desktop"`
	NotifySound   *bool     `json:"notify_sound"`
	NotifyOn      *[]string `json:"notify_on"`
}

// maxSignature bounds a signature (bytes).
const maxSignature = 2000

func (a *API) getMyProfile(w http.ResponseWriter, r *http.Request) (int, any, error) {
	ag, err := a.Store.UpdateAgentProfile(r.Context(), principal(r).Agent.ID, store.AgentProfile{})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, profileJSON(ag), nil
}

func (a *API) patchMyProfile(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b ProfileBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	var f web.Fields
	var p store.AgentProfile
	if b.Name != nil {
		name := strings.TrimSpace(f.Line("name", *b.Name, maxName))
		f.Require("name", name)
		p.Name = &name
	}
	if b.Locale != nil {
		l := f.Line("locale", *b.Locale, maxKind)
		if l != "" && l != "ko" && l != "en" {
			return 0, nil, errf(http.StatusBadRequest, "bad_locale", "locale must be ko, en or empty").With("field", "locale")
		}
		p.Locale = &l
	}
	if b.Signature != nil {
		s := strings.TrimSpace(f.Text("signature", *b.Signature, maxSignature))
		p.Signature = &s
	}
	if b.SignatureMode != nil {
		m := *b.SignatureMode
		if m != "" && m != store.SignatureAll && m != store.SignatureEmail {
			return 0, nil, errf(http.StatusBadRequest, "bad_signature_mode", "signature_mode must be all, email or empty").With("field", "signature_mode")
		}
		p.SignatureMode = &m
	}
	p.NotifyDesktop, p.NotifySound = b.NotifyDesktop, b.NotifySound
	if b.NotifyOn != nil {
		var kinds []string
		for _, k := range *b.NotifyOn {
			if !slices.Contains(store.NotifyKinds, k) {
				return 0, nil, errf(http.StatusBadRequest, "bad_notify_kind", "notify_on: unknown kind %q", k).With("field", "notify_on")
			}
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
		on := strings.Join(kinds, ",")
		p.NotifyOn = &on
	}
	if err := f.Err(); err != nil {
		return 0, nil, err
	}
	ag, err := a.Store.UpdateAgentProfile(r.Context(), principal(r).Agent.ID, p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, profileJSON(ag), nil
}

func (a *API) markRead(w http.ResponseWriter, r *http.Request) (int, any, error) {
	t, err := a.ticketParam(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.Store.MarkRead(r.Context(), principal(r).Agent.ID, t.ID, time.Now()); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

func (a *API) patchSavedReply(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	name, body, err := savedReplyBody(w, r)
	if err != nil {
		return 0, nil, err
	}
	sr := store.SavedReply{ID: id, Name: name, Body: body}
	if err := a.Store.UpdateSavedReply(r.Context(), &sr); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"id": sr.ID, "name": sr.Name, "body": sr.Body}, nil
}

func notifySchemas() map[string]any {
	str := map[string]any{"type": "string"}
	b := map[string]any{"type": "boolean"}
	kinds := map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": []any{"new_ticket", "assigned", "replied", "mention"}},
		"description": "what to notify of: a new ticket filed to one of my teams, a ticket assigned to me, a customer's reply on my ticket, a mention in a note"}
	mode := map[string]any{"type": "string", "enum": []any{"", "all", "email"}, "description": "add the signature to every reply (all), to email replies only (email), or never (empty)"}
	profile := map[string]any{"name": str, "locale": map[string]any{"type": "string", "enum": []any{"", "ko", "en"}}, "signature": str,
		"signature_mode": mode, "notify_desktop": b, "notify_sound": b, "notify_on": kinds}
	own := maps.Clone(profile)
	own["avatar_url"] = map[string]any{"type": "string", "description": "the avatar (GET, no session; empty for none): change it with PUT /agents/me/avatar"}
	return map[string]any{
		"AgentProfile": map[string]any{"type": "object", "properties": own, "description": "The signed-in agent's own settings."},
		"AgentProfilePatch": map[string]any{"type": "object", "properties": profile,
			"description": "Change your own settings; absent fields stay. name is shown to customers; the signature is added below your replies per signature_mode; desktop notifications and sound are opt-in."},
		"Note": map[string]any{"type": "object", "properties": map[string]any{"text": str, "attachments": map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
			"mentions": map[string]any{"type": "array", "items": map[string]any{"type": "integer"}, "description": "ids of the agents the note mentions (@name): each sees the ticket in their mentions view (GET /tickets?mentions=me) and is notified; at most 50"}}},
		"SavedReplyPatch": map[string]any{"type": "object", "properties": map[string]any{"name": str, "body": str},
			"description": "Replace a saved reply's name and body; the body may use {{contact.name}} (a configured word such as 고객 when the customer gave no name) and {{agent.name}}."},
	}
}
