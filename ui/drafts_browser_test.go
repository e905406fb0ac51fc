package ui_test

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store"
)

// TestBrowserDrafts: a reply being typed survives leaving the page (after
// the browser asked first) and a reload, is per ticket, and is gone once
// sent.
func TestBrowserDrafts(t *testing.T) {
	e := newEnv(t, store.SQLite)
	bctx := browser(t)
	a := newTab(t, bctx)
	// Answer "leave this page?" as told: stay (false) or leave (true).
	var leave atomic.Bool
	asked := make(chan string, 10)
	if err := chromedp.Listen(a.ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			asked <- string(d.Type)
			go func() {
				_, _ = chromedp.Call(a.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: leave.Load()})
			}()
		}
	}); err != nil {
		t.Fatal(err)
	}
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	p1 := e.ingest(map[string]any{"external_id": "d1", "subject": "환불 문의", "text": "환불해 주세요",
		"contact": map[string]any{"external_id": "d-c1", "name": "박서준"}})
	p2 := e.ingest(map[string]any{"external_id": "d2", "subject": "교환 문의", "text": "교환할 수 있나요",
		"contact": map[string]any{"external_id": "d-c2", "name": "이수진"}})

	a.do("open ticket 1", chromedp.Navigate(e.ts.URL+"/tickets/"+p1), chromedp.WaitVisible(chromedp.ID("composer")))
	a.waitLive()
	a.do("type a reply", chromedp.SendKeys(chromedp.ID("body"), "환불은 3일 안에 처리됩니다."))

	// Esc then Backspace (back to the list): the browser asks; the agent stays.
	a.do("Esc, Backspace", chromedp.KeyEvent("\x1b"), chromedp.KeyEvent("\b"))
	if typ := <-asked; typ != string(page.DialogTypeBeforeunload) {
		t.Fatalf("dialog %q, want beforeunload", typ)
	}
	a.waitJS("still on the ticket with the text", `document.getElementById('body') && document.getElementById('body').value === '환불은 3일 안에 처리됩니다.'`)

	// Backspace again, and this time leave: the draft is kept.
	leave.Store(true)
	a.do("leave", chromedp.KeyEvent("\b"))
	<-asked
	a.do("on the list", chromedp.WaitVisible(chromedp.ID("ticket-list")))

	// Another ticket has its own (empty) composer.
	a.do("open ticket 2", chromedp.Navigate(e.ts.URL+"/tickets/"+p2), chromedp.WaitVisible(chromedp.ID("composer")))
	if got := eval[string](a, `document.getElementById('body').value`); got != "" {
		t.Fatalf("ticket 2 composer has %q", got)
	}
	// Back on ticket 1 the draft is there, and again after a reload.
	a.do("back to ticket 1", chromedp.Navigate(e.ts.URL+"/tickets/"+p1), chromedp.WaitVisible(chromedp.ID("composer")))
	a.waitJS("draft restored", `document.getElementById('body').value === '환불은 3일 안에 처리됩니다.' && !document.getElementById('draft-restored').hidden`)
	a.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("composer")))
	a.waitJS("draft restored after reload", `document.getElementById('body').value === '환불은 3일 안에 처리됩니다.'`)
	a.waitLive()

	// Sent: the thread has it, the composer and the stored draft are empty.
	a.do("send", chromedp.Click(chromedp.ID("body")), chromedp.SendKeys(chromedp.ID("body"), " 감사합니다."),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	a.waitJS("reply in the thread", `[...document.querySelectorAll('#thread .msg.d-outbound')].some(m => m.textContent.includes('3일 안에 처리됩니다. 감사합니다.'))`)
	a.waitJS("composer cleared", `document.getElementById('body').value === '' && Object.keys(localStorage).filter(k => k.startsWith('hanbox.draft.')).length === 0`)
	// (Reloading with a restored draft may have asked too: forget that.)
	for len(asked) > 0 {
		<-asked
	}
	leave.Store(false)
	a.do("leave without asking", chromedp.Navigate(e.ts.URL+"/tickets/"+p1), chromedp.WaitVisible(chromedp.ID("composer")))
	if got := eval[string](a, `document.getElementById('body').value`); got != "" {
		t.Fatalf("sent draft came back: %q", got)
	}
	select {
	case typ := <-asked:
		t.Fatalf("a %s dialog opened with nothing unsent", typ)
	default:
	}
	if !strings.Contains(a.text("#thread"), "감사합니다") {
		t.Fatal("the sent reply is not in the thread")
	}
}
