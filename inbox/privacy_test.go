package inbox_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"gorm.io/gorm/clause"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// identityWorld drives the people of the typed-address leak: anonymous widget
// visitors, the real owner of an address writing by email, and the owner
// signed into the widget with a valid user_hash.
type identityWorld struct {
	t   *testing.T
	st  *store.Store
	svc *inbox.Service
	ch  store.Channel
	n   int
}

func newIdentityWorld(t *testing.T, st *store.Store) *identityWorld {
	svc, ch := newService(t, st)
	return &identityWorld{t: t, st: st, svc: svc, ch: ch}
}

func (w *identityWorld) send(c inbox.ContactRef, thread string) inbox.IngestResult {
	w.t.Helper()
	w.n++
	ext := thread + "-" + string(rune('a'+w.n))
	r, err := w.svc.Ingest(context.Background(), &inbox.Inbound{ChannelID: w.ch.ID, ExternalID: ext,
		ThreadKeys: []string{thread}, OwnKeys: []string{thread}, Contact: c, Text: "message " + ext})
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// visitor writes as an anonymous widget visitor and leaves an address.
func (w *identityWorld) visitor(id, typed string) inbox.IngestResult {
	w.t.Helper()
	r := w.send(inbox.ContactRef{Kind: inbox.IdentityWidget, ID: "k/" + id}, "widget:"+id)
	if err := w.svc.SetContactEmail(context.Background(), r.ContactID, typed); err != nil {
		w.t.Fatal(err)
	}
	return r
}

// ownerMail is the address's owner writing an ordinary email.
func (w *identityWorld) ownerMail(addr, thread string) inbox.IngestResult {
	w.t.Helper()
	return w.send(inbox.ContactRef{Kind: inbox.IdentityEmail, ID: addr, Verified: true, Name: "Owner"}, thread)
}

// ownerWidget is the owner signed into the widget with a valid user_hash.
func (w *identityWorld) ownerWidget(user, addr string) inbox.IngestResult {
	w.t.Helper()
	return w.send(inbox.ContactRef{Kind: inbox.IdentityWidget, ID: "k/user:" + user, Verified: true, Email: addr, EmailVerified: true}, "widget:user:"+user)
}

func (w *identityWorld) tickets(contactID int64) []int64 {
	w.t.Helper()
	var ids []int64
	if err := w.st.DB.Model(&store.Ticket{}).Where("contact_id = ?", contactID).Order("id").Pluck("id", &ids).Error; err != nil {
		w.t.Fatal(err)
	}
	return ids
}

func (w *identityWorld) contact(id int64) *store.Contact {
	w.t.Helper()
	c, err := w.svc.Contact(context.Background(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// emailIdentities lists a contact's email identities as "value:verified".
func (w *identityWorld) emailIdentities(id int64) []string {
	var out []string
	for _, i := range w.contact(id).Identities {
		if i.Kind == inbox.IdentityEmail {
			v := "unverified"
			if i.Verified {
				v = "verified"
			}
			out = append(out, i.Value+":"+v)
		}
	}
	return out
}

// apart checks that a stranger who typed an address and its owner are two
// contacts that see only their own tickets, and that the stranger keeps the
// address as a reply address.
func (w *identityWorld) apart(stranger inbox.IngestResult, addr string, owner ...inbox.IngestResult) {
	w.t.Helper()
	want := []int64{}
	for _, o := range owner {
		if o.ContactID == stranger.ContactID {
			w.t.Fatalf("the owner's message %d was filed under the stranger's contact %d", o.MessageID, stranger.ContactID)
		}
		if o.ContactID != owner[0].ContactID {
			w.t.Fatalf("the owner's messages went to two contacts: %d and %d", owner[0].ContactID, o.ContactID)
		}
		if !slices.Contains(want, o.TicketID) {
			want = append(want, o.TicketID)
		}
	}
	if got := w.tickets(stranger.ContactID); !slices.Equal(got, []int64{stranger.TicketID}) {
		w.t.Fatalf("stranger's tickets = %v, want only %d", got, stranger.TicketID)
	}
	if len(owner) > 0 {
		slices.Sort(want)
		if got := w.tickets(owner[0].ContactID); !slices.Equal(got, want) {
			w.t.Fatalf("owner's tickets = %v, want %v", got, want)
		}
		if got := w.emailIdentities(owner[0].ContactID); !slices.Equal(got, []string{addr + ":verified"}) {
			w.t.Fatalf("owner's email identities = %v", got)
		}
	}
	if got := w.emailIdentities(stranger.ContactID); len(got) != 0 {
		w.t.Fatalf("the stranger holds email identities %v; a typed address is a reply address only", got)
	}
	if c := w.contact(stranger.ContactID); c.Email != addr {
		w.t.Fatalf("stranger's reply address = %q, want %q", c.Email, addr)
	}
}

// TestTypedEmailNeverLinks is issue 10 item 1: a widget visitor types someone
// else's address; the owner then writes by email and signs into the widget.
func TestTypedEmailNeverLinks(t *testing.T) {
	const addr = "owner@example.com"
	t.Run("visitor types, owner mails, owner signs in", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, st *store.Store) {
			w := newIdentityWorld(t, st)
			stranger := w.visitor("visitor-1", addr)
			mail := w.ownerMail(addr, "mail-1")
			signed := w.ownerWidget("42", addr)
			w.apart(stranger, addr, mail, signed)
			// The stranger writes again: still their own contact and ticket.
			again := w.send(inbox.ContactRef{Kind: inbox.IdentityWidget, ID: "k/visitor-1"}, "widget:visitor-1")
			if again.ContactID != stranger.ContactID || again.TicketID != stranger.TicketID {
				t.Fatalf("stranger's next message: %+v, want contact %d ticket %d", again, stranger.ContactID, stranger.TicketID)
			}
			w.apart(stranger, addr, mail, signed)
		})
	})
	t.Run("owner mails first", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, st *store.Store) {
			w := newIdentityWorld(t, st)
			mail := w.ownerMail(addr, "mail-1")
			stranger := w.visitor("visitor-1", addr)
			signed := w.ownerWidget("42", addr)
			w.apart(stranger, addr, mail, signed)
		})
	})
	t.Run("two visitors type the same address", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, st *store.Store) {
			w := newIdentityWorld(t, st)
			one := w.visitor("visitor-1", addr)
			two := w.visitor("visitor-2", addr)
			if one.ContactID == two.ContactID {
				t.Fatal("two visitors who typed one address share a contact")
			}
			w.apart(one, addr)
			w.apart(two, addr)
			mail := w.ownerMail(addr, "mail-1")
			signed := w.ownerWidget("42", addr)
			w.apart(one, addr, mail, signed)
			w.apart(two, addr, mail, signed)
		})
	})
	t.Run("owner signs in before mailing", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, st *store.Store) {
			w := newIdentityWorld(t, st)
			stranger := w.visitor("visitor-1", addr)
			signed := w.ownerWidget("42", addr)
			mail := w.ownerMail(addr, "mail-1")
			w.apart(stranger, addr, signed, mail)
		})
	})
	t.Run("unverified address passed with a message", func(t *testing.T) {
		// A channel that does not vouch for the address (an api channel
		// without trust_email, a widget email without user_hash).
		storetest.Each(t, func(t *testing.T, st *store.Store) {
			w := newIdentityWorld(t, st)
			stranger := w.send(inbox.ContactRef{Kind: inbox.IdentityAPI, ID: "1/u-9", Verified: true, Email: addr}, "api:1")
			mail := w.ownerMail(addr, "mail-1")
			signed := w.ownerWidget("42", addr)
			w.apart(stranger, addr, mail, signed)
		})
	})
}

// TestLegacyClaimIsTakenByProof covers databases written before the fix: an
// unverified email identity left on a visitor's contact is never upgraded in
// place; the verified sender takes it to their own contact.
func TestLegacyClaimIsTakenByProof(t *testing.T) {
	const addr = "owner@example.com"
	for _, proof := range []string{"mail", "widget"} {
		t.Run(proof, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				w := newIdentityWorld(t, st)
				stranger := w.visitor("visitor-1", addr)
				// (Before the fix SetContactEmail wrote this row itself.)
				if err := st.DB.Clauses(clause.OnConflict{DoNothing: true}).Create(&store.Identity{ContactID: stranger.ContactID, Kind: inbox.IdentityEmail, Value: addr}).Error; err != nil {
					t.Fatal(err)
				}
				var owner []inbox.IngestResult
				if proof == "mail" {
					owner = append(owner, w.ownerMail(addr, "mail-1"), w.ownerWidget("42", addr))
				} else {
					owner = append(owner, w.ownerWidget("42", addr), w.ownerMail(addr, "mail-1"))
				}
				w.apart(stranger, addr, owner...)
			})
		})
	}
}

// TestUnverifiedEmailCannotIdentify: an address nobody vouches for cannot be
// the identity a message is filed under, and a Cc line creates no contact.
func TestUnverifiedEmailCannotIdentify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newIdentityWorld(t, st)
		_, err := w.svc.Ingest(context.Background(), &inbox.Inbound{ChannelID: w.ch.ID, ExternalID: "x",
			Contact: inbox.ContactRef{Kind: inbox.IdentityEmail, ID: "owner@example.com"}, Text: "hi"})
		if !errors.Is(err, inbox.ErrInvalid) {
			t.Fatalf("unverified email identity: err = %v, want ErrInvalid", err)
		}
		r, err := w.svc.Ingest(context.Background(), &inbox.Inbound{ChannelID: w.ch.ID, ExternalID: "y",
			Contact:      inbox.ContactRef{Kind: inbox.IdentityEmail, ID: "sender@example.com", Verified: true},
			Participants: []inbox.ContactRef{{Kind: inbox.IdentityEmail, ID: "owner@example.com", Name: "Cc"}}, Text: "hi"})
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		st.DB.Model(&store.Identity{}).Where("value = ?", "owner@example.com").Count(&n)
		if n != 0 {
			t.Fatalf("a Cc address became %d identities", n)
		}
		mail := w.ownerMail("owner@example.com", "mail-1")
		if mail.ContactID == r.ContactID {
			t.Fatal("the Cc'd owner was filed under the sender")
		}
		if got := w.emailIdentities(mail.ContactID); !slices.Equal(got, []string{"owner@example.com:verified"}) {
			t.Fatalf("owner's identities = %v", got)
		}
	})
}
