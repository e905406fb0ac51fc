package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store"
)

// TestBrowserQuotedHistoryFolded: an email reply's quoted history is folded
// on the ticket, closed by default, labelled in the agent's language, and
// opens with one click; an HTML mail's quote is folded inside its frame.
func TestBrowserQuotedHistoryFolded(t *testing.T) {
	e := newEnv(t, store.SQLite)
	bctx := browser(t)
	a := newTab(t, bctx)
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	const fresh = "네, 주소 바꿔서 다시 보내주세요."
	const old = "2026년 12월 1일 (월) 오전 10:00, 상담원님이 작성:\n> 배송지가 맞는지 확인 부탁드립니다."
	text := fresh + "\n\n" + old
	pid := e.ingest(map[string]any{"external_id": "q-1", "subject": "배송지 변경", "text": text,
		"contact": map[string]any{"external_id": "q-c", "name": "김고객"}})
	htmlPID := e.ingest(map[string]any{"external_id": "q-2", "subject": "HTML reply", "text": "Thanks!\n\nOn Mon, Support wrote:\n> old",
		"html":    "<div>Thanks!</div><div>On Mon, Support wrote:</div><blockquote>old answer</blockquote>",
		"contact": map[string]any{"external_id": "q-d", "name": "Kim"}})
	db := e.srv.Store.DB
	for _, c := range []struct {
		pid string
		at  int
	}{{pid, strings.Index(text, "2026년")}, {htmlPID, len("Thanks!\n\n")}} {
		tk, err := e.srv.Inbox.TicketByPublicID(e.ctx, c.pid)
		if err != nil {
			t.Fatal(err)
		}
		// What the email parser stores for such a reply.
		if err := db.Model(&store.Message{}).Where("ticket_id = ?", tk.ID).
			Update("meta", store.JSONMap{"quoted_from": c.at}).Error; err != nil {
			t.Fatal(err)
		}
	}
	for _, lang := range []struct{ code, label string }{{"ko", "인용"}, {"en", "quoted"}} {
		a.do("language "+lang.code, chromedp.Navigate(e.ts.URL+"/lang/"+lang.code+"?next=/tickets/"+pid), chromedp.WaitVisible(chromedp.ID("composer")))
		a.ready()
		if got := strings.TrimSpace(a.text(".msg .body")); got != fresh {
			t.Fatalf("%s: message body %q, want only the new part", lang.code, got)
		}
		if summary := a.text(".msg details.quoted summary"); !strings.Contains(summary, lang.label) {
			t.Fatalf("%s: fold label %q", lang.code, summary)
		}
		if eval[bool](a, `document.querySelector('.msg details.quoted').open || document.querySelector('.msg details.quoted .body').checkVisibility()`) {
			t.Fatalf("%s: the quoted history is shown before it is asked for", lang.code)
		}
	}
	a.do("open the quote", chromedp.Click(chromedp.CSS(".msg details.quoted summary")))
	a.waitJS("quote shown", `document.querySelector('.msg details.quoted .body').checkVisibility()`)
	if got := a.text(".msg details.quoted .body"); !strings.Contains(got, "배송지가 맞는지") {
		t.Fatalf("opened quote shows %q", got)
	}
	a.do("html ticket", chromedp.Navigate(e.ts.URL+"/tickets/"+htmlPID), chromedp.WaitVisible(chromedp.ID("composer")))
	a.ready()
	doc := eval[string](a, `document.querySelector('iframe.mailframe').getAttribute('srcdoc')`)
	fold := strings.Index(doc, `<details class="hb-quoted"><summary>`)
	if fold < 0 || strings.Index(doc, "Thanks!") > fold || strings.Index(doc, "old answer") < fold {
		t.Fatalf("HTML mail not folded at its quote: %s", doc)
	}
}
