package assist_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestHandoffRoutes: on a channel without a flow bot, a generative-answers
// handoff files the ticket to the channel's handoff team, as a flow's
// department button does (a ticket.updated with the team change, so
// routing assigns it), and leaves a note with what the bot had: why it
// stopped, what the customer asked, the articles it found. Both ways of
// handing off route: "talk to a human" and the model saying it does not
// know. A ticket that has a team keeps it; a channel without the setting
// routes nothing; a team that is gone is refused when saving. Both stores.
func TestHandoffRoutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFake(t, answer("", false))
		e := setup(t, st, f, 5*time.Second)
		ko, en := "상담팀", "Care"
		care, err := e.in.CreateTeam(ctx, 0, inbox.TeamInput{NameKo: &ko, NameEn: &en})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.as.SaveChannelSetting(ctx, e.channel.ID, 999999); !errors.Is(err, inbox.ErrInvalid) {
			t.Fatalf("a missing team: %v, want invalid", err)
		}
		if _, err := e.as.SaveChannelSetting(ctx, 999999, care.ID); !errors.Is(err, inbox.ErrNotFound) {
			t.Fatalf("a missing channel: %v, want not found", err)
		}
		cs, err := e.as.SaveChannelSetting(ctx, e.channel.ID, care.ID)
		if err != nil || cs.HandoffTeamID != care.ID || !cs.AIAnswers {
			t.Fatalf("saved %+v, %v", cs, err)
		}
		all, err := e.as.ChannelSettings(ctx)
		if err != nil || len(all) != 1 || all[0].HandoffTeamID != care.ID {
			t.Fatalf("settings %+v, %v", all, err)
		}
		c := e.as.AnswerConsumer()
		handle := func(r *inbox.IngestResult) {
			t.Helper()
			for range 2 {
				if err := c.Handle(ctx, inbox.Event{Type: inbox.EventMessageCreated, TicketID: r.TicketID, MessageID: r.MessageID,
					Message: &inbox.MessageChanges{Direction: store.DirInbound}}); err != nil {
					t.Fatal(err)
				}
			}
		}
		team := func(id int64) int64 {
			t.Helper()
			var tk store.Ticket
			if err := st.DB.Take(&tk, id).Error; err != nil {
				t.Fatal(err)
			}
			if tk.TeamID == nil {
				return 0
			}
			return *tk.TeamID
		}
		teamEvents := func(id int64) int {
			t.Helper()
			var evs []store.Event
			if err := st.DB.Where("ticket_id = ? AND type = ?", id, inbox.EventTicketUpdated).Find(&evs).Error; err != nil {
				t.Fatal(err)
			}
			return len(evs)
		}

		// The model does not know: handed off to the care team with a note.
		r := e.say(t, e.channel, "a", "환불은 언제 되나요?")
		handle(r)
		if got := team(r.TicketID); got != care.ID {
			t.Fatalf("team %d after the handoff, want %d", got, care.ID)
		}
		if n := teamEvents(r.TicketID); n != 1 {
			t.Fatalf("%d ticket.updated events, want one team change", n)
		}
		_, notes := e.bots(t, r.TicketID)
		if len(notes) != 1 {
			t.Fatalf("notes %+v", notes)
		}
		for _, want := range []string{"unknown (model)", "환불은 언제 되나요?", "환불 절차", "answers given): 0"} {
			if !strings.Contains(notes[0].Text, want) {
				t.Fatalf("note %q lacks %q", notes[0].Text, want)
			}
		}

		// "Talk to a human": routed the same way.
		r2 := e.say(t, e.channel, "b", "talk to a human please")
		handle(r2)
		if got := team(r2.TicketID); got != care.ID {
			t.Fatalf("team %d after asking for a person, want %d", got, care.ID)
		}
		if _, notes := e.bots(t, r2.TicketID); len(notes) != 1 || !strings.Contains(notes[0].Text, "handoff (asked)") ||
			!strings.Contains(notes[0].Text, "talk to a human please") {
			t.Fatalf("notes %+v", notes)
		}

		// A ticket with a team keeps it.
		ko2, en2 := "결제팀", "Billing"
		billing, err := e.in.CreateTeam(ctx, 0, inbox.TeamInput{NameKo: &ko2, NameEn: &en2})
		if err != nil {
			t.Fatal(err)
		}
		r3 := e.say(t, e.channel, "c", "배송 문의")
		bid := billing.ID
		if _, err := e.in.UpdateTicket(ctx, r3.TicketID, 0, inbox.TicketPatch{TeamID: &bid}); err != nil {
			t.Fatal(err)
		}
		handle(e.say(t, e.channel, "c", "사람과 상담"))
		if got := team(r3.TicketID); got != billing.ID {
			t.Fatalf("team %d, want the ticket's own team %d", got, billing.ID)
		}

		// No handoff team: the ticket stays unfiled.
		if _, err := e.as.SaveChannelSetting(ctx, e.channel.ID, 0); err != nil {
			t.Fatal(err)
		}
		r4 := e.say(t, e.channel, "d", "사람과 상담")
		handle(r4)
		if got := team(r4.TicketID); got != 0 {
			t.Fatalf("team %d without a handoff team", got)
		}
		if _, notes := e.bots(t, r4.TicketID); len(notes) != 1 {
			t.Fatalf("notes %+v", notes)
		}
	})
}
