package api_test

import (
	"strconv"
	"testing"

	"github.com/hanbox/hanbox/store/storetest"
)

// The admin endpoints after the move to store files and domain rules: a
// channel with history is disabled instead of deleted, a kind never
// changes, tokens rotate, saved replies and API tokens come and go.
func TestAdminEndpoints(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			e.apiChannel()
			e.ingest(map[string]any{"external_id": "m1", "contact": map[string]any{"external_id": "c1"}, "text": "hello"})
			used := "/api/v1/channels/" + strconv.FormatInt(e.chanID, 10)
			var ae apiError
			e.call("PATCH", used, e.admin, map[string]any{"kind": "email"}, 422, &ae)
			if ae.Error.Code != "invalid" || ae.Error.Reason != "kind_fixed" {
				t.Fatalf("kind change: %+v", ae)
			}
			var rotated struct {
				Token string `json:"token"`
			}
			e.call("POST", used+"/token", e.admin, nil, 200, &rotated)
			if rotated.Token == "" || rotated.Token == e.chanTok {
				t.Fatalf("rotated token %q", rotated.Token)
			}
			var del struct {
				Disabled bool `json:"disabled"`
			}
			e.call("DELETE", used, e.admin, nil, 200, &del)
			var ch struct {
				Enabled bool `json:"enabled"`
			}
			e.call("GET", used, e.admin, nil, 200, &ch)
			if !del.Disabled || ch.Enabled {
				t.Fatalf("a channel with history: disabled=%v enabled=%v; want it kept and disabled", del.Disabled, ch.Enabled)
			}
			var fresh struct {
				Channel struct {
					ID int64 `json:"id"`
				} `json:"channel"`
			}
			e.call("POST", "/api/v1/channels", e.admin, map[string]any{"kind": "api", "name": "Unused"}, 201, &fresh)
			unused := "/api/v1/channels/" + strconv.FormatInt(fresh.Channel.ID, 10)
			del.Disabled = false
			e.call("DELETE", unused, e.admin, nil, 200, &del)
			if del.Disabled {
				t.Fatal("an unused channel was disabled instead of deleted")
			}
			e.call("GET", unused, e.admin, nil, 404, nil)
			e.call("DELETE", "/api/v1/channels/9999", e.admin, nil, 404, nil)

			var sr struct {
				ID int64 `json:"id"`
			}
			e.call("POST", "/api/v1/saved-replies", e.admin, map[string]any{"name": "인사", "body": "안녕하세요"}, 201, &sr)
			e.call("DELETE", "/api/v1/saved-replies/"+strconv.FormatInt(sr.ID, 10), e.admin, nil, 200, nil)
			e.call("DELETE", "/api/v1/saved-replies/"+strconv.FormatInt(sr.ID, 10), e.admin, nil, 404, nil)
			e.call("POST", "/api/v1/saved-replies", e.admin, map[string]any{"name": "인사", "body": " "}, 422, &ae)
			if ae.Error.Reason != "required" || ae.Error.Params["field"] != "body" {
				t.Fatalf("empty body: %+v", ae)
			}
			var toks struct {
				Items []struct {
					ID int64 `json:"id"`
				} `json:"items"`
			}
			e.call("POST", "/api/v1/tokens", e.admin, map[string]any{"name": "ci"}, 201, nil)
			e.call("GET", "/api/v1/tokens", e.admin, nil, 200, &toks)
			if len(toks.Items) != 1 {
				t.Fatalf("tokens %+v", toks)
			}
			e.call("DELETE", "/api/v1/tokens/"+strconv.FormatInt(toks.Items[0].ID, 10), e.admin, nil, 200, nil)
			e.call("DELETE", "/api/v1/tokens/"+strconv.FormatInt(toks.Items[0].ID, 10), e.admin, nil, 404, nil)
			e.call("POST", "/api/v1/agents", e.admin, map[string]any{"email": "ADMIN@example.com", "password": "a long password"}, 409, &ae)
			if ae.Error.Code != "conflict" || ae.Error.Reason != "agent_exists" {
				t.Fatalf("duplicate agent: %+v", ae)
			}
		})
	}
}
