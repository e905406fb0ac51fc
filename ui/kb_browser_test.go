package ui_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/kb"
	"github.com/hanbox/hanbox/store"
)

// TestBrowserKnowledgeBase: an agent writes an article, previews it, saves
// a draft, publishes it, and links it into a reply from the composer.
func TestBrowserKnowledgeBase(t *testing.T) {
	e := newEnv(t, store.SQLite)
	bctx := browser(t)
	a := newTab(t, bctx)
	a.login(e.ts.URL, "admin@example.com", "admin-password")

	a.do("kb page", chromedp.Navigate(e.ts.URL+"/kb"), chromedp.WaitVisible(chromedp.ID("kb-empty")))
	a.do("new article", chromedp.Click(chromedp.ID("kb-new")), chromedp.WaitVisible(chromedp.ID("kb-form")),
		chromedp.SendKeys(chromedp.ID("kb-title"), "배송 기간 안내"),
		chromedp.SendKeys(chromedp.ID("kb-category"), "배송"),
		chromedp.SetValue(chromedp.ID("kb-locale-field"), "ko"),
		chromedp.SendKeys(chromedp.ID("kb-body"), "주문 후 **2~3일** 안에 도착합니다.\n\n<script>window.pwned=1</script>"),
		chromedp.Click(chromedp.ID("kb-preview-btn")))
	a.waitJS("preview rendered", `!!document.querySelector('#kb-preview strong') && document.querySelector('#kb-preview strong').textContent === '2~3일'`)
	if eval[bool](a, `!!document.querySelector('#kb-preview script') || window.pwned === 1`) {
		t.Fatal("preview kept the script")
	}
	// Saving navigates to the article's own page, which has a status badge.
	a.do("save draft", chromedp.Click(chromedp.ID("kb-save")), chromedp.WaitVisible(chromedp.ID("kb-status")))
	a.waitJS("draft saved", `location.pathname.startsWith('/kb/') && document.getElementById('kb-status')?.dataset.status === 'draft'`)
	arts, err := e.srv.Store.ListKBArticles(context.Background(), store.KBFilter{})
	if err != nil || len(arts) != 1 || arts[0].Status != store.KBDraft || arts[0].Locale != "ko" {
		t.Fatalf("after draft: %+v %v", arts, err)
	}
	// The help center does not show a draft.
	if res, _ := e.get(kb.Path(&arts[0]), ""); res.StatusCode != 404 {
		t.Fatalf("draft public: %d", res.StatusCode)
	}
	a.do("publish", chromedp.Click(chromedp.ID("kb-publish")), chromedp.WaitVisible(chromedp.ID("kb-public")))
	a.waitJS("published", `document.getElementById('kb-status')?.dataset.status === 'published' && !!document.getElementById('kb-public')`)
	if res, body := e.get(kb.Path(&arts[0]), ""); res.StatusCode != 200 || !strings.Contains(body, "<strong>2~3일</strong>") {
		t.Fatalf("published page: %d %s", res.StatusCode, body)
	}
	a.do("list", chromedp.Navigate(e.ts.URL+"/kb?q="+url.QueryEscape("배송")), chromedp.WaitVisible(chromedp.ID("kb-list")))
	if got := a.text("#kb-list tbody"); !strings.Contains(got, "배송 기간 안내") {
		t.Fatalf("kb search list %q", got)
	}

	// Link it into a reply.
	pid := e.ingest(map[string]any{"external_id": "kb1", "subject": "언제 와요?", "text": "배송이 언제 오나요",
		"contact": map[string]any{"external_id": "c-kb", "name": "이수진"}})
	a.do("open ticket", chromedp.Navigate(e.ts.URL+"/tickets/"+pid), chromedp.WaitVisible(chromedp.ID("composer")),
		chromedp.Click(chromedp.ID("kb-link")), chromedp.WaitVisible(chromedp.ID("kb-q")),
		chromedp.SendKeys(chromedp.ID("kb-q"), "배송"))
	a.waitJS("article offered", `!!document.querySelector('#kb-results [data-kb-insert]')`)
	a.do("insert", chromedp.Click(chromedp.CSS(`#kb-results [data-kb-insert]`)))
	got := eval[string](a, `document.getElementById('body').value`)
	if !strings.Contains(got, "배송 기간 안내: https://") || !strings.Contains(got, kb.Path(&arts[0])) {
		t.Fatalf("composer after insert %q", got)
	}
}
