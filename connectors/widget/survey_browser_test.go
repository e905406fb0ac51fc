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

// TestBrowserCSATCard is issue 14's widget flow in Chromium: the agent
// resolves the visitor's chat; the durable consumer and the job scheduler
// send a rating card (five labelled faces) over the widget protocol; the
// visitor reloads before answering and the card is there again; they pick a
// face, add a comment and get the channel's thank-you; the answer is stored
// and the card does not come back.
func TestBrowserCSATCard(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	site, pageHTML := hostSite(t)
	settings := siteSettings(t, site.URL, "ko")
	h := newHarness(t, "sqlite", settings)
	*pageHTML = fmt.Sprintf(hostPage, h.srv.URL, h.ch.PublicKey)
	agent := h.env.Agent("jisoo@support.example", "Jisoo")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sched := jobs.New(h.env.Store, jobs.Options{Poll: 20 * time.Millisecond})
	if err := h.env.Inbox.EnableSurveys(ctx, sched); err != nil {
		t.Fatal(err)
	}
	go h.env.Inbox.RunConsumers(ctx, inbox.ConsumeOptions{Poll: 20 * time.Millisecond})
	go sched.Run(ctx)
	if _, err := h.env.Inbox.SetCSATSetting(ctx, h.ch.ID, inbox.SurveySettingInput{Enabled: true,
		QuestionKo: "상담은 어떠셨나요?", ThanksKo: "평가해 주셔서 감사합니다!"}); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t)
	if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/help")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	b.poll("widget connected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
	b.eval(`window.__hanboxWidget.send('주문 취소하고 싶어요'), 'ok'`)
	h.env.Eventually("ticket", func() bool { return len(h.env.Tickets()) == 1 })
	id := h.env.Tickets()[0].ID
	if _, err := h.env.Inbox.Reply(ctx, inbox.ReplyInput{TicketID: id, AgentID: agent.ID, Text: "취소해 드렸습니다"}); err != nil {
		t.Fatal(err)
	}
	b.poll("agent reply", `[...window.__hanboxWidget.root.querySelectorAll('.m.a .b')].some(e => e.textContent === '취소해 드렸습니다')`)
	// The survey speaks the contact's language; headless Chromium says
	// en-US, this customer is Korean.
	if err := h.env.Store.DB.Model(&store.Contact{}).Where("id = ?", h.env.Tickets()[0].ContactID).Update("locale", "ko-KR").Error; err != nil {
		t.Fatal(err)
	}
	resolved := store.StatusResolved
	if _, err := h.env.Inbox.UpdateTicket(ctx, id, agent.ID, inbox.TicketPatch{Status: &resolved}); err != nil {
		t.Fatal(err)
	}
	cardShown := `(() => { const r = window.__hanboxWidget.root, f = [...r.querySelectorAll('.rate .face')];
		return f.length === 5 && f[0].getAttribute('aria-label') === '매우 불만족' && f[4].getAttribute('aria-label') === '매우 만족' &&
			[...r.querySelectorAll('.m.a .b')].some(e => e.textContent === '상담은 어떠셨나요?'); })()`
	b.poll("rating card", cardShown)

	// Gone before answering: the card is there on the next visit.
	if err := chromedp.Do(b.ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	b.poll("widget reconnected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
	b.poll("rating card after reload", cardShown)

	b.eval(`window.__hanboxWidget.root.querySelector('.rate .face[data-score="4"]').click(), 'ok'`)
	b.poll("comment box", `!!window.__hanboxWidget.root.querySelector('.rate textarea')`)
	b.eval(`(() => { const ta = window.__hanboxWidget.root.querySelector('.rate textarea'); ta.value = '빨랐어요'; ta.dispatchEvent(new Event('input')); return 'ok'; })()`)
	b.eval(`window.__hanboxWidget.root.querySelector('.rate .go').click(), 'ok'`)
	b.poll("thank-you", `[...window.__hanboxWidget.root.querySelectorAll('.rate .thanks')].some(e => e.textContent === '평가해 주셔서 감사합니다!')`)
	var sv store.Survey
	if err := h.env.Store.DB.Where("ticket_id = ?", id).Take(&sv).Error; err != nil {
		t.Fatal(err)
	}
	if sv.Score == nil || *sv.Score != 4 || sv.Comment != "빨랐어요" || sv.Answers != 1 {
		t.Fatalf("stored answer %+v", sv)
	}

	// Answered: no card on the next visit.
	if err := chromedp.Do(b.ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	b.poll("widget reconnected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
	b.poll("history back", `[...window.__hanboxWidget.root.querySelectorAll('.m.a .b')].some(e => e.textContent === '상담은 어떠셨나요?')`)
	if n := b.eval(`String(window.__hanboxWidget.root.querySelectorAll('.rate').length)`); n != "0" {
		t.Fatalf("rating cards after answering = %s", n)
	}
}
