package inbox_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// BenchmarkNPSPlan100k: one planner round of an NPS definition (first round
// 7 days in, repeats 30/60/90/180) over 100,000 contacts with one ticket
// each, first conversations spread over the last 400 days, on each store.
// "first" schedules the send jobs (the jobs table is emptied between
// iterations); "again" is the daily re-run when every job exists;
// "attribute-first" plans a definition counted from the signup_date
// attribute, which every other contact has. Reports
// the SQL statements per round (counted by gorm callbacks) and jobs added.
//
//	go test ./inbox -run '^$' -bench NPSPlan100k -benchtime 3x
func BenchmarkNPSPlan100k(b *testing.B) {
	const contacts = 100_000
	for _, d := range storetest.Dialects() {
		b.Run(d, func(b *testing.B) {
			st := storetest.Open(b, d)
			ctx := b.Context()
			ch := store.Channel{Kind: "email", Name: "mail", PublicKey: inbox.NewPublicID(), Enabled: true}
			if err := st.DB.Create(&ch).Error; err != nil {
				b.Fatal(err)
			}
			now := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
			cs := make([]store.Contact, 0, 1000)
			for i := 0; i < contacts; i += 1000 {
				cs = cs[:0]
				for k := i; k < i+1000; k++ {
					cs = append(cs, store.Contact{Name: fmt.Sprintf("고객 %d", k), Email: fmt.Sprintf("c%d@customer.test", k), CreatedAt: now, UpdatedAt: now})
				}
				if err := st.DB.CreateInBatches(&cs, 500).Error; err != nil {
					b.Fatal(err)
				}
				ts := make([]store.Ticket, 0, len(cs))
				for k, c := range cs {
					at := now.Add(-time.Duration((i+k)%400*24+k%24) * time.Hour)
					ts = append(ts, store.Ticket{PublicID: inbox.NewPublicID(), ReplyToken: inbox.NewPublicID(), Status: store.StatusResolved,
						Priority: "normal", ContactID: c.ID, ChannelID: ch.ID, LastChannelID: ch.ID, LastMessageAt: at, MessageCount: 1,
						CreatedAt: at, UpdatedAt: at})
				}
				if err := st.DB.Omit("Contact", "Tags").CreateInBatches(&ts, 500).Error; err != nil {
					b.Fatal(err)
				}
				// A signup date for every other contact (the attribute anchor).
				as := make([]store.ContactAttribute, 0, len(cs)/2)
				for k, c := range cs {
					if k%2 == 0 {
						v := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -((i + k) % 400)).Unix()
						as = append(as, store.ContactAttribute{ContactID: c.ID, Key: "signup_date", Type: store.AttrDate, Time: &v})
					}
				}
				if err := st.DB.CreateInBatches(&as, 500).Error; err != nil {
					b.Fatal(err)
				}
			}
			if err := st.DB.Create(&store.AttributeDef{Key: "signup_date", LabelKo: "가입일", Type: store.AttrDate, CreatedAt: now, UpdatedAt: now}).Error; err != nil {
				b.Fatal(err)
			}
			var queries atomic.Int64
			count := func(*gorm.DB) { queries.Add(1) }
			cb := st.DB.Callback()
			_ = cb.Query().After("gorm:query").Register("bench:count", count)
			_ = cb.Row().After("gorm:row").Register("bench:count", count)
			_ = cb.Raw().After("gorm:raw").Register("bench:count", count)
			_ = cb.Create().After("gorm:create").Register("bench:count", count)

			sched := jobs.New(st, jobs.Options{Now: func() time.Time { return now }})
			nps := inbox.New(st, inbox.Options{}).EnableNPS(sched)
			def, err := nps.Create(ctx, inbox.NPSSurveyInput{Name: "bench", Enabled: true, FirstDays: 7, RepeatDays: inbox.NPSPresetRepeats, ByEmail: true})
			if err != nil {
				b.Fatal(err)
			}
			byAttr, err := nps.Create(ctx, inbox.NPSSurveyInput{Name: "bench signup", Enabled: true, FirstDays: 7, RepeatDays: inbox.NPSPresetRepeats,
				ByEmail: true, Anchor: inbox.AnchorAttribute, AnchorAttribute: "signup_date"})
			if err != nil {
				b.Fatal(err)
			}
			run := func(b *testing.B, def *store.NPSSurvey, fresh bool, want int) {
				var added int64
				var q int64
				for b.Loop() {
					if fresh {
						b.StopTimer()
						if err := st.DB.Where("kind = ?", inbox.JobNPSSend).Delete(&store.Job{}).Error; err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
					}
					before := queries.Load()
					ps, err := nps.Plan(ctx, def, now)
					if err != nil {
						b.Fatal(err)
					}
					q, added = queries.Load()-before, ps.Scheduled
					if ps.Contacts != want {
						b.Fatalf("read %d contacts", ps.Contacts)
					}
				}
				b.ReportMetric(float64(q), "queries/round")
				b.ReportMetric(float64(added), "jobs-added/round")
			}
			b.Run("first", func(b *testing.B) { run(b, def, true, contacts) })
			b.Run("again", func(b *testing.B) { run(b, def, false, contacts) })
			// From the signup_date attribute, which half the contacts have.
			b.Run("attribute-first", func(b *testing.B) { run(b, byAttr, true, contacts/2) })
		})
	}
}
