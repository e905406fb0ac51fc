package widget

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
)

// quietPage embeds the widget without opening it (a visitor who never
// chatted: the panel stays closed, so campaign bubbles can show).
const quietPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>Shop</title></head>
<body><h1>Shop</h1>
<script async src="%s/widget.js" data-channel="%s" data-debug></script>
</body></html>`

const campBubble = `window.__hanboxWidget.root.querySelector('.camp')`

// TestBrowserOnboardingNewVisitor is onboarding for a brand-new anonymous
// visitor, in Chromium with a fresh profile: the first visit makes the
// visitor's contact (no ticket, no message) and shows the onboarding
// bubble, counted seen once; the second visit shows nothing.
func TestBrowserOnboardingNewVisitor(t *testing.T) {
	site, h, camp, ctx := quietCampaignSite(t)
	cp, err := camp.Create(ctx, inbox.CampaignInput{Name: "처음 오신 분께", Enabled: true, Channel: store.CampaignWidget,
		TriggerKind: store.TriggerOnboarding, BodyKo: "처음 오셨네요! 평일 10시–18시에 채팅으로 물어보세요.", BodyEn: "Welcome!"})
	if err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t)
	if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	b.poll("widget ready", `!!(window.__hanboxWidget && window.__hanboxWidget.state.session)`)
	b.poll("onboarding bubble", `(() => { const c = `+campBubble+`; return !!c && !c.classList.contains('hidden') &&
		c.querySelector('.ct').textContent === '처음 오셨네요! 평일 10시–18시에 채팅으로 물어보세요.'; })()`,
		`window.__hanboxWidget.state.session.campaigns`)
	var send store.CampaignSend
	h.env.Eventually("seen", func() bool {
		return h.env.Store.DB.Where("campaign_id = ? AND seen_at IS NOT NULL", cp.ID).Take(&send).Error == nil
	})
	var idents []store.Identity
	if err := h.env.Store.DB.Where("kind = ?", inbox.IdentityWidget).Find(&idents).Error; err != nil || len(idents) != 1 || idents[0].ContactID != send.ContactID {
		t.Fatalf("widget identities %+v (%v), send to contact %d", idents, err, send.ContactID)
	}
	var tickets, messages int64
	h.env.Store.DB.Model(&store.Ticket{}).Count(&tickets)
	h.env.Store.DB.Model(&store.Message{}).Count(&messages)
	if tickets != 0 || messages != 0 {
		t.Fatalf("%d tickets and %d messages for a visit", tickets, messages)
	}

	// The second visit: nothing to show.
	if err := chromedp.Do(b.ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	b.poll("widget ready again", `!!(window.__hanboxWidget && window.__hanboxWidget.state.session)`)
	if got := b.eval(`String((window.__hanboxWidget.state.session.campaigns || []).length) + ' ' + ` + campBubble + `.classList.contains('hidden')`); got != "0 true" {
		t.Fatalf("second visit: campaigns and hidden = %s", got)
	}
	if st, err := camp.Stats(ctx, cp.ID); err != nil || st.Sent != 1 || st.Seen != 1 {
		t.Fatalf("stats %+v %v", st, err)
	}
	var contacts int64
	h.env.Store.DB.Model(&store.Contact{}).Count(&contacts)
	if contacts != 1 {
		t.Fatalf("%d contacts after two visits", contacts)
	}
}

// TestBrowserPageTimeOnPage is a page message with a time on page, in
// Chromium on virtual time (CDP Emulation.setVirtualTimePolicy): the
// message for /checkout* after 30 seconds is not shown after 20 seconds on
// the page, and shows (and counts seen) once 30 have passed.
func TestBrowserPageTimeOnPage(t *testing.T) {
	site, h, camp, ctx := quietCampaignSite(t)
	// The visitor has a contact: they chatted before. On this quiet page the
	// widget connects only once the visitor opens it.
	b := newBrowser(t)
	if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/help")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	b.poll("widget loaded", `!!(window.__hanboxWidget && window.__hanboxWidget.state.session)`)
	b.eval(`window.__hanboxWidget.open(), 'ok'`)
	b.poll("widget connected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
	b.eval(`window.__hanboxWidget.send('결제가 안 돼요'), 'ok'`)
	h.env.Eventually("ticket", func() bool { return len(h.env.Tickets()) == 1 })
	contact := h.env.Tickets()[0].ContactID
	cp, err := camp.Create(ctx, inbox.CampaignInput{Name: "결제 도움", Enabled: true, Channel: store.CampaignWidget,
		TriggerKind: store.TriggerPage, Trigger: store.TriggerConfig{URLPattern: "/checkout*", MinSeconds: 30},
		BodyKo: "결제에 어려움이 있으신가요?", BodyEn: "Trouble paying?"})
	if err != nil {
		t.Fatal(err)
	}

	// Virtual time from the next page on: timers run only as the test
	// grants time.
	budget := make(chan struct{}, 4)
	if err := chromedp.Listen(b.ctx, func(ev any) {
		if _, ok := ev.(*emulation.EventVirtualTimeBudgetExpired); ok {
			select {
			case budget <- struct{}{}:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	advance := func(ms float64) {
		t.Helper()
		if err := virtualTime(b.ctx, emulation.VirtualTimePolicyPauseIfNetworkFetchesPending, ms); err != nil {
			t.Fatalf("virtual time: %v", err)
		}
		select {
		case <-budget:
		case <-b.ctx.Done():
			t.Fatal("virtual time budget never expired")
		}
	}
	if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/checkout/pay")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	if err := virtualTime(b.ctx, emulation.VirtualTimePolicyPause, 0); err != nil {
		t.Fatalf("virtual time: %v", err)
	}
	ready := `!!(window.__hanboxWidget && window.__hanboxWidget.state.session && window.__hanboxWidget.state.campTimer)`
	for b.eval(`String(`+ready+`)`) != "true" {
		advance(100) // page load and session, a little virtual time at a time
	}
	// The panel reopens for a visitor who wrote; closed, the bubble may show.
	b.eval(`window.__hanboxWidget.close(), 'ok'`)
	at := b.eval(`String(Math.floor(performance.now() / 1000))`)
	advance(20000)
	if got := b.eval(`String(` + campBubble + `.classList.contains('hidden')) + ' ' + Math.floor(performance.now() / 1000)`); got[:4] != "true" {
		t.Fatalf("after 20 s (from %s s): bubble hidden and seconds = %s", at, got)
	}
	if n := countRows(t, h, &store.CampaignSend{}, "campaign_id = ?", cp.ID); n != 0 {
		t.Fatalf("%d sends before the time on page", n)
	}
	advance(11000)
	if got := b.eval(`(() => { const c = ` + campBubble + `; return String(!c.classList.contains('hidden') && c.querySelector('.ct').textContent); })()`); got != "결제에 어려움이 있으신가요?" {
		t.Fatalf("after 31 s: bubble %q", got)
	}
	if err := virtualTime(b.ctx, emulation.VirtualTimePolicyAdvance, 0); err != nil {
		t.Fatalf("virtual time: %v", err)
	}
	h.env.Eventually("seen", func() bool {
		return countRows(t, h, &store.CampaignSend{}, "campaign_id = ? AND contact_id = ? AND seen_at IS NOT NULL", cp.ID, contact) == 1
	})
}

func countRows(t *testing.T, h *harness, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := h.env.Store.DB.Model(model).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// virtualTime sets the page's virtual time policy, with a budget in
// virtual milliseconds when ms > 0.
func virtualTime(ctx context.Context, policy emulation.VirtualTimePolicy, ms float64) error {
	p := emulation.SetVirtualTimePolicyParams{Policy: policy}
	if ms > 0 {
		p.Budget = &ms
	}
	_, err := chromedp.Call(ctx, emulation.SetVirtualTimePolicy, p)
	return err
}

// quietCampaignSite is a Korean site on the quiet page (the widget, nothing
// that opens it) with campaigns enabled on a fast scheduler; browser tests
// only, skipped in -short mode.
func quietCampaignSite(t *testing.T) (*httptest.Server, *harness, *inbox.Campaigns, context.Context) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	site, pageHTML := hostSite(t)
	h := newHarness(t, "sqlite", siteSettings(t, site.URL, "ko"))
	*pageHTML = fmt.Sprintf(quietPage, h.srv.URL, h.ch.PublicKey)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	camp, err := h.env.Inbox.EnableCampaigns(ctx, jobs.New(h.env.Store, jobs.Options{Poll: 20 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	return site, h, camp, ctx
}
