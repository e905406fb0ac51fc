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

// TestNPSAPI: definitions through the API (create with defaults, refused
// input, get, list, replace, delete), NPS answers filtered by definition
// and score, the CSV export with its NPS columns and BOM, and the score
// (% promoters − % detractors).
func TestNPSAPI(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			e.apiChannel()
			var def struct {
				ID         int64  `json:"id"`
				Name       string `json:"name"`
				RepeatDays []int  `json:"repeat_days"`
				CapAnyDays int    `json:"cap_any_days"`
				CapNPSDays int    `json:"cap_nps_days"`
				QuietStart string `json:"quiet_start"`
				TimeZone   string `json:"time_zone"`
				WhyKo      string `json:"why_ko"`
			}
			e.call("POST", "/api/v1/nps-surveys", e.admin, map[string]any{"name": "분기 NPS", "enabled": true, "why_ko": "이유는요?",
				"first_days": 7, "repeat_days": []int{180, 30, 90, 60, 30}, "by_email": true}, 201, &def)
			if def.ID == 0 || fmt.Sprint(def.RepeatDays) != "[30 60 90 180]" || def.CapAnyDays != 30 || def.CapNPSDays != 90 ||
				def.QuietStart != "21:00" || def.TimeZone != "Asia/Seoul" || def.WhyKo != "이유는요?" {
				t.Fatalf("created %+v", def)
			}
			for name, bad := range map[string]map[string]any{
				"no name":    {"by_email": true},
				"no channel": {"name": "x"},
				"bad zone":   {"name": "x", "by_email": true, "time_zone": "Mars/Olympus"},
				"bad quiet":  {"name": "x", "by_email": true, "quiet_start": "25:00", "quiet_end": "09:00"},
				"bad repeat": {"name": "x", "by_email": true, "repeat_days": []int{0}},
				"bad anchor": {"name": "x", "by_email": true, "anchor": "birthday"},
				"not a date": {"name": "x", "by_email": true, "anchor": "attribute", "anchor_attribute": "locale"},
				"bad date":   {"name": "x", "by_email": true, "anchor": "date", "anchor_date": "15/01/2027"},
			} {
				b, _ := json.Marshal(bad)
				if r := e.raw("POST", "/api/v1/nps-surveys", e.admin, "application/json", b); r.status != 422 {
					t.Errorf("%s: %d %s", name, r.status, r.body)
				}
			}
			// Schedules from a date attribute and to a tag on a date.
			var anchored struct {
				ID              int64  `json:"id"`
				Anchor          string `json:"anchor"`
				AnchorAttribute string `json:"anchor_attribute"`
				AnchorDate      string `json:"anchor_date"`
			}
			e.call("POST", "/api/v1/nps-surveys", e.admin, map[string]any{"name": "가입 후", "by_email": true, "anchor": "attribute",
				"anchor_attribute": "first_seen", "first_days": 30, "repeat_days": []int{30, 60}}, 201, &anchored)
			if anchored.Anchor != "attribute" || anchored.AnchorAttribute != "first_seen" {
				t.Fatalf("attribute anchor: %+v", anchored)
			}
			e.call("PUT", fmt.Sprintf("/api/v1/nps-surveys/%d", anchored.ID), e.admin, map[string]any{"name": "VIP 1월", "by_email": true,
				"audience_tag": "VIP", "anchor": "date", "anchor_date": "2027-01-15"}, 200, &anchored)
			if anchored.Anchor != "date" || anchored.AnchorDate != "2027-01-15" || anchored.AnchorAttribute != "" {
				t.Fatalf("date anchor: %+v", anchored)
			}
			e.call("DELETE", fmt.Sprintf("/api/v1/nps-surveys/%d", anchored.ID), e.admin, nil, 200, nil)
			// The OpenAPI document describes the anchor and the CSAT cap.
			var doc struct {
				Components struct {
					Schemas map[string]struct {
						Properties map[string]any `json:"properties"`
					} `json:"schemas"`
				} `json:"components"`
			}
			e.call("GET", "/api/v1/openapi.json", "", nil, 200, &doc)
			for schema, props := range map[string][]string{"NPSSurveyBody": {"anchor", "anchor_attribute", "anchor_date"}, "NPSSurvey": {"anchor"},
				"CSATSettingBody": {"cap_days"}, "CSATSetting": {"cap_days"}} {
				for _, p := range props {
					if doc.Components.Schemas[schema].Properties[p] == nil {
						t.Errorf("openapi %s lacks %s", schema, p)
					}
				}
			}
			id := fmt.Sprint(def.ID)
			e.call("PUT", "/api/v1/nps-surveys/"+id, e.admin, map[string]any{"name": "VIP NPS", "enabled": true, "audience_tag": "VIP",
				"by_widget": true}, 200, &def)
			e.call("GET", "/api/v1/nps-surveys/"+id, e.admin, nil, 200, &def)
			if def.Name != "VIP NPS" || len(def.RepeatDays) != 0 {
				t.Fatalf("after replace %+v", def)
			}
			var list struct {
				Items []struct {
					ID int64 `json:"id"`
				} `json:"items"`
			}
			e.call("GET", "/api/v1/nps-surveys", e.admin, nil, 200, &list)
			if len(list.Items) != 1 {
				t.Fatalf("list %+v", list)
			}

			// Answers 10, 9, 7, 3, 0 (and one unanswered) of this definition.
			tid := e.ingest(map[string]any{"external_id": "m1", "contact": map[string]any{"external_id": "c1"}, "text": "문의"})
			tk, err := e.srv.Inbox.TicketByPublicID(e.ctx, tid)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC()
			for i, sc := range []int{10, 9, 7, 3, 0, -1} {
				round := i
				sv := store.Survey{PublicID: fmt.Sprintf("nps%d", i), Kind: store.SurveyNPS, TicketID: tk.ID, Round: int64(1000 + i),
					ContactID: tk.ContactID, ChannelID: tk.LastChannelID, RequestedAt: now, ExpiresAt: now.Add(time.Hour),
					CreatedAt: now, UpdatedAt: now, NPSSurveyID: &def.ID, NPSRound: &round}
				if sc >= 0 {
					s := sc
					sv.Score, sv.AnsweredAt, sv.Answers = &s, &now, 1
					if sc == 0 {
						sv.Comment = "=비싸요"
					}
				}
				if err := e.srv.Store.DB.Create(&sv).Error; err != nil {
					t.Fatal(err)
				}
			}
			var resp struct {
				Items []struct {
					Score       *int   `json:"score"`
					NPSSurveyID *int64 `json:"nps_survey_id"`
					NPSRound    *int   `json:"nps_round"`
				} `json:"items"`
			}
			e.call("GET", "/api/v1/surveys?kind=nps&nps_survey="+id+"&min_score=9", e.admin, nil, 200, &resp)
			if len(resp.Items) != 2 || *resp.Items[0].NPSSurveyID != def.ID || resp.Items[0].NPSRound == nil {
				t.Fatalf("promoters %+v", resp.Items)
			}
			e.call("GET", "/api/v1/surveys?kind=nps&max_score=6", e.admin, nil, 200, &resp)
			if len(resp.Items) != 2 {
				t.Fatalf("detractors %+v", resp.Items)
			}
			e.call("GET", "/api/v1/surveys?kind=nps&min_score=11", e.admin, nil, 400, nil)

			var score struct {
				Answers, Promoters, Passives, Detractors int64
				Score                                    float64
			}
			e.call("GET", "/api/v1/surveys/nps-score?nps_survey="+id, e.admin, nil, 200, &score)
			// 2 promoters, 1 passive, 2 detractors of 5: 40 % − 40 % = 0.
			if score.Answers != 5 || score.Promoters != 2 || score.Passives != 1 || score.Detractors != 2 || score.Score != 0 {
				t.Fatalf("score %+v", score)
			}
			e.call("GET", "/api/v1/surveys/nps-score?nps_survey="+id+"&min_score=7", e.admin, nil, 200, &score)
			if score.Answers != 3 || score.Score != 66.7 {
				t.Fatalf("score of 7+ %+v", score)
			}

			csv := e.call("GET", "/api/v1/surveys/export.csv?kind=nps&answered=true", e.admin, nil, 200, nil)
			body := string(csv.body)
			lines := strings.Split(strings.TrimSpace(body), "\n")
			if !strings.HasPrefix(body, "\ufeffid,kind,") || !strings.HasSuffix(strings.TrimSpace(lines[0]), "nps_survey_id,nps_round") ||
				len(lines) != 6 || !strings.Contains(body, "'=비싸요") || !strings.Contains(body, ","+id+",4") {
				t.Fatalf("csv\n%s", body)
			}

			// Opt-outs by hand: an unknown topic is refused; out, listed, in again.
			var outs struct {
				Items []struct {
					Topic  string `json:"topic"`
					Source string `json:"source"`
				} `json:"items"`
				Topics []string `json:"topics"`
			}
			contact := fmt.Sprint(tk.ContactID)
			e.call("PUT", "/api/v1/contacts/"+contact+"/opt-outs/spam", e.admin, nil, 422, nil)
			e.call("PUT", "/api/v1/contacts/"+contact+"/opt-outs/surveys", e.admin, nil, 200, &outs)
			if len(outs.Items) != 1 || outs.Items[0].Topic != "surveys" || outs.Items[0].Source != "agent" || len(outs.Topics) != 2 {
				t.Fatalf("opt-outs %+v", outs)
			}
			if ok, err := e.srv.Inbox.OptedOut(e.ctx, tk.ContactID, "surveys"); err != nil || !ok {
				t.Fatalf("opted out %v %v", ok, err)
			}
			e.call("DELETE", "/api/v1/contacts/"+contact+"/opt-outs/surveys", e.admin, nil, 200, &outs)
			if len(outs.Items) != 0 {
				t.Fatalf("after opting in %+v", outs)
			}
			e.call("GET", "/api/v1/contacts/999999/opt-outs", e.admin, nil, 404, nil)

			e.call("DELETE", "/api/v1/nps-surveys/"+id, e.admin, nil, 200, nil)
			e.call("GET", "/api/v1/nps-surveys/"+id, e.admin, nil, 404, nil)
			e.call("GET", "/api/v1/surveys?kind=nps&nps_survey="+id, e.admin, nil, 200, &resp)
			if len(resp.Items) != 6 {
				t.Fatalf("answers after deleting the definition: %d", len(resp.Items))
			}
		})
	}
}
