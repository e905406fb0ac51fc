package inbox_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestReplyIdempotencyKey is issue 10 item 12 in the inbox: a reply or note
// retried with its Idempotency-Key (after a lost answer) is stored and queued
// once; the key with a different request is refused.
func TestReplyIdempotencyKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		in, err := svc.Ingest(ctx, msg(ch, "m-1", "t-1", "배송 문의"))
		if err != nil {
			t.Fatal(err)
		}
		agents := []store.Agent{{Email: "a@example.com", Name: "A", Role: store.RoleAgent, Active: true}, {Email: "b@example.com", Name: "B", Role: store.RoleAgent, Active: true}}
		for i := range agents {
			if err := st.DB.Create(&agents[i]).Error; err != nil {
				t.Fatal(err)
			}
		}
		tk, _ := svc.Ticket(ctx, in.TicketID)
		reply := inbox.ReplyInput{TicketID: in.TicketID, AgentID: agents[0].ID, Text: "내일 도착합니다", ExpectVersion: tk.Version, IdempotencyKey: "draft-1"}
		outbox := func() int64 {
			var n int64
			st.DB.Model(&store.Outbox{}).Where("purpose = ?", store.PurposeReply).Count(&n)
			return n
		}
		first, err := svc.Reply(ctx, reply)
		if err != nil {
			t.Fatal(err)
		}
		// The answer was lost; the client sends the same request again (its
		// version is now stale, which must not matter for a replay).
		again, err := svc.Reply(ctx, reply)
		if err != nil || again.ID != first.ID || again.Text != first.Text {
			t.Fatalf("retry: %+v, %v; want message %d", again, err, first.ID)
		}
		if n := outbox(); n != 1 {
			t.Fatalf("outbox rows = %d, want 1", n)
		}
		// Concurrent retries too.
		var wg sync.WaitGroup
		ids := make(chan int64, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, err := svc.Reply(ctx, reply)
				if err != nil {
					t.Error(err)
					return
				}
				ids <- m.ID
			}()
		}
		wg.Wait()
		close(ids)
		for id := range ids {
			if id != first.ID {
				t.Fatalf("concurrent retry created message %d", id)
			}
		}
		if n := outbox(); n != 1 {
			t.Fatalf("outbox rows after concurrent retries = %d, want 1", n)
		}
		// The same key for another request is refused.
		changed := reply
		changed.Text = "다른 답변"
		if _, err := svc.Reply(ctx, changed); !errors.Is(err, inbox.ErrKeyReused) || !errors.Is(err, inbox.ErrInvalid) {
			t.Fatalf("key reused for another text: %v", err)
		}
		if _, err := svc.Note(ctx, inbox.NoteInput{TicketID: in.TicketID, AgentID: agents[0].ID, Text: reply.Text, IdempotencyKey: "draft-1"}); !errors.Is(err, inbox.ErrKeyReused) {
			t.Fatalf("reply key reused for a note: %v", err)
		}
		// Keys are per agent.
		other := reply
		other.AgentID, other.ExpectVersion = agents[1].ID, 0
		if m, err := svc.Reply(ctx, other); err != nil || m.ID == first.ID {
			t.Fatalf("another agent's key: %+v %v", m, err)
		}
		// Notes.
		note := inbox.NoteInput{TicketID: in.TicketID, AgentID: agents[0].ID, Text: "VIP", IdempotencyKey: "note-1"}
		n1, err := svc.Note(ctx, note)
		if err != nil {
			t.Fatal(err)
		}
		if n2, err := svc.Note(ctx, note); err != nil || n2.ID != n1.ID {
			t.Fatalf("note retry: %+v %v", n2, err)
		}
		var notes int64
		st.DB.Model(&store.Message{}).Where("direction = ?", store.DirNote).Count(&notes)
		if notes != 1 {
			t.Fatalf("notes = %d, want 1", notes)
		}
		// Bad keys.
		for _, k := range []string{strings.Repeat("k", inbox.MaxIdempotencyKey+1), " ", "a\x00b", "\xff"} {
			bad := reply
			bad.IdempotencyKey = k
			if _, err := svc.Reply(ctx, bad); !errors.Is(err, inbox.ErrInvalid) {
				t.Fatalf("key %q: %v", k, err)
			}
		}
		// After the retention the key is forgotten and swept.
		old := time.Now().Add(-inbox.IdempotencyRetention - time.Minute).UTC()
		if err := st.DB.Model(&store.IdempotencyKey{}).Where("agent_id = ? AND key = ?", agents[0].ID, "draft-1").Update("created_at", old).Error; err != nil {
			t.Fatal(err)
		}
		later := reply
		later.ExpectVersion = 0
		if m, err := svc.Reply(ctx, later); err != nil || m.ID == first.ID {
			t.Fatalf("expired key: %+v %v", m, err)
		}
		st.DB.Model(&store.IdempotencyKey{}).Where("key = ?", "note-1").Update("created_at", old)
		if n, err := svc.SweepIdempotencyKeys(ctx); err != nil || n != 1 {
			t.Fatalf("sweep deleted %d, %v; want 1", n, err)
		}
	})
}
