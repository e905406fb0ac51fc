package widget

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/inbox"
)

// contrastInWidget is the WCAG contrast ratio between the text colour of
// the widget element sel and the first opaque background behind it.
const contrastInWidget = `((sel) => {
  const n = window.__hanboxWidget.root.querySelector(sel);
  const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => { const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  let bg = null;
  for (let e = n; e && !bg; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length === 3 || (c.length === 4 && c[3] > 0)) bg = c.slice(0, 3); }
  bg = bg || [255, 255, 255];
  const a = lum(rgb(getComputedStyle(n).color)), b = lum(bg);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
})`

// plainDarkPage is a site that is dark itself (for the screenshots).
const plainDarkPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>Shop</title><style>body{background:#202428;color:#ddd;font-family:sans-serif}</style></head>
<body><h1>Shop</h1><p>Winter collection</p>
<script>window.Hanbox = window.Hanbox || function(){(Hanbox.q=Hanbox.q||[]).push(arguments)}; Hanbox('open');</script>
<script async src="%s/widget.js" data-channel="%s" data-debug></script>
</body></html>`

func emulateScheme(t *testing.T, b *browser, scheme string) {
	t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	})); err != nil {
		t.Fatalf("emulate %s: %v", scheme, err)
	}
}

// TestBrowserWidgetDark: with a dark system preference the widget (theme
// "auto", the default) draws dark surfaces with readable text, the site's
// colour stays on the header and the visitor's bubbles; a light system
// gets the light widget. With HANBOX_SCREENSHOTS set it writes the open
// widget, dark, in Korean and English to docs/screenshots/.
func TestBrowserWidgetDark(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	for _, lang := range []string{"ko", "en"} {
		t.Run(lang, func(t *testing.T) {
			site, pageHTML := hostSite(t)
			h := newHarness(t, "sqlite", siteSettings(t, site.URL, lang))
			*pageHTML = fmt.Sprintf(plainDarkPage, h.srv.URL, h.ch.PublicKey)
			agent := h.env.Agent("dana@support.example", "Dana")
			b := newBrowser(t)
			emulateScheme(t, b, "dark")
			if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(900, 680)); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/help")); err != nil {
				t.Fatalf("navigate: %v", err)
			}
			b.poll("widget connected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
			b.eval(`window.__hanboxWidget.send('배송 언제 되나요? When will it ship?'), 'ok'`)
			h.env.Eventually("ticket", func() bool { return len(h.env.Tickets()) == 1 })
			if _, err := h.env.Inbox.Reply(context.Background(), inbox.ReplyInput{TicketID: h.env.Tickets()[0].ID, AgentID: agent.ID, Text: "내일 보내드립니다. Tomorrow."}); err != nil {
				t.Fatal(err)
			}
			b.poll("reply", `!!window.__hanboxWidget.root.querySelector('.m.a .b')`)
			colours := func() string {
				return b.eval(`['.panel', '.list', '.m.a .b', '.comp textarea', '.tabs', '.head', '.m.v .b']
					.map(s => { const c = getComputedStyle(window.__hanboxWidget.root.querySelector(s)); return c.backgroundColor + '/' + c.color; }).join(' ')`)
			}
			const dark = "rgb(26, 31, 37)/rgb(228, 232, 238) rgb(17, 20, 24)/rgb(228, 232, 238) rgb(31, 37, 44)/rgb(228, 232, 238) " +
				"rgb(18, 22, 27)/rgb(228, 232, 238) rgb(26, 31, 37)/rgb(228, 232, 238) rgb(10, 125, 90)/rgb(255, 255, 255) rgb(10, 125, 90)/rgb(255, 255, 255)"
			if got := colours(); got != dark {
				t.Fatalf("dark widget colours\n got %s\nwant %s", got, dark)
			}
			for _, sel := range []string{".m.a .b", ".m.a .who", ".m.v .st", ".tabs button", ".tabs button[aria-selected=\"true\"]", ".head .h", ".comp textarea"} {
				if r := b.eval(`String(` + contrastInWidget + `('` + sel + `') >= 4.5)`); r != "true" {
					t.Errorf("dark widget: %s has contrast below 4.5 (%s)", sel, b.eval(`String(`+contrastInWidget+`('`+sel+`'))`))
				}
			}
			if os.Getenv("HANBOX_SCREENSHOTS") != "" {
				dir := filepath.Join("..", "..", "docs", "screenshots")
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "widget-"+lang+"-dark.png"), shot, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			emulateScheme(t, b, "light")
			if got := b.eval(`getComputedStyle(window.__hanboxWidget.root.querySelector('.panel')).backgroundColor + ' ' + getComputedStyle(window.__hanboxWidget.root.querySelector('.m.a .b')).color`); got != "rgb(255, 255, 255) rgb(27, 31, 36)" {
				t.Fatalf("light system: panel and reply = %s", got)
			}
		})
	}
}

// TestBrowserWidgetThemeSetting: the channel's theme setting fixes the
// widget's colours whatever the visitor's system prefers.
func TestBrowserWidgetThemeSetting(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	for _, tc := range []struct{ theme, system, panel string }{
		{"dark", "light", "rgb(26, 31, 37)"},
		{"light", "dark", "rgb(255, 255, 255)"},
	} {
		t.Run(tc.theme, func(t *testing.T) {
			site, pageHTML := hostSite(t)
			settings := siteSettings(t, site.URL, "en")
			settings["theme"] = tc.theme
			h := newHarness(t, "sqlite", settings)
			*pageHTML = fmt.Sprintf(plainDarkPage, h.srv.URL, h.ch.PublicKey)
			b := newBrowser(t)
			emulateScheme(t, b, tc.system)
			if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/")); err != nil {
				t.Fatalf("navigate: %v", err)
			}
			b.poll("widget open", `!!window.__hanboxWidget && !window.__hanboxWidget.root.querySelector('.panel').classList.contains('hidden')`)
			if got := b.eval(`getComputedStyle(window.__hanboxWidget.root.querySelector('.panel')).backgroundColor`); got != tc.panel {
				t.Fatalf("theme %s on a %s system: panel %s, want %s", tc.theme, tc.system, got, tc.panel)
			}
		})
	}
}
