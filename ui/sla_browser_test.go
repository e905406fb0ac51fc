package ui_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestBrowserSLA: an admin working in Korean creates an SLA policy on the
// SLA screen (a refused form first, in Korean); changing a ticket's priority
// on its page applies the policy and the ticket shows its first-response due
// time; a ticket already past its due time shows "SLA 위반" on its page and
// in the list. An agent working in English sorts the inbox by "Due
// soonest" and sees the same in English.
func TestBrowserSLA(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) { testBrowserSLA(t, d) })
	}
}

func testBrowserSLA(t *testing.T, dialect string) {
	e := newEnv(t, dialect)
	if err := auth.CreateAgent(e.ctx, e.srv.Store, "lee@example.com", "Agent Lee", store.RoleAgent, "agent-password"); err != nil {
		t.Fatal(err)
	}
	bctx := browser(t)
	shots := shotDir(t)
	admin := newTab(t, bctx)
	agent := newTab(t, bctx)

	admin.do("Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/login"), chromedp.WaitVisible(chromedp.ID("email")))
	admin.login(e.ts.URL, "admin@example.com", "admin-password")
	admin.do("SLA screen", chromedp.Navigate(e.ts.URL+"/admin/sla"), chromedp.WaitVisible(chromedp.ID("sla-new")))
	admin.ready()
	if got := admin.text("h1"); got != "SLA 정책" {
		t.Fatalf("Korean title %q", got)
	}
	if got := admin.text("#no-sla"); got != "아직 SLA 정책이 없습니다." {
		t.Fatalf("empty state %q", got)
	}
	// No target: refused by the server, in Korean.
	admin.do("submit without a target", chromedp.SendKeys(chromedp.ID("sla-new-name"), "긴급 응답"),
		chromedp.Click(chromedp.CSS(`#sla-new button[type=submit]`)))
	admin.waitJS("refusal", `!document.querySelector('#sla-new [data-error]').hidden`)
	if got := admin.text("#sla-new [data-error]"); got != "첫 응답이나 해결 목표 시간을 입력하세요(분 단위, 최대 366일)." {
		t.Fatalf("refusal %q", got)
	}
	eval[bool](admin, `(s => (s.value = 'urgent', true))(document.getElementById('sla-new-priority'))`)
	eval[bool](admin, `(s => (s.value = 'minutes', true))(document.getElementById('sla-new-warnmode'))`)
	admin.do("create the policy", chromedp.SendKeys(chromedp.ID("sla-new-fr"), "30"), chromedp.SendKeys(chromedp.ID("sla-new-res"), "240"),
		chromedp.SetValue(chromedp.ID("sla-new-warn"), "10"), chromedp.Click(chromedp.CSS(`#sla-new button[type=submit]`)))
	var list struct {
		Items []struct {
			ID                   int64  `json:"id"`
			Name                 string `json:"name"`
			Priority             string `json:"priority"`
			TeamID               *int64 `json:"team_id"`
			FirstResponseMinutes int64  `json:"first_response_minutes"`
			ResolutionMinutes    int64  `json:"resolution_minutes"`
			WarnMinutes          int64  `json:"warn_minutes"`
			Enabled              bool   `json:"enabled"`
		} `json:"items"`
	}
	eventually(t, "the policy stored", func() bool {
		e.call("GET", "/api/v1/sla-policies", e.adminTok, nil, http.StatusOK, &list)
		return len(list.Items) > 0
	})
	p := list.Items[0]
	if len(list.Items) != 1 || p.Name != "긴급 응답" || p.Priority != "urgent" || p.TeamID != nil || p.FirstResponseMinutes != 30 ||
		p.ResolutionMinutes != 240 || p.WarnMinutes != 10 || !p.Enabled {
		t.Fatalf("created policy = %+v", list.Items)
	}
	admin.do("the policy's form after the reload", chromedp.WaitVisible(chromedp.ID(fmt.Sprintf("sla-%d", p.ID))))
	if got := eval[string](admin, fmt.Sprintf(`document.getElementById('sla-%d-priority').selectedOptions[0].textContent`, p.ID)); got != "긴급" {
		t.Fatalf("priority shown as %q", got)
	}
	admin.screenshot(shots, "sla-admin-ko.png")

	// A fresh ticket made urgent on its page shows its due time.
	fresh := e.ingest(map[string]any{"external_id": "sla-1", "thread_key": "s-1", "contact": map[string]any{"external_id": "c-s1", "name": "김민지"},
		"text": "결제가 안 돼요"})
	// Another, written two hours ago: made urgent, it is already past due.
	late := e.ingest(map[string]any{"external_id": "sla-2", "thread_key": "s-2", "contact": map[string]any{"external_id": "c-s2", "name": "박서준"},
		"text": "환불은 언제 되나요"})
	if err := e.srv.Store.DB.Model(&store.Ticket{}).Where("public_id = ?", late).Update("created_at", time.Now().Add(-2*time.Hour)).Error; err != nil {
		t.Fatal(err)
	}
	urgent := func(tab *agentTab, id string) {
		t.Helper()
		tab.do("ticket "+id, chromedp.Navigate(e.ts.URL+"/tickets/"+id), chromedp.WaitVisible(chromedp.ID("f-priority")))
		tab.ready()
		tab.waitLive()
		eval[bool](tab, `(s => (s.value = 'urgent', s.dispatchEvent(new Event('change', {bubbles: true})), true))(document.getElementById('f-priority'))`)
		tab.waitJS("the SLA card", `document.querySelector('#sla-card [data-sla-target="first_response"]') !== null`)
	}
	urgent(admin, fresh)
	tk, err := e.srv.Inbox.TicketByPublicID(e.ctx, fresh)
	if err != nil {
		t.Fatal(err)
	}
	want := tk.CreatedAt.Add(30 * time.Minute).UTC().Format(time.RFC3339)
	if got := eval[string](admin, `document.querySelector('#sla-card [data-sla-target="first_response"] time').getAttribute('datetime')`); got != want {
		t.Fatalf("first-response due shown %q, want %q", got, want)
	}
	if got := admin.text(`#sla-card [data-sla-target="first_response"] .badge`); got != "진행 중" {
		t.Fatalf("state of a fresh ticket %q", got)
	}
	if got := admin.text(`#sla-card [data-sla-target="first_response"] span`); got != "첫 응답 기한" {
		t.Fatalf("label %q", got)
	}
	urgent(admin, late)
	admin.waitJS("the breach badge", `document.querySelector('#sla-card [data-sla-target="first_response"]').dataset.slaState === 'breached'`)
	if got := admin.text(`#sla-card [data-sla-target="first_response"] .badge`); got != "SLA 위반" {
		t.Fatalf("state of a late ticket %q", got)
	}
	admin.screenshot(shots, "sla-ticket-ko.png")
	// The breach timer fires, once, as a durable event.
	lt, err := e.srv.Inbox.TicketByPublicID(e.ctx, late)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the sla.breached event", func() bool {
		var n int64
		e.srv.Store.DB.Model(&store.Event{}).Where("type = ? AND ticket_id = ?", "sla.breached", lt.ID).Count(&n)
		return n == 1
	})
	admin.do("inbox", chromedp.Navigate(e.ts.URL+"/tickets?view=open"), chromedp.WaitVisible(chromedp.ID("ticket-list")))
	if got := admin.text(fmt.Sprintf(`.trow[data-ticket="%s"] [data-sla]`, late)); got != "SLA 위반" {
		t.Fatalf("row badge %q", got)
	}

	// The agent, in English, sorts by due time.
	agent.login(e.ts.URL, "lee@example.com", "agent-password")
	agent.do("due soonest", chromedp.Click(chromedp.ID("sort-due")), chromedp.WaitVisible(chromedp.CSS(`#sort-due[aria-current]`)))
	if got := agent.text("#sort-due"); got != "Due soonest" {
		t.Fatalf("sort label %q", got)
	}
	order := eval[[]string](agent, `[...document.querySelectorAll('#ticket-list .trow')].map(r => r.dataset.ticket)`)
	if len(order) != 2 || order[0] != late || order[1] != fresh {
		t.Fatalf("due order %v, want [%s %s]", order, late, fresh)
	}
	if got := agent.text(fmt.Sprintf(`.trow[data-ticket="%s"] [data-sla]`, late)); got != "SLA breached" {
		t.Fatalf("English row badge %q", got)
	}
	if got := eval[string](agent, fmt.Sprintf(`document.querySelector('.trow[data-ticket="%s"] [data-sla-due] time').getAttribute('datetime')`, fresh)); got != want {
		t.Fatalf("row due time %q, want %q", got, want)
	}
	agent.screenshot(shots, "sla-inbox-en.png")
	agent.do("the late ticket", chromedp.Navigate(e.ts.URL+"/tickets/"+late), chromedp.WaitVisible(chromedp.ID("sla-card")))
	if got := agent.text(`#sla-card [data-sla-target="first_response"] span`); got != "First response due" {
		t.Fatalf("English label %q", got)
	}
	if got := agent.text(`#sla-card [data-sla-target="first_response"] .badge`); got != "SLA breached" {
		t.Fatalf("English state %q", got)
	}
}
