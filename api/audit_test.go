package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

type auditOut struct {
	ID         int64          `json:"id"`
	ActorID    *int64         `json:"actor_id"`
	ActorEmail string         `json:"actor_email"`
	Action     string         `json:"action"`
	TargetType string         `json:"target_type"`
	TargetID   string         `json:"target_id"`
	RemoteIP   string         `json:"remote_ip"`
	UserAgent  string         `json:"user_agent"`
	Changes    map[string]any `json:"changes"`
}

type auditList struct {
	Items   []auditOut `json:"items"`
	Actions []string   `json:"actions"`
}

// TestAuditLog: admin actions (channels, agents, password reset, tokens,
// webhooks, exports), sign-ins and failed sign-ins are recorded with who,
// from where and what was asked; filters and the CSV export work; and no
// secret (passwords, channel secrets, tokens, webhook secrets, bearer
// tokens) appears anywhere in the log.
func TestAuditLog(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			const (
				wrongPassword = "wrong horse battery staple 9"
				chanSecret    = "chan-secret-XYZ-123"
				agentPassword = "agent-pass-SECRET-1"
				resetPassword = "reset-pass-SECRET-2"
				newAdminPass  = "new admin pass SECRET-3"
			)
			secrets := []string{adminPassword, wrongPassword, chanSecret, agentPassword, resetPassword, newAdminPass, e.admin}

			e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "admin@example.com", "password": wrongPassword}, 401, nil)
			var ch struct {
				Channel struct {
					ID int64 `json:"id"`
				} `json:"channel"`
				Token string `json:"token"`
			}
			e.call("POST", "/api/v1/channels", e.admin, map[string]any{"kind": "api", "name": "쇼핑몰",
				"secrets": map[string]any{"webhook_secret": chanSecret}}, 201, &ch)
			secrets = append(secrets, ch.Token)
			var rotated struct {
				Token string `json:"token"`
			}
			e.call("POST", fmt.Sprintf("/api/v1/channels/%d/token", ch.Channel.ID), e.admin, nil, 200, &rotated)
			secrets = append(secrets, rotated.Token)
			var ag struct {
				ID int64 `json:"id"`
			}
			e.call("POST", "/api/v1/agents", e.admin, map[string]any{"email": "lee@example.com", "name": "이상담", "role": "agent", "password": agentPassword}, 201, &ag)
			e.call("PATCH", fmt.Sprintf("/api/v1/agents/%d", ag.ID), e.admin, map[string]any{"password": resetPassword}, 200, nil)
			e.call("PATCH", fmt.Sprintf("/api/v1/agents/%d", ag.ID), e.admin, map[string]any{"name": "이상담 팀장"}, 200, nil)
			var tok struct {
				Token string `json:"token"`
			}
			e.call("POST", "/api/v1/tokens", e.admin, map[string]any{"name": "CI"}, 201, &tok)
			secrets = append(secrets, tok.Token)
			var sub struct {
				ID     int64  `json:"id"`
				Secret string `json:"secret"`
			}
			e.call("POST", "/api/v1/webhooks", e.admin, map[string]any{"url": "https://hooks.example.com/h", "events": []string{"ticket.created"}}, 201, &sub)
			var regen struct {
				Secret string `json:"secret"`
			}
			e.call("POST", fmt.Sprintf("/api/v1/webhooks/%d/secret", sub.ID), e.admin, nil, 200, &regen)
			secrets = append(secrets, sub.Secret, regen.Secret)
			e.raw("GET", "/api/v1/surveys/export.csv?kind=csat", e.admin, "", nil)
			e.call("POST", "/api/v1/auth/password", e.admin, map[string]any{"current": adminPassword, "new": newAdminPass}, 200, nil)
			// A refused admin write changes nothing and is not an entry.
			e.call("POST", "/api/v1/webhooks", e.admin, map[string]any{"url": "http://hooks.example.com/h", "events": []string{"ticket.created"}}, 422, nil)

			var all auditList
			e.call("GET", "/api/v1/audit?limit=500", e.admin, nil, 200, &all)
			byAction := map[string][]auditOut{}
			for _, it := range all.Items {
				byAction[it.Action] = append(byAction[it.Action], it)
			}
			for _, want := range []string{"auth.login", "auth.login_failed", "channels.create", "channels.token", "agents.create",
				"agents.password_reset", "agents.update", "tokens.create", "webhooks.create", "webhooks.secret", "surveys.export", "auth.password_change"} {
				if len(byAction[want]) == 0 {
					t.Errorf("no %s entry; actions: %v", want, all.Actions)
				}
			}
			if n := len(byAction["webhooks.create"]); n != 1 {
				t.Errorf("%d webhooks.create entries, want 1 (the refused one is not recorded)", n)
			}
			failed := byAction["auth.login_failed"][0]
			if failed.ActorID != nil || failed.ActorEmail != "admin@example.com" || failed.Changes["reason"] == nil || failed.RemoteIP != "127.0.0.1" {
				t.Errorf("failed sign-in %+v", failed)
			}
			created := byAction["channels.create"][0]
			if created.ActorID == nil || *created.ActorID != e.adminID || created.TargetType != "channels" ||
				created.TargetID != fmt.Sprint(ch.Channel.ID) || !strings.Contains(created.UserAgent, "Go-http-client") {
				t.Errorf("channel create %+v", created)
			}
			req, _ := created.Changes["request"].(map[string]any)
			if req["name"] != "쇼핑몰" || req["secrets"] != "[redacted]" {
				t.Errorf("channel create changes %v", created.Changes)
			}
			if reset := byAction["agents.password_reset"][0]; reset.TargetID != fmt.Sprint(ag.ID) {
				t.Errorf("password reset %+v", reset)
			}
			if exp := byAction["surveys.export"][0]; fmt.Sprint(exp.Changes["query"]) != "map[kind:[csat]]" {
				t.Errorf("export %+v", exp)
			}

			// No secret anywhere: not in the API's answer, not in the rows,
			// not in the CSV.
			var rows []store.AuditEntry
			if err := e.srv.Store.DB.Find(&rows).Error; err != nil {
				t.Fatal(err)
			}
			dump, _ := json.Marshal(rows)
			csv := e.raw("GET", "/api/v1/audit/export.csv", e.admin, "", nil)
			listed := e.raw("GET", "/api/v1/audit?limit=500", e.admin, "", nil)
			for _, s := range secrets {
				if s == "" {
					t.Fatal("a secret is empty: the test lost one")
				}
				for where, text := range map[string]string{"rows": string(dump), "csv": string(csv.body), "api": string(listed.body)} {
					if strings.Contains(text, s) {
						t.Errorf("secret %q appears in the audit log (%s)", s, where)
					}
				}
			}
			if !strings.HasPrefix(string(csv.body), "\ufeffid,at,actor_id") || !strings.Contains(string(csv.body), "쇼핑몰") ||
				csv.header.Get("Content-Type") != "text/csv; charset=utf-8" {
				t.Errorf("csv: %q", csv.body)
			}

			// Filters.
			var f auditList
			e.call("GET", "/api/v1/audit?action=auth.login_failed", e.admin, nil, 200, &f)
			if len(f.Items) != 1 || f.Items[0].Action != "auth.login_failed" {
				t.Errorf("action filter: %+v", f.Items)
			}
			e.call("GET", "/api/v1/audit?action=channels.", e.admin, nil, 200, &f)
			for _, it := range f.Items {
				if !strings.HasPrefix(it.Action, "channels.") {
					t.Errorf("prefix filter returned %s", it.Action)
				}
			}
			if len(f.Items) != 2 {
				t.Errorf("prefix filter: %d entries, want channels.create and channels.token", len(f.Items))
			}
			e.call("GET", fmt.Sprintf("/api/v1/audit?actor=%d", ag.ID), e.admin, nil, 200, &f)
			if len(f.Items) != 0 {
				t.Errorf("the agent did nothing, yet %d entries", len(f.Items))
			}
			tomorrow := time.Now().In(time.FixedZone("KST", 9*3600)).AddDate(0, 0, 1).Format(time.DateOnly)
			e.call("GET", "/api/v1/audit?from="+tomorrow, e.admin, nil, 200, &f)
			if len(f.Items) != 0 {
				t.Errorf("from tomorrow: %d entries", len(f.Items))
			}
			e.call("GET", "/api/v1/audit?to="+tomorrow, e.admin, nil, 200, &f)
			if len(f.Items) == 0 {
				t.Error("to tomorrow: nothing")
			}
			e.call("GET", "/api/v1/audit?from=yesterday", e.admin, nil, 400, nil)

			// Agents cannot read it.
			var login struct {
				Token string `json:"token"`
			}
			e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "lee@example.com", "password": resetPassword}, 200, &login)
			e.call("GET", "/api/v1/audit", login.Token, nil, 403, nil)
			e.call("GET", "/api/v1/audit/export.csv", login.Token, nil, 403, nil)

			var doc struct {
				Paths map[string]map[string]any `json:"paths"`
			}
			e.call("GET", "/api/v1/openapi.json", "", nil, 200, &doc)
			if doc.Paths["/audit"] == nil || doc.Paths["/audit/export.csv"] == nil {
				t.Fatal("openapi lacks the audit endpoints")
			}
		})
	}
}
