package inbox_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// BenchmarkAssignDecision measures one automatic assignment (DrainTeam
// taking one waiting ticket: locks, queue head, member loads, choice,
// update, system line, event) in a team of 100 online agents that hold
// 10,000 open tickets between them. Each iteration first files one new
// unassigned ticket (untimed).
func BenchmarkAssignDecision(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(d, func(b *testing.B) {
			const agents, open = 100, 10000
			st := storetest.Open(b, d)
			svc := inbox.New(st, inbox.Options{})
			ch := store.Channel{Kind: "api", Name: "bench", PublicKey: inbox.NewPublicID(), Enabled: true}
			if err := st.DB.Create(&ch).Error; err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			ts := time.Now().UTC()
			var ags []store.Agent
			for i := range agents {
				ags = append(ags, store.Agent{Email: fmt.Sprintf("a%d@example.com", i), Name: fmt.Sprintf("agent %d", i), Role: store.RoleAgent,
					Active: true, Availability: inbox.AvailabilityOnline, ChatCap: 1000})
			}
			if err := st.DB.CreateInBatches(&ags, 100).Error; err != nil {
				b.Fatal(err)
			}
			ids := make([]int64, len(ags))
			for i := range ags {
				ids[i] = ags[i].ID
			}
			on := true
			name := "Bench"
			team, err := svc.CreateTeam(ctx, 0, inbox.TeamInput{NameKo: &name, AutoAssign: &on, MemberIDs: &ids, ChannelIDs: &[]int64{ch.ID}})
			if err != nil {
				b.Fatal(err)
			}
			c := store.Contact{Name: "bench"}
			if err := st.DB.Create(&c).Error; err != nil {
				b.Fatal(err)
			}
			newTicket := func(i int, assignee *int64) store.Ticket {
				return store.Ticket{PublicID: fmt.Sprintf("bench%d", i), ReplyToken: fmt.Sprintf("rt%d", i), Subject: "bench", Status: store.StatusOpen,
					Priority: store.PriorityNormal, AssigneeID: assignee, TeamID: &team.ID, ContactID: c.ID, ChannelID: ch.ID, LastChannelID: ch.ID,
					LastMessageAt: ts, CreatedAt: ts.Add(time.Duration(i) * time.Microsecond), UpdatedAt: ts}
			}
			var tks []store.Ticket
			for i := range open {
				a := ids[i%agents]
				tks = append(tks, newTicket(i, &a))
			}
			if err := st.DB.CreateInBatches(&tks, 500).Error; err != nil {
				b.Fatal(err)
			}
			// Statistics as a running database has them (autovacuum).
			analyze := "ANALYZE"
			if d == store.Postgres {
				analyze = "VACUUM ANALYZE tickets"
			}
			if err := st.DB.Exec(analyze).Error; err != nil {
				b.Fatal(err)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				tk := newTicket(open+i, nil)
				if err := st.DB.Create(&tk).Error; err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				n, err := svc.DrainTeam(ctx, team.ID)
				lat = append(lat, time.Since(start))
				if err != nil || n != 1 {
					b.Fatalf("drain: %d, %v", n, err)
				}
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds()), "p95-µs")
		})
	}
}
