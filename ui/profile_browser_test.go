package ui_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestBrowserProfileAndSavedReplies: an agent renames themself, picks
// Korean and a signature on their profile page; an admin finds and edits
// saved replies; "/" in the composer inserts one, with the fallback word
// for a customer who gave no name, and the reply carries the signature.
func TestBrowserProfileAndSavedReplies(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) { testBrowserProfileAndSavedReplies(t, d) })
	}
}

func testBrowserProfileAndSavedReplies(t *testing.T, dialect string) {
	e := newEnv(t, dialect)
	bctx := browser(t)
	a := newTab(t, bctx)
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	adminID := agentID(t, e, "admin@example.com")

	// Profile: the browser reads English until the agent picks Korean.
	a.do("profile", chromedp.Navigate(e.ts.URL+"/password"), chromedp.WaitVisible(chromedp.ID("profile-form")))
	a.ready()
	if got := a.text(`#profile-form h1`); got != "My profile" {
		t.Fatalf("profile title %q", got)
	}
	eval[bool](a, `(f => (f.elements.name.value = '', f.locale.value = 'ko', f.signature_mode.value = 'all', true))(document.getElementById('profile-form'))`)
	a.do("fill profile", chromedp.SendKeys(chromedp.ID("pf-name"), "김관리"), chromedp.SendKeys(chromedp.ID("pf-signature"), "김관리 드림"),
		chromedp.Click(chromedp.CSS(`#profile-form button[type=submit]`)))
	a.waitJS("Korean profile page", `document.documentElement.lang === 'ko' && document.querySelector('#profile-form h1') && document.querySelector('#profile-form h1').textContent === '내 프로필'`)
	a.ready()
	ag, err := e.srv.Inbox.AgentByEmail(e.ctx, "admin@example.com")
	if err != nil || ag.Name != "김관리" || ag.Locale != "ko" || ag.Signature != "김관리 드림" || ag.SignatureMode != store.SignatureAll {
		t.Fatalf("profile not saved: %+v %v", ag, err)
	}
	if got := eval[string](a, `document.getElementById('pf-name').value`); got != "김관리" {
		t.Fatalf("name field after saving %q", got)
	}
	// No "deactivate" on one's own row.
	a.do("agents", chromedp.Navigate(e.ts.URL+"/admin/agents"), chromedp.WaitVisible(chromedp.CSS(`table`)))
	a.ready()
	if eval[bool](a, `!!document.querySelector('[data-agent-active="`+strconv.FormatInt(adminID, 10)+`"]')`) {
		t.Fatal("the admin can deactivate themself")
	}

	// Saved replies: search and edit in place.
	for _, r := range []map[string]any{{"name": "배송 안내", "body": "안녕하세요 {{contact.name}}님, 배송은 2일 걸립니다."}, {"name": "환불 절차", "body": "환불은 3일 안에 됩니다."}} {
		e.call("POST", "/api/v1/saved-replies", e.adminTok, r, http.StatusCreated, nil)
	}
	a.do("saved replies", chromedp.Navigate(e.ts.URL+"/admin/saved-replies"), chromedp.WaitVisible(chromedp.ID("sr-search")))
	a.ready()
	visible := `[...document.querySelectorAll('#sr-list [data-reply]')].filter(li => !li.hidden).map(li => li.querySelector('[data-reply-name]').textContent).join('|')`
	a.do("search", chromedp.SendKeys(chromedp.ID("sr-search"), "환불"))
	if got := eval[string](a, visible); got != "환불 절차" {
		t.Fatalf("search 환불 shows %q", got)
	}
	a.do("search nothing", chromedp.SendKeys(chromedp.ID("sr-search"), "없는말"))
	a.waitJS("no match", `!document.getElementById('sr-none').hidden`)
	eval[bool](a, `(q => (q.value = '', q.dispatchEvent(new Event('input')), true))(document.getElementById('sr-search'))`)
	if got := eval[string](a, visible); got != "배송 안내|환불 절차" {
		t.Fatalf("cleared search shows %q", got)
	}
	a.do("edit", chromedp.Click(chromedp.CSS(`[data-edit-reply]`)))
	a.waitJS("edit form open, focused", `document.activeElement && document.activeElement.name === 'name' && !document.activeElement.closest('form').hidden`)
	eval[bool](a, `(f => (f.body.value = '', true))(document.querySelector('[data-reply-form]'))`)
	a.do("new body", chromedp.SendKeys(chromedp.CSS(`[data-reply-form] textarea`), "안녕하세요 {{contact.name}}님, 배송은 내일 출발합니다."),
		chromedp.Click(chromedp.CSS(`[data-reply-form] button[type=submit]`)))
	a.waitJS("edited body shown", `document.querySelector('[data-reply-body]').textContent.includes('내일 출발') && document.querySelector('[data-reply-form]').hidden`)
	srs, err := e.srv.Store.ListSavedReplies(e.ctx)
	if err != nil || len(srs) != 2 || !strings.Contains(srs[0].Body, "내일 출발") {
		t.Fatalf("saved replies %+v %v", srs, err)
	}

	// A visitor who gave no name: "/" inserts the reply with "고객".
	pid := e.ingest(map[string]any{"external_id": "p1", "subject": "배송", "text": "언제 와요?", "contact": map[string]any{"external_id": "anon-1"}})
	a.do("ticket", chromedp.Navigate(e.ts.URL+"/tickets/"+pid), chromedp.WaitVisible(chromedp.ID("composer")))
	a.ready()
	a.waitJS("suggestions loaded", `document.getElementById('composer').dataset.suggest === 'ready'`)
	a.do("type /", chromedp.Click(chromedp.ID("body")), chromedp.SendKeys(chromedp.ID("body"), "/배송"))
	a.waitJS("saved reply suggested", `!document.getElementById('suggest').hidden && document.querySelector('#suggest [role=option][aria-selected=true]').textContent.includes('배송 안내')`)
	a.do("take it", chromedp.KeyEvent("\t"))
	if got := eval[string](a, `document.getElementById('body').value`); got != "안녕하세요 고객님, 배송은 내일 출발합니다." {
		t.Fatalf("inserted %q", got)
	}
	// "@" suggests nothing in a reply (mentions are for notes).
	a.do("type @", chromedp.SendKeys(chromedp.ID("body"), " @"))
	if !eval[bool](a, `document.getElementById('suggest').hidden`) {
		t.Fatal("mentions suggested in a reply")
	}
	a.do("send", chromedp.Click(chromedp.ID("send")))
	a.waitJS("reply with signature", `[...document.querySelectorAll('#thread .msg.d-outbound')].some(m => m.textContent.includes('내일 출발') && m.textContent.includes('김관리 드림'))`)
	if n := a.dialogs.Load(); n != 0 {
		t.Fatalf("%d JavaScript dialogs opened", n)
	}
}
