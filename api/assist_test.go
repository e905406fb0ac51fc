package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/api"
	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestAssistSettingsAPI: admins read and change the provider; the key is
// write-only (never in a response, nor in the audit log); an empty key
// keeps the stored one and clear_api_key removes it; turning it on needs a
// URL and a model; agents cannot read the settings but may ask for a
// draft, which without a provider says "off" and lists the articles. The
// routes are in the OpenAPI document.
func TestAssistSettingsAPI(t *testing.T) {
	const key = "sk-api-SECRET-7788"
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			var set map[string]any
			e.call("GET", "/api/v1/assist/settings", e.admin, nil, 200, &set)
			if set["enabled"] != false || set["api_key_set"] != false || set["timeout_ms"] != float64(15000) {
				t.Fatalf("defaults %v", set)
			}
			var ae apiError
			e.call("PUT", "/api/v1/assist/settings", e.admin, map[string]any{"enabled": true}, 422, &ae)
			if ae.Error.Params["field"] != "base_url" {
				t.Fatalf("error %+v", ae)
			}
			r := e.call("PUT", "/api/v1/assist/settings", e.admin, map[string]any{"enabled": true, "base_url": "http://127.0.0.1:9/v1", "model": "qwen",
				"api_key": key, "timeout_ms": 3000}, 200, &set)
			if strings.Contains(string(r.body), key) || set["api_key_set"] != true || set["model"] != "qwen" {
				t.Fatalf("saved %s", r.body)
			}
			// Turned off again without a key: the stored key stays.
			e.call("PUT", "/api/v1/assist/settings", e.admin, map[string]any{"enabled": false, "base_url": "http://127.0.0.1:9/v1", "model": "qwen",
				"timeout_ms": 3000}, 200, &set)
			if got, _ := e.srv.Store.AssistSettingsOf(e.ctx); got.APIKey != key || set["api_key_set"] != true {
				t.Fatalf("key after a save without one: %q %v", got.APIKey, set)
			}
			r = e.call("GET", "/api/v1/assist/settings", e.admin, nil, 200, &set)
			if strings.Contains(string(r.body), key) {
				t.Fatal("GET returned the key")
			}
			var rows []store.AuditEntry
			if err := e.srv.Store.DB.Find(&rows).Error; err != nil {
				t.Fatal(err)
			}
			dump, _ := json.Marshal(rows)
			if !strings.Contains(string(dump), "assist") || strings.Contains(string(dump), key) {
				t.Fatalf("audit rows %s", dump)
			}
			e.call("PUT", "/api/v1/assist/settings", e.admin, map[string]any{"base_url": "http://127.0.0.1:9/v1", "model": "qwen", "timeout_ms": 3000,
				"clear_api_key": true}, 200, &set)
			if set["api_key_set"] != false {
				t.Fatalf("after clear %v", set)
			}

			if err := auth.CreateAgent(e.ctx, e.srv.Store, "kim@example.com", "Kim", store.RoleAgent, "long enough password"); err != nil {
				t.Fatal(err)
			}
			var login struct {
				Token string `json:"token"`
			}
			e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "kim@example.com", "password": "long enough password"}, 200, &login)
			e.call("GET", "/api/v1/assist/settings", login.Token, nil, 403, nil)
			e.call("PUT", "/api/v1/assist/settings", login.Token, map[string]any{}, 403, nil)

			e.call("POST", "/api/v1/kb/articles", e.admin, map[string]any{"title": "배송 기간 안내", "body": "주문 후 배송은 보통 2~3일 걸립니다.",
				"locale": "ko", "status": "published"}, 201, nil)
			e.apiChannel()
			pid := e.ingest(map[string]any{"external_id": "d1", "subject": "배송", "text": "배송이 언제 오나요?", "contact": map[string]any{"external_id": "c1"}})
			var draft struct {
				Text        string `json:"text"`
				Fallback    string `json:"fallback"`
				Citations   []any  `json:"citations"`
				Suggestions []struct {
					Title string `json:"title"`
					URL   string `json:"url"`
				} `json:"suggestions"`
			}
			e.call("POST", "/api/v1/tickets/"+pid+"/draft", login.Token, nil, 200, &draft)
			if draft.Text != "" || draft.Fallback != "off" || draft.Citations == nil || len(draft.Suggestions) != 1 ||
				draft.Suggestions[0].Title != "배송 기간 안내" || !strings.HasPrefix(draft.Suggestions[0].URL, "https://support.example.com/help/ko/") {
				t.Fatalf("draft %+v", draft)
			}
			e.call("POST", "/api/v1/tickets/nope/draft", login.Token, nil, 404, nil)

			doc := e.call("GET", "/api/v1/openapi.json", "", nil, 200, nil)
			for _, s := range []string{`"/assist/settings"`, `"/tickets/{id}/draft"`, `"AssistSettingsBody"`, `"AssistDraft"`} {
				if !strings.Contains(string(doc.body), s) {
					t.Errorf("OpenAPI lacks %s", s)
				}
			}
		})
	}
}

// TestDraftIsRateLimited: one agent asking for drafts again and again gets
// 429 rate_limited with Retry-After once the allowance (DraftBurst) is
// spent, never before; another agent is not affected. Both stores.
func TestDraftIsRateLimited(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			if err := auth.CreateAgent(e.ctx, e.srv.Store, "kim@example.com", "Kim", store.RoleAgent, "long enough password"); err != nil {
				t.Fatal(err)
			}
			var login struct {
				Token string `json:"token"`
			}
			e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "kim@example.com", "password": "long enough password"}, 200, &login)
			e.apiChannel()
			pid := e.ingest(map[string]any{"external_id": "d1", "subject": "배송", "text": "배송이 언제 오나요?", "contact": map[string]any{"external_id": "c1"}})
			// The bucket refills, so count rather than assume that call
			// DraftBurst+1 is the one refused: under load a token may come back.
			ok := 0
			for range 20 * api.DraftBurst {
				r := e.raw("POST", "/api/v1/tickets/"+pid+"/draft", login.Token, "", nil)
				if r.status == 429 {
					var ae apiError
					if err := json.Unmarshal(r.body, &ae); err != nil || ae.Error.Code != "rate_limited" || ok < api.DraftBurst || r.header.Get("Retry-After") == "" {
						t.Fatalf("429 after %d drafts: %s (Retry-After %q)", ok, r.body, r.header.Get("Retry-After"))
					}
					// Per agent: the admin's allowance is untouched.
					e.call("POST", "/api/v1/tickets/"+pid+"/draft", e.admin, nil, 200, nil)
					return
				}
				if r.status != 200 {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				ok++
			}
			t.Fatalf("no 429 after %d drafts", ok)
		})
	}
}
