package widget

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserWidgetOnAPhone: on a 375 px wide phone the open panel fills
// the screen, the launcher is hidden so it cannot cover the send button
// (tapping there sends, it does not close the chat), the textarea's font
// is at least 16 px (no iOS zoom), and closing brings the launcher back.
func TestBrowserWidgetOnAPhone(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	site, pageHTML := hostSite(t)
	settings := siteSettings(t, site.URL, "ko")
	h := newHarness(t, "sqlite", settings)
	// A phone site has a viewport meta; the host page's stub queues Hanbox('open').
	*pageHTML = strings.Replace(fmt.Sprintf(hostPage, h.srv.URL, h.ch.PublicKey), `<meta charset="utf-8">`,
		`<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`, 1)

	b := newBrowser(t)
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile), chromedp.Navigate(site.URL+"/")); err != nil {
		t.Fatal(err)
	}
	b.poll("panel open", `window.__hanboxWidget && !window.__hanboxWidget.root.querySelector('.panel').classList.contains('hidden')`)
	if w := b.eval(`String(window.innerWidth)`); w != "375" {
		t.Fatalf("viewport %s px wide", w)
	}
	if d := b.eval(`getComputedStyle(window.__hanboxWidget.launcher()).display`); d != "none" {
		t.Fatalf("launcher display %q while the panel is open", d)
	}
	fs, _ := strconv.ParseFloat(b.eval(`getComputedStyle(window.__hanboxWidget.root.querySelector('textarea')).fontSize.replace('px', '')`), 64)
	if fs < 16 {
		t.Fatalf("textarea font %g px", fs)
	}
	// What a tap on the send button's centre hits is the send button.
	hit := b.eval(`(() => {
		const root = window.__hanboxWidget.root, btn = root.querySelector('.comp button[type=submit], .comp .send');
		if (!btn) return 'no send button';
		const r = btn.getBoundingClientRect(), n = root.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
		return n && (n === btn || btn.contains(n)) ? 'send' : (n ? n.className || n.tagName : 'nothing');
	})()`)
	if hit != "send" {
		t.Fatalf("a tap on the send button hits %q", hit)
	}
	b.eval(`window.__hanboxWidget.root.querySelector('.panel .head .x').click(), 'ok'`)
	b.poll("launcher back after closing", `getComputedStyle(window.__hanboxWidget.launcher()).display !== 'none'`)
}
