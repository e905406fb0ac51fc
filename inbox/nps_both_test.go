package inbox_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestNPSEmailAndWidgetCountOnce: a survey sent by email and in the widget
// is one survey: the email goes out through the outbox, a copy waits in the
// contact's widget conversation (no outbox row, so no second email), both
// show as pending on the next visit, and an answer in the widget closes
// both (nothing pending, the email's link shows the answer, answering it
// again with the same score counts nothing more). A contact with only a
// widget conversation gets one request there and no copy.
func TestNPSEmailAndWidgetCountOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		seoul := zone(t, "Asia/Seoul")
		e := newNPSEnv(t, st, time.Date(2026, 3, 2, 12, 0, 0, 0, seoul).UTC())
		widget := store.Channel{Kind: "widget", Name: "site", PublicKey: inbox.NewPublicID(), Enabled: true}
		if err := st.DB.Create(&widget).Error; err != nil {
			t.Fatal(err)
		}
		chat := func(ref inbox.ContactRef, session string) int64 {
			t.Helper()
			r, err := e.svc.Ingest(e.ctx, &inbox.Inbound{ChannelID: widget.ID, ExternalID: "w-" + session, ThreadKeys: []string{"ws-" + session},
				OwnKeys: []string{"ws-" + session}, Contact: ref, Text: "채팅 문의"})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.DB.Model(&store.Ticket{}).Where("id = ?", r.TicketID).Update("created_at", time.Date(2026, 1, 31, 10, 0, 0, 0, seoul)).Error; err != nil {
				t.Fatal(err)
			}
			return r.TicketID
		}
		both := e.contact("both@customer.test", time.Date(2026, 1, 31, 10, 0, 0, 0, seoul))
		wt := chat(inbox.ContactRef{Kind: inbox.IdentityEmail, ID: "both@customer.test", Verified: true}, "s1")
		var wticket store.Ticket
		if err := st.DB.Take(&wticket, wt).Error; err != nil || wticket.ContactID != both {
			t.Fatalf("widget ticket %+v %v: want contact %d", wticket, err, both)
		}
		onlyWidget := chat(inbox.ContactRef{Kind: inbox.IdentityWidget, ID: "visitor-2", Name: "방문자"}, "s2")
		var ow store.Ticket
		st.DB.Take(&ow, onlyWidget)

		if _, err := e.nps.Create(e.ctx, inbox.NPSSurveyInput{Name: "NPS", Enabled: true, FirstDays: 30, ByEmail: true, ByWidget: true}); err != nil {
			t.Fatal(err)
		}
		e.runDue()
		svs := e.surveys(both)
		if len(svs) != 1 || svs[0].MessageID == nil || svs[0].WidgetMessageID == nil {
			t.Fatalf("surveys of the email+widget contact: %+v, want one with a widget copy", svs)
		}
		sv := svs[0]
		var email, copyMsg store.Message
		st.DB.Take(&email, *sv.MessageID)
		st.DB.Take(&copyMsg, *sv.WidgetMessageID)
		if email.TicketID == wt || copyMsg.TicketID != wt || copyMsg.Meta["survey"] != sv.PublicID || copyMsg.DeliveryStatus != store.DeliverySent {
			t.Fatalf("email message in ticket %d, copy %+v (widget ticket %d)", email.TicketID, copyMsg, wt)
		}
		if n := e.count(&store.Outbox{}, "message_id = ?", *sv.MessageID); n != 1 {
			t.Fatalf("%d outbox rows for the email, want 1", n)
		}
		if n := e.count(&store.Outbox{}, "message_id = ?", *sv.WidgetMessageID); n != 0 {
			t.Fatalf("%d outbox rows for the widget copy, want 0", n)
		}
		// The widget-only contact: one request in the widget, no copy.
		wsv := e.surveys(ow.ContactID)
		if len(wsv) != 1 || wsv[0].TicketID != onlyWidget || wsv[0].WidgetMessageID != nil {
			t.Fatalf("widget-only contact: %+v", wsv)
		}

		// The window runs on the real clock; the test's is in the past.
		if err := st.DB.Model(&store.Survey{}).Where("1 = 1").Update("expires_at", time.Now().Add(time.Hour)).Error; err != nil {
			t.Fatal(err)
		}
		reqs, ids, err := e.svc.PendingSurveys(e.ctx, both)
		if err != nil || len(reqs) != 2 || len(ids) != 2 || reqs[0].PublicID != sv.PublicID || reqs[1].PublicID != sv.PublicID ||
			ids[0] != *sv.MessageID || ids[1] != *sv.WidgetMessageID {
			t.Fatalf("pending %+v %v %v: want the survey under both messages", reqs, ids, err)
		}
		// Answered in the widget: closed in both places.
		if _, err := e.svc.AnswerSurveyAs(e.ctx, both, sv.PublicID, 9, "친절해요"); err != nil {
			t.Fatal(err)
		}
		if reqs, _, _ := e.svc.PendingSurveys(e.ctx, both); len(reqs) != 0 {
			t.Fatalf("still pending after the widget answer: %+v", reqs)
		}
		u, err := e.svc.SurveyURL(e.ctx, &sv)
		if err != nil {
			t.Fatal(err)
		}
		tok := u[strings.LastIndex(u, "/s/")+3:]
		acc, err := e.svc.OpenSurvey(e.ctx, tok)
		if err != nil || acc.Survey.Score == nil || *acc.Survey.Score != 9 {
			t.Fatalf("email link after the widget answer: %+v %v", acc, err)
		}
		if _, err := e.svc.AnswerSurvey(e.ctx, tok, 9, ""); err != nil {
			t.Fatal(err)
		}
		var got store.Survey
		st.DB.Take(&got, sv.ID)
		if got.Answers != 1 || got.Comment != "친절해요" {
			t.Fatalf("after the same score by email: %d answers, comment %q", got.Answers, got.Comment)
		}
		score, err := e.svc.NPSScore(e.ctx, store.SurveyFilter{ContactID: both})
		if err != nil || score.Answers != 1 || score.Promoters != 1 {
			t.Fatalf("score %+v %v: want one answer", score, err)
		}
	})
}
