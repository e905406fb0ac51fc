package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store/storetest"
)

type slaPolicyOut struct {
	ID                   int64  `json:"id"`
	Name                 string `json:"name"`
	Priority             string `json:"priority"`
	TeamID               *int64 `json:"team_id"`
	FirstResponseMinutes int64  `json:"first_response_minutes"`
	ResolutionMinutes    int64  `json:"resolution_minutes"`
	WarnPercent          int64  `json:"warn_percent"`
	WarnMinutes          int64  `json:"warn_minutes"`
	Enabled              bool   `json:"enabled"`
}

type slaTicketOut struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	SLA       *struct {
		PolicyID           int64      `json:"policy_id"`
		FirstResponseDueAt *time.Time `json:"first_response_due_at"`
		ResolutionDueAt    *time.Time `json:"resolution_due_at"`
		DueAt              *time.Time `json:"due_at"`
		State              string     `json:"state"`
		Targets            []struct {
			Target string `json:"target"`
			State  string `json:"state"`
		} `json:"targets"`
	} `json:"sla"`
}

// TestSLAPoliciesAPI: admins create, read, replace and delete SLA policies
// (agents only read); a new ticket gets the policy's due times on its JSON
// (applied by the durable SLA consumer), a priority change applies the
// more specific policy, and the ticket list sorts by the soonest due time.
func TestSLAPoliciesAPI(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			e.apiChannel()
			e.call("POST", "/api/v1/agents", e.admin, map[string]any{"email": "lee@example.com", "name": "이상담", "password": "lee password 1"}, 201, nil)
			var login struct {
				Token string `json:"token"`
			}
			e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "lee@example.com", "password": "lee password 1"}, 200, &login)
			lee := login.Token

			var ae apiError
			e.call("POST", "/api/v1/sla-policies", lee, map[string]any{"name": "x", "first_response_minutes": 10}, 403, &ae)
			e.call("POST", "/api/v1/sla-policies", e.admin, map[string]any{"name": "목표 없음"}, 422, &ae)
			if ae.Error.Reason != "sla_target" {
				t.Fatalf("no target: %+v", ae)
			}
			e.call("POST", "/api/v1/sla-policies", e.admin, map[string]any{"name": "x", "first_response_minutes": 10, "warn_percent": 120}, 422, &ae)
			if ae.Error.Reason != "sla_warning" {
				t.Fatalf("bad percent: %+v", ae)
			}
			e.call("POST", "/api/v1/sla-policies", e.admin, map[string]any{"name": "x", "first_response_minutes": 10, "team_id": 999}, 422, &ae)

			var std slaPolicyOut
			e.call("POST", "/api/v1/sla-policies", e.admin, map[string]any{"name": "기본", "first_response_minutes": 60, "resolution_minutes": 480}, 201, &std)
			if std.ID == 0 || std.WarnPercent != 80 || !std.Enabled || std.Priority != "" || std.TeamID != nil {
				t.Fatalf("created = %+v", std)
			}
			var urgent slaPolicyOut
			e.call("POST", "/api/v1/sla-policies", e.admin, map[string]any{"name": "긴급", "priority": "urgent", "first_response_minutes": 15,
				"resolution_minutes": 120, "warn_minutes": 5, "enabled": false}, 201, &urgent)
			path := fmt.Sprintf("/api/v1/sla-policies/%d", urgent.ID)
			e.call("PUT", path, e.admin, map[string]any{"name": "긴급 (업무시간)", "priority": "urgent", "first_response_minutes": 30,
				"resolution_minutes": 240, "warn_minutes": 5}, 200, &urgent)
			if urgent.Name != "긴급 (업무시간)" || urgent.FirstResponseMinutes != 30 || !urgent.Enabled || urgent.WarnMinutes != 5 {
				t.Fatalf("replaced = %+v", urgent)
			}
			var got slaPolicyOut
			e.call("GET", path, lee, nil, 200, &got)
			if got != urgent {
				t.Fatalf("get = %+v, want %+v", got, urgent)
			}
			var list struct {
				Items []slaPolicyOut `json:"items"`
			}
			e.call("GET", "/api/v1/sla-policies", lee, nil, 200, &list)
			if len(list.Items) != 2 || list.Items[0].ID != std.ID || list.Items[1].ID != urgent.ID {
				t.Fatalf("list = %+v", list)
			}
			e.call("PUT", "/api/v1/sla-policies/9999", e.admin, map[string]any{"name": "x", "first_response_minutes": 1}, 404, nil)

			waitSLA := func(id, what string, ok func(slaTicketOut) bool) slaTicketOut {
				t.Helper()
				// The SLA consumer publishes ticket.sla once it applied a policy.
				var tk slaTicketOut
				e.waitEvents(t, what, func() bool {
					tk = slaTicketOut{}
					e.call("GET", "/api/v1/tickets/"+id, lee, nil, 200, &tk)
					return ok(tk)
				})
				return tk
			}
			first := e.ingest(map[string]any{"external_id": "m1", "contact": map[string]any{"external_id": "c1"}, "text": "환불 문의"})
			tk := waitSLA(first, "the default policy", func(tk slaTicketOut) bool { return tk.SLA != nil && tk.SLA.PolicyID == std.ID })
			if !tk.SLA.FirstResponseDueAt.Equal(tk.CreatedAt.Add(time.Hour)) || !tk.SLA.ResolutionDueAt.Equal(tk.CreatedAt.Add(8*time.Hour)) ||
				!tk.SLA.DueAt.Equal(*tk.SLA.FirstResponseDueAt) || tk.SLA.State != "" || len(tk.SLA.Targets) != 2 || tk.SLA.Targets[0].State != "running" {
				t.Fatalf("sla of a new ticket = %+v", tk.SLA)
			}
			second := e.ingest(map[string]any{"external_id": "m2", "contact": map[string]any{"external_id": "c2"}, "text": "배송 문의"})
			waitSLA(second, "the default policy", func(tk slaTicketOut) bool { return tk.SLA != nil && tk.SLA.PolicyID == std.ID })
			// Urgent: the priority policy applies and its due time comes first.
			e.call("PATCH", "/api/v1/tickets/"+second, lee, map[string]any{"priority": "urgent"}, 200, nil)
			tk = waitSLA(second, "the urgent policy", func(tk slaTicketOut) bool { return tk.SLA != nil && tk.SLA.PolicyID == urgent.ID })
			if !tk.SLA.FirstResponseDueAt.Equal(tk.CreatedAt.Add(30 * time.Minute)) {
				t.Fatalf("urgent sla = %+v", tk.SLA)
			}
			var page struct {
				Items []slaTicketOut `json:"items"`
			}
			e.call("GET", "/api/v1/tickets?sort=due", lee, nil, 200, &page)
			if len(page.Items) != 2 || page.Items[0].ID != second || page.Items[1].ID != first {
				t.Fatalf("due order: %+v", page.Items)
			}
			e.call("GET", "/api/v1/tickets", lee, nil, 200, &page)
			if len(page.Items) != 2 || page.Items[0].ID != second {
				t.Fatalf("recent order: %+v", page.Items)
			}
			ae = apiError{}
			e.call("GET", "/api/v1/tickets?sort=oldest", lee, nil, 400, &ae)
			if ae.Error.Code != "bad_sort" {
				t.Fatalf("bad sort: %+v", ae)
			}

			e.call("DELETE", path, lee, nil, 403, nil)
			e.call("DELETE", path, e.admin, nil, 200, nil)
			e.call("GET", path, e.admin, nil, 404, nil)

			resp := e.raw("GET", "/api/v1/openapi.json", "", "", nil)
			var doc struct {
				Paths map[string]map[string]any `json:"paths"`
			}
			if err := json.Unmarshal(resp.body, &doc); err != nil {
				t.Fatal(err)
			}
			for p, methods := range map[string][]string{"/sla-policies": {"get", "post"}, "/sla-policies/{id}": {"get", "put", "delete"}} {
				for _, m := range methods {
					if doc.Paths[p][m] == nil {
						t.Fatalf("openapi lacks %s %s", m, p)
					}
				}
			}
			for _, s := range []string{"sla.warning", "sla.breached", `"TicketSLA"`, `"SLAChanges"`, "sort (recent"} {
				if !strings.Contains(string(resp.body), s) {
					t.Fatalf("openapi lacks %s", s)
				}
			}
		})
	}
}
