package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store"
)

// prefersDark makes the tab's operating system prefer a dark (or light)
// colour scheme.
func (a *agentTab) prefersDark(dark bool) {
	a.t.Helper()
	v := map[bool]string{true: "dark", false: "light"}[dark]
	a.do("prefers "+v, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}}})
		return err
	}))
}

// contrastJS computes the WCAG contrast ratio between an element's text
// colour and the first non-transparent background behind it.
const contrastJS = `((sel) => {
  const n = document.querySelector(sel);
  const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => { const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  let bg = null;
  for (let e = n; e && !bg; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length === 3 || (c.length === 4 && c[3] > 0)) bg = c.slice(0, 3); }
  bg = bg || [255, 255, 255];
  const a = lum(rgb(getComputedStyle(n).color)), b = lum(bg);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
})`

// TestBrowserDarkMode: the inbox follows the system's dark preference, the
// header's theme switch overrides it either way (kept in a cookie, rendered
// by the server), and text keeps a readable contrast in dark mode. With
// HANBOX_SCREENSHOTS set it writes the main screens in both languages and
// both themes to docs/screenshots/.
func TestBrowserDarkMode(t *testing.T) {
	e := newEnv(t, store.SQLite)
	seedDemo(t, e)
	bctx := browser(t)
	a := newTab(t, bctx)
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	bg := func() string { return eval[string](a, `getComputedStyle(document.body).backgroundColor`) }
	const darkBG, lightBG = "rgb(17, 20, 24)", "rgb(245, 247, 250)"

	a.prefersDark(true)
	a.do("inbox", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/"), chromedp.WaitVisible(chromedp.ID("ticket-list")))
	a.ready()
	if got := bg(); got != darkBG {
		t.Fatalf("system dark: body %s, want %s", got, darkBG)
	}
	for _, sel := range []string{"#list-title", ".trow .tsubject", ".trow .tcontact", ".viewlist a", ".trow .muted"} {
		if r := eval[float64](a, contrastJS+`('`+sel+`')`); r < 4.5 {
			t.Errorf("dark mode: %s has contrast %.2f, want at least 4.5", sel, r)
		}
	}
	// The switch: light wins over the system's dark.
	a.do("open menu", chromedp.Click(chromedp.CSS(`details.menu summary`)))
	if got := a.text(`.themes [aria-current]`); got != "시스템 설정" {
		t.Fatalf("current theme %q", got)
	}
	a.do("light", chromedp.Click(chromedp.CSS(`[data-theme-link="light"]`)), chromedp.WaitVisible(chromedp.ID("ticket-list")))
	a.waitJS("light theme", `document.documentElement.dataset.theme === 'light'`)
	if got := bg(); got != lightBG {
		t.Fatalf("light chosen under a dark system: body %s", got)
	}
	// Dark wins over the system's light.
	a.prefersDark(false)
	a.do("dark", chromedp.Navigate(e.ts.URL+"/theme/dark?next=/"), chromedp.WaitVisible(chromedp.ID("ticket-list")))
	if got := bg(); got != darkBG {
		t.Fatalf("dark chosen under a light system: body %s", got)
	}
	if r := eval[float64](a, contrastJS+`('.btn.primary, #bulk .btn')`); r < 4.5 {
		t.Errorf("dark mode button contrast %.2f", r)
	}
	tid := firstTicket(t, e)
	a.do("ticket", chromedp.Navigate(e.ts.URL+"/tickets/"+tid), chromedp.WaitVisible(chromedp.ID("composer")))
	a.ready()
	for _, sel := range []string{"#send", "#thread .msg .body", "#body"} {
		if r := eval[float64](a, contrastJS+`('`+sel+`')`); r < 4.5 {
			t.Errorf("dark ticket page: %s has contrast %.2f", sel, r)
		}
	}
	// Back to the system's choice: the cookie goes.
	a.do("system", chromedp.Navigate(e.ts.URL+"/theme/system?next=/"), chromedp.WaitVisible(chromedp.ID("ticket-list")))
	if got := bg(); got != lightBG || eval[bool](a, `'theme' in document.documentElement.dataset`) {
		t.Fatalf("system (light) again: body %s", got)
	}

	if os.Getenv("HANBOX_SCREENSHOTS") == "" {
		return
	}
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"ko", "en"} {
		for _, th := range []string{"light", "dark"} {
			a.do("set "+lang+" "+th, chromedp.Navigate(e.ts.URL+"/lang/"+lang+"?next=/theme/"+th), chromedp.WaitVisible(chromedp.ID("ticket-list")))
			a.ready()
			a.screenshot(dir, "inbox-"+lang+"-"+th+".png")
			a.do("ticket "+lang+" "+th, chromedp.Navigate(e.ts.URL+"/tickets/"+tid), chromedp.WaitVisible(chromedp.ID("composer")))
			a.ready()
			a.screenshot(dir, "ticket-"+lang+"-"+th+".png")
		}
	}
}
