package ui_test

import (
	"encoding/base64"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store"
)

// TestBrowserBidiNames: names and file names with bidirectional overrides
// (as stored before ingest dropped them) show without them and each in its
// own <bdi>, in the list, the ticket and the sidebar.
func TestBrowserBidiNames(t *testing.T) {
	e := newEnv(t, store.SQLite)
	bctx := browser(t)
	a := newTab(t, bctx)
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	pid := e.ingest(map[string]any{"external_id": "bidi-1", "subject": "청구서 \u202Eevil", "text": "첨부합니다",
		"contact":     map[string]any{"external_id": "bidi-c", "name": "정상"},
		"attachments": []map[string]any{{"name": "invoice.txt", "content_type": "text/plain", "data": base64.StdEncoding.EncodeToString([]byte("x"))}}})
	// Data from before names were cleaned at ingest.
	tk, err := e.srv.Inbox.TicketByPublicID(e.ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	db := e.srv.Store.DB
	if err := db.Exec("UPDATE contacts SET name = ? WHERE id = ?", "\u202Enimda 관리자", tk.ContactID).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("UPDATE attachments SET name = ? WHERE message_id IN (SELECT id FROM messages WHERE ticket_id = ?)", "invoice\u202Egnp.exe", tk.ID).Error; err != nil {
		t.Fatal(err)
	}
	const noControls = `!/[\u202A-\u202E\u2066-\u2069]/.test(document.body.textContent)`
	row := `.trow[data-ticket="` + pid + `"]`
	a.do("list", chromedp.Navigate(e.ts.URL+"/tickets?view=all"), chromedp.WaitVisible(chromedp.CSS(row)))
	if got := eval[string](a, `document.querySelector('`+row+` .tcontact > bdi').textContent`); got != "nimda 관리자" {
		t.Fatalf("list contact %q", got)
	}
	if !eval[bool](a, `!!document.querySelector('`+row+` .tsubject > bdi')`) || !eval[bool](a, noControls) {
		t.Fatal("the list shows a subject outside <bdi> or a bidirectional control")
	}
	a.do("ticket", chromedp.Navigate(e.ts.URL+"/tickets/"+pid), chromedp.WaitVisible(chromedp.ID("composer")))
	for sel, want := range map[string]string{
		`.cname bdi`:     "nimda 관리자",
		`.atts .attname`: "invoicegnp.exe",
		`#subject bdi`:   "청구서 evil",
		`.msg .author`:   "nimda 관리자",
	} {
		if got := eval[string](a, `(n => n ? (n.closest('bdi') || n.querySelector('bdi') ? 'bdi:' : 'none:') + n.textContent : 'missing')(document.querySelector('`+sel+`'))`); got != "bdi:"+want {
			t.Errorf("%s: %q, want %q in <bdi>", sel, got, want)
		}
	}
	if !eval[bool](a, noControls) {
		t.Fatal("the ticket page shows a bidirectional control: " + eval[string](a, `[...document.querySelectorAll('body *')].filter(n => n.children.length === 0 && /[\u202A-\u202E\u2066-\u2069]/.test(n.textContent)).map(n => n.outerHTML).join('\n')`))
	}
}
