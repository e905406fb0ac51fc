package ui_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestBrowserTeamsAndStatus: an admin working in Korean creates a team on
// the Teams screen (names, auto-assignment, a member, the default channel);
// the agent, working in English, goes online from the header's status
// menu; the next ticket on the channel is assigned to them automatically
// and appears live in their "Mine" view, and the team's queue is listed.
func TestBrowserTeamsAndStatus(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) { testBrowserTeamsAndStatus(t, d) })
	}
}

func testBrowserTeamsAndStatus(t *testing.T, dialect string) {
	e := newEnv(t, dialect)
	if err := auth.CreateAgent(e.ctx, e.srv.Store, "lee@example.com", "Agent Lee", store.RoleAgent, "agent-password"); err != nil {
		t.Fatal(err)
	}
	lee := agentID(t, e, "lee@example.com")
	bctx := browser(t)
	shots := shotDir(t)
	admin := newTab(t, bctx)
	agent := newTab(t, bctx)

	admin.do("Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/login"), chromedp.WaitVisible(chromedp.ID("email")))
	admin.login(e.ts.URL, "admin@example.com", "admin-password")
	admin.do("teams screen", chromedp.Navigate(e.ts.URL+"/admin/teams"), chromedp.WaitVisible(chromedp.ID("team-new")))
	admin.ready()
	if got := admin.text("h1"); got != "팀" {
		t.Fatalf("Korean title %q", got)
	}
	// An empty name is refused in Korean by the server.
	eval[bool](admin, `document.getElementById('tm-new-ko').removeAttribute('required'),
		document.getElementById('tm-new-en').removeAttribute('required'), true`)
	admin.do("submit without names", chromedp.SendKeys(chromedp.ID("tm-new-ko"), " "),
		chromedp.Click(chromedp.CSS(`#team-new button[type=submit]`)))
	admin.waitJS("refusal", `!document.querySelector('#team-new [data-error]').hidden`)
	if got := admin.text("#team-new [data-error]"); got != "팀 이름을 입력하세요." {
		t.Fatalf("refusal %q", got)
	}
	admin.do("create the team", chromedp.SetValue(chromedp.ID("tm-new-ko"), "결제팀"),
		chromedp.SendKeys(chromedp.ID("tm-new-en"), "Billing"),
		chromedp.SendKeys(chromedp.ID("tm-new-mon"), "09:00-12:00, 13:00-18:00"),
		chromedp.SendKeys(chromedp.ID("tm-new-hol"), "2026-12-25"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#team-new input[name=member][value="%d"]`, lee))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#team-new input[name=channel][value="%d"]`, e.chanID))),
		chromedp.Click(chromedp.CSS(`#team-new button[type=submit]`)))
	var teams struct {
		Items []struct {
			ID         int64   `json:"id"`
			NameKo     string  `json:"name_ko"`
			NameEn     string  `json:"name_en"`
			AutoAssign bool    `json:"auto_assign"`
			ChannelIDs []int64 `json:"channel_ids"`
			Members    []struct {
				ID int64 `json:"id"`
			} `json:"members"`
			BusinessHours struct {
				TimeZone string                 `json:"time_zone"`
				Weekly   map[string][][2]string `json:"weekly"`
				Holidays []string               `json:"holidays"`
			} `json:"business_hours"`
		} `json:"items"`
	}
	eventually(t, "the team stored", func() bool {
		e.call("GET", "/api/v1/teams", e.adminTok, nil, http.StatusOK, &teams)
		return len(teams.Items) > 0
	})
	if len(teams.Items) != 1 {
		t.Fatalf("teams = %+v", teams)
	}
	tm := teams.Items[0]
	if tm.NameKo != "결제팀" || tm.NameEn != "Billing" || !tm.AutoAssign || len(tm.Members) != 1 || tm.Members[0].ID != lee ||
		len(tm.ChannelIDs) != 1 || tm.ChannelIDs[0] != e.chanID || tm.BusinessHours.TimeZone != "Asia/Seoul" ||
		fmt.Sprint(tm.BusinessHours.Weekly) != "map[mon:[[09:00 12:00] [13:00 18:00]]]" || fmt.Sprint(tm.BusinessHours.Holidays) != "[2026-12-25]" {
		t.Fatalf("created team = %+v", tm)
	}
	admin.do("the team's form after the reload", chromedp.WaitVisible(chromedp.ID(fmt.Sprintf("team-%d", tm.ID))))
	if got := admin.text(fmt.Sprintf("#team-%d h2", tm.ID)); got != "결제팀 대기: 0" {
		t.Fatalf("team heading %q", got)
	}
	if got := admin.text(fmt.Sprintf("#tm-%d-mon", tm.ID)); got != "" {
		t.Fatalf("input text %q", got)
	}
	if got := eval[string](admin, fmt.Sprintf(`document.getElementById('tm-%d-mon').value`, tm.ID)); got != "09:00-12:00, 13:00-18:00" {
		t.Fatalf("Monday's hours shown as %q", got)
	}
	admin.screenshot(shots, "teams-ko.png")

	// The agent, in English, goes online from the status menu.
	agent.login(e.ts.URL, "lee@example.com", "agent-password")
	if got := agent.text("#my-availability"); got != "Offline" {
		t.Fatalf("status before %q", got)
	}
	agent.do("status menu", chromedp.Click(chromedp.CSS(`details.menu summary`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-availability="online"]`)),
		chromedp.Click(chromedp.CSS(`[data-availability="online"]`)))
	agent.waitJS("online", `document.getElementById('my-availability').dataset.availabilityNow === 'online'`)
	if got := agent.text("#my-availability"); got != "Online" {
		t.Fatalf("status after %q", got)
	}
	a, err := e.srv.Store.GetAgent(e.ctx, lee)
	if err != nil || a.Availability != "online" {
		t.Fatalf("stored availability %q, %v", a.Availability, err)
	}

	// Auto-assignment keeps business hours (a closed team's tickets wait,
	// see inbox's TestAssignmentWaitsForBusinessHours): open the team
	// around the clock so the next ticket is assigned whatever the time.
	e.call("PATCH", fmt.Sprintf("/api/v1/teams/%d", tm.ID), e.adminTok, map[string]any{"business_hours": map[string]any{"time_zone": "Asia/Seoul", "weekly": map[string]any{}}}, http.StatusOK, nil)

	// A new ticket on the team's channel is the agent's, live in "Mine".
	agent.do("mine", chromedp.Navigate(e.ts.URL+"/tickets?view=mine"), chromedp.WaitVisible(chromedp.ID("ticket-list")))
	agent.waitLive()
	if got := eval[int](agent, `document.querySelectorAll('#ticket-list .trow').length`); got != 0 {
		t.Fatalf("%d tickets before", got)
	}
	id := e.ingest(map[string]any{"external_id": "route-1", "thread_key": "r-1", "contact": map[string]any{"external_id": "c-r1", "name": "김민지"},
		"text": "결제가 두 번 됐어요"})
	agent.waitJS("the assigned ticket shown live", fmt.Sprintf(`document.querySelector('#ticket-list .trow[data-ticket="%s"]') !== null`, id))
	if got := agent.text(`[data-count="my_teams"]`); got != "1" {
		t.Fatalf("My teams count %q", got)
	}
	// The team's queue is listed (empty: the ticket has an owner).
	if got := agent.text(`[data-team-queue]`); got != "Billing0" {
		t.Fatalf("team queue link %q", got)
	}
	agent.screenshot(shots, "status-en.png")
	// The ticket shows its team and the automatic assignment in its timeline.
	agent.do("the ticket", chromedp.Navigate(e.ts.URL+"/tickets/"+id), chromedp.WaitVisible(chromedp.ID("f-team")))
	if got := eval[string](agent, `document.getElementById('f-team').selectedOptions[0].textContent`); got != "Billing" {
		t.Fatalf("team menu shows %q", got)
	}
	if !eval[bool](agent, `document.body.textContent.includes('Assignee → Agent Lee (assigned automatically)')`) {
		t.Fatal("the timeline does not show the automatic assignment")
	}
	// Away: the next ticket waits in the team queue.
	agent.do("away", chromedp.Click(chromedp.CSS(`details.menu summary`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-availability="away"]`)),
		chromedp.Click(chromedp.CSS(`[data-availability="away"]`)))
	agent.waitJS("away", `document.getElementById('my-availability').dataset.availabilityNow === 'away'`)
	e.ingest(map[string]any{"external_id": "route-2", "thread_key": "r-2", "contact": map[string]any{"external_id": "c-r2"}, "text": "두 번째"})
	agent.do("queue", chromedp.Navigate(fmt.Sprintf("%s/tickets?view=queue&team=%d", e.ts.URL, tm.ID)), chromedp.WaitVisible(chromedp.ID("ticket-list")))
	agent.waitJS("the waiting ticket in the queue", `document.querySelectorAll('#ticket-list .trow').length === 1`)
	if got := agent.text(`#list-title`); got != "Queue · Billing" {
		t.Fatalf("queue title %q", got)
	}
}
