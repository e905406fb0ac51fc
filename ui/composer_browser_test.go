package ui_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store"
)

// TestBrowserComposerAndAdmin covers the admin forms, saved replies with
// placeholders, attachments, a failed delivery and its retry.
func TestBrowserComposerAndAdmin(t *testing.T) {
	e := newEnv(t, store.SQLite)
	bctx := browser(t)
	a := newTab(t, bctx)
	a.login(e.ts.URL, "admin@example.com", "admin-password")

	// Saved reply through the admin form.
	a.do("saved replies page", chromedp.Navigate(e.ts.URL+"/admin/saved-replies"), chromedp.WaitVisible(chromedp.ID("reply-form")))
	a.ready()
	a.do("save a reply",
		chromedp.SendKeys(chromedp.ID("sr-name"), "인사"),
		chromedp.SendKeys(chromedp.ID("sr-body"), "안녕하세요 {{contact.name}}님, {{agent.name}}입니다."),
		chromedp.Click(chromedp.CSS(`#reply-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-delete-reply]`)))

	// An api channel through the admin form: the token is shown once.
	a.do("channels page", chromedp.Navigate(e.ts.URL+"/admin/channels"), chromedp.WaitVisible(chromedp.ID("channel-form")))
	a.ready()
	eval[bool](a, `(s => (s.value = 'api', s.dispatchEvent(new Event('change', {bubbles: true}))))(document.getElementById('ch-kind'))`)
	a.do("create channel",
		chromedp.SendKeys(chromedp.ID("ch-name"), "CRM 연동"),
		chromedp.Click(chromedp.CSS(`#channel-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("channel-created")))
	if tok := a.text("#created-token"); len(tok) < 20 {
		t.Fatalf("created token %q", tok)
	}
	if u := a.text("#created-inbound"); !strings.Contains(u, "/api/v1/channels/") || !strings.HasSuffix(u, "/inbound") {
		t.Fatalf("inbound URL %q", u)
	}
	a.waitJS("new channel listed", `document.getElementById('channels').textContent.includes('CRM 연동')`)

	pid := e.ingest(map[string]any{"external_id": "s1", "subject": "사진 확인 부탁드려요", "text": "상품 사진을 보내 주세요",
		"contact": map[string]any{"external_id": "c9", "name": "김민지"}})
	a.do("open ticket", chromedp.Navigate(e.ts.URL+"/tickets/"+pid), chromedp.WaitVisible(chromedp.ID("composer")))
	a.waitLive()
	a.waitJS("saved replies loaded", `document.getElementById('saved').options.length === 2`)
	eval[bool](a, `(s => (s.selectedIndex = 1, s.dispatchEvent(new Event('change', {bubbles: true}))))(document.getElementById('saved'))`)
	if got := eval[string](a, `document.getElementById('body').value`); got != "안녕하세요 김민지님, Admin Kim입니다." {
		t.Fatalf("saved reply filled %q", got)
	}
	file := filepath.Join(t.TempDir(), "영수증.txt")
	if err := os.WriteFile(file, []byte("receipt"), 0o644); err != nil {
		t.Fatal(err)
	}
	a.do("attach", chromedp.SetUploadFiles(chromedp.ID("files"), []string{file}))
	a.waitJS("file pending", `document.getElementById('pending-files').textContent.includes('영수증.txt')`)

	// The customer's system refuses the webhook: the failure shows live with a retry button.
	e.hooks.fail.Store(true)
	a.do("send", chromedp.Click(chromedp.ID("send")))
	a.waitJS("failure shown", `!!document.querySelector('#thread [data-retry]') && document.querySelector('#thread .failed').textContent.includes('400')`)
	if got := a.text("#thread .msg.d-outbound .atts"); !strings.Contains(got, "영수증.txt") {
		t.Fatalf("the reply's attachment is not listed: %q", got)
	}
	// Explained by its cause in the agent's language (the connector's text
	// only under "Technical details"), and marked on the inbox row.
	if got := a.text("#thread .failed p span"); got != "The receiving side refused the reply. Check the address or the channel's settings." {
		t.Fatalf("failure explained as %q", got)
	}
	row := `.trow[data-ticket="` + pid + `"]`
	a.do("inbox", chromedp.Navigate(e.ts.URL+"/tickets?view=all"), chromedp.WaitVisible(chromedp.CSS(row+` [data-failed]`)))
	a.do("back to the ticket", chromedp.Navigate(e.ts.URL+"/tickets/"+pid), chromedp.WaitVisible(chromedp.CSS(`#thread [data-retry]`)))
	a.waitLive()
	e.hooks.fail.Store(false)
	eval[bool](a, `document.querySelector('#thread [data-retry]').scrollIntoView({block: 'center'}), true`)
	a.do("retry", chromedp.Click(chromedp.CSS(`#thread [data-retry]`)))
	a.waitJS("sent after retry", `!!document.querySelector('#thread .msg.d-outbound [data-delivery="sent"]') && !document.querySelector('#thread [data-retry]')`)
	a.do("inbox after the retry", chromedp.Navigate(e.ts.URL+"/tickets?view=all"), chromedp.WaitVisible(chromedp.CSS(row)))
	if eval[bool](a, `!!document.querySelector('`+row+` [data-failed]')`) {
		t.Fatal("the row is still marked failed after a successful retry")
	}
	a.do("ticket again", chromedp.Navigate(e.ts.URL+"/tickets/"+pid), chromedp.WaitVisible(chromedp.ID("composer")))
	// The composer sent the reply with an Idempotency-Key.
	var keys int64
	e.srv.Store.DB.Model(&store.IdempotencyKey{}).Count(&keys)
	if keys != 1 {
		t.Fatalf("idempotency keys stored = %d, want 1 (the composer sends one per draft)", keys)
	}
	hooks := e.hooks.all()
	if len(hooks) != 1 || !strings.Contains(hooks[0]["text"].(string), "김민지님") {
		t.Fatalf("webhooks after retry: %v", hooks)
	}
	atts, _ := hooks[0]["attachments"].([]any)
	if len(atts) != 1 || atts[0].(map[string]any)["name"] != "영수증.txt" {
		t.Fatalf("webhook attachments: %v", hooks[0]["attachments"])
	}

	// Sidebar: tags, merge another ticket of the same customer, snooze.
	other := e.ingest(map[string]any{"external_id": "s2", "subject": "다른 문의", "text": "하나 더 있어요",
		"contact": map[string]any{"external_id": "c9", "name": "김민지"}})
	a.do("reload", chromedp.Navigate(e.ts.URL+"/tickets/"+pid), chromedp.WaitVisible(chromedp.ID("composer")))
	a.waitLive()
	if !strings.Contains(a.text("#side"), "다른 문의") {
		t.Fatal("the customer's other ticket is not listed")
	}
	a.do("tags", chromedp.SendKeys(chromedp.ID("f-tags"), "사진, vip\r"))
	a.waitJS("tags saved", `document.getElementById('f-tags').value === '사진, vip'`)
	a.do("merge", chromedp.SendKeys(chromedp.ID("f-merge-ticket"), other+"\r"))
	a.waitJS("merged in", `document.getElementById('thread').textContent.includes('하나 더 있어요')`)
	merged, err := e.srv.Inbox.TicketByPublicID(e.ctx, other)
	if err != nil || merged.Status != store.StatusClosed {
		t.Fatalf("merged ticket: %+v %v", merged, err)
	}
	eval[bool](a, `(i => (i.value = '2099-01-02T09:30', true))(document.getElementById('f-snooze'))`)
	a.do("snooze", chromedp.Click(chromedp.CSS(`#snooze-form button`)))
	a.waitJS("snoozed", `document.getElementById('conv').dataset.status === 'snoozed'`)

	// An anonymous customer (no name, no address): the sidebar reads
	// "Visitor #id" and the saved reply's {{contact.name}} becomes the
	// fallback word.
	anon := e.ingest(map[string]any{"external_id": "s3", "subject": "익명 문의", "text": "이름은 없어요",
		"contact": map[string]any{"external_id": "anon-1"}})
	a.do("anonymous ticket", chromedp.Navigate(e.ts.URL+"/tickets/"+anon), chromedp.WaitVisible(chromedp.ID("composer")))
	a.waitJS("saved replies loaded", `document.getElementById('saved').options.length === 2`)
	eval[bool](a, `(s => (s.selectedIndex = 1, s.dispatchEvent(new Event('change', {bubbles: true}))))(document.getElementById('saved'))`)
	if got := eval[string](a, `document.getElementById('body').value`); got != "안녕하세요 고객님, Admin Kim입니다." {
		t.Fatalf("saved reply for an anonymous customer filled %q", got)
	}
	if got := a.text(".cname bdi"); !strings.HasPrefix(got, "Visitor #") {
		t.Fatalf("anonymous customer shown as %q", got)
	}
	eval[bool](a, `document.getElementById('body').value = '', true`)
	// Admins have no deactivate button on their own row.
	a.do("agents", chromedp.Navigate(e.ts.URL+"/admin/agents"), chromedp.WaitVisible(chromedp.CSS("main")))
	adminRow := `tr[data-agent="` + itoa(agentID(t, e, "admin@example.com")) + `"]`
	if eval[bool](a, `!!document.querySelector('`+adminRow+` [data-agent-active]')`) {
		t.Fatal("the admin can deactivate themselves from their own row")
	}
	if n := a.dialogs.Load(); n != 0 {
		t.Fatalf("%d dialogs", n)
	}
}
