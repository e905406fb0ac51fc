package api_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/store/storetest"
)

// TestMentionableAgents: GET /tickets/{id}/mentionable lists the agents a
// note may mention, the same ones a note keeps: on a restricted team's
// ticket its members and admins, not other agents (nor inactive ones);
// on a ticket of no team everyone active.
func TestMentionableAgents(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			e.apiChannel()
			agent := func(email, name string) int64 {
				var a struct {
					ID int64 `json:"id"`
				}
				e.call("POST", "/api/v1/agents", e.admin, map[string]any{"email": email, "name": name, "password": "a long password"}, 201, &a)
				return a.ID
			}
			lee := agent("lee@example.com", "이멤버")
			agent("kim@example.com", "김외부")
			gone := agent("gone@example.com", "퇴사자")
			e.call("PATCH", "/api/v1/agents/"+strconv.FormatInt(gone, 10), e.admin, map[string]any{"active": false}, 200, nil)
			var team teamOut
			e.call("POST", "/api/v1/teams", e.admin, map[string]any{"name_ko": "기업고객", "name_en": "B2B", "restricted": true,
				"channel_ids": []int64{e.chanID}, "member_ids": []int64{lee, gone}}, 201, &team)
			secret := e.ingest(map[string]any{"external_id": "m1", "contact": map[string]any{"external_id": "corp", "name": "비밀상사"}, "text": "단가 문의"})
			e.call("PATCH", "/api/v1/teams/"+strconv.FormatInt(team.ID, 10), e.admin, map[string]any{"channel_ids": []int64{}}, 200, nil)
			open := e.ingest(map[string]any{"external_id": "m2", "contact": map[string]any{"external_id": "shop", "name": "일반고객"}, "text": "배송 문의"})
			names := func(ticket string) string {
				var list struct {
					Items []struct {
						Name string `json:"name"`
					} `json:"items"`
				}
				e.call("GET", "/api/v1/tickets/"+ticket+"/mentionable", e.admin, nil, 200, &list)
				var out []string
				for _, it := range list.Items {
					out = append(out, it.Name)
				}
				return strings.Join(out, ",")
			}
			if got := names(secret); strings.Contains(got, "김외부") || strings.Contains(got, "퇴사자") || !strings.Contains(got, "이멤버") {
				t.Fatalf("restricted ticket: %s", got)
			}
			if got := names(open); !strings.Contains(got, "김외부") || !strings.Contains(got, "이멤버") || strings.Contains(got, "퇴사자") {
				t.Fatalf("ticket of no team: %s", got)
			}
		})
	}
}
