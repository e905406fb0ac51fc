package ui_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserBotAdmin: an admin working in Korean builds a widget
// channel's bot in the form (greeting, a required name question, a
// department step with one button filed to a team) and saves it; the flow
// is stored as built; in English the same page shows it back, and turning
// it off is saved too.
func TestBrowserBotAdmin(t *testing.T) {
	e := newEnv(t, "sqlite")
	var ch struct {
		Channel struct {
			ID int64 `json:"id"`
		} `json:"channel"`
	}
	e.call("POST", "/api/v1/channels", e.adminTok, map[string]any{"kind": "widget", "name": "쇼핑몰 채팅"}, http.StatusCreated, &ch)
	var team struct {
		ID int64 `json:"id"`
	}
	e.call("POST", "/api/v1/teams", e.adminTok, map[string]any{"name_ko": "결제팀", "name_en": "Billing"}, http.StatusCreated, &team)
	form := "#bot-" + strconv.FormatInt(ch.Channel.ID, 10)

	bctx := browser(t)
	a := newTab(t, bctx)
	a.do("Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/login"), chromedp.WaitVisible(chromedp.ID("email")))
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("bot screen", chromedp.Navigate(e.ts.URL+"/admin/bot"), chromedp.WaitVisible(chromedp.CSS(form)))
	a.ready()
	if got := a.text("h1"); got != "응답 봇" {
		t.Fatalf("Korean title %q", got)
	}
	// Saving reloads the page; the marker tells the old page from the new.
	eval[bool](a, `window.__beforeSave = true`)
	a.do("build the flow",
		chromedp.Click(chromedp.CSS(form+` input[name=enabled]`)),
		chromedp.SendKeys(chromedp.CSS(form+` input[name=greeting_ko]`), "안녕하세요! 무엇을 도와드릴까요?"),
		chromedp.SetValue(chromedp.CSS(form+` input[name=hold_minutes]`), "15"),
		chromedp.SetValue(chromedp.CSS(form+` select[name=step_kind_0]`), "name"),
		chromedp.Click(chromedp.CSS(form+` input[name=step_required_0]`)),
		chromedp.SetValue(chromedp.CSS(form+` select[name=step_kind_1]`), "department"),
		chromedp.SendKeys(chromedp.CSS(form+` input[name=opt_ko_0]`), "결제"),
		chromedp.SendKeys(chromedp.CSS(form+` input[name=opt_en_0]`), "Billing"),
		chromedp.SetValue(chromedp.CSS(form+` select[name=opt_team_0]`), strconv.FormatInt(team.ID, 10)),
		chromedp.Click(chromedp.CSS(form+` button[type=submit]`)))
	var flows struct {
		Items []botFlowJSON `json:"items"`
	}
	eventually(t, "the flow stored (or refused)", func() bool {
		e.call("GET", "/api/v1/bot/flows", e.adminTok, nil, http.StatusOK, &flows)
		return len(flows.Items) == 1 || eval[bool](a, `!!document.querySelector('`+form+` [data-error]:not([hidden])')`)
	})
	if len(flows.Items) != 1 {
		t.Fatalf("refused: %q", a.text(form+" [data-error]"))
	}
	f := flows.Items[0]
	if !f.Enabled || f.ChannelID != ch.Channel.ID || f.HoldMinutes != 15 || f.GreetingKo != "안녕하세요! 무엇을 도와드릴까요?" || len(f.Steps) != 2 ||
		f.Steps[0].Kind != "name" || !f.Steps[0].Required || f.Steps[1].Kind != "department" || len(f.Steps[1].Options) != 1 ||
		f.Steps[1].Options[0].LabelKo != "결제" || f.Steps[1].Options[0].TeamID != team.ID {
		t.Fatalf("stored flow %+v", f)
	}
	// Navigating while the save's reload is under way aborts one of them.
	a.waitJS("the page reloaded after the save", `!window.__beforeSave && document.body.dataset.scripts === 'ready'`)

	a.do("English", chromedp.Navigate(e.ts.URL+"/lang/en?next=/admin/bot"), chromedp.WaitVisible(chromedp.CSS(form)))
	a.ready()
	if got := a.text("h1"); got != "Answer bot" {
		t.Fatalf("English title %q", got)
	}
	if got := eval[string](a, fmt.Sprintf(`document.querySelector('%s select[name=step_kind_1]').value + '|' + document.querySelector('%s input[name=opt_en_0]').value`, form, form)); got != "department|Billing" {
		t.Fatalf("form shows %q", got)
	}
	a.do("turn it off", chromedp.Click(chromedp.CSS(form+` input[name=enabled]`)), chromedp.Click(chromedp.CSS(form+` button[type=submit]`)))
	eventually(t, "the flow turned off", func() bool {
		e.call("GET", "/api/v1/bot/flows", e.adminTok, nil, http.StatusOK, &flows)
		return len(flows.Items) == 1 && !flows.Items[0].Enabled && len(flows.Items[0].Steps) == 2
	})
}

type botFlowJSON struct {
	ChannelID   int64  `json:"channel_id"`
	Enabled     bool   `json:"enabled"`
	GreetingKo  string `json:"greeting_ko"`
	HoldMinutes int    `json:"hold_minutes"`
	Steps       []struct {
		Kind     string `json:"kind"`
		Required bool   `json:"required"`
		Options  []struct {
			LabelKo string `json:"label_ko"`
			TeamID  int64  `json:"team_id"`
		} `json:"options"`
	} `json:"steps"`
}
