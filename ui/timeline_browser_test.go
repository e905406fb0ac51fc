package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestBrowserContactTimeline: the contact page shows the built-in visit
// counters and one timeline, newest first, of the messages sent to the
// customer, their events, their page visits (a hostile title and URL as
// text) and their conversations, in Korean and English; a merged contact's
// page undoes the merge and the customer's own visits come back with it.
func TestBrowserContactTimeline(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) { testBrowserContactTimeline(t, d) })
	}
}

func testBrowserContactTimeline(t *testing.T, dialect string) {
	e := newEnv(t, dialect)
	ctx := context.Background()
	svc := e.srv.Inbox
	view := func(visitor, u, title string) {
		t.Helper()
		if _, err := svc.RecordPageView(ctx, inbox.PageViewInput{ChannelID: e.chanID, Visitor: visitor, URL: u, Title: title}); err != nil {
			t.Fatal(err)
		}
	}
	chat := func(visitor, ext, name string) inbox.IngestResult {
		t.Helper()
		r, err := svc.Ingest(ctx, &inbox.Inbound{ChannelID: e.chanID, ExternalID: ext, Text: "가격 문의드려요", ThreadKeys: []string{"widget:" + ext},
			Contact: inbox.ContactRef{Kind: inbox.IdentityWidget, ID: visitor, Name: name}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	view("pk/v-minji", "https://shop.example/pricing", "요금제")
	res := chat("pk/v-minji", "w1", "김민지")
	view("pk/v-minji", "https://shop.example/checkout?q=<script>", `<img src=x onerror="window.__xss=1">결제`)
	e.call("POST", fmt.Sprintf("/api/v1/contacts/%d/events", res.ContactID), e.adminTok, map[string]any{"name": "cart_added"}, http.StatusCreated, nil)
	tk, err := svc.Ticket(ctx, res.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	e.call("POST", "/api/v1/tickets/"+tk.PublicID+"/replies", e.adminTok, map[string]any{"text": "요금제 안내드립니다"}, http.StatusCreated, nil)

	bctx := browser(t)
	a := newTab(t, bctx)
	a.do("Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/login"), chromedp.WaitVisible(chromedp.ID("email")))
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	page := fmt.Sprintf("%s/contacts/%d", e.ts.URL, res.ContactID)
	a.do("contact page", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("timeline")))
	a.ready()
	if got := eval[string](a, `['visits', 'pages_viewed', 'messages', 'conversations'].map(k => document.querySelector('[data-attr-value=' + k + ']').textContent).join(',')`); got != "1,2,1,1" {
		t.Fatalf("visits, pages, messages, conversations = %q", got)
	}
	if got := eval[string](a, `[...document.querySelectorAll('#timeline li')].map(li => li.className).join(',')`); got != "tl-message,tl-event,tl-visit,tl-ticket,tl-visit" {
		t.Fatalf("timeline order %q", got)
	}
	tl := a.text("#timeline")
	for _, want := range []string{"보낸 메시지", "요금제 안내드립니다", "cart_added", "페이지 방문", "새 방문", `<img src=x onerror="window.__xss=1">결제`, "https://shop.example/checkout?q=<script>", "대화"} {
		if !strings.Contains(tl, want) {
			t.Errorf("Korean timeline lacks %q: %q", want, tl)
		}
	}
	if eval[bool](a, `window.__xss === 1 || !!document.querySelector('#timeline img')`) {
		t.Fatal("a page title was rendered as markup")
	}
	if got := eval[string](a, `document.querySelector('#timeline .tl-visit a').getAttribute('rel')`); !strings.Contains(got, "noopener") {
		t.Fatalf("visit link rel %q", got)
	}
	// A segment of the customers who visited checkout pages, built in Korean.
	chat("pk/v-other", "w0", "다른 고객") // a customer with no visits
	a.do("segments", chromedp.Navigate(e.ts.URL+"/admin/segments"), chromedp.WaitVisible(chromedp.ID("segment-form")))
	a.ready()
	count := func(want string) {
		t.Helper()
		a.waitJS("count "+want, fmt.Sprintf(`(c => c.dataset.state === 'done' && c.dataset.count === %q)(document.getElementById('seg-count'))`, want))
	}
	count("2")
	a.do("add a condition", chromedp.Click(chromedp.ID("seg-add")))
	row := `#seg-rows .seg-row:nth-child(1) `
	eval[bool](a, `(s => (s.value = 'page', s.dispatchEvent(new Event('change', {bubbles: true})), true))(document.querySelector('`+row+`[name=kind]'))`)
	if got := eval[string](a, `(r => r.querySelector('[name=kind]').selectedOptions[0].textContent + '/' + [...r.querySelector('[name=pageop]').options].map(o => o.textContent).join(',') + '/' + r.querySelector('[name=value]').hidden + r.querySelector('[name=op]').hidden)(document.querySelector('`+row+`'))`); got != "방문한 페이지/주소에 포함,주소 패턴 (*)/falsetrue" {
		t.Fatalf("page row %q", got)
	}
	eval[bool](a, `(s => (s.value = 'pattern', s.dispatchEvent(new Event('change', {bubbles: true})), true))(document.querySelector('`+row+`[name=pageop]'))`)
	a.do("checkout pages within 7 days", chromedp.SendKeys(chromedp.CSS(row+"[name=value]"), "/checkout*"), chromedp.SendKeys(chromedp.CSS(row+"[name=days]"), "7"))
	count("1")
	if got := a.text("#seg-preview"); !strings.Contains(got, "김민지") {
		t.Fatalf("preview %q", got)
	}
	eval[bool](a, `(s => (s.value = '1', s.dispatchEvent(new Event('change', {bubbles: true})), true))(document.querySelector('`+row+`[name=not]'))`)
	// Did not visit: the other customer.
	a.waitJS("negated preview", `(p => p.includes('다른 고객') && !p.includes('김민지'))(document.getElementById('seg-preview').textContent)`)
	count("1")
	a.do("English", chromedp.Navigate(e.ts.URL+"/lang/en?next="+fmt.Sprintf("/contacts/%d", res.ContactID)), chromedp.WaitVisible(chromedp.ID("timeline")))
	a.ready()
	tl = a.text("#timeline")
	for _, want := range []string{"Message sent", "Page visit", "new visit", "Conversation"} {
		if !strings.Contains(tl, want) {
			t.Errorf("English timeline lacks %q: %q", want, tl)
		}
	}

	// Another visitor is merged into 김민지 by hand; their page undoes it.
	joe := chat("pk/v-joe", "w2", "Joe")
	view("pk/v-joe", "https://shop.example/refund", "Refund")
	e.call("POST", fmt.Sprintf("/api/v1/contacts/%d/merge", res.ContactID), e.adminTok, map[string]any{"from": fmt.Sprint(joe.ContactID)}, http.StatusOK, nil)
	a.do("merged contact", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("timeline")))
	a.ready()
	if got := eval[string](a, `document.querySelector('[data-attr-value=pages_viewed]').textContent`); got != "3" {
		t.Fatalf("pages viewed after the merge %q", got)
	}
	a.do("joe's page", chromedp.Navigate(fmt.Sprintf("%s/contacts/%d", e.ts.URL, joe.ContactID)), chromedp.WaitVisible(chromedp.CSS("[data-unmerge]")))
	a.ready()
	a.do("undo merge", chromedp.Click(chromedp.CSS("[data-unmerge]")))
	a.waitJS("confirm asked", `document.querySelector('[data-unmerge]').dataset.confirming === 'true'`)
	a.do("confirm", chromedp.Click(chromedp.CSS("[data-unmerge]")))
	a.waitJS("unmerged", `!document.querySelector('[data-merged]') && !!document.querySelector('#timeline .tl-visit')`)
	if got := a.text("#timeline"); !strings.Contains(got, "Refund") || strings.Contains(got, "결제") {
		t.Fatalf("Joe's timeline after the unmerge %q", got)
	}
	a.do("back to 김민지", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("timeline")))
	a.ready()
	if got := eval[string](a, `document.querySelector('[data-attr-value=pages_viewed]').textContent`); got != "2" {
		t.Fatalf("pages viewed after the unmerge %q", got)
	}
}
