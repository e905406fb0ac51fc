package ui_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/a11y"
	"github.com/hanbox/hanbox/store"
)

// TestBrowserConversationPageDark: the customer's conversation page follows
// a dark system preference (computed colours of the page, a message and
// the composer), keeps readable contrast, and a browser with the agent's
// theme cookie gets that theme whatever the system says. The accessibility
// check (package a11y) passes in Korean dark and English light. With
// HANBOX_SCREENSHOTS set it writes the page in both languages, dark, to
// docs/screenshots/.
func TestBrowserConversationPageDark(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	e := newEnv(t, store.SQLite)
	bctx := browser(t)
	e.call("POST", "/api/v1/channels", e.adminTok, map[string]any{"kind": "widget", "name": "Shop chat",
		"settings": map[string]any{"allowed_origins": []string{e.ts.URL}}}, http.StatusCreated, nil)
	pid := e.ingest(map[string]any{"external_id": "dark-1", "subject": "배송 문의", "text": "주문한 물건이 언제 오나요?",
		"contact": map[string]any{"external_id": "cust-dark", "name": "김민지", "email": "minji-dark@customer.test"}})
	tk, err := e.srv.Inbox.TicketByPublicID(e.ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	e.call("POST", "/api/v1/tickets/"+pid+"/replies", e.adminTok, map[string]any{"text": "내일 도착합니다. 감사합니다."}, http.StatusCreated, nil)
	url, err := e.srv.Inbox.ConversationLink(e.ctx, tk.ID, "minji-dark@customer.test")
	if err != nil {
		t.Fatal(err)
	}
	_, tok, _ := strings.Cut(url, "/c/")

	a := newTab(t, bctx)
	a.prefersDark(true)
	a.do("open the page", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/c/"+tok), chromedp.WaitVisible(chromedp.ID("ccompose")))
	a.waitJS("live", `document.getElementById('cstatus').textContent.includes('연결됨')`)
	colours := func() string {
		return eval[string](a, `[document.body, document.querySelector('.pub-card'), document.querySelector('.cmsg.theirs'), document.getElementById('ctext')]
			.map(n => getComputedStyle(n).backgroundColor + '/' + getComputedStyle(n).color).join(' ')`)
	}
	const dark = "rgb(17, 20, 24)/rgb(228, 232, 238) rgb(26, 31, 37)/rgb(228, 232, 238) rgb(22, 27, 32)/rgb(228, 232, 238) rgb(18, 22, 27)/rgb(228, 232, 238)"
	if got := colours(); got != dark {
		t.Fatalf("dark system: colours %s\nwant %s", got, dark)
	}
	for _, sel := range []string{".pub-brand", "#conv-subject", ".cmsg.theirs .cbody", ".cmsg.mine .cbody", ".chead", ".muted", "#csend", ".langs a"} {
		if r := eval[float64](a, contrastJS+`('`+sel+`')`); r < 4.5 {
			t.Errorf("dark conversation page: %s has contrast %.2f, want at least 4.5", sel, r)
		}
	}
	a11yCheck := func(what string) {
		t.Helper()
		vs, err := a11y.Check(a.ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) > 0 {
			t.Errorf("conversation page %s: %d accessibility problems:\n%s", what, len(vs), a11y.Report(vs))
		}
	}
	a11yCheck("ko dark")
	if os.Getenv("HANBOX_SCREENSHOTS") != "" {
		dir := filepath.Join("..", "docs", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		a.screenshot(dir, "conversation-ko-dark.png")
		a.do("english", chromedp.Navigate(e.ts.URL+"/lang/en?next=/c/"+tok), chromedp.WaitVisible(chromedp.ID("ccompose")))
		a.waitJS("live", `document.getElementById('cstatus').textContent.includes('Connected')`)
		a.screenshot(dir, "conversation-en-dark.png")
	}

	// The light system: light colours, unless the browser carries the
	// agent's dark choice.
	a.prefersDark(false)
	a.do("light", chromedp.Navigate(e.ts.URL+"/c/"+tok), chromedp.WaitVisible(chromedp.ID("ccompose")))
	if got := eval[string](a, `getComputedStyle(document.body).backgroundColor`); got != "rgb(243, 245, 247)" {
		t.Fatalf("light system: body %s", got)
	}
	a.do("english light", chromedp.Navigate(e.ts.URL+"/lang/en?next=/c/"+tok), chromedp.WaitVisible(chromedp.ID("ccompose")))
	a.waitJS("live", `document.getElementById('cstatus').textContent.includes('Connected')`)
	a11yCheck("en light")
	a.do("theme cookie", chromedp.Navigate(e.ts.URL+"/theme/dark?next=/c/"+tok), chromedp.WaitVisible(chromedp.ID("ccompose")))
	if got := eval[string](a, `getComputedStyle(document.body).backgroundColor`); got != "rgb(17, 20, 24)" {
		t.Fatalf("theme cookie dark: body %s", got)
	}
}
