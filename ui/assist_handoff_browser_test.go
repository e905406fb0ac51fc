package ui_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserAssistHandoffTeam: on the AI answers screen an admin working
// in Korean picks the team a channel's AI handoff goes to and saves; the
// API shows it; the page shows it back in English, and choosing "none"
// clears it.
func TestBrowserAssistHandoffTeam(t *testing.T) {
	e := newEnv(t, "sqlite")
	var ch struct {
		Channel struct {
			ID int64 `json:"id"`
		} `json:"channel"`
	}
	e.call("POST", "/api/v1/channels", e.adminTok, map[string]any{"kind": "widget", "name": "쇼핑몰 채팅", "settings": map[string]any{"ai_answers": true}},
		http.StatusCreated, &ch)
	var team struct {
		ID int64 `json:"id"`
	}
	e.call("POST", "/api/v1/teams", e.adminTok, map[string]any{"name_ko": "상담팀", "name_en": "Care"}, http.StatusCreated, &team)
	sel := `#assist-channels select[data-channel="` + strconv.FormatInt(ch.Channel.ID, 10) + `"]`
	handoff := func() (int64, bool) {
		t.Helper()
		var list struct {
			Items []struct {
				ChannelID     int64  `json:"channel_id"`
				AIAnswers     bool   `json:"ai_answers"`
				HandoffTeamID *int64 `json:"handoff_team_id"`
			} `json:"items"`
		}
		e.call("GET", "/api/v1/assist/channels", e.adminTok, nil, http.StatusOK, &list)
		for _, it := range list.Items {
			if it.ChannelID == ch.Channel.ID {
				if !it.AIAnswers {
					t.Fatalf("channel %+v: ai_answers off", it)
				}
				if it.HandoffTeamID == nil {
					return 0, true
				}
				return *it.HandoffTeamID, true
			}
		}
		return 0, false
	}

	bctx := browser(t)
	a := newTab(t, bctx)
	a.do("Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/login"), chromedp.WaitVisible(chromedp.ID("email")))
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("assist screen", chromedp.Navigate(e.ts.URL+"/admin/assist"), chromedp.WaitVisible(chromedp.CSS(sel)))
	a.ready()
	if got := a.text("#assist-channels h2"); got != "채널별 인계 팀" {
		t.Fatalf("Korean heading %q", got)
	}
	a.do("pick the team", chromedp.SetValue(chromedp.CSS(sel), strconv.FormatInt(team.ID, 10)), chromedp.Click(chromedp.ID("assist-channels-save")))
	a.waitJS("saved (or refused)", `document.querySelector('`+sel+`').dataset.saved !== '' || !document.querySelector('#assist-channels [data-error]').hidden`)
	if got, ok := handoff(); !ok || got != team.ID {
		t.Fatalf("handoff team %d (%v), want %d; error %q", got, ok, team.ID, a.text("#assist-channels [data-error]"))
	}

	a.do("English", chromedp.Navigate(e.ts.URL+"/lang/en?next=/admin/assist"), chromedp.WaitVisible(chromedp.CSS(sel)))
	a.ready()
	if got := a.text("#assist-channels h2"); got != "Handoff team by channel" {
		t.Fatalf("English heading %q", got)
	}
	if got := eval[string](a, `document.querySelector('`+sel+`').selectedOptions[0].textContent`); got != "Care" {
		t.Fatalf("the page shows %q", got)
	}
	a.do("none", chromedp.SetValue(chromedp.CSS(sel), ""), chromedp.Click(chromedp.ID("assist-channels-save")))
	a.waitJS("cleared", `document.querySelector('`+sel+`').dataset.saved === '' || !document.querySelector('#assist-channels [data-error]').hidden`)
	if got, _ := handoff(); got != 0 {
		t.Fatalf("handoff team %d after choosing none", got)
	}
}
