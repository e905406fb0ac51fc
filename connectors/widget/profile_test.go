package widget

import (
	"context"
	"net/http"
	"testing"

	"github.com/hanbox/hanbox/inbox"
)

// TestIdentifySetsAttributes: a verified identify writes the user's
// profile (creating the contact before any message); an unverified one, or
// a value of the wrong type, is refused and writes nothing.
func TestIdentifySetsAttributes(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, nil)
		ctx := context.Background()
		var e struct{ Error struct{ Code string } }
		resp := h.do("POST", "/session", "", SessionRequest{Name: "visitor", Attributes: map[string]any{"email_marketing": true}}, &e)
		if resp.StatusCode != http.StatusForbidden || e.Error.Code != "identity_required" {
			t.Fatalf("unverified identify: %d %+v", resp.StatusCode, e)
		}
		resp = h.do("POST", "/session", "", SessionRequest{UserID: "cust-7", UserHash: UserHash(testSecret, "cust-7"), Attributes: map[string]any{"email_marketing": "maybe"}}, &e)
		if resp.StatusCode != http.StatusUnprocessableEntity || e.Error.Code != "invalid_attributes" {
			t.Fatalf("wrong type: %d %+v", resp.StatusCode, e)
		}
		s := h.session(SessionRequest{UserID: "cust-7", UserHash: UserHash(testSecret, "cust-7"), Name: "김민지",
			Attributes: map[string]any{"email_marketing": true, "time_zone": "Asia/Seoul"}})
		ct, err := h.env.Inbox.ContactByIdentity(ctx, inbox.IdentityWidget, h.ch.PublicKey+"/user:cust-7")
		if err != nil {
			t.Fatalf("identify made no contact: %v", err)
		}
		p, err := h.env.Inbox.ContactProfile(ctx, ct.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		vals := p.AttributeValues()
		if vals["email_marketing"] != true || vals["time_zone"] != "Asia/Seoul" || ct.Name != "김민지" {
			t.Fatalf("profile %v of %+v", vals, ct)
		}
		if s.Contact == nil || s.Contact.Name != "김민지" {
			t.Fatalf("session contact %+v", s.Contact)
		}
		// The same user later chats: the message joins the identified contact.
		c := h.mustDial(s.SessionToken, "")
		c.message("m-1", "안녕하세요")
		again, _ := h.env.Inbox.ContactByIdentity(ctx, inbox.IdentityWidget, h.ch.PublicKey+"/user:cust-7")
		if again.ID != ct.ID {
			t.Fatalf("message went to contact %d, identified %d", again.ID, ct.ID)
		}
	})
}
