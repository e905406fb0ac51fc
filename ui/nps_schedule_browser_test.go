package ui_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store"
)

// TestBrowserNPSScheduleAnchors: in English, an admin schedules an NPS
// survey from a custom date attribute (signup date) and, in Korean, moves
// it to the VIP tag on a date; the anchor's own field shows only for its
// choice, the API has what was chosen, the list names the anchor, and
// editing brings it back into the form.
func TestBrowserNPSScheduleAnchors(t *testing.T) {
	e := newEnv(t, store.SQLite)
	if _, err := e.srv.Inbox.CreateAttributeDef(e.ctx, store.AttributeDef{Key: "signup_date", LabelKo: "가입일", LabelEn: "Signup date", Type: store.AttrDate}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Inbox.CreateAttributeDef(e.ctx, store.AttributeDef{Key: "plan", LabelKo: "요금제", LabelEn: "Plan", Type: store.AttrText}); err != nil {
		t.Fatal(err)
	}
	bctx := browser(t)
	a := newTab(t, bctx)
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("surveys page", chromedp.Navigate(e.ts.URL+"/lang/en?next=/admin/surveys"), chromedp.WaitVisible(chromedp.ID("nps-form")))
	a.waitJS("form ready", `document.getElementById('nps-form').dataset.ready === 'new'`)
	// First conversation by default: neither anchor field shows.
	a.waitJS("anchor fields hidden", `document.getElementById('nps-anchor-first').checked &&
		document.querySelector('[data-anchor-for=attribute]').hidden && document.querySelector('[data-anchor-for=date]').hidden`)
	// Only date attributes are offered, by their English labels.
	if opts := eval[string](a, `[...document.getElementById('nps-anchor-attribute').options].map(o => o.value + '=' + o.textContent).join('|')`); !strings.Contains(opts, "signup_date=Signup date") ||
		!strings.Contains(opts, "first_seen=First seen") || strings.Contains(opts, "plan") {
		t.Fatalf("attribute options %q", opts)
	}
	a.set("nps-name", "After signup")
	a.do("attribute anchor", chromedp.Click(chromedp.ID("nps-anchor-attr")))
	a.waitJS("attribute field shown", `!document.querySelector('[data-anchor-for=attribute]').hidden && document.querySelector('[data-anchor-for=date]').hidden`)
	a.set("nps-anchor-attribute", "signup_date")
	a.set("nps-first", "0")
	a.do("save", chromedp.Click(chromedp.ID("nps-save")))
	a.waitJS("listed", `!!document.querySelector('#nps-surveys [data-nps-row]')`)
	type def struct {
		ID              int64  `json:"id"`
		Anchor          string `json:"anchor"`
		AnchorAttribute string `json:"anchor_attribute"`
		AnchorDate      string `json:"anchor_date"`
		AudienceTag     string `json:"audience_tag"`
		FirstDays       int    `json:"first_days"`
		RepeatDays      []int  `json:"repeat_days"`
	}
	var list struct {
		Items []def `json:"items"`
	}
	e.call("GET", "/api/v1/nps-surveys", e.adminTok, nil, 200, &list)
	if len(list.Items) != 1 {
		t.Fatalf("surveys %+v", list.Items)
	}
	got := list.Items[0]
	if got.Anchor != "attribute" || got.AnchorAttribute != "signup_date" || got.FirstDays != 0 || fmt.Sprint(got.RepeatDays) != "[30 60 90 180]" || got.AnchorDate != "" {
		t.Fatalf("saved %+v", got)
	}
	if row := a.text("[data-nps-schedule]"); !strings.Contains(row, "0 days after Signup date") || !strings.Contains(row, "30, 60, 90, 180") {
		t.Fatalf("schedule cell %q", row)
	}

	// In Korean: edit it into the VIP tag on 2027-01-15, no repeats.
	a.do("surveys page in Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/admin/surveys"), chromedp.WaitVisible(chromedp.ID("nps-form")))
	a.waitJS("form ready", `document.getElementById('nps-form').dataset.ready === 'new'`)
	a.do("edit", chromedp.Click(chromedp.CSS(`[data-nps-edit]`)))
	a.waitJS("edit form", fmt.Sprintf(`document.getElementById('nps-form').dataset.ready === '%d' && document.getElementById('nps-anchor-attr').checked &&
		document.getElementById('nps-anchor-attribute').value === 'signup_date' && !document.querySelector('[data-anchor-for=attribute]').hidden`, got.ID))
	if lbl := eval[string](a, `document.getElementById('nps-anchor-attribute').selectedOptions[0].textContent`); lbl != "가입일" {
		t.Fatalf("Korean attribute label %q", lbl)
	}
	a.do("date anchor", chromedp.Click(chromedp.ID("nps-anchor-date")))
	a.waitJS("date field shown", `!document.querySelector('[data-anchor-for=date]').hidden && document.querySelector('[data-anchor-for=attribute]').hidden`)
	a.set("nps-anchor-day", "2027-01-15")
	a.do("tag audience", chromedp.Click(chromedp.ID("nps-aud-tag")))
	a.set("nps-tag", "VIP")
	a.do("no repeat", chromedp.Click(chromedp.ID("nps-rep-none")))
	a.do("save", chromedp.Click(chromedp.ID("nps-save")))
	a.waitJS("relisted", `document.querySelector('[data-nps-schedule]') && document.querySelector('[data-nps-schedule]').textContent.includes('2027-01-15')`)
	e.call("GET", "/api/v1/nps-surveys", e.adminTok, nil, 200, &list)
	got = list.Items[0]
	if got.Anchor != "date" || got.AnchorDate != "2027-01-15" || got.AnchorAttribute != "" || got.AudienceTag != "VIP" || len(got.RepeatDays) != 0 {
		t.Fatalf("saved %+v", got)
	}
	if row := a.text("[data-nps-schedule]"); !strings.Contains(row, "0 일 후, 기준: 2027-01-15") {
		t.Fatalf("schedule cell %q", row)
	}
}
