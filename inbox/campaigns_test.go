package inbox_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// campEnv is npsEnv with campaigns enabled and the durable consumers
// running (the campaign consumer reads the events the test records).
type campEnv struct {
	*npsEnv
	camp *inbox.Campaigns
}

func newCampEnv(t *testing.T, st *store.Store, at time.Time) *campEnv {
	t.Helper()
	e := &campEnv{npsEnv: newNPSEnv(t, st, at)}
	var err error
	if e.camp, err = e.svc.EnableCampaigns(e.ctx, e.sched); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.svc.RunConsumers(ctx, inbox.ConsumeOptions{Poll: 5 * time.Millisecond})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

// settle waits for the campaign consumer, then runs the jobs due.
func (e *campEnv) settle() {
	e.t.Helper()
	waitConsumed(e.t, e.st, inbox.CampaignConsumerName)
	e.runDue()
}

func (e *campEnv) sends(campaignID, contactID int64) int64 {
	e.t.Helper()
	return e.count(&store.CampaignSend{}, "campaign_id = ? AND contact_id = ?", campaignID, contactID)
}

func (e *campEnv) attrs(contactID int64, v map[string]any) {
	e.t.Helper()
	if err := e.svc.SetContactAttributes(e.ctx, contactID, v, inbox.SourceAPI); err != nil {
		e.t.Fatal(err)
	}
}

func (e *campEnv) event(contactID int64, name string, at time.Time) {
	e.t.Helper()
	if _, err := e.svc.RecordContactEvent(e.ctx, contactID, inbox.ContactEventInput{Name: name, At: at}); err != nil {
		e.t.Fatal(err)
	}
}

// setAttr writes a built-in counter or time directly (Hanbox keeps them;
// the API may not set them).
func (e *campEnv) setAttr(contactID int64, a store.ContactAttribute) {
	e.t.Helper()
	if err := e.st.PutContactAttributes(e.ctx, contactID, []store.ContactAttribute{a}, nil); err != nil {
		e.t.Fatal(err)
	}
}

func unix(t time.Time) *int64 { v := t.Unix(); return &v }
func num(f float64) *float64  { return &f }

func mailCampaign(name, kind string, trig store.TriggerConfig) inbox.CampaignInput {
	return inbox.CampaignInput{Name: name, Enabled: true, Channel: store.CampaignEmail, TriggerKind: kind, Trigger: trig,
		SubjectKo: "{{contact.name|고객}}님께", BodyKo: "안녕하세요 {{contact.name}}님", BodyEn: "Hello {{contact.name|there}}",
		QuietStart: "00:00", QuietEnd: "00:00"} // no quiet hours unless a case sets them
}

// TestCampaignTriggers: each trigger kind sends once per contact and round
// to the contacts it names and no others; delays, stop conditions, consent,
// the frequency cap and quiet hours in the contact's time zone hold.
func TestCampaignTriggers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		// 12:00 UTC: 21:00 in Seoul, 07:00 in New York, 12:00 in London.
		at := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
		e := newCampEnv(t, st, at)
		first := at.AddDate(0, 0, -100)
		if _, err := e.svc.CreateAttributeDef(e.ctx, store.AttributeDef{Key: "renewal", LabelKo: "갱신일", Type: store.AttrDate}); err != nil {
			t.Fatal(err)
		}

		type check struct {
			contact int64
			want    int64
		}
		cases := []struct {
			name string
			in   func() inbox.CampaignInput
			// setup makes the contacts and their data, returning what each
			// should have received after the steps.
			setup func(id int64) []check
			later time.Duration // advance the clock and run the jobs again
			after func(id int64) []check
		}{
			{name: "event now",
				in: func() inbox.CampaignInput {
					return mailCampaign("가입 환영", store.TriggerEvent, store.TriggerConfig{Event: "signed_up"})
				},
				setup: func(id int64) []check {
					a, b := e.contact("ev-a@x.test", first), e.contact("ev-b@x.test", first)
					e.event(a, "signed_up", at)
					e.event(a, "signed_up", at) // a second event: still one message
					e.event(b, "logged_in", at)
					return []check{{a, 1}, {b, 0}}
				}},
			{name: "event with delay and stop condition",
				in: func() inbox.CampaignInput {
					return mailCampaign("장바구니", store.TriggerEvent, store.TriggerConfig{Event: "cart_added", DelayMinutes: 60, StopEvent: "order_paid"})
				},
				setup: func(id int64) []check {
					paid, left := e.contact("cart-paid@x.test", first), e.contact("cart-left@x.test", first)
					e.event(paid, "cart_added", at)
					e.event(left, "cart_added", at)
					e.event(paid, "order_paid", at.Add(30*time.Minute))
					return []check{{paid, 0}, {left, 0}} // nothing before the hour
				},
				later: 61 * time.Minute,
				after: func(id int64) []check {
					return []check{{e.contactID("cart-paid@x.test"), 0}, {e.contactID("cart-left@x.test"), 1}}
				}},
			{name: "milestone",
				in: func() inbox.CampaignInput {
					return mailCampaign("100번째", store.TriggerMilestone, store.TriggerConfig{Attribute: store.AttrMessages, Reach: 100})
				},
				setup: func(id int64) []check {
					hit, near := e.contact("ms-hit@x.test", first), e.contact("ms-near@x.test", first)
					e.setAttr(hit, store.ContactAttribute{Key: store.AttrMessages, Type: store.AttrNumber, Num: num(100)})
					e.setAttr(near, store.ContactAttribute{Key: store.AttrMessages, Type: store.AttrNumber, Num: num(99)})
					return []check{{hit, 1}, {near, 0}}
				}},
			{name: "schedule after a date attribute, no backfill",
				in: func() inbox.CampaignInput {
					return mailCampaign("갱신 30일", store.TriggerSchedule, store.TriggerConfig{DateAttribute: "renewal", Days: []int{30}})
				},
				setup: func(id int64) []check {
					soon, old := e.contact("sch-soon@x.test", first), e.contact("sch-old@x.test", first)
					e.attrs(soon, map[string]any{"renewal": at.AddDate(0, 0, -30).Add(30 * time.Minute).Format(time.RFC3339)})
					e.attrs(old, map[string]any{"renewal": at.AddDate(0, 0, -60).Format(time.RFC3339)})
					return []check{{soon, 0}, {old, 0}}
				},
				later: 31 * time.Minute,
				after: func(id int64) []check {
					return []check{{e.contactID("sch-soon@x.test"), 1}, {e.contactID("sch-old@x.test"), 0}}
				}},
			{name: "fixed date",
				in: func() inbox.CampaignInput {
					return mailCampaign("신년", store.TriggerSchedule, store.TriggerConfig{At: at.Add(10 * time.Minute).Format(time.RFC3339)})
				},
				setup: func(id int64) []check {
					return []check{{e.contact("fixed@x.test", first), 0}}
				},
				later: 11 * time.Minute,
				after: func(id int64) []check { return []check{{e.contactID("fixed@x.test"), 1}} }},
			{name: "inactivity",
				in: func() inbox.CampaignInput {
					return mailCampaign("다시 만나요", store.TriggerInactivity, store.TriggerConfig{InactiveDays: 14})
				},
				setup: func(id int64) []check {
					gone, here := e.contact("in-gone@x.test", first), e.contact("in-here@x.test", first)
					e.setAttr(gone, store.ContactAttribute{Key: store.AttrLastSeen, Type: store.AttrDate, Time: unix(at.AddDate(0, 0, -20))})
					e.setAttr(here, store.ContactAttribute{Key: store.AttrLastSeen, Type: store.AttrDate, Time: unix(at.AddDate(0, 0, -3))})
					return []check{{gone, 1}, {here, 0}}
				}},
			{name: "consent required and marketing opt-out",
				in: func() inbox.CampaignInput {
					in := mailCampaign("동의 필요", store.TriggerEvent, store.TriggerConfig{Event: "promo"})
					in.RequireConsent = true
					return in
				},
				setup: func(id int64) []check {
					yes, none, no := e.contact("co-yes@x.test", first), e.contact("co-none@x.test", first), e.contact("co-out@x.test", first)
					e.attrs(yes, map[string]any{store.AttrEmailMarketing: true})
					e.attrs(no, map[string]any{store.AttrEmailMarketing: true})
					if err := e.svc.OptOut(e.ctx, no, inbox.TopicMarketing, "link"); err != nil {
						t.Fatal(err)
					}
					for _, c := range []int64{yes, none, no} {
						e.event(c, "promo", at)
					}
					return []check{{yes, 1}, {none, 0}, {no, 0}}
				}},
			{name: "refused consent without the requirement",
				in: func() inbox.CampaignInput {
					return mailCampaign("동의 거부", store.TriggerEvent, store.TriggerConfig{Event: "promo2"})
				},
				setup: func(id int64) []check {
					unset, refused := e.contact("rf-unset@x.test", first), e.contact("rf-no@x.test", first)
					e.attrs(refused, map[string]any{store.AttrEmailMarketing: false})
					e.event(unset, "promo2", at)
					e.event(refused, "promo2", at)
					return []check{{unset, 1}, {refused, 0}}
				}},
			{name: "frequency cap shared across campaigns and surveys",
				in: func() inbox.CampaignInput {
					in := mailCampaign("빈도 제한", store.TriggerEvent, store.TriggerConfig{Event: "tip"})
					in.CapDays = 7
					return in
				},
				setup: func(id int64) []check {
					fresh, recent := e.contact("cap-fresh@x.test", first), e.contact("cap-recent@x.test", first)
					// recent got another campaign's message two days ago.
					if err := st.DB.Create(&store.CampaignSend{PublicID: inbox.NewPublicID(), CampaignID: 999, ContactID: recent, RoundKey: "once",
						Channel: store.CampaignEmail, Status: store.SendDelivered, CreatedAt: at.AddDate(0, 0, -2), UpdatedAt: at}).Error; err != nil {
						t.Fatal(err)
					}
					// failed's message yesterday never went out (the mail
					// server refused it): no touch, no cap.
					failed := e.contact("cap-failed@x.test", first)
					if err := st.DB.Create(&store.CampaignSend{PublicID: inbox.NewPublicID(), CampaignID: 999, ContactID: failed, RoundKey: "once",
						Channel: store.CampaignEmail, Status: store.SendFailed, LastError: "550 mailbox unavailable",
						CreatedAt: at.AddDate(0, 0, -1), UpdatedAt: at}).Error; err != nil {
						t.Fatal(err)
					}
					e.event(fresh, "tip", at)
					e.event(recent, "tip", at)
					e.event(failed, "tip", at)
					return []check{{fresh, 1}, {recent, 0}, {failed, 1}}
				},
				later: 5*24*time.Hour + time.Minute,
				after: func(id int64) []check {
					return []check{{e.contactID("cap-fresh@x.test"), 1}, {e.contactID("cap-recent@x.test"), 1}, {e.contactID("cap-failed@x.test"), 1}}
				}},
			{name: "quiet hours in the contact's time zone",
				in: func() inbox.CampaignInput {
					in := mailCampaign("조용한 시간", store.TriggerEvent, store.TriggerConfig{Event: "night"})
					in.QuietStart, in.QuietEnd = "21:00", "09:00"
					return in
				},
				setup: func(id int64) []check {
					seoul, ny, london, unset := e.contact("qh-seoul@x.test", first), e.contact("qh-ny@x.test", first),
						e.contact("qh-london@x.test", first), e.contact("qh-unset@x.test", first)
					e.attrs(seoul, map[string]any{store.AttrTimeZone: "Asia/Seoul"})
					e.attrs(ny, map[string]any{store.AttrTimeZone: "America/New_York"})
					e.attrs(london, map[string]any{store.AttrTimeZone: "Europe/London"})
					for _, c := range []int64{seoul, ny, london, unset} {
						e.event(c, "night", at)
					}
					// 21:00 in Seoul (and for the contact without a zone, who
					// takes the campaign's Asia/Seoul), 07:00 in New York:
					// quiet; noon in London: sent.
					return []check{{seoul, 0}, {ny, 0}, {london, 1}, {unset, 0}}
				},
				// New York's quiet hours end at 09:00 EST = 14:00 UTC; Seoul's
				// at 09:00 KST = 00:00 UTC the next day.
				later: 2*time.Hour + time.Minute,
				after: func(id int64) []check {
					return []check{{e.contactID("qh-seoul@x.test"), 0}, {e.contactID("qh-ny@x.test"), 1},
						{e.contactID("qh-london@x.test"), 1}, {e.contactID("qh-unset@x.test"), 0}}
				}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e.npsEnv.t = t
				e.set(at)
				cp, err := e.camp.Create(e.ctx, c.in())
				if err != nil {
					t.Fatal(err)
				}
				checks := c.setup(cp.ID)
				e.settle()
				for _, k := range checks {
					if n := e.sends(cp.ID, k.contact); n != k.want {
						t.Errorf("contact %d: %d messages, want %d", k.contact, n, k.want)
					}
				}
				if c.later > 0 {
					e.set(at.Add(c.later))
					e.runDue()
					for _, k := range c.after(cp.ID) {
						if n := e.sends(cp.ID, k.contact); n != k.want {
							var js []store.Job
							st.DB.Where("job_key LIKE ?", "%:contact:"+itoa(k.contact)+":%").Find(&js)
							t.Errorf("after %v: contact %d: %d messages, want %d (jobs %+v)", c.later, k.contact, n, k.want, js)
						}
					}
				}
				// Planning and running everything again sends nothing more.
				if _, err := e.camp.Plan(e.ctx, cp, e.now(), 0); err != nil {
					t.Fatal(err)
				}
				before := e.count(&store.CampaignSend{}, "campaign_id = ?", cp.ID)
				e.runDue()
				if n := e.count(&store.CampaignSend{}, "campaign_id = ?", cp.ID); n != before {
					t.Errorf("%d messages after replanning, want %d", n, before)
				}
				// Cases do not meet: a fixed-date campaign would mail the
				// later cases' contacts too.
				defer st.DB.Model(&store.Campaign{}).Where("id = ?", cp.ID).Update("enabled", false)
				// Every email message has one outbox row.
				if n, m := e.count(&store.Outbox{}, "purpose = ? AND ticket_id = 0", store.PurposeCampaign),
					e.count(&store.CampaignSend{}, "channel = ? AND campaign_id <> 999", store.CampaignEmail); n != m {
					t.Errorf("%d campaign outbox rows for %d email messages", n, m)
				}
			})
		}
		// The Seoul contact's job waits for 09:00 KST.
		seoul := e.contactID("qh-seoul@x.test")
		var cp store.Campaign
		if err := st.DB.Where("name = ?", "조용한 시간").Take(&cp).Error; err != nil {
			t.Fatal(err)
		}
		j, err := e.sched.Get(e.ctx, inbox.JobCampaignSend, "campaign:"+itoa(cp.ID)+":contact:"+itoa(seoul)+":round:once")
		if err != nil || j.Status != store.JobPending || !j.DueAt.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("Seoul job: %+v %v", j, err)
		}
	})
}

func (e *npsEnv) contactID(addr string) int64 {
	e.t.Helper()
	var c store.Contact
	if err := e.st.DB.Where("email = ?", addr).Take(&c).Error; err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// TestCampaignWidgetCards: page messages are listed for contacts in the
// audience with consent, a card's first action makes its one send row
// (refused for a contact the campaign is not for), and a dismissed one is
// not listed again; an event-triggered widget message waits for the visit
// and counts as delivered when listed.
func TestCampaignWidgetCards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		at := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
		e := newCampEnv(t, st, at)
		yes, no := e.contact("w-yes@x.test", at), e.contact("w-no@x.test", at)
		e.attrs(yes, map[string]any{store.AttrProactiveChat: true, store.AttrLocale: "ko"})
		page, err := e.camp.Create(e.ctx, inbox.CampaignInput{Name: "요금", Enabled: true, Channel: store.CampaignWidget, TriggerKind: store.TriggerPage,
			Trigger: store.TriggerConfig{URLPattern: "/pricing*"}, BodyKo: "{{contact.name|고객}}님 요금 안내", RequireConsent: true})
		if err != nil {
			t.Fatal(err)
		}
		cards := func(c int64) []inbox.CampaignCard {
			t.Helper()
			out, err := e.svc.PendingCampaigns(e.ctx, c, "")
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		got := cards(yes)
		if len(got) != 1 || got[0].ID != "c"+itoa(page.ID) || got[0].URLPattern != "/pricing*" || got[0].Text != "w-yes@x.test님 요금 안내" {
			t.Fatalf("cards %+v", got)
		}
		if got := cards(no); len(got) != 0 {
			t.Fatalf("no consent: cards %+v", got)
		}
		if err := e.svc.CampaignAction(e.ctx, no, inbox.CampaignActionInput{CardID: "c" + itoa(page.ID), Action: inbox.CampaignSeen}); !errors.Is(err, inbox.ErrNotFound) {
			t.Fatalf("action for a contact without consent: %v", err)
		}
		for _, a := range []string{inbox.CampaignSeen, inbox.CampaignSeen, inbox.CampaignDismiss} {
			if err := e.svc.CampaignAction(e.ctx, yes, inbox.CampaignActionInput{CardID: "c" + itoa(page.ID), Action: a}); err != nil {
				t.Fatal(err)
			}
		}
		if got := cards(yes); len(got) != 0 {
			t.Fatalf("after dismissing: cards %+v", got)
		}
		if s, _ := e.camp.Stats(e.ctx, page.ID); s.Sent != 1 || s.Seen != 1 || s.Dismissed != 1 {
			t.Fatalf("stats %+v", s)
		}
		// An event message for the widget waits for the visit.
		ev, err := e.camp.Create(e.ctx, inbox.CampaignInput{Name: "팁", Enabled: true, Channel: store.CampaignWidget, TriggerKind: store.TriggerEvent,
			Trigger: store.TriggerConfig{Event: "feature_used"}, BodyKo: "팁!", BodyEn: "Tip!"})
		if err != nil {
			t.Fatal(err)
		}
		e.event(no, "feature_used", at)
		e.settle()
		got = cards(no)
		if len(got) != 1 || got[0].ID == "c"+itoa(ev.ID) || got[0].Text != "팁!" {
			t.Fatalf("event card %+v", got)
		}
		if s, _ := e.camp.Stats(e.ctx, ev.ID); s.Sent != 1 || s.Delivered != 1 || s.Seen != 0 {
			t.Fatalf("event stats %+v", s)
		}
		if err := e.svc.CampaignAction(e.ctx, no, inbox.CampaignActionInput{CardID: got[0].ID, Action: inbox.CampaignClick}); err != nil {
			t.Fatal(err)
		}
		if got := cards(no); len(got) != 0 {
			t.Fatalf("after clicking: cards %+v", got)
		}
	})
}

// TestCampaignWidgetLanguage: a widget message is in the widget's language
// (ko or en), falls back to the other variant when that one is empty, and
// without a language takes the contact's locale.
func TestCampaignWidgetLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		at := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
		e := newCampEnv(t, st, at)
		c := e.contact("lang@x.test", at)
		e.attrs(c, map[string]any{store.AttrLocale: "en-US"})
		both, err := e.camp.Create(e.ctx, inbox.CampaignInput{Name: "둘 다", Enabled: true, Channel: store.CampaignWidget, TriggerKind: store.TriggerPage,
			Trigger: store.TriggerConfig{URLPattern: "/a*"}, BodyKo: "안녕하세요", BodyEn: "Hello"})
		if err != nil {
			t.Fatal(err)
		}
		koOnly, err := e.camp.Create(e.ctx, inbox.CampaignInput{Name: "한국어만", Enabled: true, Channel: store.CampaignWidget, TriggerKind: store.TriggerPage,
			Trigger: store.TriggerConfig{URLPattern: "/b*"}, BodyKo: "한국어 안내"})
		if err != nil {
			t.Fatal(err)
		}
		enOnly, err := e.camp.Create(e.ctx, inbox.CampaignInput{Name: "영어만", Enabled: true, Channel: store.CampaignWidget, TriggerKind: store.TriggerPage,
			Trigger: store.TriggerConfig{URLPattern: "/c*"}, BodyEn: "English only"})
		if err != nil {
			t.Fatal(err)
		}
		texts := func(lang string) map[string]string {
			t.Helper()
			out, err := e.svc.PendingCampaigns(e.ctx, c, lang)
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]string{}
			for _, cd := range out {
				m[cd.ID] = cd.Text
			}
			return m
		}
		id := func(cp *store.Campaign) string { return "c" + itoa(cp.ID) }
		for _, tc := range []struct {
			lang             string
			both, koOn, enOn string
		}{
			{"ko", "안녕하세요", "한국어 안내", "English only"},
			{"en", "Hello", "한국어 안내", "English only"},
			{"", "Hello", "한국어 안내", "English only"}, // the contact's locale, en-US
		} {
			got := texts(tc.lang)
			if got[id(both)] != tc.both || got[id(koOnly)] != tc.koOn || got[id(enOnly)] != tc.enOn {
				t.Errorf("lang %q: %v", tc.lang, got)
			}
		}
	})
}

// TestCampaignTimeOnPage: a page message with a time on page lists its
// seconds for the widget's timer, and the server counts it seen only when
// the visitor was on the page that long (earlier: ErrTooEarly, no send);
// a time outside 0 to 3600 seconds is refused, and other kinds drop it.
func TestCampaignTimeOnPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		at := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
		e := newCampEnv(t, st, at)
		c := e.contact("top@x.test", at)
		cp, err := e.camp.Create(e.ctx, inbox.CampaignInput{Name: "결제 도움", Enabled: true, Channel: store.CampaignWidget, TriggerKind: store.TriggerPage,
			Trigger: store.TriggerConfig{URLPattern: "/checkout*", MinSeconds: 30}, BodyKo: "결제에 문제가 있나요?"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.PendingCampaigns(e.ctx, c, "")
		if err != nil || len(got) != 1 || got[0].MinSeconds != 30 {
			t.Fatalf("cards %+v %v", got, err)
		}
		card := inbox.CampaignActionInput{CardID: got[0].ID, Action: inbox.CampaignSeen, SecondsOnPage: 29}
		if err := e.svc.CampaignAction(e.ctx, c, card); !errors.Is(err, inbox.ErrTooEarly) || !errors.Is(err, inbox.ErrInvalid) {
			t.Fatalf("seen after 29 s: %v", err)
		}
		if n := e.sends(cp.ID, c); n != 0 {
			t.Fatalf("%d sends after a too-early seen", n)
		}
		card.SecondsOnPage = 30
		if err := e.svc.CampaignAction(e.ctx, c, card); err != nil {
			t.Fatal(err)
		}
		if s, _ := e.camp.Stats(e.ctx, cp.ID); s.Sent != 1 || s.Seen != 1 {
			t.Fatalf("stats %+v", s)
		}
		for _, bad := range []int{-1, 3601} {
			_, err := e.camp.Create(e.ctx, inbox.CampaignInput{Name: "x", Enabled: true, Channel: store.CampaignWidget, TriggerKind: store.TriggerPage,
				Trigger: store.TriggerConfig{URLPattern: "/x", MinSeconds: bad}, BodyKo: "x"})
			if !errors.Is(err, inbox.ErrInvalid) {
				t.Errorf("min seconds %d: %v", bad, err)
			}
		}
		ob, err := e.camp.Create(e.ctx, inbox.CampaignInput{Name: "환영", Enabled: true, Channel: store.CampaignWidget, TriggerKind: store.TriggerOnboarding,
			Trigger: store.TriggerConfig{MinSeconds: 10}, BodyKo: "환영합니다"})
		if err != nil || ob.TriggerConfig.MinSeconds != 0 {
			t.Fatalf("onboarding keeps min seconds %d (%v)", ob.TriggerConfig.MinSeconds, err)
		}
	})
}

// TestVisitorContact: with an onboarding message on, a brand-new widget
// visitor gets a contact (the same one on every visit, never a ticket) and
// the onboarding card, which greets once.
func TestVisitorContact(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		at := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
		e := newCampEnv(t, st, at)
		if on, err := e.svc.OnboardsVisitors(e.ctx); err != nil || on {
			t.Fatalf("onboards without a campaign: %v %v", on, err)
		}
		ob, err := e.camp.Create(e.ctx, inbox.CampaignInput{Name: "환영", Enabled: true, Channel: store.CampaignWidget,
			TriggerKind: store.TriggerOnboarding, BodyKo: "처음 오셨네요"})
		if err != nil {
			t.Fatal(err)
		}
		if on, err := e.svc.OnboardsVisitors(e.ctx); err != nil || !on {
			t.Fatalf("onboards with a campaign: %v %v", on, err)
		}
		ref := inbox.ContactRef{Kind: inbox.IdentityWidget, ID: "site/v-new", Locale: "ko-KR"}
		id, err := e.svc.VisitorContact(e.ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := e.svc.VisitorContact(e.ctx, ref); err != nil || again != id {
			t.Fatalf("second visit: contact %d (%v), first %d", again, err, id)
		}
		if _, err := e.svc.VisitorContact(e.ctx, inbox.ContactRef{Kind: inbox.IdentityEmail, ID: "a@x.test", Verified: true}); !errors.Is(err, inbox.ErrInvalid) {
			t.Fatalf("email identity: %v", err)
		}
		if n := e.count(&store.Ticket{}, "contact_id = ?", id); n != 0 {
			t.Fatalf("%d tickets for a visit", n)
		}
		cards, err := e.svc.PendingCampaigns(e.ctx, id, "")
		if err != nil || len(cards) != 1 || cards[0].Text != "처음 오셨네요" {
			t.Fatalf("cards %+v %v", cards, err)
		}
		if err := e.svc.CampaignAction(e.ctx, id, inbox.CampaignActionInput{CardID: cards[0].ID, Action: inbox.CampaignSeen}); err != nil {
			t.Fatal(err)
		}
		if cards, err := e.svc.PendingCampaigns(e.ctx, id, ""); err != nil || len(cards) != 0 {
			t.Fatalf("after seen: cards %+v %v", cards, err)
		}
		if n := e.sends(ob.ID, id); n != 1 {
			t.Fatalf("%d sends", n)
		}
	})
}
