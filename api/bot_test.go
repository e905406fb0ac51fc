package api_test

import (
	"strconv"
	"testing"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

type botFlow struct {
	ID         int64  `json:"id"`
	ChannelID  int64  `json:"channel_id"`
	Enabled    bool   `json:"enabled"`
	GreetingKo string `json:"greeting_ko"`
	Steps      []struct {
		Kind     string `json:"kind"`
		Required bool   `json:"required"`
		Options  []struct {
			LabelKo string `json:"label_ko"`
			TeamID  int64  `json:"team_id"`
		} `json:"options"`
	} `json:"steps"`
}

// TestBotFlowsAPI: admins create, list, read, replace and delete a widget
// channel's flow; bad flows are 422 with a reason; agents are refused.
func TestBotFlowsAPI(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			var ch struct {
				Channel struct {
					ID int64 `json:"id"`
				} `json:"channel"`
			}
			e.call("POST", "/api/v1/channels", e.admin, map[string]any{"kind": "widget", "name": "Site"}, 201, &ch)
			var team struct {
				ID int64 `json:"id"`
			}
			e.call("POST", "/api/v1/teams", e.admin, map[string]any{"name_ko": "결제팀", "name_en": "Billing"}, 201, &team)
			body := map[string]any{"channel_id": ch.Channel.ID, "enabled": true, "greeting_ko": "안녕하세요", "greeting_en": "Hello",
				"steps": []map[string]any{{"kind": "name", "required": true}, {"kind": "department", "options": []map[string]any{
					{"label_ko": "결제", "label_en": "Billing", "team_id": team.ID}}}}}
			var f botFlow
			e.call("POST", "/api/v1/bot/flows", e.admin, body, 201, &f)
			if f.ID == 0 || !f.Enabled || len(f.Steps) != 2 || f.Steps[1].Options[0].TeamID != team.ID || f.GreetingKo != "안녕하세요" {
				t.Fatalf("created %+v", f)
			}
			id := strconv.FormatInt(f.ID, 10)
			var list struct {
				Items []botFlow `json:"items"`
			}
			e.call("GET", "/api/v1/bot/flows", e.admin, nil, 200, &list)
			if len(list.Items) != 1 || list.Items[0].ID != f.ID {
				t.Fatalf("list %+v", list)
			}
			var ae apiError
			e.call("POST", "/api/v1/bot/flows", e.admin, body, 422, &ae)
			if ae.Error.Reason != "bot_flow_exists" {
				t.Fatalf("second flow: %+v", ae)
			}
			bad := map[string]any{"channel_id": ch.Channel.ID, "steps": []map[string]any{{"kind": "department", "options": []map[string]any{{"label_ko": "x", "team_id": 999}}}}}
			e.call("PUT", "/api/v1/bot/flows/"+id, e.admin, bad, 422, &ae)
			if ae.Error.Reason != "no_team" {
				t.Fatalf("unknown team: %+v", ae)
			}
			body["enabled"] = false
			body["steps"] = []map[string]any{{"kind": "email"}}
			e.call("PUT", "/api/v1/bot/flows/"+id, e.admin, body, 200, &f)
			e.call("GET", "/api/v1/bot/flows/"+id, e.admin, nil, 200, &f)
			if f.Enabled || len(f.Steps) != 1 || f.Steps[0].Kind != "email" {
				t.Fatalf("replaced %+v", f)
			}
			if err := auth.CreateAgent(e.ctx, e.srv.Store, "kim@example.com", "Kim", store.RoleAgent, "long enough password"); err != nil {
				t.Fatal(err)
			}
			var login struct {
				Token string `json:"token"`
			}
			e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "kim@example.com", "password": "long enough password"}, 200, &login)
			e.call("GET", "/api/v1/bot/flows", login.Token, nil, 403, nil)
			e.call("DELETE", "/api/v1/bot/flows/"+id, e.admin, nil, 200, nil)
			e.call("GET", "/api/v1/bot/flows/"+id, e.admin, nil, 404, nil)
		})
	}
}

// TestSelfServedAPI: the widget's "yes" counts a visit once; the count is
// readable per article and by time; drafts are never served publicly.
func TestSelfServedAPI(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			var a, draft kbArticle
			e.call("POST", "/api/v1/kb/articles", e.admin, map[string]string{"title": "환불 안내", "body": "환불은 **3일** 안에 됩니다.",
				"locale": "ko", "status": "published"}, 201, &a)
			e.call("POST", "/api/v1/kb/articles", e.admin, map[string]string{"title": "비공개", "body": "초안", "locale": "ko", "status": "draft"}, 201, &draft)
			var pub kbArticle
			r := e.call("GET", "/api/v1/kb/public/"+strconv.FormatInt(a.ID, 10), "", nil, 200, &pub)
			if pub.Title != "환불 안내" || pub.HTML == "" || r.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Fatalf("public article %+v", pub)
			}
			e.call("GET", "/api/v1/kb/public/"+strconv.FormatInt(draft.ID, 10), "", nil, 404, nil)
			for _, key := range []string{"visit-1", "visit-1", "visit-2"} {
				if _, err := e.srv.Inbox.RecordSelfServed(e.ctx, 1, key, a.ID, "ko"); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := e.srv.Inbox.RecordSelfServed(e.ctx, 1, "visit-3", draft.ID, "ko"); err == nil {
				t.Fatal("a draft counted as self-served")
			}
			var got struct {
				Count int64 `json:"count"`
				Items []struct {
					ArticleID int64 `json:"article_id"`
					Count     int64 `json:"count"`
				} `json:"items"`
			}
			e.call("GET", "/api/v1/kb/self-served", e.admin, nil, 200, &got)
			if got.Count != 2 || len(got.Items) != 1 || got.Items[0].ArticleID != a.ID || got.Items[0].Count != 2 {
				t.Fatalf("self-served %+v", got)
			}
			e.call("GET", "/api/v1/kb/self-served?from=2000-01-01&to=2000-01-02", e.admin, nil, 200, &got)
			if got.Count != 0 {
				t.Fatalf("self-served in 2000: %+v", got)
			}
			e.call("GET", "/api/v1/kb/self-served?from=yesterday", e.admin, nil, 422, nil)
			e.call("GET", "/api/v1/kb/self-served", "", nil, 401, nil)
		})
	}
}
