package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store"
)

// TestBrowserCSATAdminAndTicket: an admin turns the CSAT survey on for a
// channel in the channels page (Korean); a resolved ticket's customer rates
// it 2 with a comment; the agent sees the rating, the comment and the low
// flag on the ticket page.
func TestBrowserCSATAdminAndTicket(t *testing.T) {
	e := newEnv(t, store.SQLite)
	bctx := browser(t)
	a := newTab(t, bctx)
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("channels page", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/admin/channels"), chromedp.WaitVisible(chromedp.ID("csat-form")))
	a.waitJS("csat setting loaded", `document.getElementById('csat-form').dataset.ready === '`+itoa(e.chanID)+`'`)
	if got := a.text(`#csat-form h2`); got != "만족도 조사 (CSAT)" {
		t.Fatalf("heading %q", got)
	}
	// Activated through the DOM: a mouse click at the box's coordinates was
	// lost once under the race detector (the saved setting stayed off).
	if !eval[bool](a, `(el => { if (!el.checked) el.click(); return el.checked; })(document.getElementById('csat-enabled'))`) {
		t.Fatal("the enable box did not turn on")
	}
	a.waitJS("default cap shown", `document.getElementById('csat-cap').value === '30'`)
	a.set("csat-delay", "0")
	a.set("csat-cap", "14")
	a.set("csat-scale", "numbers")
	a.set("csat-qko", "상담은 어떠셨나요?")
	a.set("csat-tko", "감사합니다!")
	a.do("save", chromedp.Click(chromedp.ID("csat-save")))
	a.waitJS("saved", `document.getElementById('csat-form').dataset.saved === '`+itoa(e.chanID)+`'`)
	var set map[string]any
	e.call("GET", "/api/v1/channels/"+itoa(e.chanID)+"/csat", e.adminTok, nil, 200, &set)
	if set["enabled"] != true || set["question_ko"] != "상담은 어떠셨나요?" || set["thanks_ko"] != "감사합니다!" || set["scale"] != "numbers" || set["cap_days"] != float64(14) {
		t.Fatalf("setting %v", set)
	}

	tid := e.ingest(map[string]any{"external_id": "m1", "contact": map[string]any{"external_id": "c1", "name": "민지"}, "text": "배송이 늦어요"})
	e.call("POST", "/api/v1/tickets/"+tid+"/replies", e.adminTok, map[string]any{"text": "확인해 드릴게요"}, 201, nil)
	e.call("PATCH", "/api/v1/tickets/"+tid, e.adminTok, map[string]any{"status": "resolved"}, 200, nil)
	tk, err := e.srv.Inbox.TicketByPublicID(e.ctx, tid)
	if err != nil {
		t.Fatal(err)
	}
	var sv store.Survey
	// The survey's request message is published with it.
	e.waitEvents("a survey after resolving", func() bool { return e.srv.Store.DB.Where("ticket_id = ?", tk.ID).Take(&sv).Error == nil })
	u, err := e.srv.Inbox.SurveyURL(e.ctx, &sv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Inbox.AnswerSurvey(e.ctx, u[strings.LastIndex(u, "/s/")+3:], 2, "너무 느려요"); err != nil {
		t.Fatal(err)
	}
	a.do("ticket page", chromedp.Navigate(e.ts.URL+"/tickets/"+tid), chromedp.WaitVisible(chromedp.ID("ratings-card")))
	got := a.text("#ratings-card")
	if !strings.Contains(got, "고객 만족도") || !strings.Contains(got, "2/5") || !strings.Contains(got, "너무 느려요") || !strings.Contains(got, "낮음") {
		t.Fatalf("ratings card %q", got)
	}
}
