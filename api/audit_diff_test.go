package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/store/storetest"
)

// TestAuditBeforeAfter: the main admin writes (a channel, an agent, a team,
// a rule, a channel's CSAT setting, a delete) record the fields they
// changed, before and after, with secrets redacted.
func TestAuditBeforeAfter(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			const secret = "rule-webhook-SECRET-42"
			var ch struct {
				Channel struct {
					ID int64 `json:"id"`
				} `json:"channel"`
			}
			e.call("POST", "/api/v1/channels", e.admin, map[string]any{"kind": "api", "name": "쇼핑몰"}, 201, &ch)
			cid := fmt.Sprint(ch.Channel.ID)
			e.call("PATCH", "/api/v1/channels/"+cid, e.admin, map[string]any{"name": "쇼핑몰 API"}, 200, nil)
			var ag struct {
				ID int64 `json:"id"`
			}
			e.call("POST", "/api/v1/agents", e.admin, map[string]any{"email": "lee@example.com", "name": "이상담", "password": "lee password 1"}, 201, &ag)
			e.call("PATCH", fmt.Sprint("/api/v1/agents/", ag.ID), e.admin, map[string]any{"role": "admin", "chat_cap": 5}, 200, nil)
			var team teamOut
			e.call("POST", "/api/v1/teams", e.admin, map[string]any{"name_ko": "결제팀", "name_en": "Billing"}, 201, &team)
			e.call("PATCH", fmt.Sprint("/api/v1/teams/", team.ID), e.admin, map[string]any{"name_en": "Payments"}, 200, nil)
			e.call("PUT", fmt.Sprint("/api/v1/teams/", team.ID, "/members/", ag.ID), e.admin, nil, 200, nil)
			rule := map[string]any{"name": "VIP", "trigger": "ticket_created", "match": "all",
				"conditions": []map[string]any{{"field": "text", "op": "contains", "value": "결제"}},
				"actions":    []map[string]any{{"type": "webhook", "target": "https://hooks.example.com/x", "secret": secret}}}
			var rl struct {
				ID int64 `json:"id"`
			}
			e.call("POST", "/api/v1/rules", e.admin, rule, 201, &rl)
			rule["name"] = "VIP 고객"
			e.call("PUT", fmt.Sprint("/api/v1/rules/", rl.ID), e.admin, rule, 200, nil)
			e.call("PUT", "/api/v1/channels/"+cid+"/csat", e.admin, map[string]any{"enabled": true, "delay_seconds": 60}, 200, nil)
			e.call("DELETE", fmt.Sprint("/api/v1/rules/", rl.ID), e.admin, nil, 200, nil)

			var all auditList
			raw := e.call("GET", "/api/v1/audit?limit=500", e.admin, nil, 200, &all)
			if strings.Contains(string(raw.body), secret) {
				t.Fatal("a secret is in the audit log")
			}
			diff := func(action string) (map[string]any, map[string]any) {
				t.Helper()
				for _, it := range all.Items {
					if it.Action == action {
						b, _ := it.Changes["before"].(map[string]any)
						a, _ := it.Changes["after"].(map[string]any)
						return b, a
					}
				}
				t.Fatalf("no %s entry", action)
				return nil, nil
			}
			for _, c := range []struct {
				action, field string
				before, after any
			}{
				{"channels.update", "name", "쇼핑몰", "쇼핑몰 API"},
				{"agents.update", "role", "agent", "admin"},
				{"agents.update", "chat_cap", 3.0, 5.0},
				{"teams.update", "name_en", "Billing", "Payments"},
				{"rules.set", "name", "VIP", "VIP 고객"},
				{"channels.csat.set", "enabled", false, true},
				{"rules.delete", "name", "VIP 고객", nil},
			} {
				b, a := diff(c.action)
				if fmt.Sprint(b[c.field]) != fmt.Sprint(c.before) || fmt.Sprint(a[c.field]) != fmt.Sprint(c.after) && c.after != nil {
					js, _ := json.Marshal(map[string]any{"before": b, "after": a})
					t.Errorf("%s %s: %s", c.action, c.field, js)
				}
				if c.after == nil && a != nil && len(a) > 0 {
					t.Errorf("%s: a delete has an after: %v", c.action, a)
				}
				if _, same := b["id"]; same && c.after != nil {
					t.Errorf("%s: unchanged field id recorded", c.action)
				}
			}
			// Adding a member changes the team's member list.
			if b, a := diff("teams.members.set"); fmt.Sprint(b["members"]) == fmt.Sprint(a["members"]) || !strings.Contains(fmt.Sprint(a["members"]), "lee@example.com") {
				t.Errorf("team member add: %v → %v", b, a)
			}
		})
	}
}
