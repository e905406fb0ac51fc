package ui_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store"
)

// TestBrowserAuditDiff: an admin renames a team; the audit log shows the
// changed field with its value before and after, under Korean headings.
func TestBrowserAuditDiff(t *testing.T) {
	e := newEnv(t, store.SQLite)
	var team struct {
		ID int64 `json:"id"`
	}
	e.call("POST", "/api/v1/teams", e.adminTok, map[string]any{"name_ko": "결제팀", "name_en": "Billing"}, http.StatusCreated, &team)
	e.call("PATCH", fmt.Sprint("/api/v1/teams/", team.ID), e.adminTok, map[string]any{"name_ko": "정산팀"}, http.StatusOK, nil)
	a := newTab(t, browser(t))
	a.do("Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/login"), chromedp.WaitVisible(chromedp.ID("email")))
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("audit", chromedp.Navigate(e.ts.URL+"/admin/audit?action=teams.update"), chromedp.WaitVisible(chromedp.ID("audit-log")))
	if got := a.text(`#audit-log .audit-diff thead`); got != "항목바뀌기 전바뀐 뒤" {
		t.Fatalf("headings %q", got)
	}
	got := eval[string](a, `[...document.querySelectorAll('#audit-log .audit-diff tbody tr')].map(r => [...r.cells].map(c => c.textContent).join('|')).join(';')`)
	if got != "name_ko|결제팀|정산팀" {
		t.Fatalf("diff rows %q", got)
	}
}
