package ui_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store"
)

// TestBrowserCampaignsAdmin: an admin, in Korean, writes a cart-abandonment
// email in the campaigns page — an event trigger with a delay and a stop
// event, a goal, ko/en content whose preview fills the name placeholder's
// fallback, a frequency cap — and saves it; the API has what was typed, the
// list shows it with its statistics, and editing brings it back into the
// form; switching to the widget shows the page pattern and hides the
// subject.
func TestBrowserCampaignsAdmin(t *testing.T) {
	e := newEnv(t, store.SQLite)
	bctx := browser(t)
	a := newTab(t, bctx)
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("campaigns page", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/admin/campaigns"), chromedp.WaitVisible(chromedp.ID("camp-form")))
	a.waitJS("form ready", `document.getElementById('camp-form').dataset.ready === 'new'`)
	if got := a.text("h1"); got != "라이프사이클 메시지" {
		t.Fatalf("heading %q", got)
	}
	if !eval[bool](a, `!!document.querySelector('nav.subnav a[href="/admin/campaigns"][aria-current=page]')`) {
		t.Fatal("not in the admin menu")
	}
	a.set("camp-name", "장바구니 알림")
	a.do("enable", chromedp.Click(chromedp.ID("camp-enabled")))
	a.set("camp-trigger", "event")
	a.set("camp-event", "cart_added")
	a.set("camp-delay", "60")
	a.set("camp-stop", "order_paid")
	a.set("camp-goal", "order_paid")
	a.set("camp-sko", "{{contact.name|고객}}님, 장바구니를 확인해 주세요")
	a.set("camp-bko", "안녕하세요 {{contact.name|고객}}님! 담아 두신 상품이 기다려요.")
	a.set("camp-ben", "Hi {{contact.name|there}}, your cart is waiting.")
	a.set("camp-cap", "3")
	a.waitJS("preview", `document.getElementById('camp-preview-body').textContent === '안녕하세요 고객님! 담아 두신 상품이 기다려요.' &&
		document.getElementById('camp-preview-subject').textContent === '고객님, 장바구니를 확인해 주세요'`)
	a.set("camp-preview-lang", "en")
	a.waitJS("english preview", `document.getElementById('camp-preview-body').textContent === 'Hi there, your cart is waiting.'`)
	// The widget channel shows the page fields and hides the subject.
	a.do("widget", chromedp.Click(chromedp.ID("camp-ch-widget")))
	a.waitJS("widget fields", `!document.getElementById('camp-url').closest('[data-show]').hidden && document.getElementById('camp-sko').closest('[data-show]').hidden`)
	// A page trigger shows the time on page.
	a.set("camp-trigger", "page")
	a.waitJS("page fields", `!document.getElementById('camp-min-seconds').closest('[data-trigger]').hidden`)
	a.set("camp-trigger", "event")
	a.do("email", chromedp.Click(chromedp.ID("camp-ch-email")))
	// Opens are counted unless turned off (here: off).
	a.waitJS("track opens on", `document.getElementById('camp-track-opens').checked && !document.getElementById('camp-track-opens').closest('[data-show]').hidden`)
	a.do("track opens off", chromedp.Click(chromedp.ID("camp-track-opens")))
	a.do("save", chromedp.Click(chromedp.ID("camp-save")))
	a.waitJS("listed", `!!document.querySelector('#camp-list [data-campaign]')`)
	var list struct {
		Items []struct {
			ID            int64  `json:"id"`
			Name          string `json:"name"`
			Enabled       bool   `json:"enabled"`
			Channel       string `json:"channel"`
			Trigger       string `json:"trigger"`
			TriggerConfig struct {
				Event        string `json:"event"`
				DelayMinutes int    `json:"delay_minutes"`
				StopEvent    string `json:"stop_event"`
			} `json:"trigger_config"`
			GoalEvent      string         `json:"goal_event"`
			SubjectKo      string         `json:"subject_ko"`
			BodyEn         string         `json:"body_en"`
			RequireConsent bool           `json:"require_consent"`
			TrackOpens     bool           `json:"track_opens"`
			CapDays        int            `json:"cap_days"`
			QuietStart     string         `json:"quiet_start"`
			TimeZone       string         `json:"time_zone"`
			Stats          map[string]int `json:"stats"`
		} `json:"items"`
	}
	e.call("GET", "/api/v1/campaigns", e.adminTok, nil, 200, &list)
	if len(list.Items) != 1 {
		t.Fatalf("campaigns %+v", list.Items)
	}
	got := list.Items[0]
	if got.Name != "장바구니 알림" || !got.Enabled || got.Channel != "email" || got.Trigger != "event" || got.TriggerConfig.Event != "cart_added" ||
		got.TriggerConfig.DelayMinutes != 60 || got.TriggerConfig.StopEvent != "order_paid" || got.GoalEvent != "order_paid" ||
		got.SubjectKo != "{{contact.name|고객}}님, 장바구니를 확인해 주세요" || got.BodyEn != "Hi {{contact.name|there}}, your cart is waiting." ||
		!got.RequireConsent || got.TrackOpens || got.CapDays != 3 || got.QuietStart != "21:00" || got.TimeZone != "Asia/Seoul" {
		t.Fatalf("saved %+v", got)
	}
	if row := a.text("#camp-list [data-campaign]"); !strings.Contains(row, "장바구니 알림") || !strings.Contains(row, "이벤트가 일어나면") || !strings.Contains(row, "모든 고객") {
		t.Fatalf("row %q", row)
	}
	if note := a.text("#camp-stats-note"); !strings.Contains(note, "근사치") {
		t.Fatalf("stats note %q", note)
	}
	a.do("edit", chromedp.Click(chromedp.CSS(`[data-camp-edit]`)))
	a.waitJS("edit form", fmt.Sprintf(`document.getElementById('camp-form').dataset.ready === '%d' && document.getElementById('camp-event').value === 'cart_added' &&
		document.getElementById('camp-delay').value === '60' && !document.getElementById('camp-track-opens').checked && document.getElementById('camp-form-h').textContent === '메시지 수정'`, got.ID))
	// A bad schedule is refused with the server's message, in the form.
	a.set("camp-trigger", "schedule")
	a.set("camp-days", "30, abc")
	a.do("save bad", chromedp.Click(chromedp.ID("camp-save")))
	a.waitJS("error shown", `!document.querySelector('#camp-form [data-error]').hidden && document.querySelector('#camp-form [data-error]').textContent.includes('숫자')`)
}
