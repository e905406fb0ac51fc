package inbox_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestQueueWait: the expected wait in a team queue is the place times the
// median gap between the team's recent first responses; nothing is said
// with too few answers in the last 24 hours or nobody online.
func TestQueueWait(t *testing.T) {
	cases := []struct {
		name    string
		online  bool
		answers []int // minutes before now of the team's first responses
		gap     time.Duration
		ok      bool
	}{
		{"no answers", true, nil, 0, false},
		{"four answers are too few", true, []int{5, 15, 25, 35}, 0, false},
		{"answers older than a day do not count", true, []int{5, 15, 25, 35, 25 * 60, 26 * 60}, 0, false},
		{"every ten minutes", true, []int{5, 15, 25, 35, 45, 55}, 10 * time.Minute, true},
		{"a night between answers is not the pace", true, []int{5, 15, 25, 35, 12 * 60, 12*60 + 10}, 10 * time.Minute, true},
		{"an even number of gaps takes the middle two", true, []int{0, 4, 10, 20, 32}, 8 * time.Minute, true},
		{"nobody online", false, []int{5, 15, 25, 35, 45, 55}, 0, false},
	}
	ctx := context.Background()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				f := newRouting(t, st, 1, 1, 0) // one member, offline
				if c.online {
					if _, err := f.svc.SetAvailability(ctx, f.agents[0].ID, inbox.AvailabilityOnline); err != nil {
						t.Fatal(err)
					}
				}
				at := time.Now().UTC().Truncate(time.Second)
				for j, m := range c.answers {
					id := f.arrive(t, f.svc, fmt.Sprintf("%d-done-%d", i, j))
					if err := st.DB.Model(&store.Ticket{}).Where("id = ?", id).Updates(map[string]any{"status": store.StatusResolved,
						"team_id": f.team.ID, "first_response_at": at.Add(-time.Duration(m) * time.Minute)}).Error; err != nil {
						t.Fatal(err)
					}
				}
				gap, ok, err := f.svc.QueuePace(ctx, f.team.ID, at)
				if err != nil || ok != c.ok || gap != c.gap {
					t.Fatalf("pace %v %v %v, want %v %v", gap, ok, err, c.gap, c.ok)
				}
				// Two waiting tickets: the second waits two gaps.
				f.arrive(t, f.svc, fmt.Sprintf("%d-wait-1", i))
				second := f.arrive(t, f.svc, fmt.Sprintf("%d-wait-2", i))
				if err := st.DB.Model(&store.Ticket{}).Where("id = ?", second).Update("team_id", f.team.ID).Error; err != nil {
					t.Fatal(err)
				}
				p, err := f.svc.TicketQueuePlace(ctx, second)
				if err != nil {
					t.Fatal(err)
				}
				want := time.Duration(0)
				if c.ok {
					want = 2 * c.gap
				}
				if p.Position != 2 || p.Wait != want {
					t.Fatalf("place %+v, want position 2 wait %v", p, want)
				}
			})
		})
	}
}
