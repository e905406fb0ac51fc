package inbox_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestHostileTextIsScrubbed is the inbound half of issue 10 item 8: NUL bytes
// and invalid UTF-8 in any text of an inbound message are stored scrubbed,
// the same on SQLite and PostgreSQL (which refuses them raw), and a resend
// of the same message is still a duplicate.
func TestHostileTextIsScrubbed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		bad := func(s string) string { return s + "\x00\xff\xfe" }
		in := func() *inbox.Inbound {
			return &inbox.Inbound{
				ChannelID: ch.ID, ExternalID: bad("ext-1"), ThreadKeys: []string{bad("thread")}, OwnKeys: []string{bad("own")},
				Contact: inbox.ContactRef{Kind: inbox.IdentityAPI, ID: bad("1/u"), Verified: true, Name: bad("김민지"),
					Email: "a\x00@example.com", Locale: bad("ko")},
				Participants: []inbox.ContactRef{{Kind: inbox.IdentityEmail, ID: bad("cc@example.com"), Name: bad("Cc")}},
				Subject:      bad("배송 문의"), Text: bad("주문번호 A-1234"), HTML: "<p>" + bad("html") + "</p>",
				Meta:        map[string]any{bad("page"): bad("http://shop.test/"), "list": []any{bad("x")}, "cc": []string{bad("y")}},
				Attachments: []inbox.Attachment{{Name: bad("영수증.pdf"), ContentType: bad("application/pdf"), ContentID: bad("cid"), Data: []byte("pdf\x00")}},
			}
		}
		orig := in()
		r, err := svc.Ingest(ctx, orig)
		if err != nil {
			t.Fatal(err)
		}
		if orig.Text != bad("주문번호 A-1234") {
			t.Fatal("Ingest changed the caller's message")
		}
		again, err := svc.Ingest(ctx, in())
		if err != nil || !again.Duplicate || again.MessageID != r.MessageID {
			t.Fatalf("resend: %+v, %v", again, err)
		}
		m, err := svc.Message(ctx, r.MessageID)
		if err != nil {
			t.Fatal(err)
		}
		tk, err := svc.Ticket(ctx, r.TicketID)
		if err != nil {
			t.Fatal(err)
		}
		clean := func(what, got, want string) {
			t.Helper()
			if got != want || strings.ContainsRune(got, 0) || !utf8.ValidString(got) {
				t.Errorf("%s = %q, want %q", what, got, want)
			}
		}
		clean("external id", *m.ExternalID, "ext-1\uFFFD")
		clean("text", m.Text, "주문번호 A-1234\uFFFD")
		clean("html", m.HTML, "<p>html\uFFFD</p>")
		clean("subject", tk.Subject, "배송 문의\uFFFD")
		clean("contact name", tk.Contact.Name, "김민지\uFFFD")
		clean("attachment name", m.Attachments[0].Name, "영수증.pdf\uFFFD")
		clean("attachment type", m.Attachments[0].ContentType, "application/pdf\uFFFD")
		clean("content id", m.Attachments[0].ContentID, "cid\uFFFD")
		clean("meta", m.Meta.String("page\uFFFD"), "http://shop.test/\uFFFD")
		clean("reply address", tk.Contact.Email, "a@example.com")
		byKey, err := svc.TicketByKey(ctx, "own\uFFFD")
		if err != nil || byKey.ID != r.TicketID {
			t.Fatalf("own key: %v %v", byKey, err)
		}
		next, err := svc.Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: "ext-2", ThreadKeys: []string{bad("thread")},
			Contact: inbox.ContactRef{Kind: inbox.IdentityAPI, ID: bad("1/u"), Verified: true}, Text: "again"})
		if err != nil || next.TicketID != r.TicketID || next.ContactID != r.ContactID {
			t.Fatalf("the scrubbed thread key and identity do not match again: %+v %v", next, err)
		}
		if err := svc.Quarantine(ctx, ch.ID, bad("q"), []byte("raw\x00\xff"), bad("reason")); err != nil {
			t.Fatalf("quarantine of hostile text: %v", err)
		}
		if err := svc.EditMessage(ctx, ch.ID, "ext-2", bad("edited"), false); err != nil {
			t.Fatalf("edit with hostile text: %v", err)
		}
	})
}

// TestBidiControlsLeaveNamesAndFileNames: a customer's name and a file's
// name cannot reorder themselves or what follows them anywhere they are
// shown, since they are stored without U+202A–U+202E and U+2066–U+2069.
func TestBidiControlsLeaveNamesAndFileNames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		r, err := svc.Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: "bidi-1", Subject: "청구서", Text: "첨부합니다",
			Contact:     inbox.ContactRef{Kind: inbox.IdentityAPI, ID: "bidi/1", Verified: true, Name: "\u202Enimda 관리자\u2066"},
			Attachments: []inbox.Attachment{{Name: "invoice\u202Egnp.exe", ContentType: "application/octet-stream", Data: []byte("MZ")}}})
		if err != nil {
			t.Fatal(err)
		}
		m, err := svc.Message(ctx, r.MessageID)
		if err != nil {
			t.Fatal(err)
		}
		tk, err := svc.Ticket(ctx, r.TicketID)
		if err != nil {
			t.Fatal(err)
		}
		if tk.Contact.Name != "nimda 관리자" {
			t.Errorf("contact name %q", tk.Contact.Name)
		}
		if got := m.Attachments[0].Name; got != "invoicegnp.exe" {
			t.Errorf("file name %q", got)
		}
	})
}
