package inbox_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestNPSDateRoundDue: rounds counted from a date (a date attribute, a
// fixed date) are calendar days later at 10:00 in the contact's zone,
// across month ends, leap days, zones whose day differs from UTC's, and
// daylight saving changes.
func TestNPSDateRoundDue(t *testing.T) {
	date := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	cases := []struct {
		name    string
		date    time.Time
		zone    string
		first   int
		repeats []int
		round   int
		local   string // the due time in the zone
		utc     string
	}{
		{"Jan 31 + 30 in Seoul", date(2026, 1, 31), "Asia/Seoul", 30, nil, 0, "2026-03-02 10:00 KST", "2026-03-02 01:00"},
		{"Jan 31 + 30 in a leap year", date(2028, 1, 31), "Asia/Seoul", 30, nil, 0, "2028-03-01 10:00 KST", "2028-03-01 01:00"},
		{"repeat 60 after a first round at 0", date(2027, 12, 31), "Asia/Seoul", 0, []int{30, 60}, 2, "2028-02-29 10:00 KST", "2028-02-29 01:00"},
		{"the day is the date's, in Los Angeles too", date(2026, 1, 31), "America/Los_Angeles", 30, nil, 0, "2026-03-02 10:00 PST", "2026-03-02 18:00"},
		{"across New York's DST start keeps 10:00", date(2026, 2, 28), "America/New_York", 0, []int{30}, 1, "2026-03-30 10:00 EDT", "2026-03-30 14:00"},
		{"across Berlin's DST end keeps 10:00", date(2026, 10, 1), "Europe/Berlin", 30, nil, 0, "2026-10-31 10:00 CET", "2026-10-31 09:00"},
		{"Aug 31 + 90 + 180", date(2026, 8, 31), "Asia/Seoul", 90, []int{90, 180}, 2, "2027-05-28 10:00 KST", "2027-05-28 01:00"},
		{"the tag date itself (day 0)", date(2027, 1, 15), "Asia/Seoul", 0, nil, 0, "2027-01-15 10:00 KST", "2027-01-15 01:00"},
		{"Dec 31 + 1 crosses the year", date(2026, 12, 31), "Pacific/Auckland", 1, nil, 0, "2027-01-01 10:00 NZDT", "2026-12-31 21:00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			due, ok := inbox.NPSDateRoundDue(c.date, zone(t, c.zone), c.first, c.repeats, c.round)
			if !ok || due.Format("2006-01-02 15:04 MST") != c.local || due.UTC().Format("2006-01-02 15:04") != c.utc {
				t.Fatalf("due %v (%v) %v, want %s (%s UTC)", due, due.UTC(), ok, c.local, c.utc)
			}
		})
	}
	if _, ok := inbox.NPSDateRoundDue(date(2026, 1, 1), time.UTC, 0, []int{30}, 2); ok {
		t.Error("a round past the list is due")
	}
	// The latest round due, 30/60/90/180 from signup with the first round
	// at 0: the horizon's instant decides, in the contact's zone.
	seoul := zone(t, "Asia/Seoul")
	signup := date(2026, 1, 31)
	for _, c := range []struct {
		at    time.Time
		round int
		ok    bool
	}{
		{time.Date(2026, 1, 31, 9, 59, 0, 0, seoul), 0, false},
		{time.Date(2026, 1, 31, 10, 0, 0, 0, seoul), 0, true},
		{time.Date(2026, 3, 2, 9, 59, 0, 0, seoul), 0, true}, // day 30 at 10:00, a minute early
		{time.Date(2026, 3, 2, 10, 0, 0, 0, seoul), 1, true},
		{time.Date(2026, 7, 30, 10, 0, 0, 0, seoul), 4, true}, // day 180
		{time.Date(2030, 1, 1, 0, 0, 0, 0, seoul), 4, true},
	} {
		r, _, ok := inbox.NPSDateLatestRound(signup, seoul, 0, inbox.NPSPresetRepeats, c.at)
		if r != c.round || ok != c.ok {
			t.Errorf("at %v: round %d %v, want %d %v", c.at, r, ok, c.round, c.ok)
		}
	}
}

// TestNPSAttributeDate: a date attribute set as a date is that date
// wherever the contact is; one set with a time of day is the date it falls
// on in the contact's zone.
func TestNPSAttributeDate(t *testing.T) {
	for _, c := range []struct {
		value string
		zone  string
		want  string
	}{
		{"2026-01-31", "Asia/Seoul", "2026-01-31"},
		{"2026-01-31", "America/Los_Angeles", "2026-01-31"},
		{"2026-01-31T20:00:00Z", "Asia/Seoul", "2026-02-01"}, // 05:00 in Seoul the next day
		{"2026-01-31T20:00:00Z", "UTC", "2026-01-31"},
		{"2026-02-01T03:00:00+09:00", "America/New_York", "2026-01-31"},
	} {
		v, err := store.ParseDate(c.value)
		if err != nil {
			t.Fatal(err)
		}
		if got := inbox.NPSAttributeDate(v.Unix(), zone(t, c.zone)).Format(time.DateOnly); got != c.want {
			t.Errorf("%s in %s = %s, want %s", c.value, c.zone, got, c.want)
		}
	}
}

// TestNPSScheduleAnchors: a survey counted from the signup_date attribute
// asks each contact with the attribute on their own days (contacts without
// it are not asked), and one for the VIP tag on a date asks exactly the
// tagged contacts on that date at 10:00 in their zone. A non-date
// attribute, an unknown anchor and a malformed date are refused.
func TestNPSScheduleAnchors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		seoul := zone(t, "Asia/Seoul")
		e := newNPSEnv(t, st, time.Date(2026, 3, 2, 12, 0, 0, 0, seoul).UTC())
		if _, err := e.svc.CreateAttributeDef(e.ctx, store.AttributeDef{Key: "signup_date", LabelKo: "가입일", LabelEn: "Signup date", Type: store.AttrDate}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateAttributeDef(e.ctx, store.AttributeDef{Key: "plan", LabelKo: "요금제", Type: store.AttrText}); err != nil {
			t.Fatal(err)
		}
		conv := time.Date(2025, 6, 1, 10, 0, 0, 0, seoul) // first conversations long ago
		early := e.contact("early@customer.test", conv)   // signed up Jan 31: day 30 is Mar 2
		late := e.contact("late@customer.test", conv)     // signed up Feb 20: day 30 is Mar 22
		none := e.contact("none@customer.test", conv)     // no signup date
		gone := e.contact("gone@customer.test", conv)     // signed up Feb 20, the date removed before day 30
		for c, v := range map[int64]string{early: "2026-01-31", late: "2026-02-20", gone: "2026-02-20"} {
			if err := e.svc.SetContactAttributes(e.ctx, c, map[string]any{"signup_date": v}, inbox.SourceAPI); err != nil {
				t.Fatal(err)
			}
		}
		for _, bad := range []inbox.NPSSurveyInput{
			{Name: "x", ByEmail: true, Anchor: inbox.AnchorAttribute, AnchorAttribute: "plan"},
			{Name: "x", ByEmail: true, Anchor: inbox.AnchorAttribute, AnchorAttribute: "nope"},
			{Name: "x", ByEmail: true, Anchor: inbox.AnchorAttribute},
			{Name: "x", ByEmail: true, Anchor: inbox.AnchorDate, AnchorDate: "2027-02-30"},
			{Name: "x", ByEmail: true, Anchor: "birthday"},
		} {
			if _, err := e.nps.Create(e.ctx, bad); !errors.Is(err, inbox.ErrInvalid) {
				t.Errorf("%+v: %v, want invalid", bad, err)
			}
		}
		signup, err := e.nps.Create(e.ctx, inbox.NPSSurveyInput{Name: "가입 후", Enabled: true, ByEmail: true, QuietStart: "00:00", QuietEnd: "00:00",
			Anchor: inbox.AnchorAttribute, AnchorAttribute: "signup_date", FirstDays: 30, RepeatDays: []int{30}, CapNPSDays: 1, CapAnyDays: 1})
		if err != nil {
			t.Fatal(err)
		}
		if signup.Anchor != inbox.AnchorAttribute || signup.AnchorAttribute != "signup_date" {
			t.Fatalf("stored %+v", signup)
		}
		e.runDue()
		if len(e.surveys(early)) != 1 || len(e.surveys(late)) != 0 || len(e.surveys(none)) != 0 {
			t.Fatalf("Mar 2: early %d, late %d, none %d; want 1, 0, 0", len(e.surveys(early)), len(e.surveys(late)), len(e.surveys(none)))
		}
		// The job for late's day 30 is planned the day before it is due.
		e.set(time.Date(2026, 3, 21, 12, 0, 0, 0, seoul).UTC())
		if _, err := e.nps.Plan(e.ctx, signup, e.now()); err != nil {
			t.Fatal(err)
		}
		j, err := e.sched.Get(e.ctx, inbox.JobNPSSend, fmt.Sprintf("survey:%d:contact:%d:round:0", signup.ID, late))
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2026, 3, 22, 10, 0, 0, 0, seoul); !j.DueAt.Equal(want) {
			t.Fatalf("late's round 0 due %v, want %v", j.DueAt, want)
		}
		e.runDue()
		if len(e.surveys(late)) != 0 {
			t.Fatal("asked before the due day")
		}
		if err := e.svc.SetContactAttributes(e.ctx, gone, map[string]any{"signup_date": nil}, inbox.SourceAPI); err != nil {
			t.Fatal(err)
		}
		e.set(time.Date(2026, 3, 22, 10, 0, 0, 0, seoul).UTC())
		e.runDue()
		if len(e.surveys(late)) != 1 || len(e.surveys(none)) != 0 || len(e.surveys(gone)) != 0 {
			t.Fatalf("Mar 22: late %d, none %d, gone %d; want 1, 0, 0", len(e.surveys(late)), len(e.surveys(none)), len(e.surveys(gone)))
		}
		if j, err := e.sched.Get(e.ctx, inbox.JobNPSSend, fmt.Sprintf("survey:%d:contact:%d:round:0", signup.ID, gone)); err != nil || j.Status != store.JobDone {
			t.Fatalf("the removed date's job: %+v %v, want done", j, err)
		}

		// The VIP tag on a date: a Los Angeles VIP is asked at 10:00 there.
		vipSeoul := e.contact("vip1@customer.test", conv)
		vipLA := e.contact("vip2@customer.test", conv)
		if err := st.DB.Model(&store.Contact{}).Where("id = ?", vipLA).Update("time_zone", "America/Los_Angeles").Error; err != nil {
			t.Fatal(err)
		}
		for _, c := range []int64{vipSeoul, vipLA} {
			var tk store.Ticket
			st.DB.Where("contact_id = ?", c).Take(&tk)
			if err := st.DB.Create(&store.TicketTag{TicketID: tk.ID, Tag: "VIP"}).Error; err != nil {
				t.Fatal(err)
			}
		}
		vip, err := e.nps.Create(e.ctx, inbox.NPSSurveyInput{Name: "VIP 1월", Enabled: true, ByEmail: true, AudienceTag: "VIP",
			Anchor: inbox.AnchorDate, AnchorDate: "2027-01-15", QuietStart: "00:00", QuietEnd: "00:00"})
		if err != nil {
			t.Fatal(err)
		}
		la := zone(t, "America/Los_Angeles")
		// Each contact's job is planned within a day of its due time.
		for _, c := range []struct {
			plan    time.Time
			contact int64
			due     time.Time
		}{
			{time.Date(2027, 1, 14, 12, 0, 0, 0, seoul), vipSeoul, time.Date(2027, 1, 15, 10, 0, 0, 0, seoul)},
			{time.Date(2027, 1, 14, 12, 0, 0, 0, la), vipLA, time.Date(2027, 1, 15, 10, 0, 0, 0, la)},
		} {
			e.set(c.plan.UTC())
			if ps, err := e.nps.Plan(e.ctx, vip, e.now()); err != nil || ps.Contacts != 2 {
				t.Fatalf("VIP plan: %+v %v", ps, err)
			}
			j, err := e.sched.Get(e.ctx, inbox.JobNPSSend, fmt.Sprintf("survey:%d:contact:%d:round:0", vip.ID, c.contact))
			if err != nil || !j.DueAt.Equal(c.due) {
				t.Fatalf("contact %d: %v %v, want due %v", c.contact, j, err, c.due)
			}
		}
		e.set(time.Date(2027, 1, 15, 10, 0, 0, 0, seoul).UTC())
		e.runDue()
		if n := e.count(&store.Survey{}, "nps_survey_id = ?", vip.ID); n != 1 {
			t.Fatalf("%d VIP surveys at 10:00 Seoul, want 1 (Los Angeles is still on the 14th)", n)
		}
		e.set(time.Date(2027, 1, 15, 10, 0, 0, 0, la).UTC())
		e.runDue()
		if n := e.count(&store.Survey{}, "nps_survey_id = ?", vip.ID); n != 2 {
			t.Fatalf("%d VIP surveys, want 2", n)
		}
		if n := e.count(&store.Survey{}, "nps_survey_id = ? AND contact_id NOT IN ?", vip.ID, []int64{vipSeoul, vipLA}); n != 0 {
			t.Fatalf("%d untagged contacts asked", n)
		}
	})
}
