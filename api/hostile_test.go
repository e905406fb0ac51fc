package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestHostileTextAtTheEdge sends NUL bytes, invalid UTF-8, %ff and %00 and
// over-long names to every endpoint an agent or a login reaches, on every
// store: nothing answers 5xx; invalid UTF-8 is 400, NUL in free text is
// stripped, NUL in a one-line field and a name over 255 characters are 422.
func TestHostileTextAtTheEdge(t *testing.T) {
	long := strings.Repeat("가", 256)
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			e.apiChannel()
			tid := e.ingest(map[string]any{"external_id": "m1", "contact": map[string]any{"external_id": "c1", "name": "Kim"}, "text": "hello"})
			var tok struct {
				ID int64 `json:"id"`
			}
			_ = tok
			var agent struct {
				ID int64 `json:"id"`
			}
			e.call("POST", "/api/v1/agents", e.admin, map[string]any{"email": "lee@example.com", "name": "Lee", "password": "lee password 1"}, 201, &agent)
			ag := "/api/v1/agents/" + strconv.FormatInt(agent.ID, 10)
			ch := "/api/v1/channels/" + strconv.FormatInt(e.chanID, 10)
			tk := "/api/v1/tickets/" + tid
			nul := `a\u0000b`
			cases := []struct {
				name, method, path, body string
				anon                     bool
				want                     int
				code                     string
			}{
				// Free text: NUL is removed, the rest is kept.
				{"reply text NUL", "POST", tk + "/replies", `{"text":"` + nul + `"}`, false, 201, ""},
				{"reply html NUL", "POST", tk + "/replies", `{"html":"<p>` + nul + `</p>"}`, false, 201, ""},
				{"note NUL", "POST", tk + "/notes", `{"text":"` + nul + `"}`, false, 201, ""},
				{"saved reply body NUL", "POST", "/api/v1/saved-replies", `{"name":"greeting","body":"` + nul + `"}`, false, 201, ""},
				// One-line fields: NUL is refused.
				{"subject NUL", "PATCH", tk, `{"subject":"` + nul + `"}`, false, 422, "invalid/invalid_text"},
				{"team NUL", "PATCH", tk, `{"team":"` + nul + `"}`, false, 422, "invalid/invalid_text"},
				{"tags NUL", "PATCH", tk, `{"tags":["` + nul + `"]}`, false, 422, "invalid/invalid_text"},
				{"add tags NUL", "PATCH", tk, `{"add_tags":["` + nul + `"]}`, false, 422, "invalid/invalid_text"},
				{"saved reply name NUL", "POST", "/api/v1/saved-replies", `{"name":"` + nul + `","body":"hi"}`, false, 422, "invalid/invalid_text"},
				{"token name NUL", "POST", "/api/v1/tokens", `{"name":"` + nul + `"}`, false, 422, "invalid/invalid_text"},
				{"channel name NUL", "POST", "/api/v1/channels", `{"kind":"api","name":"` + nul + `"}`, false, 422, "invalid/invalid_text"},
				{"channel rename NUL", "PATCH", ch, `{"name":"` + nul + `"}`, false, 422, "invalid/invalid_text"},
				{"agent name NUL", "POST", "/api/v1/agents", `{"email":"x@example.com","name":"` + nul + `","password":"a long password"}`, false, 422, "invalid/invalid_text"},
				{"agent email NUL", "POST", "/api/v1/agents", `{"email":"x` + nul + `@example.com","name":"X","password":"a long password"}`, false, 422, "invalid/invalid_text"},
				{"agent rename NUL", "PATCH", ag, `{"name":"` + nul + `"}`, false, 422, "invalid/invalid_text"},
				{"login email NUL", "POST", "/api/v1/auth/login", `{"email":"admin` + nul + `@example.com","password":"whatever"}`, true, 422, "invalid/invalid_text"},
				{"login password NUL", "POST", "/api/v1/auth/login", `{"email":"nobody@example.com","password":"` + nul + `"}`, true, 401, "bad_credentials"},
				// Names over 255 characters.
				{"subject too long", "PATCH", tk, `{"subject":"` + strings.Repeat("s", 999) + `"}`, false, 422, "invalid/too_long"},
				{"team too long", "PATCH", tk, `{"team":"` + strings.Repeat("t", 65) + `"}`, false, 422, "invalid/too_long"},
				{"tag too long", "PATCH", tk, `{"tags":["` + strings.Repeat("t", 65) + `"]}`, false, 422, "invalid/too_long"},
				{"saved reply name long", "POST", "/api/v1/saved-replies", `{"name":"` + long + `","body":"hi"}`, false, 422, "invalid/too_long"},
				{"token name long", "POST", "/api/v1/tokens", `{"name":"` + long + `"}`, false, 422, "invalid/too_long"},
				{"channel name long", "POST", "/api/v1/channels", `{"kind":"api","name":"` + long + `"}`, false, 422, "invalid/too_long"},
				{"channel rename long", "PATCH", ch, `{"name":"` + long + `"}`, false, 422, "invalid/too_long"},
				{"agent name long", "POST", "/api/v1/agents", `{"email":"y@example.com","name":"` + long + `","password":"a long password"}`, false, 422, "invalid/too_long"},
				{"agent rename long", "PATCH", ag, `{"name":"` + long + `"}`, false, 422, "invalid/too_long"},
				{"agent email long", "POST", "/api/v1/agents", `{"email":"` + strings.Repeat("e", 320) + `@example.com","password":"a long password"}`, false, 422, "invalid/too_long"},
				// Raw invalid UTF-8 in a JSON body.
				{"reply invalid utf-8", "POST", tk + "/replies", "{\"text\":\"a\xffb\"}", false, 400, "bad_utf8"},
				{"login invalid utf-8", "POST", "/api/v1/auth/login", "{\"email\":\"a\xff@example.com\",\"password\":\"x\"}", true, 400, "bad_utf8"},
				// Paths and queries.
				{"ticket path %ff", "GET", "/api/v1/tickets/%ff", "", false, 400, "bad_utf8"},
				{"ticket path %00", "GET", "/api/v1/tickets/%00", "", false, 400, "bad_utf8"},
				{"ticket patch path %ff", "PATCH", "/api/v1/tickets/%ff", `{"status":"open"}`, false, 400, "bad_utf8"},
				{"reply path %ff", "POST", "/api/v1/tickets/%ff/replies", `{"text":"x"}`, false, 400, "bad_utf8"},
				{"tag %ff", "GET", "/api/v1/tickets?tag=%ff", "", false, 400, "bad_utf8"},
				{"tag %00", "GET", "/api/v1/tickets?tag=%00", "", false, 400, "bad_utf8"},
				{"q %ff", "GET", "/api/v1/tickets?q=%ff", "", false, 400, "bad_utf8"},
				{"q %00", "GET", "/api/v1/tickets?q=%00", "", false, 400, "bad_utf8"},
				{"cursor %ff", "GET", "/api/v1/tickets?cursor=%ff", "", false, 400, "bad_utf8"},
				{"bad escape", "GET", "/api/v1/tickets?q=%zz", "", false, 400, "bad_query/malformed_query"},
				{"contacts q %00", "GET", "/api/v1/contacts?q=%00", "", false, 400, "bad_utf8"},
				{"contacts q %ff", "GET", "/api/v1/contacts?q=%ff", "", false, 400, "bad_utf8"},
				{"contact path %ff", "GET", "/api/v1/contacts/%ff", "", false, 400, "bad_utf8"},
				{"channel path %ff", "GET", "/api/v1/channels/%ff", "", false, 400, "bad_utf8"},
				{"unknown path %ff", "GET", "/api/v1/%ff", "", false, 400, "bad_utf8"},
				{"login path query %ff", "POST", "/api/v1/auth/login?x=%ff", `{"email":"a@example.com","password":"x"}`, true, 400, "bad_utf8"},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					bearer := e.admin
					if c.anon {
						bearer = ""
					}
					var b []byte
					if c.body != "" {
						b = []byte(c.body)
					}
					r := e.raw(c.method, c.path, bearer, "application/json", b)
					if r.status >= 500 || r.status != c.want {
						t.Fatalf("%s %s: %d, want %d: %s", c.method, c.path, r.status, c.want, r.body)
					}
					if c.code != "" {
						var ae apiError
						code, reason, _ := strings.Cut(c.code, "/")
						if err := json.Unmarshal(r.body, &ae); err != nil || ae.Error.Code != code || ae.Error.Reason != reason || ae.Error.Message == "" {
							t.Fatalf("error body %s, want code %q", r.body, c.code)
						}
					}
					if c.want == 201 && strings.Contains(string(r.body), `\u0000`) {
						t.Fatalf("NUL kept: %s", r.body)
					}
				})
			}
			// Pages and the login form.
			sess := e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "lee@example.com", "password": "lee password 1"}, 200, nil)
			var s struct {
				Token string `json:"token"`
			}
			_ = json.Unmarshal(sess.body, &s)
			cookie := &http.Cookie{Name: auth.CookieName, Value: s.Token}
			for _, p := range []string{"/tickets/%ff", "/tickets/%00", "/tickets?tag=%ff", "/tickets?q=%00", "/tickets?q=%ff", "/tickets?cursor=%ff"} {
				t.Run("page "+p, func(t *testing.T) {
					req, _ := http.NewRequest("GET", e.ts.URL+"/", nil)
					pth, q, _ := strings.Cut(p, "?")
					req.URL.Opaque, req.URL.RawQuery = pth, q
					req.AddCookie(cookie)
					resp, err := noRedirect.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					if resp.StatusCode != 400 {
						t.Fatalf("GET %s: %d, want 400", p, resp.StatusCode)
					}
				})
			}
			lr := e.raw("GET", "/login", "", "", nil)
			m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(string(lr.body))
			var csrf *http.Cookie
			for _, c := range (&http.Response{Header: lr.header}).Cookies() {
				if c.Name == "hanbox_login_csrf" {
					csrf = c
				}
			}
			if m == nil || csrf == nil {
				t.Fatal("no login form token")
			}
			for name, c := range map[string]struct {
				email, password string
				want            int
			}{
				"login form email NUL":    {"admin\x00@example.com", "x", 422},
				"login form email %ff":    {"admin\xff@example.com", "x", 400},
				"login form password %ff": {"admin@example.com", "x\xff", 400},
				"login form email long":   {strings.Repeat("e", 400) + "@example.com", "x", 422},
			} {
				t.Run(name, func(t *testing.T) {
					r := e.form("/login", url.Values{"email": {c.email}, "password": {c.password}, "csrf_token": {m[1]}}, csrf)
					if r.status != c.want {
						t.Fatalf("status %d, want %d: %s", r.status, c.want, r.body)
					}
				})
			}
		})
	}
}
