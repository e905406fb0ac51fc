package api_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// 40 concurrent wrong passwords for one email against a limit of 10: at
// most 10 reach the password check (401); the rest are 429 with Retry-After.
func TestLoginLimitHoldsUnderConcurrency(t *testing.T) {
	e := newEnv(t, store.SQLite)
	body, _ := json.Marshal(map[string]string{"email": "admin@example.com", "password": "not the password"})
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[int]int{}
	retry := true
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.raw("POST", "/api/v1/auth/login", "", "application/json", body)
			mu.Lock()
			defer mu.Unlock()
			counts[r.status]++
			if r.status == 429 {
				if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s <= 0 {
					retry = false
				}
			}
		}()
	}
	wg.Wait()
	if counts[401] > 10 || counts[401]+counts[429] != 40 || !retry {
		t.Fatalf("statuses %v (Retry-After on every 429: %v); want at most 10 × 401, the rest 429", counts, retry)
	}
}

// An admin's password reset is the compromise case: the agent's API tokens
// end with their sessions. A self-change keeps tokens unless asked.
func TestPasswordChangesAndTokens(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			var lee struct {
				ID int64 `json:"id"`
			}
			e.call("POST", "/api/v1/agents", e.admin, map[string]any{"email": "lee@example.com", "name": "Lee", "password": "lee password 1"}, 201, &lee)
			login := func(pw string) string {
				var res struct {
					Token string `json:"token"`
				}
				e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "lee@example.com", "password": pw}, 200, &res)
				return res.Token
			}
			sess := login("lee password 1")
			var tok struct {
				Token string `json:"token"`
			}
			e.call("POST", "/api/v1/tokens", sess, map[string]string{"name": "ci"}, 201, &tok)
			e.call("GET", "/api/v1/auth/me", tok.Token, nil, 200, nil)
			e.call("PATCH", "/api/v1/agents/"+strconv.FormatInt(lee.ID, 10), e.admin, map[string]any{"password": "reset password 2"}, 200, nil)
			e.call("GET", "/api/v1/auth/me", tok.Token, nil, 401, nil)
			e.call("GET", "/api/v1/auth/me", sess, nil, 401, nil)

			// Self-change: other sessions end, tokens stay unless revoke_tokens.
			sess = login("reset password 2")
			other := login("reset password 2")
			e.call("POST", "/api/v1/tokens", sess, map[string]string{"name": "ci"}, 201, &tok)
			e.call("POST", "/api/v1/auth/password", sess, map[string]any{"current": "reset password 2", "new": "self password 3"}, 200, nil)
			e.call("GET", "/api/v1/auth/me", sess, nil, 200, nil)
			e.call("GET", "/api/v1/auth/me", other, nil, 401, nil)
			e.call("GET", "/api/v1/auth/me", tok.Token, nil, 200, nil)
			e.call("POST", "/api/v1/auth/password", sess, map[string]any{"current": "self password 3", "new": "self password 4", "revoke_tokens": true}, 200, nil)
			e.call("GET", "/api/v1/auth/me", tok.Token, nil, 401, nil)
			e.call("GET", "/api/v1/auth/me", sess, nil, 200, nil)

			// Refusals are safe, stable and translatable.
			var ae apiError
			e.call("POST", "/api/v1/auth/password", sess, map[string]any{"current": "self password 4", "new": "short"}, 422, &ae)
			if ae.Error.Code != "invalid" || ae.Error.Reason != "password_short" || strings.Contains(ae.Error.Message, "auth:") || ae.Error.Params["min"] != float64(8) {
				t.Fatalf("short password: %+v", ae)
			}
			e.call("POST", "/api/v1/auth/password", sess, map[string]any{"current": "wrong", "new": "self password 5"}, 403, &ae)
			if ae.Error.Code != "bad_credentials" || ae.Error.Reason != "wrong_password" {
				t.Fatalf("wrong current password: %+v", ae)
			}
			e.call("PATCH", "/api/v1/agents/"+strconv.FormatInt(e.adminID, 10), e.admin, map[string]any{"active": false}, 422, &ae)
			if ae.Error.Code != "invalid" || ae.Error.Reason != "self_deactivate" {
				t.Fatalf("self-deactivation: %+v", ae)
			}
			e.call("PATCH", "/api/v1/agents/"+strconv.FormatInt(lee.ID, 10), e.admin, map[string]any{"password": "short"}, 422, &ae)
			if ae.Error.Reason != "password_short" || strings.Contains(ae.Error.Message, "auth:") {
				t.Fatalf("reset to a short password: %+v", ae)
			}
		})
	}
}

// Contact search matches % and _ literally, on both stores.
func TestContactSearchEscapesWildcards(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			e.apiChannel()
			for i, name := range []string{"김민지", "100% 정품 문의", "snake_case 님", "Percy"} {
				e.ingest(map[string]any{"external_id": "m" + strconv.Itoa(i), "contact": map[string]any{"external_id": "c" + strconv.Itoa(i), "name": name}, "text": "hi"})
			}
			for q, want := range map[string][]string{"%": {"100% 정품 문의"}, "_": {"snake_case 님"}, "0%": {"100% 정품 문의"}, `\`: nil, "per": {"Percy"}, "": {"Percy", "snake_case 님", "100% 정품 문의", "김민지"}} {
				var res struct {
					Items []struct{ Name string } `json:"items"`
				}
				e.call("GET", "/api/v1/contacts?q="+urlQuery(q), e.admin, nil, 200, &res)
				var got []string
				for _, c := range res.Items {
					got = append(got, c.Name)
				}
				if strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("q=%q: %q, want %q", q, got, want)
				}
			}
		})
	}
}
