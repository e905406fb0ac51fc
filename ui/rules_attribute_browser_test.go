package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store"
)

// TestBrowserRuleOnContactAttribute: an admin working in Korean builds a
// rule whose condition is a contact attribute (요금제 is pro), chosen from
// the attribute list in the form; the next message of a pro customer is
// tagged by it, a free customer's is not.
func TestBrowserRuleOnContactAttribute(t *testing.T) {
	e := newEnv(t, store.SQLite)
	e.call("POST", "/api/v1/attributes", e.adminTok, map[string]any{"key": "plan", "label_ko": "요금제", "label_en": "Plan", "type": "text"}, http.StatusCreated, nil)
	for i, c := range []struct{ email, plan string }{{"minji@customer.test", "pro"}, {"joe@customer.test", "free"}} {
		e.ingest(map[string]any{"external_id": fmt.Sprintf("a%d", i), "thread_key": fmt.Sprintf("a%d", i), "text": "안녕하세요", "contact": map[string]any{"external_id": c.email, "email": c.email}})
		e.call("PATCH", "/api/v1/contacts/"+url.PathEscape(c.email), e.adminTok, map[string]any{"attributes": map[string]any{"plan": c.plan}}, http.StatusOK, nil)
	}

	a := newTab(t, browser(t))
	a.do("Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/login"), chromedp.WaitVisible(chromedp.ID("email")))
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("rules screen", chromedp.Navigate(e.ts.URL+"/admin/rules"), chromedp.WaitVisible(chromedp.ID("rule-new")))
	a.ready()
	pick := func(sel, value string) {
		t.Helper()
		if !eval[bool](a, fmt.Sprintf(`(() => { const s = document.querySelector(%q); if (!s) return false;
			s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); return s.value === %q; })()`, sel, value, value)) {
			t.Fatalf("could not choose %q in %s", value, sel)
		}
	}
	const nf, cond, act = "#rule-new", "#rule-new [data-cond-row]:last-child", "#rule-new [data-action-row]:last-child"
	a.do("name and a condition", chromedp.SendKeys(chromedp.ID("rl-new-name"), "프로 요금제"), chromedp.Click(chromedp.CSS(nf+` [data-add-cond]`)))
	pick(nf+` [name=trigger]`, "customer_message")
	pick(cond+` [name=field]`, "attribute")
	if got := a.text(cond + ` select[name=key] option[value=plan]`); got != "요금제" {
		t.Fatalf("the attribute list shows %q for plan, want its Korean label", got)
	}
	pick(cond+` select[name=key]`, "plan")
	a.do("value", chromedp.SendKeys(chromedp.CSS(cond+` input[name=value][data-for~=attribute]`), "pro"))
	a.do("tag action", chromedp.Click(chromedp.CSS(nf+` [data-add-action]`)))
	pick(act+` [name=type]`, "add_tag")
	a.do("tag", chromedp.SendKeys(chromedp.CSS(act+` input[name=value][data-for~=add_tag]`), "pro-plan"))
	a.do("save", chromedp.Click(chromedp.CSS(nf+` button[type=submit]`)))
	var rules struct {
		Items []struct {
			Conditions []store.RuleCondition `json:"conditions"`
		} `json:"items"`
	}
	eventually(t, "the rule stored", func() bool {
		e.call("GET", "/api/v1/rules", e.adminTok, nil, http.StatusOK, &rules)
		return len(rules.Items) == 1
	})
	if c := rules.Items[0].Conditions; len(c) != 1 || c[0] != (store.RuleCondition{Field: "attribute", Op: "is", Key: "plan", Value: "pro"}) {
		t.Fatalf("stored conditions %+v", c)
	}

	// Events are handled in order: once the later message is tagged, the
	// earlier one has been decided.
	free := e.ingest(map[string]any{"external_id": "b1", "thread_key": "b1", "text": "문의드려요", "contact": map[string]any{"external_id": "joe@customer.test"}})
	pro := e.ingest(map[string]any{"external_id": "b0", "thread_key": "b0", "text": "문의드려요", "contact": map[string]any{"external_id": "minji@customer.test"}})
	var st ticketState
	eventually(t, "the pro customer's ticket tagged", func() bool {
		e.call("GET", "/api/v1/tickets/"+pro, e.adminTok, nil, http.StatusOK, &st)
		return slices.Contains(st.Tags, "pro-plan")
	})
	e.call("GET", "/api/v1/tickets/"+free, e.adminTok, nil, http.StatusOK, &st)
	if slices.Contains(st.Tags, "pro-plan") {
		t.Fatalf("the free customer's ticket was tagged: %v", st.Tags)
	}
}
