package ui_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestBrowserRules: an admin working in Korean builds a rule in the form
// (trigger, a condition row, three action rows), tries it on recent
// tickets (the dry run names the one that matches and changes nothing),
// saves it; the next ticket about 결제 is tagged, filed to the team and
// assigned by it, and its timeline says so in Korean. In English the admin
// adds a second rule, moves it up, turns the first off, and a ticket
// matching both is acted on by the second only, shown in English.
func TestBrowserRules(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) { testBrowserRules(t, d) })
	}
}

type ticketState struct {
	Tags     []string `json:"tags"`
	TeamID   *int64   `json:"team_id"`
	Priority string   `json:"priority"`
	Assignee *struct {
		ID int64 `json:"id"`
	} `json:"assignee"`
}

func testBrowserRules(t *testing.T, dialect string) {
	e := newEnv(t, dialect)
	if err := auth.CreateAgent(e.ctx, e.srv.Store, "lee@example.com", "Agent Lee", store.RoleAgent, "agent-password"); err != nil {
		t.Fatal(err)
	}
	lee := agentID(t, e, "lee@example.com")
	var team struct {
		ID int64 `json:"id"`
	}
	e.call("POST", "/api/v1/teams", e.adminTok, map[string]any{"name_ko": "결제팀", "name_en": "Billing"}, http.StatusCreated, &team)
	older := e.ingest(map[string]any{"external_id": "old-1", "thread_key": "o-1", "contact": map[string]any{"external_id": "c-o1"}, "text": "결제 영수증을 받고 싶어요"})
	e.ingest(map[string]any{"external_id": "old-2", "thread_key": "o-2", "contact": map[string]any{"external_id": "c-o2"}, "text": "배송은 언제 오나요"})

	bctx := browser(t)
	shots := shotDir(t)
	a := newTab(t, bctx)
	a.do("Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/login"), chromedp.WaitVisible(chromedp.ID("email")))
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("rules screen", chromedp.Navigate(e.ts.URL+"/admin/rules"), chromedp.WaitVisible(chromedp.ID("rule-new")))
	a.ready()
	if got := a.text("h1"); got != "자동화 규칙" {
		t.Fatalf("Korean title %q", got)
	}
	// pick chooses an option as a person does (the form reacts to the change).
	pick := func(sel, value string) {
		t.Helper()
		if !eval[bool](a, fmt.Sprintf(`(() => { const s = document.querySelector(%q); if (!s) return false;
			s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); return s.value === %q; })()`, sel, value, value)) {
			t.Fatalf("could not choose %q in %s", value, sel)
		}
	}
	last := func(form, row string) string { return fmt.Sprintf(`%s [data-%s-row]:last-child`, form, row) }
	const nf = "#rule-new"
	a.do("name and a condition", chromedp.SendKeys(chromedp.ID("rl-new-name"), "VIP → 결제팀"),
		chromedp.Click(chromedp.CSS(nf+` [data-add-cond]`)))
	pick(nf+` [name=trigger]`, "ticket_created")
	pick(last(nf, "cond")+` [name=field]`, "text")
	if got := eval[string](a, `document.querySelector('`+last(nf, "cond")+` [name=op]').value`); got != "contains" {
		t.Fatalf("text condition's comparison %q, want contains", got)
	}
	a.do("condition value", chromedp.SendKeys(chromedp.CSS(last(nf, "cond")+` input[name=value]`), "결제"))
	a.do("tag action", chromedp.Click(chromedp.CSS(nf+` [data-add-action]`)))
	pick(last(nf, "action")+` [name=type]`, "add_tag")
	a.do("tag", chromedp.SendKeys(chromedp.CSS(last(nf, "action")+` input[name=value][data-for~=add_tag]`), "vip"))
	a.do("team action", chromedp.Click(chromedp.CSS(nf+` [data-add-action]`)))
	pick(last(nf, "action")+` [name=type]`, "assign_team")
	pick(last(nf, "action")+` select[data-for=assign_team]`, fmt.Sprint(team.ID))
	a.do("agent action", chromedp.Click(chromedp.CSS(nf+` [data-add-action]`)))
	pick(last(nf, "action")+` [name=type]`, "assign_agent")
	pick(last(nf, "action")+` select[data-for=assign_agent]`, fmt.Sprint(lee))

	// The dry run: one of the two recent tickets matches; nothing changes.
	a.do("dry run", chromedp.Click(chromedp.CSS(nf+` [data-rule-dry-run]`)))
	a.waitJS("dry-run results", `!document.querySelector('#rule-new [data-dry-results]').hidden`)
	if got := a.text(nf + ` [data-dry-summary]`); got != "최근 티켓 2건 중 1건에 적용됩니다." {
		t.Fatalf("dry-run summary %q", got)
	}
	if got := a.text(fmt.Sprintf(`%s [data-dry-ticket="%s"]`, nf, older)); !strings.Contains(got, "태그 추가 #vip") || !strings.Contains(got, "팀에 배정") {
		t.Fatalf("dry-run line %q", got)
	}
	var st ticketState
	e.call("GET", "/api/v1/tickets/"+older, e.adminTok, nil, http.StatusOK, &st)
	if len(st.Tags) != 0 || st.Assignee != nil {
		t.Fatalf("the dry run changed the ticket: %+v", st)
	}
	a.screenshot(shots, "rules-dry-run-ko.png")

	a.do("save", chromedp.Click(chromedp.CSS(nf+` button[type=submit]`)))
	var rules struct {
		Items []struct {
			ID      int64  `json:"id"`
			Name    string `json:"name"`
			Enabled bool   `json:"enabled"`
		} `json:"items"`
	}
	eventually(t, "the rule stored", func() bool {
		e.call("GET", "/api/v1/rules", e.adminTok, nil, http.StatusOK, &rules)
		return len(rules.Items) == 1
	})
	first := rules.Items[0]
	if first.Name != "VIP → 결제팀" || !first.Enabled {
		t.Fatalf("stored rule %+v", first)
	}
	a.do("the rule's form after the reload", chromedp.WaitVisible(chromedp.ID(fmt.Sprintf("rule-%d", first.ID))))
	a.ready()
	if got := eval[int](a, fmt.Sprintf(`document.querySelectorAll('#rule-%d [data-action-row]').length`, first.ID)); got != 3 {
		t.Fatalf("saved rule shows %d actions", got)
	}

	// A new ticket about 결제 is tagged, filed and assigned by the rule.
	pid := e.ingest(map[string]any{"external_id": "new-1", "thread_key": "n-1", "contact": map[string]any{"external_id": "c-n1", "name": "김민지"},
		"text": "결제가 두 번 됐어요"})
	eventually(t, "the rule to act", func() bool {
		st = ticketState{}
		e.call("GET", "/api/v1/tickets/"+pid, e.adminTok, nil, http.StatusOK, &st)
		return slices.Contains(st.Tags, "vip") && st.Assignee != nil
	})
	if st.Assignee.ID != lee || st.TeamID == nil || *st.TeamID != team.ID {
		t.Fatalf("after the rule: %+v", st)
	}
	a.do("the ticket", chromedp.Navigate(e.ts.URL+"/tickets/"+pid), chromedp.WaitVisible(chromedp.ID("thread")))
	if got := a.text("#thread"); !strings.Contains(got, "담당자 → Agent Lee") || !strings.Contains(got, "팀 → ") ||
		!strings.Contains(got, "태그 추가: #vip") || !strings.Contains(got, "(규칙 'VIP → 결제팀'에 의해)") {
		t.Fatalf("Korean timeline %q", got)
	}
	a.screenshot(shots, "rules-timeline-ko.png")

	// English: a second rule, moved first; the first turned off.
	a.do("English", chromedp.Navigate(e.ts.URL+"/lang/en?next=/admin/rules"), chromedp.WaitVisible(chromedp.ID("rule-new")))
	a.ready()
	if got := a.text("h1"); got != "Automation rules" {
		t.Fatalf("English title %q", got)
	}
	a.do("second rule", chromedp.SendKeys(chromedp.ID("rl-new-name"), "Refunds"),
		chromedp.Click(chromedp.CSS(nf+` [data-add-cond]`)))
	pick(nf+` [name=trigger]`, "customer_message")
	pick(last(nf, "cond")+` [name=field]`, "text")
	a.do("value", chromedp.SendKeys(chromedp.CSS(last(nf, "cond")+` input[name=value]`), "refund"),
		chromedp.Click(chromedp.CSS(nf+` [data-add-action]`)))
	pick(last(nf, "action")+` [name=type]`, "set_priority")
	pick(last(nf, "action")+` select[data-for=set_priority]`, "urgent")
	a.do("save second", chromedp.Click(chromedp.CSS(nf+` button[type=submit]`)))
	eventually(t, "the second rule stored", func() bool {
		e.call("GET", "/api/v1/rules", e.adminTok, nil, http.StatusOK, &rules)
		return len(rules.Items) == 2
	})
	second := rules.Items[1].ID
	a.do("the second rule's form", chromedp.WaitVisible(chromedp.ID(fmt.Sprintf("rule-%d", second))))
	a.ready()
	a.do("move it up", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#rule-%d [data-rule-move="-1"]`, second))))
	eventually(t, "the new order", func() bool {
		e.call("GET", "/api/v1/rules", e.adminTok, nil, http.StatusOK, &rules)
		return rules.Items[0].ID == second
	})
	a.do("the first rule's form", chromedp.WaitVisible(chromedp.ID(fmt.Sprintf("rule-%d", first.ID))))
	a.ready()
	a.do("turn the first off", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#rule-%d input[name=enabled]`, first.ID))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#rule-%d button[type=submit]`, first.ID))))
	eventually(t, "the first rule off", func() bool {
		e.call("GET", "/api/v1/rules", e.adminTok, nil, http.StatusOK, &rules)
		return !rules.Items[1].Enabled
	})
	a.do("reloaded", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#rule-%d [data-rule-off]`, first.ID))))
	a.screenshot(shots, "rules-en.png")

	// A message matching both: only the second (enabled) rule acts. Both
	// are evaluated for the same event, so once the priority changed the
	// first rule had its chance.
	pid2 := e.ingest(map[string]any{"external_id": "new-2", "thread_key": "n-2", "contact": map[string]any{"external_id": "c-n2"}, "text": "결제 refund please"})
	eventually(t, "the second rule to act", func() bool {
		st = ticketState{}
		e.call("GET", "/api/v1/tickets/"+pid2, e.adminTok, nil, http.StatusOK, &st)
		return st.Priority == "urgent"
	})
	if slices.Contains(st.Tags, "vip") || st.Assignee != nil {
		t.Fatalf("the disabled rule acted: %+v", st)
	}
	a.do("the English ticket", chromedp.Navigate(e.ts.URL+"/tickets/"+pid2), chromedp.WaitVisible(chromedp.ID("thread")))
	if got := a.text("#thread"); !strings.Contains(got, "Priority → Urgent (by rule 'Refunds')") {
		t.Fatalf("English timeline %q", got)
	}
}
