package ui_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
	"github.com/hanbox/hanbox/ui"
)

func eachDialect(t *testing.T, fn func(t *testing.T, e *testEnv)) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) { fn(t, newEnv(t, d)) })
	}
}

func TestPages(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEnv) {
		if err := auth.CreateAgent(e.ctx, e.srv.Store, "agent@example.com", "Agent Lee", store.RoleAgent, "agent-password"); err != nil {
			t.Fatal(err)
		}
		agentTok := e.login("agent@example.com", "agent-password")
		pid := e.ingest(map[string]any{"external_id": "m1", "subject": "배송 문의", "text": "배송이 늦어요",
			"contact": map[string]any{"external_id": "c1", "name": "홍길동"}})

		t.Run("signed out pages redirect to login", func(t *testing.T) {
			for _, p := range []string{"/", "/tickets", "/tickets/" + pid, "/admin/channels", "/password"} {
				resp, _ := e.get(p, "")
				if resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("%s: status %d, want 303", p, resp.StatusCode)
				}
				loc, _ := url.Parse(resp.Header.Get("Location"))
				if loc.Path != "/login" || loc.Query().Get("next") != p {
					t.Fatalf("%s: redirect to %s", p, loc)
				}
			}
		})
		t.Run("admin pages are forbidden to agents", func(t *testing.T) {
			for _, p := range []string{"/admin/channels", "/admin/agents", "/admin/saved-replies", "/admin/quarantine"} {
				resp, body := e.get(p, agentTok)
				if resp.StatusCode != http.StatusForbidden {
					t.Fatalf("%s as agent: status %d, want 403", p, resp.StatusCode)
				}
				if !strings.Contains(body, "Only admins") {
					t.Fatalf("%s: 403 page does not explain: %s", p, body)
				}
				resp, _ = e.get(p, e.adminTok)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s as admin: status %d", p, resp.StatusCode)
				}
			}
		})
		t.Run("pages carry the CSP and the CSRF token", func(t *testing.T) {
			for _, p := range []string{"/", "/tickets?view=mine", "/tickets/" + pid, "/admin/channels", "/password", "/login"} {
				tok := e.adminTok
				if p == "/login" {
					tok = ""
				}
				resp, body := e.get(p, tok)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: status %d: %s", p, resp.StatusCode, body)
				}
				if got := resp.Header.Get("Content-Security-Policy"); got != ui.ContentSecurityPolicy {
					t.Fatalf("%s: CSP %q", p, got)
				}
				if strings.Contains(body, "style=") || regexp.MustCompile(`<script>|<script [^>]*>[^<]`).MatchString(strings.ReplaceAll(body, `<script type="application/json" id="boot">`, "")) {
					t.Fatalf("%s: inline style or script in page", p)
				}
				if tok != "" && !strings.Contains(body, `<meta name="csrf-token" content="`+auth.CSRFToken(tok)+`">`) {
					t.Fatalf("%s: no CSRF meta", p)
				}
			}
		})
		t.Run("inbox lists the ticket and search finds Korean", func(t *testing.T) {
			_, body := e.get("/", e.adminTok)
			if !strings.Contains(body, "배송 문의") || !strings.Contains(body, "/tickets/"+pid) {
				t.Fatalf("inbox does not list the ticket")
			}
			_, body = e.get("/tickets?q="+url.QueryEscape("배송"), e.adminTok)
			if !strings.Contains(body, "/tickets/"+pid) {
				t.Fatalf("search for 배송 misses the ticket")
			}
			_, body = e.get("/tickets?q="+url.QueryEscape("환불"), e.adminTok)
			if strings.Contains(body, "/tickets/"+pid) {
				t.Fatalf("search for 환불 finds an unrelated ticket")
			}
		})
		t.Run("quarantine lists raw input with a download link", func(t *testing.T) {
			if err := e.srv.Inbox.Quarantine(e.ctx, e.chanID, "bad-1", []byte("garbage <script>"), "cannot parse <MIME>"); err != nil {
				t.Fatal(err)
			}
			_, body := e.get("/admin/quarantine", e.adminTok)
			if !strings.Contains(body, "cannot parse &lt;MIME&gt;") || !regexp.MustCompile(`href="/api/v1/quarantine/\d+/raw"`).MatchString(body) ||
				!strings.Contains(body, "Shop API") {
				t.Fatalf("quarantine page: %s", body)
			}
		})
		t.Run("ticket numbers redirect to the ticket", func(t *testing.T) {
			resp, _ := e.get("/tickets/1001", e.adminTok)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/tickets/"+pid {
				t.Fatalf("status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			resp, _ = e.get("/tickets/nope", e.adminTok)
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("missing ticket: status %d", resp.StatusCode)
			}
		})
		t.Run("Korean UI from Accept-Language and the cookie", func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.ts.URL+"/login", nil)
			req.Header.Set("Accept-Language", "ko-KR,ko;q=0.9,en;q=0.5")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(b), `<html lang="ko">`) || !strings.Contains(string(b), "로그인") {
				t.Fatalf("Accept-Language ko did not give Korean")
			}
			req, _ = http.NewRequest("GET", e.ts.URL+"/login", nil)
			req.Header.Set("Accept-Language", "ko-KR")
			req.AddCookie(&http.Cookie{Name: ui.LangCookie, Value: "en"})
			resp, _ = http.DefaultClient.Do(req)
			b, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(b), `<html lang="en">`) {
				t.Fatalf("the language cookie did not win")
			}
		})
	})
}

func TestLoginForm(t *testing.T) {
	e := newEnv(t, store.SQLite)
	resp, body := e.get("/login?next=/tickets%3Fview%3Dmine", "")
	var csrf *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "hanbox_login_csrf" {
			csrf = c
		}
	}
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(body)
	if csrf == nil || m == nil || m[1] != csrf.Value {
		t.Fatalf("login form has no double-submit token")
	}
	post := func(form url.Values, cookie *http.Cookie, origin string) *http.Response {
		req, _ := http.NewRequest("POST", e.ts.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != nil {
			req.AddCookie(cookie)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	good := url.Values{"email": {"admin@example.com"}, "password": {"admin-password"}, "csrf_token": {csrf.Value}, "next": {"/tickets?view=mine"}}
	if r := post(good, nil, ""); r.StatusCode != http.StatusForbidden {
		t.Fatalf("login without the CSRF cookie: %d", r.StatusCode)
	}
	if r := post(good, csrf, "https://evil.example"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin login: %d", r.StatusCode)
	}
	bad := url.Values{"email": {"admin@example.com"}, "password": {"wrong-password"}, "csrf_token": {csrf.Value}}
	if r := post(bad, csrf, ""); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.StatusCode)
	}
	r := post(good, csrf, "")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/tickets?view=mine" {
		t.Fatalf("login: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	var sess string
	for _, c := range r.Cookies() {
		if c.Name == auth.CookieName {
			sess = c.Value
		}
	}
	if resp, _ := e.get("/", sess); resp.StatusCode != http.StatusOK {
		t.Fatalf("inbox after login: %d", resp.StatusCode)
	}
	// An open redirect through next is refused.
	evil := url.Values{"email": {"admin@example.com"}, "password": {"admin-password"}, "csrf_token": {csrf.Value}, "next": {"//evil.example/x"}}
	if r := post(evil, csrf, ""); r.Header.Get("Location") != "/" {
		t.Fatalf("next=//evil.example redirected to %q", r.Header.Get("Location"))
	}
	// Logout needs the session's CSRF token.
	req, _ := http.NewRequest("POST", e.ts.URL+"/logout", strings.NewReader("csrf_token=wrong"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: sess})
	resp2, _ := noRedirect.Do(req)
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusForbidden {
		t.Fatalf("logout without CSRF: %d", resp2.StatusCode)
	}
	req, _ = http.NewRequest("POST", e.ts.URL+"/logout", strings.NewReader("csrf_token="+auth.CSRFToken(sess)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: sess})
	resp2, _ = noRedirect.Do(req)
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp2.StatusCode)
	}
	if resp, _ := e.get("/", sess); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("session still valid after logout: %d", resp.StatusCode)
	}
}

func TestStaticAssets(t *testing.T) {
	e := newEnv(t, store.SQLite)
	_, body := e.get("/login", "")
	m := regexp.MustCompile(`src="(/static/[0-9a-f]{16}/app\.js)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no checksum URL for app.js in %s", body)
	}
	resp, js := e.get(m[1], "")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || !strings.Contains(js, "import") {
		t.Fatalf("app.js: %d %q %q", resp.StatusCode, resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Type"))
	}
	resp, _ = e.get("/static/0000000000000000/app.js", "")
	if strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("a stale hash is cached for ever")
	}
	if resp, _ := e.get("/static/x/../../ui.go", ""); resp.StatusCode == 200 {
		t.Fatalf("path traversal served a file")
	}
}

func TestHostileContentIsEscaped(t *testing.T) {
	e := newEnv(t, store.SQLite)
	x := `<img src=x onerror=alert(1)><script>alert(1)</script>`
	pid := e.ingest(map[string]any{"external_id": "h1", "subject": "S " + x, "text": "T " + x, "html": "<p>H</p>" + x,
		"contact": map[string]any{"external_id": "evil", "name": "N " + x},
		"meta":    map[string]any{"page_url": "javascript:alert(1)", "page_title": "P " + x}})
	for _, p := range []string{"/", "/tickets/" + pid} {
		_, body := e.get(p, e.adminTok)
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") || strings.Contains(body, `href="javascript:`) {
			t.Fatalf("%s: hostile markup reached the page unescaped", p)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Fatalf("%s: hostile subject not shown as text", p)
		}
	}
}

func TestMessageBody(t *testing.T) {
	e := newEnv(t, store.SQLite)
	pid := e.ingest(map[string]any{"external_id": "b1", "subject": "Mail", "text": "plain",
		"html":    `<p>Hello <img src="https://cdn.example/a.png"></p><script>window.__pwned=1</script>`,
		"contact": map[string]any{"external_id": "c1", "name": "Kim"}})
	_, page := e.get("/tickets/"+pid, e.adminTok)
	m := regexp.MustCompile(`data-body-url="(/messages/\d+/body)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no body URL on the email message")
	}
	if resp, _ := e.get(m[1], ""); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("body signed out: %d", resp.StatusCode)
	}
	resp, body := e.get(m[1], e.adminTok)
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != 200 || !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "img-src data: cid: https: http:") ||
		strings.Contains(csp, "script-src") {
		t.Fatalf("body: %d, CSP %q", resp.StatusCode, csp)
	}
	if !strings.Contains(body, `<img src="https://cdn.example/a.png"`) || strings.Contains(body, "<script") {
		t.Fatalf("body document: %s", body)
	}
	if resp, _ := e.get("/messages/999999/body", e.adminTok); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("missing message: %d", resp.StatusCode)
	}
}

// TestCompressedResponses: pages, styles and scripts go out gzipped with
// Vary: Accept-Encoding; the event stream is neither encoded nor held back.
func TestCompressedResponses(t *testing.T) {
	e := newEnv(t, store.SQLite)
	get := func(path, session string) *http.Response {
		req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		if session != "" {
			req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: session})
		}
		// The transport leaves gzip alone when the request asks for it itself.
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	_, page := e.get("/tickets", e.adminTok)
	css := regexp.MustCompile(`href="(/static/[0-9a-f]{16}/app\.css)"`).FindStringSubmatch(page)
	js := regexp.MustCompile(`src="(/static/[0-9a-f]{16}/app\.js)"`).FindStringSubmatch(page)
	if css == nil || js == nil {
		t.Fatal("no asset URLs in the page")
	}
	for _, p := range []string{"/tickets", "/login", css[1], js[1]} {
		session := e.adminTok
		if p == "/login" {
			session = "" // signed in, it redirects
		}
		resp := get(p, session)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
			t.Fatalf("GET %s: Content-Encoding %q, Vary %q", p, resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil || len(plain) <= len(b) {
			t.Fatalf("GET %s: %d bytes gzipped from %d: %v", p, len(b), len(plain), err)
		}
		t.Logf("GET %s: %d bytes, %d gzipped", p, len(plain), len(b))
	}
	resp := get("/api/v1/events", e.adminTok)
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("event stream: Content-Encoding %q, Content-Type %q", resp.Header.Get("Content-Encoding"), resp.Header.Get("Content-Type"))
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "retry:") {
		t.Fatalf("event stream's first line %q: %v", line, err)
	}
}
