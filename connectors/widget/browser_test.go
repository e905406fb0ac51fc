package widget

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/inbox"
)

// hostPage is a customer's site: a different origin from Hanbox, with CSS
// that would wreck any widget living in the light DOM.
const hostPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>Hostile Shop</title>
<style>
* { display: none !important; color: red !important; font-size: 40px !important; background: yellow !important; }
html, body { display: block !important; }
div, button, span { border: 9px solid lime !important; opacity: .1 !important; }
hanbox-widget { opacity: 0 !important; transform: scale(0) !important; }
</style></head>
<body><h1>Shop</h1>
<script>window.Hanbox = window.Hanbox || function(){(Hanbox.q=Hanbox.q||[]).push(arguments)}; Hanbox('open');</script>
<script async src="%s/widget.js" data-channel="%s" data-debug></script>
</body></html>`

func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is required in CI")
	}
	t.Skip("chromium not installed")
	return ""
}

// browser is a headless Chromium tab with polling and evaluation helpers.
type browser struct {
	ctx  context.Context
	poll func(what, expr string, show ...string)
	eval func(expr string) string
}

func newBrowser(t *testing.T) *browser {
	exe := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees"),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	b := &browser{ctx: ctx}
	b.poll = func(what, expr string, show ...string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			// show are expressions whose values explain the failure.
			var seen []string
			for _, e := range show {
				v, _ := chromedp.Run(ctx, chromedp.Evaluate[any]("JSON.stringify("+e+")"))
				seen = append(seen, fmt.Sprint(v))
			}
			t.Fatalf("waiting for %s: %v %s", what, err, strings.Join(seen, " "))
		}
	}
	b.eval = func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return v
	}
	return b
}

// siteSettings is the test channel's settings for a widget on the site at
// origin, in locale, without office hours (so the header text does not
// depend on the clock).
func siteSettings(t *testing.T, origin, locale string) map[string]any {
	t.Helper()
	settings := loadSettings(t, "settings.json")
	settings["allowed_origins"] = []any{origin}
	delete(settings, "office_hours")
	settings["locale"] = locale
	return settings
}

func hostSite(t *testing.T) (*httptest.Server, *string) {
	var pageHTML string
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, pageHTML)
	}))
	t.Cleanup(site.Close)
	return site, &pageHTML
}

func TestBrowserWidgetEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	site, pageHTML := hostSite(t)

	settings := siteSettings(t, site.URL, "ko")
	h := newHarness(t, "sqlite", settings)
	if os.Getenv("HANBOX_TEST_POSTGRES") != "" {
		t.Log("browser test runs on SQLite only")
	}
	*pageHTML = fmt.Sprintf(hostPage, h.srv.URL, h.ch.PublicKey)
	agent := h.env.Agent("jisoo@support.example", "Jisoo")

	b := newBrowser(t)
	ctx, poll, eval := b.ctx, b.poll, b.eval

	if err := chromedp.Do(ctx, chromedp.Navigate(site.URL+"/pricing?plan=team")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	poll("widget connected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)

	// The host's CSS did not reach the widget.
	style := eval(`(() => {
		const w = window.__hanboxWidget, l = w.launcher(), cs = getComputedStyle(l), r = l.getBoundingClientRect();
		const host = document.querySelector('hanbox-widget'), hs = getComputedStyle(host);
		return [cs.display, cs.backgroundColor, cs.color, Math.round(r.width), hs.display, hs.opacity, hs.transform, cs.borderTopWidth, cs.opacity].join('|');
	})()`)
	if style != "flex|rgb(10, 125, 90)|rgb(255, 255, 255)|56|block|1|none|0px|1" {
		t.Fatalf("launcher style under hostile CSS = %s", style)
	}
	if eval(`String(document.querySelector('hanbox-widget').shadowRoot)`) != "null" {
		t.Fatal("shadow root is open to the host page")
	}
	// The channel's locale picks Korean texts; the queued Hanbox('open') ran.
	if got := eval(`window.__hanboxWidget.root.querySelector('textarea').placeholder`); got != "메시지를 입력하세요…" {
		t.Fatalf("placeholder = %q", got)
	}
	poll("panel open", `!window.__hanboxWidget.root.querySelector('.panel').classList.contains('hidden')`)

	eval(`window.__hanboxWidget.send('안녕하세요, 배송 문의드립니다 <b>bold?</b>'), 'ok'`)
	h.env.Eventually("ticket from the browser", func() bool {
		ts := h.env.Tickets()
		if len(ts) != 1 {
			return false
		}
		ms := h.env.Messages(ts[0].ID)
		return len(ms) == 1 && ms[0].Meta["page_url"] == site.URL+"/pricing?plan=team" && ms[0].Meta["page_title"] == "Hostile Shop"
	})
	poll("ack shown as sent", `[...window.__hanboxWidget.root.querySelectorAll('.m.v .st')].some(e => e.textContent === '전송됨')`)

	reply := "답변드립니다 <img src=x onerror=\"document.title='pwned'\"> 내일 도착합니다"
	if _, err := h.env.Inbox.Reply(context.Background(), inbox.ReplyInput{TicketID: h.env.Tickets()[0].ID, AgentID: agent.ID, Text: reply}); err != nil {
		t.Fatal(err)
	}
	poll("agent reply in the widget", fmt.Sprintf(`[...window.__hanboxWidget.root.querySelectorAll('.m.a .b')].some(e => e.textContent === %q)`, reply))
	if got := eval(`String(window.__hanboxWidget.root.querySelectorAll('.m.a .b img').length) + '|' + document.title`); !strings.HasPrefix(got, "0|") || strings.Contains(got, "pwned") {
		t.Fatalf("agent text was parsed as HTML: %s", got)
	}
	if got := eval(`window.__hanboxWidget.root.querySelector('.m.a .who').textContent`); got != "Jisoo" {
		t.Fatalf("author = %q", got)
	}

	// Reload: the visitor token in localStorage brings the history back.
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	poll("widget reconnected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
	got := eval(`[...window.__hanboxWidget.root.querySelectorAll('.m .b')].map(e => e.textContent).join('\n')`)
	if !strings.Contains(got, "배송 문의드립니다 <b>bold?</b>") || !strings.Contains(got, "내일 도착합니다") {
		t.Fatalf("history after reload = %q", got)
	}
	if n := len(h.env.Tickets()); n != 1 {
		t.Fatalf("reload created tickets: %d", n)
	}
}

// TestBrowserFallbackAndOfflineOutbox: WebSockets are blocked by a proxy and
// the network is down when the visitor writes. The message survives a
// reload in localStorage, goes out once the HTTP fallback works, exactly
// once, and the agent's reply arrives by long-poll.
func TestBrowserFallbackAndOfflineOutbox(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	site, pageHTML := hostSite(t)
	settings := siteSettings(t, site.URL, "en")
	var blockWS, blockHTTP atomic.Bool
	blockWS.Store(true)
	blockHTTP.Store(true)
	h := newHarnessWrapped(t, "sqlite", settings, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := r.URL.Path
			if (blockWS.Load() && strings.HasSuffix(p, "/ws")) ||
				(blockHTTP.Load() && (strings.HasSuffix(p, "/messages") || strings.HasSuffix(p, "/poll"))) {
				http.Error(w, "blocked by proxy", http.StatusBadGateway)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	*pageHTML = fmt.Sprintf(hostPage, h.srv.URL, h.ch.PublicKey)
	agent := h.env.Agent("ara@support.example", "Ara")
	b := newBrowser(t)

	if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/help")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	b.poll("widget ready", `!!window.__hanboxWidget`)
	b.eval(`window.__hanboxWidget.send('sent while offline'), 'ok'`)
	b.poll("message kept in localStorage", `Object.keys(localStorage).some(k => k.endsWith(':outbox') && localStorage[k].includes('sent while offline'))`)

	if err := chromedp.Do(b.ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	b.poll("widget ready after reload", `!!window.__hanboxWidget && window.__hanboxWidget.state.outbox.length === 1`)
	b.poll("pending message shown", `[...window.__hanboxWidget.root.querySelectorAll('.m.v .b')].some(e => e.textContent === 'sent while offline')`)
	if n := len(h.env.Tickets()); n != 0 {
		t.Fatalf("tickets while blocked = %d", n)
	}

	blockHTTP.Store(false) // the network is back; WebSockets stay blocked
	b.poll("long-poll fallback", `window.__hanboxWidget.state.polling === true`)
	h.env.Eventually("offline message stored", func() bool { return len(h.env.Tickets()) == 1 })
	b.poll("shown as sent", `[...window.__hanboxWidget.root.querySelectorAll('.m.v .st')].some(e => e.textContent === 'Sent') && window.__hanboxWidget.state.outbox.length === 0`)

	if _, err := h.env.Inbox.Reply(context.Background(), inbox.ReplyInput{TicketID: h.env.Tickets()[0].ID, AgentID: agent.ID, Text: "answer by long-poll"}); err != nil {
		t.Fatal(err)
	}
	b.poll("reply by long-poll", `[...window.__hanboxWidget.root.querySelectorAll('.m.a .b')].some(e => e.textContent === 'answer by long-poll')`)
	b.eval(`window.__hanboxWidget.send('second, over HTTP'), 'ok'`)
	h.env.Eventually("second message stored", func() bool { return len(h.env.Messages(h.env.Tickets()[0].ID)) == 3 })
	var n int64
	h.env.Store.DB.Table("messages").Where("text = ?", "sent while offline").Count(&n)
	if n != 1 {
		t.Fatalf("offline message stored %d times", n)
	}
	b.poll("second shown as sent", `window.__hanboxWidget.state.outbox.length === 0`)
	if got := b.eval(`[...window.__hanboxWidget.root.querySelectorAll('.m .b')].map(e => e.textContent).join('|')`); got != "sent while offline|answer by long-poll|second, over HTTP" {
		t.Fatalf("widget shows %q", got)
	}
}

// TestBrowserOfficeHoursProactiveAndEmail: outside office hours the widget
// says so, shows only the proactive rule not limited to office hours (once
// per visitor), and after the first message asks for an email that becomes
// the contact's reply address.
func TestBrowserOfficeHoursProactiveAndEmail(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	site, pageHTML := hostSite(t)
	settings := loadSettings(t, "settings.json")
	settings["allowed_origins"] = []any{site.URL}
	settings["locale"] = "en"
	// Closed today and for the next two weeks, whatever the clock says.
	seoul, _ := time.LoadLocation("Asia/Seoul")
	var holidays []any
	for d := -1; d < 16; d++ {
		holidays = append(holidays, time.Now().In(seoul).AddDate(0, 0, d).Format(time.DateOnly))
	}
	settings["office_hours"].(map[string]any)["holidays"] = holidays
	settings["proactive"] = []any{
		map[string]any{"url_pattern": "/pricing*", "message": map[string]any{"en": "Hours-only hello"}, "delay_seconds": 0, "office_hours_only": true},
		map[string]any{"url_pattern": "/pricing*", "message": map[string]any{"en": "Questions about pricing?", "ko": "요금제가 궁금하신가요?"}, "delay_seconds": 1},
	}
	h := newHarness(t, "sqlite", settings)
	*pageHTML = strings.Replace(fmt.Sprintf(hostPage, h.srv.URL, h.ch.PublicKey), "Hanbox('open');", "", 1)
	b := newBrowser(t)

	if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/pricing")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	b.poll("widget connected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
	if got := b.eval(`window.__hanboxWidget.root.querySelector('.head .s').textContent`); got != "We are away right now." {
		t.Fatalf("status line = %q", got)
	}
	if got := b.eval(`String(window.__hanboxWidget.state.proScheduled)`); got != "1" {
		t.Fatalf("proactive rules scheduled = %s, want 1 (the hours-only rule is off outside hours)", got)
	}
	b.poll("proactive message", `(() => { const p = window.__hanboxWidget.root.querySelector('.pro'); return !p.classList.contains('hidden') && p.textContent === 'Questions about pricing?'; })()`)
	if got := b.eval(`window.__hanboxWidget.root.querySelector('.badge').textContent`); got != "1" {
		t.Fatalf("unread badge = %q", got)
	}

	// Click the proactive card: it opens the chat. Write; the email ask follows.
	b.eval(`window.__hanboxWidget.root.querySelector('.pro').click(), 'ok'`)
	b.poll("panel open", `!window.__hanboxWidget.root.querySelector('.panel').classList.contains('hidden')`)
	b.eval(`window.__hanboxWidget.send('Is the team plan monthly?'), 'ok'`)
	b.poll("email asked", `!window.__hanboxWidget.root.querySelector('.notice').classList.contains('hidden') && !!window.__hanboxWidget.root.querySelector('.notice input[type=email]')`)
	b.eval(`(() => { const r = window.__hanboxWidget.root; r.querySelector('.notice input').value = 'later@example.kr'; r.querySelector('.notice form').requestSubmit(); return 'ok'; })()`)
	b.poll("email saved", `window.__hanboxWidget.root.querySelector('.notice').textContent.includes('later@example.kr')`)
	h.env.Eventually("contact has the reply address", func() bool {
		ts := h.env.Tickets()
		return len(ts) == 1 && ts[0].Contact != nil && ts[0].Contact.Email == "later@example.kr"
	})

	// Once per visitor: a reload does not show the proactive message again.
	if err := chromedp.Do(b.ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	b.poll("widget reconnected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
	// proactive() runs before the socket opens; it scheduled nothing this time.
	if got := b.eval(`String(window.__hanboxWidget.state.proScheduled || 0)`); got != "0" {
		t.Fatalf("proactive messages scheduled again after reload: %s", got)
	}
}
