package ui_test

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store"
)

// TestBrowserPasswordForm: refusals show in the agent's language, and the
// form's checkbox revokes the agent's API tokens with the change.
func TestBrowserPasswordForm(t *testing.T) {
	e := newEnv(t, store.SQLite)
	var tok struct {
		Token string `json:"token"`
	}
	e.call("POST", "/api/v1/tokens", e.adminTok, map[string]string{"name": "ci"}, http.StatusCreated, &tok)
	bctx := browser(t)
	a := newTab(t, bctx)
	a.do("Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/login"), chromedp.WaitVisible(chromedp.ID("email")))
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("password page", chromedp.Navigate(e.ts.URL+"/password"), chromedp.WaitVisible(chromedp.ID("password-form")),
		chromedp.SendKeys(chromedp.ID("pw-current"), "not my password"),
		chromedp.SendKeys(chromedp.ID("pw-new"), "a brand new password"),
		chromedp.Click(chromedp.CSS(`#password-form button[type=submit]`)))
	a.waitJS("refusal shown", `!document.querySelector('#password-form [data-error]').hidden`)
	if got := a.text("#password-form [data-error]"); got != "현재 비밀번호가 올바르지 않습니다." {
		t.Fatalf("refusal %q, want the Korean message", got)
	}
	e.call("GET", "/api/v1/auth/me", tok.Token, nil, http.StatusOK, nil)
	a.do("change with revoke", chromedp.SetValue(chromedp.ID("pw-current"), "admin-password"),
		chromedp.Click(chromedp.ID("pw-revoke")),
		chromedp.Click(chromedp.CSS(`#password-form button[type=submit]`)))
	a.waitJS("changed", `!document.querySelector('#password-form [data-ok]').hidden`)
	e.call("GET", "/api/v1/auth/me", tok.Token, nil, http.StatusUnauthorized, nil)
}
