package widget

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
)

// TestBrowserCampaignBubble is issue 15's widget message, in Chromium: a
// visitor chatted once; a page campaign for /pricing* is saved. On /help
// the session carries it but no bubble shows; on /pricing the bubble shows
// once the chat panel is closed (hidden while it is open), with the name
// placeholder's fallback, and counts as seen; opening the panel hides it
// again and closing it shows it again; the visitor
// dismisses it, and on the next visit to /pricing it does not come back.
func TestBrowserCampaignBubble(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	site, pageHTML := hostSite(t)
	settings := siteSettings(t, site.URL, "ko")
	h := newHarness(t, "sqlite", settings)
	*pageHTML = fmt.Sprintf(hostPage, h.srv.URL, h.ch.PublicKey)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sched := jobs.New(h.env.Store, jobs.Options{Poll: 20 * time.Millisecond})
	camp, err := h.env.Inbox.EnableCampaigns(ctx, sched)
	if err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t)
	if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/help")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	b.poll("widget connected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
	b.eval(`window.__hanboxWidget.send('요금 문의드려요'), 'ok'`)
	h.env.Eventually("ticket", func() bool { return len(h.env.Tickets()) == 1 })
	contact := h.env.Tickets()[0].ContactID
	if err := h.env.Store.DB.Model(&store.Contact{}).Where("id = ?", contact).Update("locale", "ko-KR").Error; err != nil {
		t.Fatal(err)
	}
	cp, err := camp.Create(ctx, inbox.CampaignInput{Name: "요금제 안내", Enabled: true, Channel: store.CampaignWidget,
		TriggerKind: store.TriggerPage, Trigger: store.TriggerConfig{URLPattern: "/pricing*"},
		BodyKo: "{{contact.name|고객}}님, 요금제가 궁금하신가요? 채팅으로 물어보세요.", BodyEn: "Questions about pricing?"})
	if err != nil {
		t.Fatal(err)
	}
	const bubble = `window.__hanboxWidget.root.querySelector('.camp')`

	// Another page: listed for the visit, not shown.
	if err := chromedp.Do(b.ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	b.poll("widget reconnected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
	if got := b.eval(`String((window.__hanboxWidget.state.session.campaigns || []).length) + ' ' + ` + bubble + `.classList.contains('hidden')`); got != "1 true" {
		t.Fatalf("on /help: campaigns and hidden = %s", got)
	}

	// The matching page: shown, counted as seen.
	if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/pricing/team")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	b.poll("widget on /pricing", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
	// The chat panel is open (it stays open across pages since the
	// visitor wrote): the bubble waits, unseen, until it closes.
	b.eval(`window.__hanboxWidget.open(), 'ok'`)
	if got := b.eval(`String(` + bubble + `.classList.contains('hidden')) + ' ' + window.__hanboxWidget.state.open`); got != "true true" {
		t.Fatalf("panel open on /pricing: bubble hidden and open = %s", got)
	}
	b.eval(`window.__hanboxWidget.close(), 'ok'`)
	b.poll("bubble", `(() => { const c = `+bubble+`; return !!c && !c.classList.contains('hidden') &&
		c.querySelector('.ct').textContent === '고객님, 요금제가 궁금하신가요? 채팅으로 물어보세요.'; })()`)
	var send store.CampaignSend
	h.env.Eventually("seen", func() bool {
		return h.env.Store.DB.Where("campaign_id = ? AND contact_id = ? AND seen_at IS NOT NULL", cp.ID, contact).Take(&send).Error == nil
	})

	// The chat panel open hides the bubble; closed, it shows again.
	b.eval(`window.__hanboxWidget.open(), 'ok'`)
	if got := b.eval(`String(` + bubble + `.classList.contains('hidden')) + ' ' + window.__hanboxWidget.state.open`); got != "true true" {
		t.Fatalf("panel open: bubble hidden and open = %s", got)
	}
	b.eval(`window.__hanboxWidget.close(), 'ok'`)
	if got := b.eval(`String(` + bubble + `.classList.contains('hidden')) + ' ' + window.__hanboxWidget.state.open`); got != "false false" {
		t.Fatalf("panel closed: bubble hidden and open = %s", got)
	}

	// Dismissed: recorded, and not again on the next visit.
	b.eval(bubble + `.querySelector('.x').click(), 'ok'`)
	h.env.Eventually("dismissed", func() bool {
		return h.env.Store.DB.Where("id = ? AND dismissed_at IS NOT NULL", send.ID).Take(&send).Error == nil
	})
	if err := chromedp.Do(b.ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	b.poll("widget reconnected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
	if got := b.eval(`String((window.__hanboxWidget.state.session.campaigns || []).length) + ' ' + ` + bubble + `.classList.contains('hidden')`); got != "0 true" {
		t.Fatalf("after dismissing: campaigns and hidden = %s", got)
	}
	st, err := camp.Stats(ctx, cp.ID)
	if err != nil || st.Sent != 1 || st.Seen != 1 || st.Dismissed != 1 || st.Clicked != 0 {
		t.Fatalf("stats %+v %v", st, err)
	}
}
