package inbox_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestCSATFrequencyCap: the CSAT cap (30 days by default) skips a
// resolution when the contact was asked about another ticket, or asked an
// NPS survey, within the cap; the same ticket reopened and resolved again
// is asked again; a cap of 0 asks after every resolution, and a setting
// saved without a cap keeps the channel's.
func TestCSATFrequencyCap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newCSATEnv(t, st)
		ss, err := st.SurveySettingOf(e.ctx, e.ch.ID, store.SurveyCSAT)
		if err != nil || ss.CapDays != inbox.DefaultCSATCapDays {
			t.Fatalf("new setting's cap: %+v %v, want %d", ss, err, inbox.DefaultCSATCapDays)
		}
		resolve := func(id int64) int {
			t.Helper()
			e.status(id, store.StatusResolved)
			e.consumed()
			e.runDue()
			return len(e.surveys(id))
		}
		a := e.ticket(true)
		if n := resolve(a); n != 1 {
			t.Fatalf("first ticket: %d surveys, want 1", n)
		}
		b := e.ticket(true) // the same customer, days later
		if n := resolve(b); n != 0 {
			t.Fatalf("second ticket inside the cap: %d surveys, want 0", n)
		}
		if js := e.jobs(b); len(js) != 1 || js[0].Status != store.JobDone {
			t.Fatalf("capped job %+v, want done (skipped, not postponed)", js)
		}
		e.status(a, store.StatusOpen)
		if n := resolve(a); n != 2 {
			t.Fatalf("the first ticket resolved again: %d surveys, want 2 (its own CSAT does not cap it)", n)
		}

		// Every survey so far was asked 40 days ago; an NPS request 10 days
		// ago caps CSAT too.
		if err := st.DB.Model(&store.Survey{}).Where("1 = 1").Update("requested_at", time.Now().AddDate(0, 0, -40)).Error; err != nil {
			t.Fatal(err)
		}
		var tk store.Ticket
		if err := st.DB.Take(&tk, a).Error; err != nil {
			t.Fatal(err)
		}
		ts := time.Now().AddDate(0, 0, -10).UTC()
		nps := store.Survey{PublicID: inbox.NewPublicID(), Kind: store.SurveyNPS, TicketID: a, Round: 1, ContactID: tk.ContactID, ChannelID: e.ch.ID,
			RequestedAt: ts, ExpiresAt: ts.Add(inbox.DefaultSurveyWindow), CreatedAt: ts, UpdatedAt: ts}
		if err := st.DB.Create(&nps).Error; err != nil {
			t.Fatal(err)
		}
		c := e.ticket(true)
		if n := resolve(c); n != 0 {
			t.Fatalf("after an NPS 10 days ago: %d surveys, want 0", n)
		}
		if err := st.DB.Model(&store.Survey{}).Where("id = ?", nps.ID).Update("requested_at", time.Now().AddDate(0, 0, -31)).Error; err != nil {
			t.Fatal(err)
		}
		d := e.ticket(true)
		if n := resolve(d); n != 1 {
			t.Fatalf("after an NPS 31 days ago: %d surveys, want 1", n)
		}

		// Cap 0: every resolution; saving without a cap keeps it.
		zero := 0
		if _, err := e.svc.SetCSATSetting(e.ctx, e.ch.ID, inbox.SurveySettingInput{Enabled: true, CapDays: &zero}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetCSATSetting(e.ctx, e.ch.ID, inbox.SurveySettingInput{Enabled: true, QuestionKo: "어떠셨나요?"}); err != nil {
			t.Fatal(err)
		}
		if ss, _ := st.SurveySettingOf(e.ctx, e.ch.ID, store.SurveyCSAT); ss.CapDays != 0 {
			t.Fatalf("cap after a save without one: %d, want 0 kept", ss.CapDays)
		}
		f := e.ticket(true)
		if n := resolve(f); n != 1 {
			t.Fatalf("cap 0: %d surveys, want 1", n)
		}
		bad := -1
		if _, err := e.svc.SetCSATSetting(e.ctx, e.ch.ID, inbox.SurveySettingInput{Enabled: true, CapDays: &bad}); err == nil {
			t.Fatal("a negative cap was accepted")
		}
	})
}

// TestNPSWaitsOutCSAT: an NPS round due 10 days after the contact's CSAT
// request waits until 30 days after it (the definition's any-survey cap
// counts CSAT), then asks.
func TestNPSWaitsOutCSAT(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		seoul := zone(t, "Asia/Seoul")
		at := time.Date(2026, 3, 2, 12, 0, 0, 0, seoul).UTC()
		e := newNPSEnv(t, st, at)
		c := e.contact("a@customer.test", time.Date(2026, 1, 31, 12, 0, 0, 0, seoul))
		var tk store.Ticket
		if err := st.DB.Where("contact_id = ?", c).Take(&tk).Error; err != nil {
			t.Fatal(err)
		}
		csatAt := at.AddDate(0, 0, -10)
		if err := st.DB.Create(&store.Survey{PublicID: inbox.NewPublicID(), Kind: store.SurveyCSAT, TicketID: tk.ID, Round: 1, ContactID: c,
			ChannelID: e.ch.ID, RequestedAt: csatAt, ExpiresAt: csatAt.Add(inbox.DefaultSurveyWindow), CreatedAt: csatAt, UpdatedAt: csatAt}).Error; err != nil {
			t.Fatal(err)
		}
		def, err := e.nps.Create(e.ctx, inbox.NPSSurveyInput{Name: "NPS", Enabled: true, FirstDays: 30, ByEmail: true})
		if err != nil {
			t.Fatal(err)
		}
		e.runDue()
		if n := len(e.surveys(c)); n != 0 {
			t.Fatalf("%d NPS surveys 10 days after a CSAT, want 0", n)
		}
		j, err := e.sched.Get(e.ctx, inbox.JobNPSSend, fmt.Sprintf("survey:%d:contact:%d:round:0", def.ID, c))
		if err != nil {
			t.Fatal(err)
		}
		if want := csatAt.AddDate(0, 0, 30); j.Status != store.JobPending || !j.DueAt.Equal(want) {
			t.Fatalf("job %s due %v, want pending until %v", j.Status, j.DueAt, want)
		}
		e.set(j.DueAt)
		e.runDue()
		if n := len(e.surveys(c)); n != 1 {
			t.Fatalf("%d NPS surveys after the cap, want 1", n)
		}
	})
}

// campaignSendAt records a campaign message sent to contact at ts, as the
// campaign sender does.
func campaignSendAt(t *testing.T, st *store.Store, contact int64, ts time.Time) {
	t.Helper()
	cp := store.Campaign{Name: "retention", Enabled: true, Channel: store.CampaignEmail, TriggerKind: store.TriggerInactivity, BodyKo: "다시 오세요"}
	if err := st.DB.Create(&cp).Error; err != nil {
		t.Fatal(err)
	}
	if err := st.DB.Create(&store.CampaignSend{PublicID: inbox.NewPublicID(), CampaignID: cp.ID, ContactID: contact, RoundKey: "once",
		Channel: store.CampaignEmail, Status: store.SendDelivered, CreatedAt: ts, UpdatedAt: ts}).Error; err != nil {
		t.Fatal(err)
	}
}

// TestNPSWaitsOutCampaign: an NPS round due 10 days after a campaign
// message to the contact waits until 30 days after it (the any-survey cap
// counts campaign messages, as campaigns count surveys), then asks.
func TestNPSWaitsOutCampaign(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		seoul := zone(t, "Asia/Seoul")
		at := time.Date(2026, 3, 2, 12, 0, 0, 0, seoul).UTC()
		e := newNPSEnv(t, st, at)
		c := e.contact("a@customer.test", time.Date(2026, 1, 31, 12, 0, 0, 0, seoul))
		sentAt := at.AddDate(0, 0, -10)
		campaignSendAt(t, st, c, sentAt)
		def, err := e.nps.Create(e.ctx, inbox.NPSSurveyInput{Name: "NPS", Enabled: true, FirstDays: 30, ByEmail: true})
		if err != nil {
			t.Fatal(err)
		}
		e.runDue()
		if n := len(e.surveys(c)); n != 0 {
			t.Fatalf("%d NPS surveys 10 days after a campaign message, want 0", n)
		}
		j, err := e.sched.Get(e.ctx, inbox.JobNPSSend, fmt.Sprintf("survey:%d:contact:%d:round:0", def.ID, c))
		if err != nil {
			t.Fatal(err)
		}
		if want := sentAt.AddDate(0, 0, 30); j.Status != store.JobPending || !j.DueAt.Equal(want) {
			t.Fatalf("job %s due %v, want pending until %v", j.Status, j.DueAt, want)
		}
		e.set(j.DueAt)
		e.runDue()
		if n := len(e.surveys(c)); n != 1 {
			t.Fatalf("%d NPS surveys after the cap, want 1", n)
		}
	})
}

// TestCSATSkipsAfterCampaign: a resolution is not surveyed when the
// contact got a campaign message within the CSAT cap (skipped, not
// postponed), and is surveyed when the message is older than the cap.
func TestCSATSkipsAfterCampaign(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newCSATEnv(t, st)
		resolve := func(id int64) int {
			t.Helper()
			e.status(id, store.StatusResolved)
			e.consumed()
			e.runDue()
			return len(e.surveys(id))
		}
		a := e.ticket(true)
		var tk store.Ticket
		if err := st.DB.Take(&tk, a).Error; err != nil {
			t.Fatal(err)
		}
		campaignSendAt(t, st, tk.ContactID, time.Now().AddDate(0, 0, -10).UTC())
		if n := resolve(a); n != 0 {
			t.Fatalf("10 days after a campaign message: %d surveys, want 0", n)
		}
		if js := e.jobs(a); len(js) != 1 || js[0].Status != store.JobDone {
			t.Fatalf("capped job %+v, want done (skipped, not postponed)", js)
		}
		if err := st.DB.Model(&store.CampaignSend{}).Where("contact_id = ?", tk.ContactID).Update("created_at", time.Now().AddDate(0, 0, -31)).Error; err != nil {
			t.Fatal(err)
		}
		b := e.ticket(true)
		if n := resolve(b); n != 1 {
			t.Fatalf("31 days after a campaign message: %d surveys, want 1", n)
		}
	})
}
