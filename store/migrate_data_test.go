package store_test

import (
	"fmt"
	"testing"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestUnverifiedEmailsBecomeReplyAddresses: the migration turns unverified
// email identities (a typed address, an api sender named by address) into
// reply addresses, and keeps api senders on their contact.
func TestUnverifiedEmailsBecomeReplyAddresses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		db := st.DB
		api := store.Channel{Kind: "api", Name: "shop", PublicKey: "pk-api", Enabled: true}
		db.Create(&api)
		visitor := store.Contact{Name: "visitor"}
		pushed := store.Contact{Name: "pushed", Email: "buyer@example.com"}
		owner := store.Contact{Name: "owner", Email: "owner@example.com"}
		for _, c := range []*store.Contact{&visitor, &pushed, &owner} {
			if err := db.Create(c).Error; err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range []store.Identity{
			{ContactID: visitor.ID, Kind: "widget", Value: "k/v1"},
			{ContactID: visitor.ID, Kind: "email", Value: "typed@example.com"},
			{ContactID: pushed.ID, Kind: "email", Value: "buyer@example.com"},
			{ContactID: owner.ID, Kind: "email", Value: "owner@example.com", Verified: true},
		} {
			if err := db.Create(&id).Error; err != nil {
				t.Fatal(err)
			}
		}
		tk := store.Ticket{PublicID: "p1", ReplyToken: "r1", Status: "open", Priority: "normal", ContactID: pushed.ID, ChannelID: api.ID, LastChannelID: api.ID}
		db.Create(&tk)
		db.Create(&store.Message{TicketID: tk.ID, Direction: store.DirInbound, AuthorType: store.AuthorContact, AuthorID: pushed.ID, ChannelID: api.ID, Text: "hi"})

		if err := store.ReplayMigration(st, "unverified email is a reply address"); err != nil {
			t.Fatal(err)
		}
		var ids []store.Identity
		db.Order("contact_id, kind").Find(&ids)
		got := map[string]int64{}
		for _, id := range ids {
			got[fmt.Sprintf("%s:%s:%v", id.Kind, id.Value, id.Verified)] = id.ContactID
		}
		want := map[string]int64{
			"widget:k/v1:false": visitor.ID,
			fmt.Sprintf("api:%d:email:buyer@example.com:true", api.ID): pushed.ID,
			"email:owner@example.com:true":                             owner.ID,
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("identities = %v\nwant %v", got, want)
		}
		var v store.Contact
		db.Take(&v, visitor.ID)
		if v.Email != "typed@example.com" {
			t.Fatalf("visitor's reply address = %q", v.Email)
		}
	})
}

// TestMergedTicketsRememberTheirTarget: tickets merged before the column
// existed get merged_into from the target's "merged #N" system message.
func TestMergedTicketsRememberTheirTarget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		db := st.DB
		c := store.Contact{Name: "c"}
		db.Create(&c)
		mk := func(pid, status string) store.Ticket {
			tk := store.Ticket{PublicID: pid, ReplyToken: pid, Status: status, Priority: "normal", ContactID: c.ID, ChannelID: 1, LastChannelID: 1}
			if err := db.Create(&tk).Error; err != nil {
				t.Fatal(err)
			}
			return tk
		}
		from, into, closed := mk("a", store.StatusClosed), mk("b", store.StatusOpen), mk("c", store.StatusClosed)
		db.Create(&store.Message{TicketID: into.ID, Direction: store.DirSystem, AuthorType: store.AuthorSystem, ChannelID: 1,
			Text: "merged", Meta: store.JSONMap{"merged_ticket": from.ID}})
		db.Create(&store.Message{TicketID: into.ID, Direction: store.DirSystem, AuthorType: store.AuthorSystem, ChannelID: 1, Meta: store.JSONMap{"changes": []string{"status:closed"}}})
		if err := db.Exec("UPDATE messages SET meta = 'not json \"merged_ticket\"' WHERE id = (SELECT MAX(id) FROM messages)").Error; err != nil {
			t.Fatal(err)
		}
		if err := store.ReplayMigration(st, "ticket merged into"); err != nil {
			t.Fatal(err)
		}
		for _, w := range []struct {
			id   int64
			want *int64
		}{{from.ID, &into.ID}, {into.ID, nil}, {closed.ID, nil}} {
			var tk store.Ticket
			db.Take(&tk, w.id)
			if (tk.MergedInto == nil) != (w.want == nil) || (w.want != nil && *tk.MergedInto != *w.want) {
				t.Fatalf("ticket %d merged_into = %v, want %v", w.id, tk.MergedInto, w.want)
			}
		}
	})
}
