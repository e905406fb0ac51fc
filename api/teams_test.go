package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store/storetest"
)

type teamOut struct {
	ID         int64   `json:"id"`
	NameKo     string  `json:"name_ko"`
	NameEn     string  `json:"name_en"`
	AutoAssign bool    `json:"auto_assign"`
	ChatCap    *int    `json:"chat_cap"`
	CountEmail bool    `json:"count_email"`
	ChannelIDs []int64 `json:"channel_ids"`
	Members    []struct {
		ID           int64  `json:"id"`
		Availability string `json:"availability"`
	} `json:"members"`
	Waiting int64 `json:"waiting"`
}

type ticketOut struct {
	ID       string `json:"id"`
	Team     string `json:"team"`
	TeamID   *int64 `json:"team_id"`
	Assignee *struct {
		ID int64 `json:"id"`
	} `json:"assignee"`
}

// TestTeamsAPI: admins create, change and delete teams and their members
// through the API; agents read them and set their own availability; a
// team with auto-assignment gives its channel's new tickets to its online
// member (through the durable routing consumer), under the cap; the
// ticket list filters by team and "my teams".
func TestTeamsAPI(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			e.apiChannel()
			var agent struct {
				ID int64 `json:"id"`
			}
			e.call("POST", "/api/v1/agents", e.admin, map[string]any{"email": "lee@example.com", "name": "이상담", "password": "lee password 1"}, 201, &agent)
			var login struct {
				Token string `json:"token"`
			}
			e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "lee@example.com", "password": "lee password 1"}, 200, &login)
			lee := login.Token

			var ae apiError
			e.call("POST", "/api/v1/teams", lee, map[string]any{"name_ko": "결제팀"}, 403, &ae)
			e.call("POST", "/api/v1/teams", e.admin, map[string]any{"name_ko": "  "}, 422, &ae)
			if ae.Error.Reason != "team_name" {
				t.Fatalf("empty name: %+v", ae)
			}
			e.call("POST", "/api/v1/teams", e.admin, map[string]any{"name_ko": "결제팀", "chat_cap": 99}, 422, &ae)
			var team teamOut
			e.call("POST", "/api/v1/teams", e.admin, map[string]any{"name_ko": "결제팀", "name_en": "Billing", "auto_assign": true,
				"channel_ids": []int64{e.chanID}, "member_ids": []int64{agent.ID}, "chat_cap": 1}, 201, &team)
			if team.ID == 0 || team.NameKo != "결제팀" || team.NameEn != "Billing" || !team.AutoAssign || team.ChatCap == nil || *team.ChatCap != 1 ||
				fmt.Sprint(team.ChannelIDs) != fmt.Sprint([]int64{e.chanID}) || len(team.Members) != 1 || team.Members[0].Availability != "offline" {
				t.Fatalf("created team = %+v", team)
			}
			path := fmt.Sprintf("/api/v1/teams/%d", team.ID)
			var list struct {
				Items []teamOut `json:"items"`
			}
			e.call("GET", "/api/v1/teams", lee, nil, 200, &list)
			if len(list.Items) != 1 || list.Items[0].ID != team.ID {
				t.Fatalf("list = %+v", list)
			}

			// Offline: the new ticket waits in the team queue.
			first := e.ingest(map[string]any{"external_id": "m1", "contact": map[string]any{"external_id": "c1"}, "text": "환불 문의"})
			var tk ticketOut
			e.call("GET", "/api/v1/tickets/"+first, lee, nil, 200, &tk)
			if tk.TeamID == nil || *tk.TeamID != team.ID || tk.Team != "Billing" || tk.Assignee != nil {
				t.Fatalf("waiting ticket = %+v", tk)
			}
			// Going online (the agent's own choice) drains it to them.
			var me struct {
				Availability string `json:"availability"`
				ChatCap      int    `json:"chat_cap"`
			}
			e.call("PUT", "/api/v1/agents/me/availability", lee, map[string]any{"availability": "busy"}, 422, &ae)
			e.call("PUT", "/api/v1/agents/me/availability", lee, map[string]any{"availability": "online"}, 200, &me)
			if me.Availability != "online" || me.ChatCap != 3 {
				t.Fatalf("me = %+v", me)
			}
			waitTicket := func(id string, what string, ok func(ticketOut) bool) {
				t.Helper()
				deadline := time.Now().Add(60 * time.Second)
				for {
					var got ticketOut
					e.call("GET", "/api/v1/tickets/"+id, lee, nil, 200, &got)
					if ok(got) {
						return
					}
					if time.Now().After(deadline) {
						t.Fatalf("timed out waiting for %s: %+v", what, got)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			waitTicket(first, "assignment when the agent came online", func(t ticketOut) bool { return t.Assignee != nil && t.Assignee.ID == agent.ID })
			// The team cap of 1 keeps the second one waiting, until the cap is raised.
			second := e.ingest(map[string]any{"external_id": "m2", "contact": map[string]any{"external_id": "c2"}, "text": "두 번째"})
			e.call("GET", "/api/v1/teams/"+fmt.Sprint(team.ID), lee, nil, 200, &team)
			if team.Waiting != 1 {
				t.Fatalf("waiting = %d, want 1", team.Waiting)
			}
			e.call("PATCH", path, e.admin, map[string]any{"chat_cap": 0}, 200, &team)
			if team.ChatCap != nil || team.NameKo != "결제팀" || !team.AutoAssign {
				t.Fatalf("patched team = %+v", team)
			}
			waitTicket(second, "assignment after the cap was raised", func(t ticketOut) bool { return t.Assignee != nil && t.Assignee.ID == agent.ID })

			// Views: my teams, one team.
			var page struct {
				Items []ticketOut `json:"items"`
			}
			e.call("GET", "/api/v1/tickets?team=mine", lee, nil, 200, &page)
			if len(page.Items) != 2 {
				t.Fatalf("my teams: %d tickets", len(page.Items))
			}
			e.call("GET", "/api/v1/tickets?team=mine", e.admin, nil, 200, &page)
			if len(page.Items) != 0 {
				t.Fatalf("admin is in no team but sees %d", len(page.Items))
			}
			e.call("GET", fmt.Sprintf("/api/v1/tickets?team=%d", team.ID), e.admin, nil, 200, &page)
			if len(page.Items) != 2 {
				t.Fatalf("team view: %d tickets", len(page.Items))
			}
			e.call("GET", "/api/v1/tickets?team=x", e.admin, nil, 400, &ae)
			var counts map[string]int64
			e.call("GET", "/api/v1/tickets/counts", lee, nil, 200, &counts)
			if counts["my_teams"] != 2 {
				t.Fatalf("counts = %v", counts)
			}

			// Members: remove and add; caps per agent by an admin.
			member := fmt.Sprintf("%s/members/%d", path, agent.ID)
			e.call("DELETE", member, lee, nil, 403, nil)
			e.call("DELETE", member, e.admin, nil, 200, &team)
			if len(team.Members) != 0 {
				t.Fatalf("after remove: %+v", team.Members)
			}
			e.call("PUT", member, e.admin, nil, 200, &team)
			e.call("PUT", fmt.Sprintf("%s/members/%d", path, 9999), e.admin, nil, 422, &ae)
			if len(team.Members) != 1 {
				t.Fatalf("after add: %+v", team.Members)
			}
			e.call("PATCH", fmt.Sprintf("/api/v1/agents/%d", agent.ID), e.admin, map[string]any{"chat_cap": 5}, 200, &me)
			if me.ChatCap != 5 {
				t.Fatalf("cap = %d", me.ChatCap)
			}
			e.call("PATCH", fmt.Sprintf("/api/v1/agents/%d", agent.ID), e.admin, map[string]any{"chat_cap": 0}, 422, &ae)

			// A ticket moves between teams by id, or by name as before.
			var other teamOut
			e.call("POST", "/api/v1/teams", e.admin, map[string]any{"name_ko": "기술지원", "name_en": "Support"}, 201, &other)
			e.call("PATCH", "/api/v1/tickets/"+first, lee, map[string]any{"team_id": other.ID}, 200, &tk)
			if tk.TeamID == nil || *tk.TeamID != other.ID || tk.Team != "Support" {
				t.Fatalf("moved by id: %+v", tk)
			}
			e.call("PATCH", "/api/v1/tickets/"+first, lee, map[string]any{"team": "결제팀"}, 200, &tk)
			if tk.TeamID == nil || *tk.TeamID != team.ID {
				t.Fatalf("moved by name: %+v", tk)
			}
			e.call("PATCH", "/api/v1/tickets/"+first, lee, map[string]any{"team": "없는 팀"}, 422, &ae)
			e.call("PATCH", "/api/v1/tickets/"+first, lee, map[string]any{"team_id": 9999}, 422, &ae)
			tk = ticketOut{}
			e.call("PATCH", "/api/v1/tickets/"+first, lee, map[string]any{"team_id": 0}, 200, &tk)
			if tk.TeamID != nil || tk.Team != "" {
				t.Fatalf("no team: %+v", tk)
			}

			// Business hours: Asia/Seoul unless set; bad spans are refused.
			if team.ID == 0 {
				t.Fatal("no team")
			}
			var hours struct {
				BusinessHours struct {
					TimeZone string                 `json:"time_zone"`
					Weekly   map[string][][2]string `json:"weekly"`
					Holidays []string               `json:"holidays"`
				} `json:"business_hours"`
				OpenNow  bool       `json:"open_now"`
				NextOpen *time.Time `json:"next_open"`
			}
			e.call("GET", path, lee, nil, 200, &hours)
			if hours.BusinessHours.TimeZone != "Asia/Seoul" || !hours.OpenNow || hours.NextOpen != nil {
				t.Fatalf("default hours = %+v", hours)
			}
			e.call("PATCH", path, e.admin, map[string]any{"business_hours": map[string]any{"weekly": map[string]any{"mon": [][]string{{"18:00", "09:00"}}}}}, 422, &ae)
			if ae.Error.Reason != "bad_hours" {
				t.Fatalf("bad span: %+v", ae)
			}
			// Open one minute a week, on a day that is also a holiday: closed now.
			e.call("PATCH", path, e.admin, map[string]any{"business_hours": map[string]any{"time_zone": "Asia/Seoul",
				"weekly": map[string]any{"sun": [][]string{{"03:00", "03:01"}}}, "holidays": []string{"2026-01-01"}}}, 200, &hours)
			if len(hours.BusinessHours.Weekly["sun"]) != 1 || hours.BusinessHours.Holidays[0] != "2026-01-01" || hours.OpenNow && hours.NextOpen != nil {
				t.Fatalf("hours = %+v", hours)
			}

			// Delete: tickets lose the team, not their assignee.
			e.call("DELETE", path, e.admin, nil, 200, nil)
			e.call("GET", path, e.admin, nil, 404, nil)
			tk = ticketOut{}
			e.call("GET", "/api/v1/tickets/"+second, lee, nil, 200, &tk)
			if tk.TeamID != nil || tk.Assignee == nil {
				t.Fatalf("after delete: %+v", tk)
			}

			// The OpenAPI document lists the endpoints.
			resp := e.raw("GET", "/api/v1/openapi.json", "", "", nil)
			var doc struct {
				Paths map[string]map[string]any `json:"paths"`
			}
			if err := json.Unmarshal(resp.body, &doc); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"/teams", "/teams/{id}", "/teams/{id}/members/{agent}", "/agents/me/availability"} {
				if doc.Paths[p] == nil {
					t.Fatalf("openapi lacks %s", p)
				}
			}
			if !strings.Contains(string(resp.body), "team.updated") {
				t.Fatal("openapi event types lack team.updated")
			}
		})
	}
}

// TestManualAssignmentOverCapWarns: a manual assignment is made even above
// the assignee's cap, and the answer says so.
func TestManualAssignmentOverCapWarns(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			e.apiChannel()
			e.call("PATCH", fmt.Sprintf("/api/v1/agents/%d", e.adminID), e.admin, map[string]any{"chat_cap": 1}, 200, nil)
			var out struct {
				Assignee *struct {
					ID int64 `json:"id"`
				} `json:"assignee"`
				Warnings []string `json:"warnings"`
			}
			for i, want := range []string{"[]", "[over_cap]"} {
				id := e.ingest(map[string]any{"external_id": fmt.Sprint("m", i), "contact": map[string]any{"external_id": fmt.Sprint("c", i)}, "text": "hi"})
				out.Warnings = nil
				e.call("PATCH", "/api/v1/tickets/"+id, e.admin, map[string]any{"assignee": "me"}, 200, &out)
				if out.Assignee == nil || out.Assignee.ID != e.adminID || fmt.Sprint(out.Warnings) != want {
					t.Fatalf("assignment %d: %+v, want warnings %s", i, out, want)
				}
			}
		})
	}
}

// TestPatchAssigneeNull: a JSON null assignee unassigns (the ticket page's
// "unassigned" choice sends exactly that); a patch without the field leaves
// the assignee alone; a value of the wrong type is refused.
func TestPatchAssigneeNull(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			e.apiChannel()
			id := e.ingest(map[string]any{"external_id": "m1", "contact": map[string]any{"external_id": "c1"}, "text": "hi"})
			var out struct {
				Assignee *struct {
					ID int64 `json:"id"`
				} `json:"assignee"`
				Priority string `json:"priority"`
			}
			e.call("PATCH", "/api/v1/tickets/"+id, e.admin, map[string]any{"assignee": "me"}, 200, &out)
			if out.Assignee == nil || out.Assignee.ID != e.adminID {
				t.Fatalf("after assign: %+v", out)
			}
			out.Assignee = nil
			e.call("PATCH", "/api/v1/tickets/"+id, e.admin, map[string]any{"priority": "high"}, 200, &out)
			if out.Assignee == nil || out.Assignee.ID != e.adminID || out.Priority != "high" {
				t.Fatalf("a patch without assignee changed it: %+v", out)
			}
			e.call("PATCH", "/api/v1/tickets/"+id, e.admin, map[string]any{"assignee": nil}, 200, &out)
			if out.Assignee != nil {
				t.Fatalf("assignee null left %+v", out.Assignee)
			}
			e.call("PATCH", "/api/v1/tickets/"+id, e.admin, map[string]any{"assignee": []int{1}}, 400, nil)
		})
	}
}
