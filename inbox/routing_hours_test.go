package inbox_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestAssignmentWaitsForBusinessHours: outside the team's hours (Asia/Seoul,
// a weekend, a holiday, the night) arrivals wait in the queue though an
// agent is online with room; the scheduler's job for the opening drains
// the queue, oldest first, once the clock reaches it. Inside hours they
// are assigned at once.
func TestAssignmentWaitsForBusinessHours(t *testing.T) {
	cases := []struct {
		name, now, opens string // opens "": open now
	}{
		{"open on a Thursday morning", "2026-12-03 10:00", ""},
		{"Saturday noon waits for Monday", "2026-12-05 12:00", "2026-12-07 09:00"},
		{"Thursday night waits past midnight", "2026-12-03 23:30", "2026-12-04 09:00"},
		{"Christmas waits over the holiday and the weekend", "2026-12-25 10:00", "2026-12-28 09:00"},
		{"just after the close", "2026-12-04 18:00", "2026-12-07 09:00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				ctx := context.Background()
				var clock atomic.Int64
				clock.Store(kst(t, c.now).UnixNano())
				now := func() time.Time { return time.Unix(0, clock.Load()) }
				svc := inbox.New(st, inbox.Options{Now: now})
				sched := jobs.New(st, jobs.Options{Now: now})
				svc.EnableRoutingHours(sched)
				ch := store.Channel{Kind: "api", Name: "test", PublicKey: inbox.NewPublicID(), Enabled: true}
				if err := st.DB.Create(&ch).Error; err != nil {
					t.Fatal(err)
				}
				a := store.Agent{Email: "agent@example.com", Name: "김상담", Role: store.RoleAgent, Active: true}
				if err := st.DB.Create(&a).Error; err != nil {
					t.Fatal(err)
				}
				if _, err := svc.SetAvailability(ctx, a.ID, inbox.AvailabilityOnline); err != nil {
					t.Fatal(err)
				}
				on, hours := true, seoulOffice()
				team, err := svc.CreateTeam(ctx, 0, inbox.TeamInput{NameKo: ptr("결제팀"), NameEn: ptr("Billing"), AutoAssign: &on,
					ChannelIDs: &[]int64{ch.ID}, MemberIDs: &[]int64{a.ID}, Hours: &hours})
				if err != nil {
					t.Fatal(err)
				}
				var ids []int64
				for i := range 3 {
					in := msg(ch, fmt.Sprintf("m-%d", i), fmt.Sprintf("t-%d", i), "결제 문의")
					in.Contact.ID = fmt.Sprintf("c-%d", i)
					r, err := svc.Ingest(ctx, in)
					if err != nil {
						t.Fatal(err)
					}
					ids = append(ids, r.TicketID)
				}
				assigned := func() []int64 {
					var got []int64
					if err := st.DB.Model(&store.Message{}).Where("ticket_id IN ? AND direction = ?", ids, store.DirSystem).
						Order("id").Pluck("ticket_id", &got).Error; err != nil {
						t.Fatal(err)
					}
					return got
				}
				n, err := svc.DrainTeam(ctx, team.ID)
				if err != nil {
					t.Fatal(err)
				}
				if c.opens == "" {
					if n != 3 || fmt.Sprint(assigned()) != fmt.Sprint(ids) {
						t.Fatalf("open: assigned %d %v, want %v", n, assigned(), ids)
					}
					return
				}
				if n != 0 {
					t.Fatalf("closed: %d assigned", n)
				}
				opens := kst(t, c.opens)
				j, err := sched.Get(ctx, inbox.JobTeamOpens, fmt.Sprintf("team:%d:opens:%d", team.ID, opens.Unix()))
				if err != nil || j.Status != store.JobPending || !j.DueAt.Equal(opens) {
					t.Fatalf("opening job %+v %v, want due %v", j, err, opens)
				}
				// A minute before the opening nothing moves.
				clock.Store(opens.Add(-time.Minute).UnixNano())
				if _, err := sched.RunDue(ctx); err != nil {
					t.Fatal(err)
				}
				if got := assigned(); len(got) != 0 {
					t.Fatalf("assigned before the opening: %v", got)
				}
				clock.Store(opens.UnixNano())
				if _, err := sched.RunDue(ctx); err != nil {
					t.Fatal(err)
				}
				if got := assigned(); fmt.Sprint(got) != fmt.Sprint(ids) {
					t.Fatalf("at the opening assigned %v, want %v in order", got, ids)
				}
			})
		})
	}
}
