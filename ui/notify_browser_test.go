package ui_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// grantNotifications lets the tab's pages on origin show notifications, as
// an agent who clicked "allow" would.
func (a *agentTab) grantNotifications(origin string) {
	a.t.Helper()
	a.do("grant notifications", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: "notifications"}, Setting: cdpbrowser.PermissionSettingGranted,
			Origin: origin, BrowserContextID: chromedp.FromContext(ctx).BrowserContextID})
		return err
	}))
}

// notified waits for a recorded notification of kind for ticket number n
// shown on the desktop (and with the sound when sound is set).
func (a *agentTab) notified(kind string, n int64, sound bool) {
	a.t.Helper()
	cond := `(window.__hanboxNotifications || []).some(r => r.kind === '` + kind + `' && r.desktop && r.body.startsWith('#` + strconv.FormatInt(n, 10) + `')` +
		map[bool]string{true: ` && r.sound`, false: ``}[sound] + `)`
	a.waitJS("notification "+kind, cond)
}

func TestBrowserMentionsUnreadNotifications(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) { testBrowserMentionsUnreadNotifications(t, d) })
	}
}

func testBrowserMentionsUnreadNotifications(t *testing.T, dialect string) {
	e := newEnv(t, dialect)
	if err := auth.CreateAgent(e.ctx, e.srv.Store, "lee@example.com", "이서연", store.RoleAgent, "agent-password"); err != nil {
		t.Fatal(err)
	}
	lee := agentID(t, e, "lee@example.com")
	// Lee reads Korean, whatever the browser says (the profile's language).
	leeTok := e.login("lee@example.com", "agent-password")
	e.call("PATCH", "/api/v1/agents/me/profile", leeTok, map[string]any{"locale": "ko"}, http.StatusOK, nil)
	// Lee's team takes the API channel's new tickets.
	e.call("POST", "/api/v1/teams", e.adminTok, map[string]any{"name_ko": "결제팀", "name_en": "Billing",
		"channel_ids": []int64{e.chanID}, "member_ids": []int64{lee}}, http.StatusCreated, nil)
	bctx := browser(t)
	a := newTab(t, bctx)
	b := newTab(t, bctx)
	b.grantNotifications(e.ts.URL)
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	b.login(e.ts.URL, "lee@example.com", "agent-password")

	// Lee opts in on the profile page, through the form.
	b.do("profile page", chromedp.Navigate(e.ts.URL+"/password"), chromedp.WaitVisible(chromedp.ID("notify-form")))
	b.ready()
	if got := b.text(`#notify-form legend`); got != "알림 받을 일" {
		t.Fatalf("notification form legend %q", got)
	}
	b.do("opt in", chromedp.Click(chromedp.CSS(`#notify-form input[name=notify_desktop]`)), chromedp.Click(chromedp.CSS(`#notify-form input[name=notify_sound]`)),
		chromedp.Click(chromedp.CSS(`#notify-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`#notify-form [data-ok]`)))
	ag, err := e.srv.Inbox.AgentByEmail(e.ctx, "lee@example.com")
	if err != nil || !ag.NotifyDesktop || !ag.NotifySound || ag.NotifyOn != "new_ticket,assigned,replied,mention" {
		t.Fatalf("settings not saved: %+v %v", ag, err)
	}
	b.do("Lee's inbox", chromedp.Navigate(e.ts.URL+"/tickets?view=open"), chromedp.WaitVisible(chromedp.ID("ticket-list")))
	b.ready()
	b.waitLive()
	eval[bool](b, `window.__sameDocument = true`)

	// A new ticket in Lee's team: notified, and bold (unread) for both agents.
	pid := e.ingest(map[string]any{"external_id": "n1", "thread_key": "order-77", "subject": "결제 오류", "text": "카드 결제가 안 돼요",
		"contact": map[string]any{"external_id": "n-c1", "name": "김민지"}})
	tk, err := e.srv.Inbox.TicketByPublicID(e.ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	num := tk.Number()
	row := `.trow[data-ticket="` + pid + `"]`
	b.notified("new_ticket", num, true)
	b.waitJS("row unread for Lee", `!!document.querySelector('`+row+`[data-unread]')`)
	if w := eval[string](b, `getComputedStyle(document.querySelector('`+row+` .tsubject')).fontWeight`); w != "700" {
		t.Fatalf("unread subject weight %s, want 700", w)
	}
	a.do("admin's list", chromedp.Navigate(e.ts.URL+"/tickets?view=open"), chromedp.WaitVisible(chromedp.CSS(row+`[data-unread]`)))

	// The admin opens it: read for the admin, still unread for Lee.
	a.do("admin opens", chromedp.Navigate(e.ts.URL+"/tickets/"+pid), chromedp.WaitVisible(chromedp.ID("composer")))
	a.ready()
	a.do("admin back", chromedp.Navigate(e.ts.URL+"/tickets?view=open"), chromedp.WaitVisible(chromedp.CSS(row)))
	a.ready()
	a.waitLive()
	if eval[bool](a, `!!document.querySelector('`+row+`[data-unread]')`) {
		t.Fatal("still unread for the admin after opening it")
	}
	if !eval[bool](b, `!!document.querySelector('`+row+`[data-unread]')`) {
		t.Fatal("the admin's reading marked it read for Lee")
	}

	// The customer writes again: unread again for the admin, live.
	e.ingest(map[string]any{"external_id": "n2", "thread_key": "order-77", "text": "아직도 안 돼요", "contact": map[string]any{"external_id": "n-c1", "name": "김민지"}})
	a.waitJS("unread again, live", `!!document.querySelector('`+row+`[data-unread]')`)

	// The admin mentions Lee in a note, picking the name from the list with
	// the keyboard.
	a.do("admin opens again", chromedp.Navigate(e.ts.URL+"/tickets/"+pid), chromedp.WaitVisible(chromedp.ID("composer")))
	a.ready()
	a.waitJS("suggestions loaded", `document.getElementById('composer').dataset.suggest === 'ready'`)
	a.do("note mode", chromedp.Click(chromedp.CSS(`input[name=mode][value=note]`)), chromedp.Click(chromedp.ID("body")))
	a.do("type @", chromedp.SendKeys(chromedp.ID("body"), "확인 부탁해요 @이"))
	a.waitJS("suggestion shown", `!document.getElementById('suggest').hidden && document.getElementById('suggest').textContent.includes('이서연')`)
	if got := eval[string](a, `document.getElementById('body').getAttribute('aria-expanded') + ' ' + document.getElementById('body').getAttribute('aria-activedescendant')`); got != "true suggest-0" {
		t.Fatalf("combobox state %q", got)
	}
	a.do("pick with Enter", chromedp.KeyEvent("\r"))
	if got := eval[string](a, `document.getElementById('body').value`); got != "확인 부탁해요 @이서연 " {
		t.Fatalf("after picking: %q", got)
	}
	if !eval[bool](a, `document.getElementById('suggest').hidden`) {
		t.Fatal("the list stayed open after picking")
	}
	a.do("send note", chromedp.SendKeys(chromedp.ID("body"), "결제 로그 봐 주세요"), chromedp.Click(chromedp.ID("send")))
	a.waitJS("note shown", `[...document.querySelectorAll('#thread .msg.d-note')].some(m => m.textContent.includes('결제 로그'))`)
	// The admin reads English (the browser's language).
	if got := a.text(`#thread [data-mentions]`); got != "Mentioned: @이서연" {
		t.Fatalf("mention line %q", got)
	}
	var mentioned []int64
	if err := e.srv.Store.DB.Model(&store.Mention{}).Where("ticket_id = ?", tk.ID).Pluck("agent_id", &mentioned).Error; err != nil || len(mentioned) != 1 || mentioned[0] != lee {
		t.Fatalf("mentions %v %v, want [%d]", mentioned, err, lee)
	}
	b.notified("mention", num, true)

	// Lee's mentions view lists the ticket.
	b.do("mentions view", chromedp.Navigate(e.ts.URL+"/tickets?view=mentions"), chromedp.WaitVisible(chromedp.CSS(row)))
	b.ready()
	if got := b.text(`[data-count="mentions"]`); got != "1" {
		t.Fatalf("mentions count %q", got)
	}
	if !strings.Contains(b.text(`#viewnav`), "나를 언급") {
		t.Fatal("the mentions view has no Korean label")
	}
	b.waitLive()

	// Assigned to Lee by the admin, then the customer replies on Lee's ticket.
	e.call("PATCH", "/api/v1/tickets/"+pid, e.adminTok, map[string]any{"assignee": lee}, http.StatusOK, nil)
	b.notified("assigned", num, true)
	e.ingest(map[string]any{"external_id": "n3", "thread_key": "order-77", "text": "혹시 확인되셨나요?", "contact": map[string]any{"external_id": "n-c1", "name": "김민지"}})
	b.notified("replied", num, true)
	// The notification names the ticket's subject and customer.
	if body := eval[string](b, `window.__hanboxNotifications.find(r => r.kind === 'replied').body`); !strings.Contains(body, "결제 오류") || !strings.Contains(body, "김민지") {
		t.Fatalf("notification body %q", body)
	}

	// Lee opts out of "replied": the next reply makes no notification, the
	// next assignment still does.
	e.call("PATCH", "/api/v1/agents/me/profile", leeTok, map[string]any{"notify_on": []string{"assigned", "mention"}}, http.StatusOK, nil)
	b.do("reload", chromedp.Navigate(e.ts.URL+"/tickets?view=open"), chromedp.WaitVisible(chromedp.ID("ticket-list")))
	b.ready()
	b.waitLive()
	e.ingest(map[string]any{"external_id": "n4", "thread_key": "order-77", "text": "여보세요?", "contact": map[string]any{"external_id": "n-c1", "name": "김민지"}})
	e.call("PATCH", "/api/v1/tickets/"+pid, e.adminTok, map[string]any{"assignee": "none"}, http.StatusOK, nil)
	e.call("PATCH", "/api/v1/tickets/"+pid, e.adminTok, map[string]any{"assignee": lee}, http.StatusOK, nil)
	b.notified("assigned", num, true)
	if n := eval[int](b, `window.__hanboxNotifications.filter(r => r.kind === 'replied').length`); n != 0 {
		t.Fatalf("%d reply notifications after opting out", n)
	}
	if n := a.dialogs.Load() + b.dialogs.Load(); n != 0 {
		t.Fatalf("%d JavaScript dialogs opened", n)
	}
}
