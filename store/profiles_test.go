package store_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestProfileBackfill: the migration derives first seen, last seen and the
// message and conversation counts from what was stored before it.
func TestProfileBackfill(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		db := st.DB
		created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		c := store.Contact{Name: "a", CreatedAt: created, UpdatedAt: created}
		gone := store.Contact{Name: "merged", CreatedAt: created, UpdatedAt: created}
		db.Create(&c)
		db.Create(&gone)
		db.Model(&gone).Update("merged_into", c.ID)
		last := created.Add(48 * time.Hour)
		for i, tn := range []string{"t1", "t2"} {
			tk := store.Ticket{PublicID: tn, ReplyToken: tn, Status: "open", Priority: "normal", ContactID: c.ID, ChannelID: 1, LastChannelID: 1}
			if err := db.Create(&tk).Error; err != nil {
				t.Fatal(err)
			}
			db.Create(&store.Message{TicketID: tk.ID, Direction: store.DirInbound, AuthorType: store.AuthorContact, AuthorID: c.ID, ChannelID: 1, Text: "q", CreatedAt: created.Add(time.Duration(i) * time.Hour)})
			db.Create(&store.Message{TicketID: tk.ID, Direction: store.DirOutbound, AuthorType: store.AuthorAgent, AuthorID: 1, ChannelID: 1, Text: "a", CreatedAt: last.Add(time.Hour)})
		}
		db.Create(&store.Message{TicketID: 1, Direction: store.DirInbound, AuthorType: store.AuthorContact, AuthorID: c.ID, ChannelID: 1, Text: "later", CreatedAt: last})
		if err := store.ReplayMigration(st, "profiles"); err != nil {
			t.Fatal(err)
		}
		got := attrMap(t, st, c.ID)
		if *got[store.AttrFirstSeen].Time != created.Unix() || *got[store.AttrLastSeen].Time != last.Unix() {
			t.Fatalf("seen = %d..%d, want %d..%d", *got[store.AttrFirstSeen].Time, *got[store.AttrLastSeen].Time, created.Unix(), last.Unix())
		}
		if *got[store.AttrMessages].Num != 3 || *got[store.AttrConversations].Num != 2 {
			t.Fatalf("messages %v conversations %v", *got[store.AttrMessages].Num, *got[store.AttrConversations].Num)
		}
		if n := len(attrMap(t, st, gone.ID)); n != 0 {
			t.Fatalf("merged contact got %d attributes", n)
		}
	})
}

func attrMap(t *testing.T, st *store.Store, id int64) map[string]store.ContactAttribute {
	t.Helper()
	as, err := st.ContactAttributes(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]store.ContactAttribute{}
	for _, a := range as {
		m[a.Key] = a
	}
	return m
}

// TestTouchAndPut: activity moves the seen times outward and counts; values
// are replaced and unset; locale lives on the contact; a merge moves the
// profile.
func TestTouchAndPut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c, other := store.Contact{Name: "a"}, store.Contact{Name: "b"}
		st.DB.Create(&c)
		st.DB.Create(&other)
		t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		for _, ts := range []time.Time{t0, t0.Add(-time.Hour), t0.Add(time.Hour)} {
			if err := st.TouchContact(ctx, c.ID, ts, store.AttrMessages); err != nil {
				t.Fatal(err)
			}
		}
		st.TouchContact(ctx, c.ID, t0, store.AttrConversations)
		got := attrMap(t, st, c.ID)
		if *got[store.AttrFirstSeen].Time != t0.Add(-time.Hour).Unix() || *got[store.AttrLastSeen].Time != t0.Add(time.Hour).Unix() || *got[store.AttrMessages].Num != 3 || *got[store.AttrConversations].Num != 1 {
			t.Fatalf("touched: %+v", got)
		}
		plan, ko := "pro", "ko"
		yes := true
		if err := st.PutContactAttributes(ctx, c.ID, []store.ContactAttribute{{Key: "plan", Type: store.AttrText, Text: &plan}, {Key: store.AttrLocale, Type: store.AttrText, Text: &ko}, {Key: store.AttrEmailMarketing, Type: store.AttrBoolean, Bool: &yes}}, nil); err != nil {
			t.Fatal(err)
		}
		plan = "team"
		if err := st.PutContactAttributes(ctx, c.ID, []store.ContactAttribute{{Key: "plan", Type: store.AttrText, Text: &plan}}, []string{store.AttrEmailMarketing}); err != nil {
			t.Fatal(err)
		}
		got = attrMap(t, st, c.ID)
		if got["plan"].Value() != "team" || got[store.AttrEmailMarketing].Type != "" {
			t.Fatalf("after put: %+v", got)
		}
		var row store.Contact
		st.DB.Take(&row, c.ID)
		if row.Locale != "ko" {
			t.Fatalf("locale = %q", row.Locale)
		}
		st.TouchContact(ctx, other.ID, t0, store.AttrMessages)
		st.AddContactEvent(ctx, &store.ContactEvent{ContactID: other.ID, Name: "signed_up", At: t0})
		if err := st.Tx(ctx, func(tx *gorm.DB) error { return store.MoveProfileTx(tx, other.ID, c.ID) }); err != nil {
			t.Fatal(err)
		}
		got = attrMap(t, st, c.ID)
		evs, _ := st.ContactEvents(ctx, c.ID, 10)
		if *got[store.AttrMessages].Num != 4 || len(evs) != 1 || len(attrMap(t, st, other.ID)) != 0 {
			t.Fatalf("after merge: messages %v, %d events", *got[store.AttrMessages].Num, len(evs))
		}
	})
}
