package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestCSATAPI: the channel setting through the API, two resolved tickets
// rated 5 and 2, the response list with filters, the CSV export (formula
// text neutralised) and the score (4–5 of 5 / all × 100) overall and by
// agent and channel.
func TestCSATAPI(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			e.apiChannel()
			ch := fmt.Sprint(e.chanID)
			var set map[string]any
			e.call("PUT", "/api/v1/channels/"+ch+"/csat", e.admin, map[string]any{"enabled": true, "delay_seconds": 0,
				"question_ko": "만족하셨나요?", "thanks_ko": "고맙습니다"}, 200, &set)
			if set["enabled"] != true || set["question_ko"] != "만족하셨나요?" {
				t.Fatalf("setting %v", set)
			}
			e.call("PUT", "/api/v1/channels/"+ch+"/csat", e.admin, map[string]any{"enabled": true, "delay_seconds": 99999999}, 422, nil)
			e.call("PUT", "/api/v1/channels/"+ch+"/csat", e.admin, map[string]any{"enabled": true, "scale": "stars"}, 422, nil)
			if set["scale"] != "faces" {
				t.Fatalf("default scale %v", set["scale"])
			}
			e.call("GET", "/api/v1/channels/"+ch+"/csat", e.admin, nil, 200, &set)
			if set["question_ko"] != "만족하셨나요?" || set["cap_days"] != float64(30) {
				t.Fatalf("setting after a refused change %v (want the default cap of 30 days)", set)
			}
			// The frequency cap: set, kept by a PUT without it, refused out of range.
			e.call("PUT", "/api/v1/channels/"+ch+"/csat", e.admin, map[string]any{"enabled": true, "cap_days": 0, "question_ko": "만족하셨나요?",
				"thanks_ko": "고맙습니다"}, 200, &set)
			e.call("PUT", "/api/v1/channels/"+ch+"/csat", e.admin, map[string]any{"enabled": true, "question_ko": "만족하셨나요?", "thanks_ko": "고맙습니다"}, 200, &set)
			if set["cap_days"] != float64(0) {
				t.Fatalf("cap after a PUT without one: %v, want 0", set["cap_days"])
			}
			e.call("PUT", "/api/v1/channels/"+ch+"/csat", e.admin, map[string]any{"enabled": true, "cap_days": -1}, 422, nil)

			rate := func(n int, score int, comment string) string {
				tid := e.ingest(map[string]any{"external_id": fmt.Sprintf("m%d", n), "contact": map[string]any{"external_id": fmt.Sprintf("c%d", n)}, "text": "문의"})
				e.call("POST", "/api/v1/tickets/"+tid+"/replies", e.admin, map[string]any{"text": "답변"}, 201, nil)
				e.call("PATCH", "/api/v1/tickets/"+tid, e.admin, map[string]any{"status": "resolved"}, 200, nil)
				var sv store.Survey
				t0, err := e.srv.Inbox.TicketByPublicID(e.ctx, tid)
				if err != nil {
					t.Fatal(err)
				}
				// The survey's request message is published with it.
				e.waitEvents(t, "a survey after resolving", func() bool {
					return e.srv.Store.DB.Where("ticket_id = ?", t0.ID).Take(&sv).Error == nil
				})
				u, err := e.srv.Inbox.SurveyURL(e.ctx, &sv)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.srv.Inbox.AnswerSurvey(e.ctx, u[strings.LastIndex(u, "/s/")+3:], score, comment); err != nil {
					t.Fatal(err)
				}
				return tid
			}
			first := rate(1, 5, "최고예요")
			rate(2, 2, "=HYPERLINK(\"x\")")

			var list struct {
				Items []struct {
					TicketNumber int64  `json:"ticket_number"`
					Score        *int   `json:"score"`
					Comment      string `json:"comment"`
					AgentID      *int64 `json:"agent_id"`
				} `json:"items"`
			}
			e.call("GET", "/api/v1/surveys?kind=csat&answered=true", e.admin, nil, 200, &list)
			if len(list.Items) != 2 {
				t.Fatalf("answered surveys %+v", list.Items)
			}
			e.call("GET", "/api/v1/surveys?ticket="+first, e.admin, nil, 200, &list)
			if len(list.Items) != 1 || *list.Items[0].Score != 5 || list.Items[0].Comment != "최고예요" || list.Items[0].AgentID == nil || *list.Items[0].AgentID != e.adminID {
				t.Fatalf("ticket's surveys %+v", list.Items)
			}
			e.call("GET", "/api/v1/surveys?from=2000-01-01&to=2000-01-02&answered=true", e.admin, nil, 200, &list)
			if len(list.Items) != 0 {
				t.Fatalf("period filter %+v", list.Items)
			}
			e.call("GET", "/api/v1/surveys?kind=poll", e.admin, nil, 400, nil)

			csv := e.call("GET", "/api/v1/surveys/export.csv?answered=true", e.admin, nil, 200, nil)
			body := string(csv.body)
			if !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") || !strings.Contains(body, "최고예요") ||
				!strings.Contains(body, `"'=HYPERLINK(""x"")"`) || strings.Count(body, "\n") != 3 {
				t.Fatalf("csv %s\n%s", csv.header, body)
			}

			var score struct {
				Overall struct {
					Answers, Positive int64
					Score             float64
				} `json:"overall"`
				Groups []struct {
					Key     string  `json:"key"`
					Answers int64   `json:"answers"`
					Score   float64 `json:"score"`
				} `json:"groups"`
			}
			e.call("GET", "/api/v1/surveys/csat-score?by=agent", e.admin, nil, 200, &score)
			if score.Overall.Answers != 2 || score.Overall.Positive != 1 || score.Overall.Score != 50 ||
				len(score.Groups) != 1 || score.Groups[0].Key != fmt.Sprint(e.adminID) || score.Groups[0].Score != 50 {
				t.Fatalf("score by agent %+v", score)
			}
			e.call("GET", "/api/v1/surveys/csat-score?by=channel&channel="+ch, e.admin, nil, 200, &score)
			if len(score.Groups) != 1 || score.Groups[0].Key != ch || score.Groups[0].Answers != 2 {
				t.Fatalf("score by channel %+v", score)
			}
			e.call("GET", "/api/v1/surveys/csat-score?by=planet", e.admin, nil, 400, nil)
		})
	}
}
