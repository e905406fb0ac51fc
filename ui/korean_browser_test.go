package ui_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store"
)

// englishLiterals are English texts that once reached Korean screens from
// outside the catalogue (server errors, states, connector messages).
var englishLiterals = []string{
	"connected", "connecting", "stopped", "not found", "Something went wrong", "is not an email address",
	"JSON object expected", "cannot be sent here", "recipient unreachable", "customer left", "webhook answered",
	"tags:", "status:", "assignee:", "list.subject",
}

// TestBrowserKoreanEverywhere opens every agent page, the admin pages, the
// sign-in, error and conversation pages in Korean, with the states that
// bring extra text (a failed delivery, a tag change, a merged ticket, a
// refused channel form), and fails on a catalogue key shown raw, on an
// English catalogue text shown where Korean differs, or on a known English
// literal. What is checked is what a person sees: visible text plus
// placeholders, titles, labels and button values.
func TestBrowserKoreanEverywhere(t *testing.T) {
	e := newEnv(t, store.SQLite)
	bctx := browser(t)
	var ko, en map[string]string
	for lang, m := range map[string]*map[string]string{"ko": &ko, "en": &en} {
		b, err := os.ReadFile("locales/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, m); err != nil {
			t.Fatal(err)
		}
	}
	// English texts that must not show on a Korean page: long enough to be
	// a sentence or a label of their own, and different in Korean.
	var english []string
	for k, v := range en {
		// (Single short words such as "Reply" also occur inside names of
		// things, like the Reply-To header, in Korean help texts.)
		long := strings.Contains(v, " ") || len(v) >= 7
		if long && ko[k] != v && !strings.Contains(v, "{") && regexp.MustCompile(`[a-z]{3}`).MatchString(v) {
			english = append(english, v)
		}
	}
	english = append(english, englishLiterals...)
	sort.Strings(english)
	keyRE := regexp.MustCompile(`\b[a-z]+(?:\.[a-zA-Z_]+)+\b`)

	// Data for every state: a failed delivery, a tag change, a file.
	e.hooks.fail.Store(true)
	pid := e.ingest(map[string]any{"external_id": "k1", "subject": "배송 문의", "text": "언제 오나요?",
		"contact":     map[string]any{"external_id": "k-c", "name": "김민지", "email": "minji@customer.test"},
		"attachments": []map[string]any{{"name": "영수증.txt", "content_type": "text/plain", "data": base64.StdEncoding.EncodeToString([]byte("r"))}}})
	e.call("POST", "/api/v1/tickets/"+pid+"/replies", e.adminTok, map[string]any{"text": "내일 도착합니다."}, http.StatusCreated, nil)
	e.call("PATCH", "/api/v1/tickets/"+pid, e.adminTok, map[string]any{"tags": []string{"배송", "vip"}}, http.StatusOK, nil)
	e.call("PATCH", "/api/v1/tickets/"+pid, e.adminTok, map[string]any{"tags": []string{"vip"}, "priority": "high"}, http.StatusOK, nil)
	e.call("POST", "/api/v1/saved-replies", e.adminTok, map[string]any{"name": "인사", "body": "안녕하세요 {{contact.name}}님"}, http.StatusCreated, nil)
	tk, err := e.srv.Inbox.TicketByPublicID(e.ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the delivery to fail", func() bool {
		var n int64
		e.srv.Store.DB.Model(&store.Message{}).Where("ticket_id = ? AND delivery_status = ?", tk.ID, store.DeliveryFailed).Count(&n)
		return n == 1
	})
	link, err := e.srv.Inbox.ConversationLink(e.ctx, tk.ID, "minji@customer.test")
	if err != nil {
		t.Fatal(err)
	}
	_, tok, _ := strings.Cut(link, "/c/")

	a := newTab(t, bctx)
	a.do("Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/login"), chromedp.WaitVisible(chromedp.ID("email")))
	// What a person sees of the page, plus its labels and placeholders.
	const seen = `(() => {
		const parts = [document.body.innerText, document.title];
		for (const n of document.querySelectorAll('[placeholder],[title],[aria-label],input[type=submit],option,[alt]')) {
			for (const a of ['placeholder', 'title', 'aria-label', 'value', 'alt']) if (n.hasAttribute(a) && !(n.tagName === 'OPTION' && a === 'value') && !(n.tagName === 'INPUT' && a === 'value' && n.type !== 'submit')) parts.push(n.getAttribute(a));
			if (n.tagName === 'OPTION') parts.push(n.textContent);
		}
		return parts.join('\n');
	})()`
	check := func(where string) {
		t.Helper()
		text := strings.ReplaceAll(eval[string](a, seen), "Admin Kim", "") // the agent's own name is data
		for _, m := range keyRE.FindAllString(text, -1) {
			if _, ok := en[m]; ok {
				t.Errorf("%s: catalogue key %q shown raw", where, m)
			}
		}
		for _, s := range english {
			if strings.Contains(text, s) {
				t.Errorf("%s: English %q on a Korean page", where, s)
			}
		}
	}
	check("sign-in")
	a.do("sign in", chromedp.SendKeys(chromedp.ID("email"), "admin@example.com"), chromedp.SendKeys(chromedp.ID("password"), "admin-password"),
		chromedp.Click(chromedp.CSS(`form.login button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("ticket-list")))
	a.waitLive()
	for _, view := range []string{"open", "mine", "unassigned", "all", "pending", "snoozed", "resolved", "closed"} {
		a.do("view "+view, chromedp.Navigate(e.ts.URL+"/tickets?view="+view), chromedp.WaitVisible(chromedp.ID("ticket-list")))
		check("inbox " + view)
	}
	a.do("help overlay", chromedp.Navigate(e.ts.URL+"/tickets?view=all"), chromedp.WaitVisible(chromedp.CSS(`.trow [data-failed]`)), chromedp.KeyEvent("?"))
	check("inbox with help and a failed delivery")
	a.do("ticket", chromedp.Navigate(e.ts.URL+"/tickets/"+pid), chromedp.WaitVisible(chromedp.CSS(`#thread [data-retry]`)))
	a.waitLive()
	a.waitJS("saved replies", `document.getElementById('saved').options.length === 2`)
	if got := a.text("#thread"); !regexp.MustCompile(`태그 추가: #(배송 #vip|vip #배송)`).MatchString(got) || !strings.Contains(got, "태그 삭제: #배송") {
		t.Errorf("tag lines: %q", got)
	}
	check("ticket")
	// An API error shown on the page is Korean by its code.
	a.do("merge with itself", chromedp.SendKeys(chromedp.ID("f-merge-ticket"), pid+"\r"))
	a.waitJS("error toast", `!document.getElementById('toast').hidden`)
	check("ticket with an error toast")
	a.do("missing ticket", chromedp.Navigate(e.ts.URL+"/tickets/nosuchticket"))
	check("not found page")
	// A webhook subscription with a delivery in its log.
	var sub struct {
		ID int64 `json:"id"`
	}
	e.call("POST", "/api/v1/webhooks", e.adminTok, map[string]any{"name": "주문 시스템", "url": e.hooks.srv.URL, "events": []string{"ticket.created"}}, http.StatusCreated, &sub)
	e.call("POST", "/api/v1/webhooks/"+itoa(sub.ID)+"/test", e.adminTok, nil, http.StatusAccepted, nil)
	for _, p := range []string{"/admin/channels", "/admin/agents", "/admin/sla", "/admin/rules", "/admin/bot", "/tickets?sort=due", "/admin/saved-replies", "/admin/quarantine", "/admin/deliveries", "/admin/webhooks", "/admin/webhooks/" + itoa(sub.ID), "/admin/audit", "/admin/attributes", "/admin/segments", "/password", "/reports"} {
		a.do(p, chromedp.Navigate(e.ts.URL+p), chromedp.WaitVisible(chromedp.CSS("main")))
		check(p)
	}
	// A channel form the server refuses: the message names the field in
	// Korean, next to it, without the connector's English.
	a.do("channels", chromedp.Navigate(e.ts.URL+"/admin/channels"), chromedp.WaitVisible(chromedp.CSS(`#channel-form[data-ready="true"]`)))
	eval[bool](a, `(s => (s.value = 'email', s.dispatchEvent(new Event('change', {bubbles: true}))))(document.getElementById('ch-kind'))`)
	eval[bool](a, `(() => { const i = document.querySelector('[data-field="address"] input'); i.value = 'not an address'; return true; })()`)
	eval[bool](a, `(() => { const i = document.querySelector('[data-field="imap.host"] input'); i.value = 'imap.example.com'; return true; })()`)
	a.do("submit", chromedp.SendKeys(chromedp.ID("ch-name"), "메일"), chromedp.Click(chromedp.CSS(`#channel-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#channel-form [data-error]`)))
	if got := a.text(`#channel-form [data-error]`); !strings.Contains(got, "지원 주소") || strings.Contains(got, "email:") {
		t.Errorf("channel form error %q", got)
	}
	if !eval[bool](a, `!!document.querySelector('[data-field="address"] .field-error')`) {
		t.Error("the refused setting is not marked next to its field")
	}
	check("channel form refused")
	a.do("conversation page", chromedp.Navigate(e.ts.URL+"/c/"+tok), chromedp.WaitVisible(chromedp.ID("cthread")))
	check("conversation page")
}
