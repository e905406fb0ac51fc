package inbox_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// Replies and notes reach the inbox from every agent edge (the API, a Slack
// thread); NUL bytes are removed whichever it was, so PostgreSQL stores them.
func TestAgentTextWithoutNUL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		res, err := svc.Ingest(ctx, msg(ch, "m-1", "t-1", "hello"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := svc.Reply(ctx, inbox.ReplyInput{TicketID: res.TicketID, Text: "a\x00b", HTML: "<p>c\x00d</p>"})
		if err != nil {
			t.Fatalf("reply with NUL: %v", err)
		}
		n, err := svc.AddNote(ctx, res.TicketID, 0, "e\x00f", nil)
		if err != nil {
			t.Fatalf("note with NUL: %v", err)
		}
		got, _ := svc.Message(ctx, m.ID)
		note, _ := svc.Message(ctx, n.ID)
		if got.Text != "ab" || got.HTML != "<p>cd</p>" || note.Text != "ef" {
			t.Fatalf("stored %q %q %q", got.Text, got.HTML, note.Text)
		}
		_, err = svc.Reply(ctx, inbox.ReplyInput{TicketID: res.TicketID, Text: "bad \xff"})
		var ie *inbox.InvalidError
		if !errors.As(err, &ie) || ie.Code != "bad_utf8" || !errors.Is(err, inbox.ErrInvalid) {
			t.Fatalf("invalid UTF-8: %v", err)
		}
	})
}
