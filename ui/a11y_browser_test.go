package ui_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/a11y"
	"github.com/hanbox/hanbox/store"
)

// a11yPages are the screens the accessibility check walks: the inbox,
// a ticket, the profile and every admin page.
var a11yPages = []string{"/tickets?view=open", "TICKET", "/password", "/kb", "/reports",
	"/admin/channels", "/admin/agents", "/admin/teams", "/admin/sla", "/admin/rules", "/admin/bot", "/admin/assist",
	"/admin/saved-replies", "/admin/quarantine", "/admin/deliveries", "/admin/webhooks", "/admin/audit",
	"/admin/attributes", "/admin/segments", "/admin/contacts-io", "/admin/surveys", "/admin/campaigns"}

// TestBrowserAccessibility runs the in-repo accessibility check (package
// a11y: images without alt, unlabelled form controls, nameless buttons and
// links, duplicate ids, text below WCAG AA contrast) on the login page and
// the main screens, in Korean and English, light and dark.
func TestBrowserAccessibility(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	e := newEnv(t, store.SQLite)
	seedDemo(t, e)
	tid := firstTicket(t, e)
	bctx := browser(t)
	for _, lang := range []string{"ko", "en"} {
		for _, dark := range []bool{false, true} {
			theme := map[bool]string{false: "light", true: "dark"}[dark]
			t.Run(lang+"-"+theme, func(t *testing.T) {
				a := newTab(t, bctx)
				a.prefersDark(dark)
				check := func(what string) {
					t.Helper()
					vs, err := a11y.Check(a.ctx, "")
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					if len(vs) > 0 {
						t.Errorf("%s (%s, %s): %d accessibility problems:\n%s", what, lang, theme, len(vs), a11y.Report(vs))
					}
				}
				a.do("login page", chromedp.Navigate(e.ts.URL+"/lang/"+lang+"?next=/login"), chromedp.WaitVisible(chromedp.CSS(`form`)))
				check("login")
				a.login(e.ts.URL, "admin@example.com", "admin-password")
				for _, p := range a11yPages {
					if p == "TICKET" {
						p = "/tickets/" + tid
					}
					a.do(p, chromedp.Navigate(e.ts.URL+p), chromedp.WaitReady(chromedp.CSS(`body`)))
					a.ready()
					check(p)
				}
			})
		}
	}
}
