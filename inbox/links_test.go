package inbox_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

func tokenOf(t *testing.T, url string) string {
	t.Helper()
	_, tok, ok := strings.Cut(url, "/c/")
	if !ok || !strings.HasPrefix(url, "https://help.shop.test/c/") {
		t.Fatalf("link url %q", url)
	}
	return tok
}

// A conversation link opens one ticket as its recipient's contact sees it,
// until it expires or is revoked; a token Hanbox did not sign, or one
// changed to name another ticket, opens nothing.
func TestConversationLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newThreadEnv(t, st)
		a := e.mail("minji@customer.test", "email:<a@x>", "문의", nil)
		b := e.mail("jun@customer.test", "email:<b@x>", "다른 문의", nil)
		url, err := e.svc.ConversationLink(e.ctx, a.TicketID, "Minji@Customer.test")
		if err != nil {
			t.Fatal(err)
		}
		tok := tokenOf(t, url)
		acc, err := e.svc.OpenConversation(e.ctx, tok)
		if err != nil || acc.TicketID != a.TicketID || acc.ContactID != a.ContactID || acc.Recipient != "minji@customer.test" ||
			acc.Number != a.TicketID+store.TicketNumberBase {
			t.Fatalf("open: %+v %v", acc, err)
		}
		links, _ := e.svc.ConversationLinks(e.ctx, a.TicketID)
		if len(links) != 1 {
			t.Fatalf("links %+v", links)
		}
		first := links[0].ExpiresAt
		// The next email carries the same link, and moves its expiry.
		st.DB.Exec("UPDATE conversation_links SET expires_at = ? WHERE id = ?", first.Add(-time.Hour), links[0].ID)
		if again, err := e.svc.ConversationLink(e.ctx, a.TicketID, "minji@customer.test"); err != nil || again != url {
			t.Fatalf("second email's link %q, %v; want %q", again, err, url)
		}
		if links, _ = e.svc.ConversationLinks(e.ctx, a.TicketID); !links[0].ExpiresAt.After(first.Add(-time.Hour)) {
			t.Errorf("expiry not moved: %v", links[0].ExpiresAt)
		}
		if other, _ := e.svc.ConversationLink(e.ctx, a.TicketID, "cc@customer.test"); other == url {
			t.Errorf("another recipient got the same link")
		}

		parts := strings.Split(tok, ".")
		for name, bad := range map[string]string{
			"signature changed": parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])),
			"other ticket":      parts[0] + "." + strconv.FormatInt(b.TicketID, 36) + "." + parts[2],
			"no signature":      parts[0] + "." + parts[1],
			"garbage":           "x",
			"empty":             "",
			"other public id":   strings.Repeat("a", len(parts[0])) + "." + parts[1] + "." + parts[2],
		} {
			if _, err := e.svc.OpenConversation(e.ctx, bad); !errors.Is(err, inbox.ErrLinkInvalid) || !errors.Is(err, inbox.ErrNotFound) {
				t.Errorf("%s: %v, want ErrLinkInvalid", name, err)
			}
		}
		// A page writes as the link's contact, into the link's ticket.
		in := &inbox.Inbound{ChannelID: e.widget.ID, ExternalID: "page-1/c-1", FallbackNumber: acc.Number,
			Contact: inbox.ContactRef{Kind: inbox.IdentityLink, ID: links[len(links)-1].PublicID, Verified: true}, Text: "페이지에서 답장"}
		if len(links) != 1 {
			t.Fatalf("links of ticket a: %d", len(links))
		}
		r, err := e.svc.Ingest(e.ctx, in)
		if err != nil || r.TicketID != a.TicketID || r.ContactID != a.ContactID {
			t.Fatalf("page message: %+v %v", r, err)
		}
		// Naming another customer's ticket starts a new one of the link's
		// contact instead: a link writes nowhere else.
		in2 := *in
		in2.ExternalID, in2.FallbackNumber = "page-1/c-2", b.TicketID+store.TicketNumberBase
		if r2, err := e.svc.Ingest(e.ctx, &in2); err != nil || r2.TicketID == b.TicketID || r2.ContactID != a.ContactID {
			t.Fatalf("page message naming another ticket: %+v %v", r2, err)
		}
		if c, err := e.svc.Contact(e.ctx, a.ContactID); err != nil || len(c.Identities) != 1 {
			t.Errorf("a link became an identity: %+v %v", c, err)
		}

		// Merged away, the link follows its ticket.
		z := e.mail("minji@customer.test", "email:<z@x>", "새 문의", nil)
		if err := e.svc.MergeTickets(e.ctx, z.TicketID, a.TicketID, e.agent.ID); err != nil {
			t.Fatal(err)
		}
		if acc, err := e.svc.OpenConversation(e.ctx, tok); err != nil || acc.TicketID != z.TicketID {
			t.Errorf("after merge: %+v %v", acc, err)
		}
		if ls, _ := e.svc.ConversationLinks(e.ctx, z.TicketID); len(ls) != 2 {
			t.Errorf("links listed on the merge target: %d", len(ls))
		}

		// Revoked: refused, pages and page messages too; the next email makes a new link.
		if err := e.svc.RevokeConversationLink(e.ctx, b.TicketID, links[0].ID, e.agent.ID); !errors.Is(err, inbox.ErrNotFound) {
			t.Errorf("revoke through another ticket: %v", err)
		}
		if err := e.svc.RevokeConversationLink(e.ctx, z.TicketID, links[0].ID, e.agent.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.OpenConversation(e.ctx, tok); !errors.Is(err, inbox.ErrLinkRevoked) {
			t.Errorf("revoked: %v", err)
		}
		if _, err := e.svc.LinkByPublicID(e.ctx, links[0].PublicID); !errors.Is(err, inbox.ErrLinkRevoked) {
			t.Errorf("revoked, by public id: %v", err)
		}
		in3 := *in
		in3.ExternalID = "page-1/c-3"
		if _, err := e.svc.Ingest(e.ctx, &in3); !errors.Is(err, inbox.ErrInvalid) {
			t.Errorf("message through a revoked link: %v", err)
		}
		fresh, err := e.svc.ConversationLink(e.ctx, a.TicketID, "minji@customer.test")
		if err != nil || fresh == url {
			t.Fatalf("link after revocation %q, %v", fresh, err)
		}

		// Expired: refused; the next email retires it and makes a new one.
		ftok := tokenOf(t, fresh)
		st.DB.Exec("UPDATE conversation_links SET expires_at = ? WHERE revoked_at IS NULL AND recipient = ?", time.Now().Add(-time.Minute), "minji@customer.test")
		if _, err := e.svc.OpenConversation(e.ctx, ftok); !errors.Is(err, inbox.ErrLinkExpired) {
			t.Errorf("expired: %v", err)
		}
		if next, err := e.svc.ConversationLink(e.ctx, a.TicketID, "minji@customer.test"); err != nil || next == fresh {
			t.Errorf("link after expiry %q, %v", next, err)
		}
		if _, err := e.svc.OpenConversation(e.ctx, ftok); !errors.Is(err, inbox.ErrLinkExpired) {
			t.Errorf("expired, after replacement: %v", err)
		}
	})
}

// Two services (instances) share one key, made once: a link one makes, the
// other opens.
func TestConversationLinkKeyIsShared(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newThreadEnv(t, st)
		a := e.mail("minji@customer.test", "email:<a@x>", "문의", nil)
		other := inbox.New(st, inbox.Options{BaseURL: "https://help.shop.test"})
		url, err := other.ConversationLink(e.ctx, a.TicketID, "minji@customer.test")
		if err != nil {
			t.Fatal(err)
		}
		if acc, err := e.svc.OpenConversation(e.ctx, tokenOf(t, url)); err != nil || acc.TicketID != a.TicketID {
			t.Fatalf("opened on the other instance: %+v %v", acc, err)
		}
	})
}
