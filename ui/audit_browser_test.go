package ui_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store"
)

// TestBrowserAuditLog: someone fails to sign in on the sign-in page; the
// admin, in Korean and then in English, opens the audit log, filters by
// that action and by today's date, sees the attempt with the email and the
// address it came from, and the export link of the same filters downloads
// a CSV with a byte order mark that keeps the Korean.
func TestBrowserAuditLog(t *testing.T) {
	e := newEnv(t, store.SQLite)
	bctx := browser(t)
	intruder := newTab(t, bctx)
	intruder.do("wrong password", chromedp.Navigate(e.ts.URL+"/login"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "admin@example.com"), chromedp.SendKeys(chromedp.ID("password"), "not-the-password-42"),
		chromedp.Click(chromedp.CSS(`form.login button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`form.login [role=alert]`)))
	e.call("POST", "/api/v1/saved-replies", e.adminTok, map[string]any{"name": "환불 안내", "body": "환불은 3일 안에 됩니다."}, http.StatusCreated, nil)

	a := newTab(t, bctx)
	a.do("Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/login"), chromedp.WaitVisible(chromedp.ID("email")))
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	today := time.Now().In(time.FixedZone("KST", 9*3600)).Format(time.DateOnly)
	for _, lang := range []struct{ code, title, failed, reply string }{
		{"ko", "감사 기록", "로그인 실패", "저장된 답변 생성"},
		{"en", "Audit log", "Failed sign-in", "Created a saved reply"},
	} {
		a.do(lang.code, chromedp.Navigate(e.ts.URL+"/lang/"+lang.code+"?next=/admin/audit"), chromedp.WaitVisible(chromedp.ID("audit-log")))
		if got := a.text("h1"); got != lang.title {
			t.Fatalf("%s: title %q", lang.code, got)
		}
		if got := a.text("#audit-log"); !strings.Contains(got, lang.reply) || !strings.Contains(got, lang.failed) {
			t.Fatalf("%s: log without the saved reply and the failed sign-in: %q", lang.code, got)
		}
		a.do("filter", chromedp.SetValue(chromedp.ID("au-action"), "auth.login_failed"), chromedp.SetValue(chromedp.ID("au-from"), today),
			chromedp.SetValue(chromedp.ID("au-to"), today), chromedp.Click(chromedp.CSS(`#audit-filter button[type=submit]`)))
		// The unfiltered page has the row too: wait for the filtered one.
		a.waitJS("filtered page", `location.search.includes('action=auth.login_failed') && document.readyState === 'complete' && !!document.getElementById('audit-log')`)
		if n := eval[int](a, `document.querySelectorAll('#audit-log tbody tr').length`); n != 1 {
			t.Fatalf("%s: %d rows after filtering, want the one failed sign-in", lang.code, n)
		}
		row := a.text("#audit-log tbody tr")
		if !strings.Contains(row, lang.failed) || !strings.Contains(row, "admin@example.com") || !strings.Contains(row, "127.0.0.1") {
			t.Fatalf("%s: row %q", lang.code, row)
		}
		href := eval[string](a, `document.getElementById('audit-export').getAttribute('href')`)
		if !strings.Contains(href, "action=auth.login_failed") || !strings.Contains(href, "from="+today) {
			t.Fatalf("export link %q", href)
		}
		req, _ := http.NewRequest("GET", e.ts.URL+href, nil)
		req.Header.Set("Authorization", "Bearer "+e.adminTok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		lines := strings.Split(strings.TrimSpace(string(body)), "\n")
		if !strings.HasPrefix(string(body), "\ufeffid,at,") || len(lines) != 2 || !strings.Contains(lines[1], "auth.login_failed") ||
			strings.Contains(string(body), "not-the-password-42") {
			t.Fatalf("csv %q", body)
		}
	}
	// Korean in the export stays Korean.
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/audit/export.csv?action=saved-replies.create", nil)
	req.Header.Set("Authorization", "Bearer "+e.adminTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "환불 안내") {
		t.Fatalf("csv lost the Korean: %q", body)
	}
}
