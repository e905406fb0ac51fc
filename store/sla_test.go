package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

func TestSLAPolicies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		team := store.Team{NameKo: "결제팀", NameEn: "Billing"}
		if err := st.DB.Create(&team).Error; err != nil {
			t.Fatal(err)
		}
		other := int64(team.ID + 100)
		save := func(p store.SLAPolicy) store.SLAPolicy {
			t.Helper()
			if err := st.SaveSLAPolicy(ctx, &p); err != nil {
				t.Fatal(err)
			}
			return p
		}
		any := save(store.SLAPolicy{Name: "기본", FirstResponseMinutes: 480, ResolutionMinutes: 2400, WarnPercent: 80, Enabled: true})
		urgent := save(store.SLAPolicy{Name: "긴급", Priority: store.PriorityUrgent, FirstResponseMinutes: 30, ResolutionMinutes: 240, WarnMinutes: 10, Enabled: true})
		billing := save(store.SLAPolicy{Name: "결제", TeamID: &team.ID, FirstResponseMinutes: 60, Enabled: true})
		both := save(store.SLAPolicy{Name: "결제 긴급", TeamID: &team.ID, Priority: store.PriorityUrgent, FirstResponseMinutes: 15, Enabled: true})
		off := save(store.SLAPolicy{Name: "꺼짐", Priority: store.PriorityLow, FirstResponseMinutes: 1, Enabled: false})

		for _, c := range []struct {
			name     string
			priority string
			team     *int64
			want     int64
		}{
			{"normal, no team: the catch-all", store.PriorityNormal, nil, any.ID},
			{"urgent, no team", store.PriorityUrgent, nil, urgent.ID},
			{"normal, billing", store.PriorityNormal, &team.ID, billing.ID},
			{"urgent, billing: priority and team", store.PriorityUrgent, &team.ID, both.ID},
			{"urgent, another team", store.PriorityUrgent, &other, urgent.ID},
			{"low: the disabled one is skipped", store.PriorityLow, nil, any.ID},
		} {
			t.Run(c.name, func(t *testing.T) {
				p, err := store.MatchSLAPolicy(st.DB.WithContext(ctx), c.priority, c.team)
				if err != nil {
					t.Fatal(err)
				}
				if p == nil || p.ID != c.want {
					t.Fatalf("matched %+v, want policy %d", p, c.want)
				}
			})
		}

		// Update replaces every field, including clearing the team.
		both.TeamID, both.Name, both.Enabled = nil, "긴급 2", false
		if err := st.SaveSLAPolicy(ctx, &both); err != nil {
			t.Fatal(err)
		}
		got, err := st.GetSLAPolicy(ctx, both.ID)
		if err != nil || got.TeamID != nil || got.Name != "긴급 2" || got.Enabled {
			t.Fatalf("after update: %+v %v", got, err)
		}
		if err := st.DeleteSLAPolicy(ctx, off.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.GetSLAPolicy(ctx, off.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted policy: %v", err)
		}
		if err := st.DeleteSLAPolicy(ctx, off.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete again: %v", err)
		}
		missing := store.SLAPolicy{ID: 9999, Name: "x"}
		if err := st.SaveSLAPolicy(ctx, &missing); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update missing: %v", err)
		}
		all, err := st.ListSLAPolicies(ctx)
		if err != nil || len(all) != 4 {
			t.Fatalf("list: %d %v", len(all), err)
		}
		if p, err := store.MatchSLAPolicy(st.DB, store.PriorityUrgent, &team.ID); err != nil || p.ID != billing.ID {
			t.Fatalf("after disabling the team and priority policy: the team one: %+v %v", p, err)
		}
	})
}

// TestListTicketsDueSoonest: the due sort puts the soonest running due time
// first, ties by id, tickets without one last, across pages.
func TestListTicketsDueSoonest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := store.Contact{Name: "x"}
		st.DB.Create(&c)
		base := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
		var want []int64
		var none []int64
		for i := 0; i < 13; i++ {
			tk := store.Ticket{PublicID: fmt.Sprintf("p%02d", i), ReplyToken: fmt.Sprintf("r%02d", i), Status: store.StatusOpen,
				Priority: store.PriorityNormal, ContactID: c.ID, ChannelID: 1, LastChannelID: 1, LastMessageAt: base.Add(time.Duration(i) * time.Minute)}
			if i%4 != 3 {
				due := base.Add(time.Duration((13-i)/2) * time.Hour) // descending, with ties
				tk.SLADueAt = &due
			}
			if err := st.DB.Create(&tk).Error; err != nil {
				t.Fatal(err)
			}
			if tk.SLADueAt == nil {
				none = append(none, tk.ID)
			} else {
				want = append(want, tk.ID)
			}
		}
		var all []store.Ticket
		st.DB.Where("sla_due_at IS NOT NULL").Find(&all)
		slices.SortFunc(all, func(a, b store.Ticket) int {
			if d := a.SLADueAt.Compare(*b.SLADueAt); d != 0 {
				return d
			}
			return int(a.ID - b.ID)
		})
		want = want[:0]
		for _, tk := range all {
			want = append(want, tk.ID)
		}
		want = append(want, none...)
		var got []int64
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("too many pages")
			}
			p, err := st.ListTickets(ctx, store.TicketFilter{Limit: 3, Cursor: cursor, Sort: store.SortDue})
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range p.Items {
				got = append(got, tk.ID)
			}
			if p.NextCursor == "" {
				break
			}
			cursor = p.NextCursor
		}
		if !slices.Equal(got, want) {
			t.Fatalf("due order %v, want %v", got, want)
		}
		// A recent-order cursor is not a due-order cursor.
		if _, err := st.ListTickets(ctx, store.TicketFilter{Sort: store.SortDue, Cursor: "MTIzOjQ"}); err == nil {
			t.Fatal("a recent-order cursor was accepted for the due order")
		}
	})
}
