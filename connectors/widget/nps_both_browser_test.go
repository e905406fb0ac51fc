package widget

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
)

// TestBrowserNPSEmailAndWidget, in Chromium: a visitor who chatted in the
// widget also has an email conversation; an NPS survey by email and in the
// widget asks by email and shows the same survey as a card on their next
// visit. They answer the card: it is stored once, the card does not come
// back, and the email's rating link shows the answer given (one survey,
// closed in both places).
func TestBrowserNPSEmailAndWidget(t *testing.T) {
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
	chat := h.env.Tickets()[0]
	contact := chat.ContactID
	// The same customer wrote by email too (a mailbox not run in this
	// test: the request is only queued there).
	mail := store.Channel{Kind: "email", Name: "메일", PublicKey: inbox.NewPublicID()}
	if err := h.env.Store.DB.Create(&mail).Error; err != nil {
		t.Fatal(err)
	}
	r, err := h.env.Inbox.Ingest(ctx, &inbox.Inbound{ChannelID: mail.ID, ExternalID: "mail-1", ThreadKeys: []string{"mail-1"}, OwnKeys: []string{"mail-1"},
		Contact: inbox.ContactRef{Kind: inbox.IdentityEmail, ID: "minji@customer.test", Verified: true, Name: "민지"}, Text: "메일 문의"})
	if err != nil {
		t.Fatal(err)
	}
	db := h.env.Store.DB
	if err := db.Model(&store.Ticket{}).Where("id = ?", r.TicketID).Update("contact_id", contact).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Model(&store.Contact{}).Where("id = ?", contact).Updates(map[string]any{"locale": "ko-KR", "email": "minji@customer.test"}).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := nps.Create(ctx, inbox.NPSSurveyInput{Name: "NPS", Enabled: true, ByEmail: true, ByWidget: true,
		QuestionKo: "친구에게 추천하시겠어요?", QuietStart: "00:00", QuietEnd: "00:00"}); err != nil {
		t.Fatal(err)
	}
	var sv store.Survey
	h.env.Eventually("the NPS request", func() bool {
		return db.Where("kind = ? AND contact_id = ? AND widget_message_id IS NOT NULL", store.SurveyNPS, contact).Take(&sv).Error == nil
	})
	if sv.TicketID != r.TicketID {
		t.Fatalf("survey asked in ticket %d, want the email conversation %d", sv.TicketID, r.TicketID)
	}
	if n := outboxRows(t, h, *sv.MessageID) + outboxRows(t, h, *sv.WidgetMessageID); n != 1 {
		t.Fatalf("%d outbox rows for the two messages, want 1 (the email)", n)
	}

	// The next visit: the card, once.
	if err := chromedp.Do(b.ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	b.poll("widget reconnected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
	b.poll("NPS card", `window.__hanboxWidget.root.querySelectorAll('.rate .faces.nps').length === 1 &&
		window.__hanboxWidget.root.querySelectorAll('.rate .faces.nps .face').length === 11`)
	b.eval(`window.__hanboxWidget.root.querySelector('.rate .face[data-score="10"]').click(), 'ok'`)
	b.poll("why box", `!!window.__hanboxWidget.root.querySelector('.rate textarea') && !!window.__hanboxWidget.root.querySelector('.rate .go')`)
	b.eval(`window.__hanboxWidget.root.querySelector('.rate .go').click(), 'ok'`)
	b.poll("thank-you", `window.__hanboxWidget.root.querySelectorAll('.rate .thanks').length === 1`)
	h.env.Eventually("answer stored", func() bool {
		var got store.Survey
		return db.Take(&got, sv.ID).Error == nil && got.Score != nil && *got.Score == 10 && got.Answers == 1
	})
	var n int64
	db.Model(&store.Survey{}).Where("kind = ? AND contact_id = ?", store.SurveyNPS, contact).Count(&n)
	if n != 1 {
		t.Fatalf("%d NPS surveys for the contact, want 1", n)
	}
	// The email's link now shows the answer given.
	u, err := h.env.Inbox.SurveyURL(ctx, &sv)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := h.env.Inbox.OpenSurvey(ctx, u[strings.LastIndex(u, "/s/")+3:])
	if err != nil || acc.Survey.Score == nil || *acc.Survey.Score != 10 {
		t.Fatalf("email link after the widget answer: %+v %v", acc, err)
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

func outboxRows(t *testing.T, h *harness, messageID int64) int64 {
	t.Helper()
	var n int64
	if err := h.env.Store.DB.Model(&store.Outbox{}).Where("message_id = ?", messageID).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}
