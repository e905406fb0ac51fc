package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/hanbox/hanbox/store/storetest"
)

type ruleOut struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Position   int    `json:"position"`
	Enabled    bool   `json:"enabled"`
	StopAfter  bool   `json:"stop_after"`
	Trigger    string `json:"trigger"`
	Match      string `json:"match"`
	Conditions []struct {
		Field, Op, Value string
	} `json:"conditions"`
	Actions []struct {
		Type      string `json:"type"`
		Value     string `json:"value"`
		Target    string `json:"target"`
		Secret    string `json:"secret"`
		HasSecret bool   `json:"has_secret"`
	} `json:"actions"`
}

// TestRulesAPI: admins create, read, replace, reorder, dry-run and delete
// rules; agents cannot; invalid rules are refused with a reason; a saved
// rule tags and files new tickets through the durable consumer; secrets
// are never shown; the OpenAPI document lists the endpoints.
func TestRulesAPI(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			e.apiChannel()
			e.call("POST", "/api/v1/agents", e.admin, map[string]any{"email": "lee@example.com", "name": "이상담", "password": "lee password 1"}, 201, nil)
			var login struct {
				Token string `json:"token"`
			}
			e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "lee@example.com", "password": "lee password 1"}, 200, &login)
			var team teamOut
			e.call("POST", "/api/v1/teams", e.admin, map[string]any{"name_ko": "결제팀", "name_en": "Billing"}, 201, &team)

			body := map[string]any{"name": "VIP → 결제팀", "trigger": "ticket_created", "match": "any",
				"conditions": []map[string]any{{"field": "text", "op": "contains", "value": "결제"}, {"field": "email_domain", "op": "is", "value": "vip.example"}},
				"actions": []map[string]any{{"type": "add_tag", "value": "vip"}, {"type": "assign_team", "value": fmt.Sprint(team.ID)},
					{"type": "webhook", "target": "https://hooks.example.com/x", "secret": "0123456789abcdef"}}}
			var ae apiError
			e.call("POST", "/api/v1/rules", login.Token, body, 403, &ae)
			e.call("GET", "/api/v1/rules", login.Token, nil, 403, &ae)
			e.call("POST", "/api/v1/rules", e.admin, map[string]any{"name": "x", "trigger": "someday", "actions": body["actions"]}, 422, &ae)
			if ae.Error.Reason != "rule_trigger" {
				t.Fatalf("bad trigger: %+v", ae)
			}
			var r ruleOut
			e.call("POST", "/api/v1/rules", e.admin, body, 201, &r)
			if r.ID == 0 || !r.Enabled || r.Position != 1 || r.Match != "any" || len(r.Conditions) != 2 || len(r.Actions) != 3 {
				t.Fatalf("created = %+v", r)
			}
			if r.Actions[2].Secret != "" || !r.Actions[2].HasSecret {
				t.Fatalf("webhook action shown as %+v", r.Actions[2])
			}

			// A new ticket about 결제 is tagged and filed by the consumer.
			pid := e.ingest(map[string]any{"external_id": "r1", "contact": map[string]any{"external_id": "c1"}, "text": "결제가 두 번 됐어요"})
			// The rule's changes are ordinary ticket events, published as the
			// consumer commits them.
			e.waitEvents(t, "the ticket tagged and filed", func() bool {
				var tk struct {
					Tags   []string `json:"tags"`
					TeamID *int64   `json:"team_id"`
				}
				e.call("GET", "/api/v1/tickets/"+pid, e.admin, nil, 200, &tk)
				return slices.Contains(tk.Tags, "vip") && tk.TeamID != nil && *tk.TeamID == team.ID
			})
			other := e.ingest(map[string]any{"external_id": "r2", "contact": map[string]any{"external_id": "c2"}, "text": "배송 문의"})

			// Dry run: only the 결제 ticket matches; nothing changes.
			var dry struct {
				Tried   int `json:"tried"`
				Matched int `json:"matched"`
				Items   []struct {
					PublicID string `json:"public_id"`
					Matched  bool   `json:"matched"`
					Effects  []struct {
						Type   string `json:"type"`
						Noop   bool   `json:"noop"`
						Secret string `json:"secret"`
					} `json:"effects"`
				} `json:"items"`
			}
			dryBody := map[string]any{"name": "미리보기", "trigger": "customer_message",
				"conditions": []map[string]any{{"field": "text", "op": "contains", "value": "결제"}},
				"actions":    []map[string]any{{"type": "add_tag", "value": "vip"}, {"type": "set_priority", "value": "urgent"}}}
			e.call("POST", "/api/v1/rules/dry-run", e.admin, map[string]any{"rule": dryBody, "limit": 10}, 200, &dry)
			if dry.Tried != 2 || dry.Matched != 1 {
				t.Fatalf("dry run = %+v", dry)
			}
			for _, it := range dry.Items {
				if it.Matched != (it.PublicID == pid) {
					t.Fatalf("dry run item %+v", it)
				}
				if it.Matched && (len(it.Effects) != 2 || !it.Effects[0].Noop || it.Effects[1].Noop) {
					t.Fatalf("effects = %+v (the tag is there already, the priority is not)", it.Effects)
				}
			}
			var tk struct {
				Priority string `json:"priority"`
				Tags     []string
			}
			e.call("GET", "/api/v1/tickets/"+pid, e.admin, nil, 200, &tk)
			if tk.Priority == "urgent" {
				t.Fatal("the dry run changed the ticket")
			}
			_ = other

			// Replace (the secret stays), a second rule, reorder, disable.
			body["name"] = "VIP 결제"
			body["stop_after"] = true
			body["actions"] = []map[string]any{{"type": "add_tag", "value": "vip"}, {"type": "webhook", "target": "https://hooks.example.com/x"}}
			path := fmt.Sprintf("/api/v1/rules/%d", r.ID)
			e.call("PUT", path, e.admin, body, 200, &r)
			if r.Name != "VIP 결제" || !r.StopAfter || len(r.Actions) != 2 || !r.Actions[1].HasSecret {
				t.Fatalf("replaced = %+v", r)
			}
			var r2 ruleOut
			e.call("POST", "/api/v1/rules", e.admin, map[string]any{"name": "둘째", "enabled": false, "trigger": "agent_reply",
				"actions": []map[string]any{{"type": "add_note", "value": "답장함"}}}, 201, &r2)
			if r2.Enabled || r2.Position != 2 {
				t.Fatalf("second = %+v", r2)
			}
			var list struct {
				Items []ruleOut `json:"items"`
			}
			e.call("POST", "/api/v1/rules/order", e.admin, map[string]any{"ids": []int64{r2.ID}}, 422, &ae)
			e.call("POST", "/api/v1/rules/order", e.admin, map[string]any{"ids": []int64{r2.ID, r.ID}}, 200, &list)
			if len(list.Items) != 2 || list.Items[0].ID != r2.ID || list.Items[1].ID != r.ID {
				t.Fatalf("order = %+v", list)
			}
			e.call("GET", path, e.admin, nil, 200, &r)
			e.call("DELETE", path, e.admin, nil, 200, nil)
			e.call("GET", path, e.admin, nil, 404, &ae)

			resp := e.raw("GET", "/api/v1/openapi.json", "", "", nil)
			var doc struct {
				Paths map[string]map[string]any `json:"paths"`
			}
			if err := json.Unmarshal(resp.body, &doc); err != nil {
				t.Fatal(err)
			}
			for p, methods := range map[string][]string{"/rules": {"get", "post"}, "/rules/{id}": {"get", "put", "delete"},
				"/rules/order": {"post"}, "/rules/dry-run": {"post"}} {
				for _, m := range methods {
					if doc.Paths[p][m] == nil {
						t.Fatalf("openapi lacks %s %s", m, p)
					}
				}
			}
		})
	}
}
