package widget

import (
	"context"
	"testing"

	"github.com/hanbox/hanbox/inbox"
)

// nextQueue reads frames until a "queue" frame says position want.
func (c *client) nextQueue(want int) frame {
	c.t.Helper()
	for {
		f := c.next("queue")
		if f.Type != "queue" {
			c.t.Fatalf("waiting for queue position %d: %+v", want, f)
		}
		if f.Position != nil && *f.Position == want {
			return f
		}
	}
}

// ask sends a message and reads until both its echo and a "queue" frame
// with position want arrived (in either order); it returns the echo.
func (c *client) ask(clientID, text string, want int) frame {
	c.t.Helper()
	c.send(frame{Type: "message", ClientID: clientID, Text: text})
	var echo frame
	queued := false
	for echo.ID == 0 || !queued {
		var f frame
		if len(c.buf) > 0 {
			f, c.buf = c.buf[0], c.buf[1:]
		} else {
			var err error
			if f, err = c.read(); err != nil {
				c.t.Fatalf("read (waiting for the echo of %s and queue place %d): %v", clientID, want, err)
			}
		}
		switch {
		case f.Type == "error":
			c.t.Fatalf("message %s: %+v", clientID, f)
		case f.Type == "message" && f.ClientID == clientID:
			echo = f
		case f.Type == "queue" && f.Position != nil && *f.Position == want:
			queued = true
		}
	}
	return echo
}

// TestQueuePlaceShown: visitors whose chats wait in their team's queue (no
// member online) are told their place, computed from the queue: the first
// is 1st, the next 2nd; when the first gets an agent it hears it no longer
// waits and the second moves up; a new session carries the place.
func TestQueuePlaceShown(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, nil)
		ctx := context.Background()
		agent := h.env.Agent("jisoo@support.example", "Jisoo")
		on := true
		ko, en := "상담팀", "Support"
		if _, err := h.env.Inbox.CreateTeam(ctx, 0, inbox.TeamInput{NameKo: &ko, NameEn: &en, AutoAssign: &on,
			ChannelIDs: &[]int64{h.ch.ID}, MemberIDs: &[]int64{agent.ID}}); err != nil {
			t.Fatal(err)
		}
		first := h.session(SessionRequest{})
		a := h.mustDial(first.SessionToken, "")
		ackA := a.ask("a-1", "결제가 안 돼요", 1)
		second := h.session(SessionRequest{})
		b := h.mustDial(second.SessionToken, "")
		b.ask("b-1", "배송은 언제 오나요", 2)
		tickets := h.env.Tickets()
		if len(tickets) != 2 {
			t.Fatalf("%d tickets", len(tickets))
		}
		if _, err := h.env.Inbox.UpdateTicket(ctx, tickets[0].ID, 0, inbox.TicketPatch{AssigneeID: &agent.ID}); err != nil {
			t.Fatal(err)
		}
		if f := a.nextQueue(0); f.Conversation != ackA.Conversation {
			t.Fatalf("no-longer-waiting frame for %s, want %s", f.Conversation, ackA.Conversation)
		}
		b.nextQueue(1)
		again := h.session(SessionRequest{VisitorToken: second.VisitorToken})
		if len(again.Conversations) != 1 || again.Conversations[0].QueuePosition != 1 {
			t.Fatalf("session conversations %+v", again.Conversations)
		}
		gone := h.session(SessionRequest{VisitorToken: first.VisitorToken})
		if len(gone.Conversations) != 1 || gone.Conversations[0].QueuePosition != 0 {
			t.Fatalf("assigned conversation shows place %d", gone.Conversations[0].QueuePosition)
		}
	})
}
