package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store/storetest"
)

// TestBrowserSegmentEditor: an admin working in Korean builds a segment in
// the form (an attribute row, then an event row, then "any"), watching the
// live count and preview follow each edit, and saves it; in English the
// saved segment opens with its rows and count. An agent edits a customer's
// profile on the contact page with typed inputs.
func TestBrowserSegmentEditor(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) { testBrowserSegmentEditor(t, d) })
	}
}

func testBrowserSegmentEditor(t *testing.T, dialect string) {
	e := newEnv(t, dialect)
	e.call("POST", "/api/v1/attributes", e.adminTok, map[string]any{"key": "plan", "label_ko": "요금제", "label_en": "Plan", "type": "text"}, http.StatusCreated, nil)
	e.call("POST", "/api/v1/attributes", e.adminTok, map[string]any{"key": "seats", "label_ko": "좌석 수", "label_en": "Seats", "type": "number"}, http.StatusCreated, nil)
	for i, c := range []struct{ name, email, plan string }{{"김민지", "minji@customer.test", "pro"}, {"이서준", "seojun@customer.test", "pro"}, {"Joe", "joe@customer.test", "free"}} {
		e.ingest(map[string]any{"external_id": fmt.Sprintf("s%d", i), "text": "안녕하세요", "contact": map[string]any{"external_id": c.email, "name": c.name, "email": c.email}})
		e.call("PATCH", "/api/v1/contacts/"+url.PathEscape(c.email), e.adminTok, map[string]any{"attributes": map[string]any{"plan": c.plan}}, http.StatusOK, nil)
	}
	e.call("POST", "/api/v1/contacts/joe@customer.test/events", e.adminTok, map[string]any{"name": "order_paid"}, http.StatusCreated, nil)
	e.call("POST", "/api/v1/contacts/minji@customer.test/events", e.adminTok, map[string]any{"name": "order_paid"}, http.StatusCreated, nil)

	bctx := browser(t)
	a := newTab(t, bctx)
	set := func(sel, value string) {
		t.Helper()
		eval[bool](a, fmt.Sprintf(`(s => (s.value = %q, s.dispatchEvent(new Event('change', {bubbles: true})), true))(document.querySelector(%q))`, value, sel))
	}
	count := func(want string) {
		t.Helper()
		a.waitJS("count "+want, fmt.Sprintf(`(c => c.dataset.state === 'done' && c.dataset.count === %q)(document.getElementById('seg-count'))`, want))
	}
	a.do("Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/login"), chromedp.WaitVisible(chromedp.ID("email")))
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("segments", chromedp.Navigate(e.ts.URL+"/admin/segments"), chromedp.WaitVisible(chromedp.ID("segment-form")))
	a.ready()
	if got := a.text("h1"); got != "세그먼트" {
		t.Fatalf("Korean title %q", got)
	}
	count("3") // no conditions: everyone
	if got := a.text(".seg-count span"); got != "해당 고객 수:" {
		t.Fatalf("count label %q", got)
	}
	a.do("add a condition", chromedp.Click(chromedp.ID("seg-add")))
	row1 := `#seg-rows .seg-row:nth-child(1) `
	if got := eval[string](a, `document.querySelector('`+row1+`[name=key]').selectedOptions[0].textContent`); got != "처음 방문" {
		t.Fatalf("first attribute option %q", got)
	}
	set(row1+"[name=key]", "plan")
	// A text attribute offers only text operators, in Korean.
	if got := eval[string](a, `[...document.querySelector('`+row1+`[name=op]').options].filter(o => !o.hidden).map(o => o.textContent).join(',')`); got != "같음,같지 않음,포함,값 있음,값 없음" {
		t.Fatalf("text operators %q", got)
	}
	a.do("plan is pro", chromedp.SendKeys(chromedp.CSS(row1+"[name=value]"), "pro"))
	count("2")
	a.waitJS("preview", `document.querySelectorAll('#seg-preview li').length === 2`)
	if got := a.text("#seg-preview"); !strings.Contains(got, "김민지") || !strings.Contains(got, "이서준") {
		t.Fatalf("preview %q", got)
	}
	a.do("add an event row", chromedp.Click(chromedp.ID("seg-add")))
	row2 := `#seg-rows .seg-row:nth-child(2) `
	set(row2+"[name=kind]", "event")
	if eval[bool](a, `document.querySelector('`+row2+`[name=value]').hidden || false`) != true {
		t.Fatal("the value input shows on an event row")
	}
	a.do("did order_paid within 30 days", chromedp.SendKeys(chromedp.CSS(row2+"[name=name]"), "order_paid"), chromedp.SendKeys(chromedp.CSS(row2+"[name=days]"), "30"))
	count("1")
	a.do("any", chromedp.Click(chromedp.CSS(`input[name=match][value=any]`)))
	count("3")
	a.do("back to all", chromedp.Click(chromedp.CSS(`input[name=match][value=all]`)))
	count("1")
	// A number attribute gets a number input.
	a.do("add a number row", chromedp.Click(chromedp.ID("seg-add")))
	row3 := `#seg-rows .seg-row:nth-child(3) `
	set(row3+"[name=key]", "seats")
	if got := eval[string](a, `document.querySelector('`+row3+`[name=value]').type`); got != "number" {
		t.Fatalf("number value input type %q", got)
	}
	a.do("remove it", chromedp.Click(chromedp.CSS(row3+"[data-seg-remove]")))
	a.do("name and save", chromedp.SendKeys(chromedp.ID("seg-name"), "프로 구매 고객"), chromedp.Click(chromedp.CSS(`#segment-form button[type=submit]`)))
	a.waitJS("saved", `location.search.startsWith('?id=')`)
	var list struct {
		Items []struct {
			ID         int64  `json:"id"`
			Name       string `json:"name"`
			Definition struct {
				Match      string           `json:"match"`
				Conditions []map[string]any `json:"conditions"`
			} `json:"definition"`
		} `json:"items"`
	}
	e.call("GET", "/api/v1/segments", e.adminTok, nil, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].Name != "프로 구매 고객" || list.Items[0].Definition.Match != "all" || len(list.Items[0].Definition.Conditions) != 2 {
		t.Fatalf("saved %+v", list)
	}

	// In English, the saved segment opens with its rows and its count.
	a.do("English", chromedp.Navigate(e.ts.URL+"/lang/en?next="+url.QueryEscape(fmt.Sprintf("/admin/segments?id=%d", list.Items[0].ID))), chromedp.WaitVisible(chromedp.ID("segment-form")))
	a.ready()
	count("1")
	if got := a.text(".seg-count span"); got != "Matching customers:" {
		t.Fatalf("English count label %q", got)
	}
	if got := eval[string](a, `document.querySelector('`+row1+`[name=key]').selectedOptions[0].textContent + '/' + document.querySelector('`+row1+`[name=op]').selectedOptions[0].textContent`); got != "Plan/is" {
		t.Fatalf("English first row %q", got)
	}
	if got := a.text("#seg-preview"); !strings.Contains(got, "김민지") {
		t.Fatalf("English preview %q", got)
	}

	// The contact page: typed inputs, saved through the API.
	var p struct {
		Contact struct {
			ID int64 `json:"id"`
		} `json:"contact"`
		Attributes map[string]any `json:"attributes"`
	}
	e.call("GET", "/api/v1/contacts/minji@customer.test/profile", e.adminTok, nil, http.StatusOK, &p)
	a.do("contact page", chromedp.Navigate(fmt.Sprintf("%s/contacts/%d", e.ts.URL, p.Contact.ID)), chromedp.WaitVisible(chromedp.ID("profile-form")))
	a.ready()
	if got := a.text("#timeline"); !strings.Contains(got, "order_paid") || !strings.Contains(got, "Conversation") {
		t.Fatalf("timeline %q", got)
	}
	if got := eval[string](a, `document.getElementById('pa-seats').type`); got != "number" {
		t.Fatalf("seats input %q", got)
	}
	a.do("edit", chromedp.SendKeys(chromedp.ID("pa-seats"), "12"), chromedp.Click(chromedp.CSS(`#profile-form input[name=email_marketing]`)),
		chromedp.Click(chromedp.CSS(`#profile-form button[type=submit]`)))
	a.waitJS("profile saved", `!!document.getElementById('profile-form').dataset.saved`)
	p.Attributes = nil
	e.call("GET", "/api/v1/contacts/minji@customer.test/profile", e.adminTok, nil, http.StatusOK, &p)
	if p.Attributes["seats"] != 12.0 || p.Attributes["email_marketing"] != true || p.Attributes["plan"] != "pro" {
		t.Fatalf("profile after the form: %v", p.Attributes)
	}
}
