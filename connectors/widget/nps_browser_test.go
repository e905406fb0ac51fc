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

// TestBrowserNPSCard is issue 14's NPS card in the widget, in Chromium: a
// visitor chatted; an NPS definition for the widget is saved; its planner
// and send jobs ask on the visitor's next visit with a 0–10 row and the
// "why?" follow-up; the visitor picks 9, answers why, gets the thank-you;
// the answer is stored and the card does not come back.
func TestBrowserNPSCard(t *testing.T) {
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
	nps := h.env.Inbox.EnableNPS(sched)
	go sched.Run(ctx)

	b := newBrowser(t)
	if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/help")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	b.poll("widget connected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
	b.eval(`window.__hanboxWidget.send('배송 문의드려요'), 'ok'`)
	h.env.Eventually("ticket", func() bool { return len(h.env.Tickets()) == 1 })
	contact := h.env.Tickets()[0].ContactID
	if err := h.env.Store.DB.Model(&store.Contact{}).Where("id = ?", contact).Update("locale", "ko-KR").Error; err != nil {
		t.Fatal(err)
	}
	// Quiet hours off ("00:00"–"00:00"), so the test does not depend on
	// the hour it runs at in Seoul.
	if _, err := nps.Create(ctx, inbox.NPSSurveyInput{Name: "위젯 NPS", Enabled: true, ByWidget: true,
		QuestionKo: "친구에게 추천하시겠어요?", WhyKo: "그 점수를 주신 이유는요?", ThanksKo: "고맙습니다!",
		QuietStart: "00:00", QuietEnd: "00:00"}); err != nil {
		t.Fatal(err)
	}
	h.env.Eventually("the NPS request", func() bool {
		var n int64
		h.env.Store.DB.Model(&store.Survey{}).Where("kind = ? AND contact_id = ? AND message_id IS NOT NULL", store.SurveyNPS, contact).Count(&n)
		return n == 1
	})

	// The next visit: the card with 0–10.
	if err := chromedp.Do(b.ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	b.poll("widget reconnected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
	cardShown := `(() => { const r = window.__hanboxWidget.root, f = [...r.querySelectorAll('.rate .faces.nps .face')];
		return f.length === 11 && f[0].textContent === '0' && f[10].textContent === '10' &&
			[...r.querySelectorAll('.m .b')].some(e => e.textContent === '친구에게 추천하시겠어요?'); })()`
	b.poll("NPS card", cardShown)
	b.eval(`window.__hanboxWidget.root.querySelector('.rate .face[data-score="9"]').click(), 'ok'`)
	b.poll("why box", `(() => { const ta = window.__hanboxWidget.root.querySelector('.rate textarea'); return !!ta && ta.placeholder === '그 점수를 주신 이유는요?'; })()`)
	b.eval(`(() => { const ta = window.__hanboxWidget.root.querySelector('.rate textarea'); ta.value = '빠른 배송'; ta.dispatchEvent(new Event('input')); return 'ok'; })()`)
	b.eval(`window.__hanboxWidget.root.querySelector('.rate .go').click(), 'ok'`)
	b.poll("thank-you", `[...window.__hanboxWidget.root.querySelectorAll('.rate .thanks')].some(e => e.textContent === '고맙습니다!')`)
	var sv store.Survey
	if err := h.env.Store.DB.Where("kind = ? AND contact_id = ?", store.SurveyNPS, contact).Take(&sv).Error; err != nil {
		t.Fatal(err)
	}
	if sv.Score == nil || *sv.Score != 9 || sv.Comment != "빠른 배송" {
		t.Fatalf("stored answer %+v", sv)
	}
	if err := chromedp.Do(b.ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	b.poll("widget reconnected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
	b.poll("history back", `[...window.__hanboxWidget.root.querySelectorAll('.m .b')].some(e => e.textContent === '친구에게 추천하시겠어요?')`)
	if n := b.eval(`String(window.__hanboxWidget.root.querySelectorAll('.rate').length)`); n != "0" {
		t.Fatalf("cards after answering = %s", n)
	}
}
