package inbox_test

import (
	"context"
	"testing"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

func TestIdentityIsEarned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		ingest := func(ext string, c inbox.ContactRef) inbox.IngestResult {
			t.Helper()
			r, err := svc.Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: ext, Contact: c, Text: "hi " + ext})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		// A customer known by email (verified by the mail channel).
		owner := ingest("e1", inbox.ContactRef{Kind: inbox.IdentityEmail, ID: "Minji@Example.com", Verified: true, Name: "김민지"})
		// A widget visitor claims the same address without proof: a different contact.
		claim := ingest("w1", inbox.ContactRef{Kind: inbox.IdentityWidget, ID: "k/visitor-1", Email: "minji@example.com"})
		if claim.ContactID == owner.ContactID {
			t.Fatal("an unverified email linked a visitor to another contact")
		}
		// A site-verified identity with a verified email joins the owner.
		verified := ingest("w2", inbox.ContactRef{Kind: inbox.IdentityWidget, ID: "k/user:42", Verified: true, Email: "minji@example.com", EmailVerified: true})
		if verified.ContactID != owner.ContactID {
			t.Fatalf("verified email did not link to the owner: %d vs %d", verified.ContactID, owner.ContactID)
		}
		// The same channel identity always maps to the same contact.
		again := ingest("w3", inbox.ContactRef{Kind: inbox.IdentityWidget, ID: "k/visitor-1"})
		if again.ContactID != claim.ContactID {
			t.Fatal("same identity resolved to a different contact")
		}
		c, err := svc.Contact(ctx, owner.ContactID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Email != "minji@example.com" || len(c.Identities) != 2 {
			t.Fatalf("owner contact %+v", c)
		}
		// Agents can merge by hand; tickets and identities move.
		if err := svc.MergeContacts(ctx, owner.ContactID, claim.ContactID); err != nil {
			t.Fatal(err)
		}
		moved := ingest("w4", inbox.ContactRef{Kind: inbox.IdentityWidget, ID: "k/visitor-1"})
		if moved.ContactID != owner.ContactID {
			t.Fatal("identity did not move with the merge")
		}
		var n int64
		st.DB.Model(&store.Ticket{}).Where("contact_id = ?", claim.ContactID).Count(&n)
		if n != 0 {
			t.Fatalf("%d tickets left on the merged contact", n)
		}
	})
}

func TestThreadingAndFallback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		c := inbox.ContactRef{Kind: inbox.IdentityEmail, ID: "a@example.com", Verified: true}
		first, _ := svc.Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: "1", OwnKeys: []string{"k1"}, Contact: c, Text: "one"})
		// Threads by a known key even when listed after unknown ones.
		r, _ := svc.Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: "2", ThreadKeys: []string{"unknown", "k1"}, Contact: c, Text: "two"})
		if r.TicketID != first.TicketID || r.NewTicket {
			t.Fatal("known key did not thread")
		}
		tk, _ := svc.Ticket(ctx, first.TicketID)
		// The subject number threads only for the ticket's own contact.
		other := inbox.ContactRef{Kind: inbox.IdentityEmail, ID: "b@example.com", Verified: true}
		r, _ = svc.Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: "3", FallbackNumber: tk.Number(), Contact: other, Text: "three"})
		if r.TicketID == first.TicketID {
			t.Fatal("subject number threaded a stranger's mail")
		}
		r, _ = svc.Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: "4", FallbackNumber: tk.Number(), Contact: c, Text: "four"})
		if r.TicketID != first.TicketID {
			t.Fatal("subject number did not thread the contact's own mail")
		}
		// The reply token key threads.
		r, _ = svc.Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: "5", ThreadKeys: []string{inbox.TokenKey(tk.ReplyToken)}, Contact: other, Text: "five"})
		if r.TicketID != first.TicketID {
			t.Fatal("reply token did not thread")
		}
		// A closed ticket is not reopened: a new one starts.
		closed := store.StatusClosed
		if _, err := svc.UpdateTicket(ctx, first.TicketID, 0, inbox.TicketPatch{Status: &closed}); err != nil {
			t.Fatal(err)
		}
		r, _ = svc.Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: "6", ThreadKeys: []string{"k1"}, Contact: c, Text: "six"})
		if r.TicketID == first.TicketID || !r.NewTicket {
			t.Fatal("closed ticket was reopened")
		}
		// Auto-replies never reopen a resolved ticket.
		resolved := store.StatusResolved
		svc.UpdateTicket(ctx, r.TicketID, 0, inbox.TicketPatch{Status: &resolved})
		svc.Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: "7", ThreadKeys: []string{"k1"}, Contact: c, Text: "I am out of office", Auto: true})
		t2, _ := svc.Ticket(ctx, r.TicketID)
		if t2.Status != store.StatusResolved {
			t.Fatalf("auto-reply changed status to %s", t2.Status)
		}
	})
}
