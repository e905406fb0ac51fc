package api

import (
	"net/http"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// RuleJSON is an automation rule. Webhook secrets are never shown:
// has_secret says one is set.
type RuleJSON struct {
	ID           int64                 `json:"id"`
	Name         string                `json:"name"`
	Position     int                   `json:"position"`
	Enabled      bool                  `json:"enabled"`
	StopAfter    bool                  `json:"stop_after"`
	Trigger      string                `json:"trigger"`
	TriggerHours int                   `json:"trigger_hours,omitempty"`
	Match        string                `json:"match"`
	Conditions   []store.RuleCondition `json:"conditions"`
	Actions      []RuleActionJSON      `json:"actions"`
	CreatedAt    time.Time             `json:"created_at"`
	UpdatedAt    time.Time             `json:"updated_at"`
}

// RuleActionJSON is one action of a rule as the API shows it.
type RuleActionJSON struct {
	Type      string `json:"type"`
	Value     string `json:"value,omitempty"`
	ChannelID int64  `json:"channel_id,omitempty"`
	Target    string `json:"target,omitempty"`
	HasSecret bool   `json:"has_secret,omitempty"`
}

// RuleBody creates (POST) or replaces (PUT) a rule. On PUT a webhook
// action without a secret keeps the secret it had for the same URL.
type RuleBody struct {
	Name         string                `json:"name"`
	Enabled      *bool                 `json:"enabled"`
	StopAfter    bool                  `json:"stop_after"`
	Trigger      string                `json:"trigger"`
	TriggerHours int                   `json:"trigger_hours"`
	Match        string                `json:"match"`
	Conditions   []store.RuleCondition `json:"conditions"`
	Actions      []store.RuleAction    `json:"actions"`
}

// RuleOrderBody sets the evaluation order: every rule id once.
type RuleOrderBody struct {
	IDs []int64 `json:"ids"`
}

// RuleDryRunBody is an unsaved rule and how many recent tickets to try
// it on (default 50, at most 200).
type RuleDryRunBody struct {
	Rule  RuleBody `json:"rule"`
	Limit int      `json:"limit"`
}

func (b *RuleBody) input() inbox.RuleInput {
	on := b.Enabled == nil || *b.Enabled
	return inbox.RuleInput{Name: b.Name, Enabled: on, StopAfter: b.StopAfter, Trigger: b.Trigger, TriggerHours: b.TriggerHours,
		Match: b.Match, Conditions: b.Conditions, Actions: b.Actions}
}

func ruleJSON(r *store.Rule) RuleJSON {
	out := RuleJSON{ID: r.ID, Name: r.Name, Position: r.Position, Enabled: r.Enabled, StopAfter: r.StopAfter, Trigger: r.Trigger,
		TriggerHours: r.TriggerHours, Match: r.Match, Conditions: r.Conditions, Actions: make([]RuleActionJSON, 0, len(r.Actions)),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if out.Conditions == nil {
		out.Conditions = []store.RuleCondition{}
	}
	for _, a := range r.Actions {
		out.Actions = append(out.Actions, RuleActionJSON{Type: a.Type, Value: a.Value, ChannelID: a.ChannelID, Target: a.Target, HasSecret: a.Secret != ""})
	}
	return out
}

func (a *API) listRules(w http.ResponseWriter, r *http.Request) (int, any, error) {
	rs, err := a.Inbox.Rules(r.Context())
	if err != nil {
		return 0, nil, err
	}
	items := make([]RuleJSON, 0, len(rs))
	for i := range rs {
		items = append(items, ruleJSON(&rs[i]))
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

func (a *API) getRule(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	rule, err := a.Inbox.Rule(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, ruleJSON(rule), nil
}

func (a *API) createRule(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b RuleBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	rule, err := a.Inbox.CreateRule(r.Context(), b.input())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, ruleJSON(rule), nil
}

func (a *API) putRule(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var b RuleBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	rule, err := a.Inbox.UpdateRule(r.Context(), id, b.input())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, ruleJSON(rule), nil
}

func (a *API) deleteRule(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.Inbox.DeleteRule(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

func (a *API) orderRules(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b RuleOrderBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	if err := a.Inbox.ReorderRules(r.Context(), b.IDs); err != nil {
		return 0, nil, err
	}
	return a.listRules(w, r)
}

func (a *API) dryRunRule(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b RuleDryRunBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	res, err := a.Inbox.DryRunRule(r.Context(), b.Rule.input(), b.Limit)
	if err != nil {
		return 0, nil, err
	}
	matched := 0
	for _, x := range res {
		if x.Matched {
			matched++
		}
	}
	return http.StatusOK, map[string]any{"tried": len(res), "matched": matched, "items": res}, nil
}

func ruleSchemas() map[string]any {
	str := map[string]any{"type": "string"}
	i := map[string]any{"type": "integer"}
	b := map[string]any{"type": "boolean"}
	enum := func(vs []string) map[string]any {
		e := make([]any, len(vs))
		for k, v := range vs {
			e[k] = v
		}
		return map[string]any{"type": "string", "enum": e}
	}
	cond := map[string]any{"type": "object", "properties": map[string]any{"field": enum(inbox.RuleFields), "op": enum(inbox.RuleOps), "value": str, "key": str},
		"description": "attribute: key names a contact attribute, value the value it must have (text ignoring case, a number, yes/no, a date YYYY-MM-DD). text and subject take contains/not_contains (Korean-aware, the matching of ticket search), page_url (the widget page the message came from) too; the others is/is_not. " +
			"channel: a channel kind or id; team: a team id, empty for none; business_hours: inside or outside the ticket's team's hours."}
	action := map[string]any{"type": "object", "properties": map[string]any{"type": enum(inbox.RuleActionTypes), "value": str, "channel_id": i,
		"target": str, "secret": str},
		"description": "value: the team/agent/saved reply id, tag, priority, status, hours to snooze, note text or Slack message; " +
			"notify_slack: channel_id (a Slack channel row) and target (a Slack channel id, empty: its notify channel); " +
			"webhook: target (URL) and secret (16+ characters; POST signed X-Hanbox-Signature: t=<unix>,v1=hex HMAC-SHA256(secret, t + \".\" + body))."}
	body := map[string]any{"name": str, "enabled": b, "stop_after": b, "trigger": enum(inbox.RuleTriggers),
		"trigger_hours": map[string]any{"type": "integer", "description": "N of no_customer_reply"}, "match": enum([]string{"all", "any"}),
		"conditions": map[string]any{"type": "array", "items": cond}, "actions": map[string]any{"type": "array", "items": action}}
	rule := map[string]any{"id": i, "position": i, "created_at": str, "updated_at": str}
	for k, v := range body {
		rule[k] = v
	}
	return map[string]any{
		"RuleBody":   map[string]any{"type": "object", "properties": body},
		"Rule":       map[string]any{"type": "object", "properties": rule},
		"RuleList":   map[string]any{"type": "object", "properties": map[string]any{"items": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/Rule"}}}},
		"RuleOrder":  map[string]any{"type": "object", "properties": map[string]any{"ids": map[string]any{"type": "array", "items": i}}},
		"RuleDryRun": map[string]any{"type": "object", "properties": map[string]any{"rule": map[string]any{"$ref": "#/components/schemas/RuleBody"}, "limit": i}},
		"RuleDryRunResult": map[string]any{"type": "object", "properties": map[string]any{"tried": i, "matched": i, "items": map[string]any{"type": "array",
			"items": map[string]any{"type": "object", "properties": map[string]any{"ticket_id": i, "number": i, "public_id": str, "subject": str, "matched": b,
				"effects": map[string]any{"type": "array", "items": map[string]any{"type": "object", "properties": map[string]any{"type": str, "value": str, "noop": b}}}}}}}},
	}
}
