package api_test

import (
	"strconv"
	"testing"

	"github.com/hanbox/hanbox/store/storetest"
)

// TestAssistChannelsAPI: admins set a channel's handoff team and clear it
// (null); a missing team is refused (422), a missing channel is 404; a
// flow's hold_minutes is stored (default 10) and bounded. Both stores.
func TestAssistChannelsAPI(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			var ch struct {
				Channel struct {
					ID int64 `json:"id"`
				} `json:"channel"`
			}
			e.call("POST", "/api/v1/channels", e.admin, map[string]any{"kind": "widget", "name": "Site", "settings": map[string]any{"ai_answers": true}}, 201, &ch)
			var team struct {
				ID int64 `json:"id"`
			}
			e.call("POST", "/api/v1/teams", e.admin, map[string]any{"name_ko": "상담팀", "name_en": "Care"}, 201, &team)
			path := "/api/v1/assist/channels/" + strconv.FormatInt(ch.Channel.ID, 10)
			type row struct {
				ChannelID     int64  `json:"channel_id"`
				AIAnswers     bool   `json:"ai_answers"`
				HandoffTeamID *int64 `json:"handoff_team_id"`
			}
			var got row
			e.call("PUT", path, e.admin, map[string]any{"handoff_team_id": team.ID}, 200, &got)
			if got.ChannelID != ch.Channel.ID || !got.AIAnswers || got.HandoffTeamID == nil || *got.HandoffTeamID != team.ID {
				t.Fatalf("saved %+v", got)
			}
			var list struct {
				Items []row `json:"items"`
			}
			e.call("GET", "/api/v1/assist/channels", e.admin, nil, 200, &list)
			found := false
			for _, it := range list.Items {
				found = found || it.ChannelID == ch.Channel.ID && it.HandoffTeamID != nil && *it.HandoffTeamID == team.ID
			}
			if !found {
				t.Fatalf("list %+v", list)
			}
			var ae apiError
			e.call("PUT", path, e.admin, map[string]any{"handoff_team_id": team.ID + 1000}, 422, &ae)
			e.call("PUT", "/api/v1/assist/channels/999999", e.admin, map[string]any{"handoff_team_id": nil}, 404, &ae)
			e.call("PUT", path, e.admin, map[string]any{"handoff_team_id": nil}, 200, &got)
			if got.HandoffTeamID != nil {
				t.Fatalf("cleared %+v", got)
			}

			body := map[string]any{"channel_id": ch.Channel.ID, "enabled": true, "steps": []map[string]any{{"kind": "name"}}}
			var f struct {
				ID          int64 `json:"id"`
				HoldMinutes int   `json:"hold_minutes"`
			}
			e.call("POST", "/api/v1/bot/flows", e.admin, body, 201, &f)
			if f.HoldMinutes != 10 {
				t.Fatalf("default hold %d", f.HoldMinutes)
			}
			body["hold_minutes"] = 30
			e.call("PUT", "/api/v1/bot/flows/"+strconv.FormatInt(f.ID, 10), e.admin, body, 200, &f)
			if f.HoldMinutes != 30 {
				t.Fatalf("hold %d, want 30", f.HoldMinutes)
			}
			body["hold_minutes"] = 1441
			e.call("PUT", "/api/v1/bot/flows/"+strconv.FormatInt(f.ID, 10), e.admin, body, 422, &ae)
		})
	}
}
