package inbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestBotHoldsAssignment: a new chat on a channel whose flow bot is on is
// held back from auto-assignment from the moment it arrives (before the
// bot has spoken) and while the bot talks, though a ticket of the same
// team on another channel is assigned meanwhile; at the handoff the bot
// records bot.released and the routing consumer assigns it then (to the
// team the department button chose). Turning the flow off releases the
// tickets it held. The bot's messages are no first response: only the
// agent's reply sets first_response_at. Both stores.
func TestBotHoldsAssignment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		loc, _ := time.LoadLocation("Asia/Seoul")
		e := newBotEnv(t, st, time.Date(2026, 12, 3, 10, 0, 0, 0, loc))
		ctx, svc := e.ctx, e.svc
		agent := store.Agent{Email: "kim@example.com", Name: "김상담", Role: store.RoleAgent, Active: true}
		if err := st.DB.Create(&agent).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetAvailability(ctx, agent.ID, inbox.AvailabilityOnline); err != nil {
			t.Fatal(err)
		}
		other := store.Channel{Kind: "api", Name: "shop", PublicKey: inbox.NewPublicID(), Enabled: true}
		if err := st.DB.Create(&other).Error; err != nil {
			t.Fatal(err)
		}
		on := true
		members := []int64{agent.ID}
		ko, en := "지원팀", "Support"
		support, err := svc.CreateTeam(ctx, 0, inbox.TeamInput{NameKo: &ko, NameEn: &en, AutoAssign: &on, ChannelIDs: &[]int64{e.ch.ID, other.ID}, MemberIDs: &members})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.UpdateTeam(ctx, 0, e.billing.ID, inbox.TeamInput{AutoAssign: &on, MemberIDs: &members}); err != nil {
			t.Fatal(err)
		}
		route, ticket, released := botHoldHelpers(t, ctx, st, svc)

		// Arrival: held before the bot has said a word.
		in := &inbox.Inbound{ChannelID: e.ch.ID, ExternalID: "hold-1", ThreadKeys: []string{"conv-hold"}, OwnKeys: []string{"conv-hold"},
			Contact: inbox.ContactRef{Kind: inbox.IdentityWidget, ID: "widget:" + e.ch.PublicKey + "/hold"}, Text: "문의가 있어요", Meta: map[string]any{"locale": "ko"}}
		r, err := svc.Ingest(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if tk := ticket(r.TicketID); derefTeam(tk.TeamID) != support.ID {
			t.Fatalf("team %v, want the support team", tk.TeamID)
		}
		route(inbox.Event{Type: inbox.EventTicketCreated, TicketID: r.TicketID})
		if tk := ticket(r.TicketID); tk.AssigneeID != nil {
			t.Fatal("assigned before the bot spoke")
		}
		// The same team's ticket from another channel is assigned meanwhile.
		r2, err := svc.Ingest(ctx, &inbox.Inbound{ChannelID: other.ID, ExternalID: "api-1", Contact: inbox.ContactRef{Kind: "api", ID: "c-api"}, Text: "배송 문의"})
		if err != nil {
			t.Fatal(err)
		}
		route(inbox.Event{Type: inbox.EventTicketCreated, TicketID: r2.TicketID})
		if tk := ticket(r2.TicketID); tk.AssigneeID == nil || *tk.AssigneeID != agent.ID {
			t.Fatalf("the other channel's ticket: assignee %v", tk.AssigneeID)
		}
		// The bot talks: still held, through every turn.
		for _, text := range []string{"", "김철수", "건너뛰기"} {
			if text == "" {
				if err := svc.RunBot(ctx, r.MessageID); err != nil {
					t.Fatal(err)
				}
			} else {
				e.say("conv-hold", text, "ko")
			}
			route(inbox.Event{Type: inbox.EventTicketUpdated, TicketID: r.TicketID})
			if tk := ticket(r.TicketID); tk.AssigneeID != nil || released(r.TicketID) != 0 {
				t.Fatalf("after %q: assignee %v, released %d", text, tk.AssigneeID, released(r.TicketID))
			}
		}
		// The department button ends the flow: handoff, released, assigned.
		e.say("conv-hold", "결제", "ko")
		tk := ticket(r.TicketID)
		if derefTeam(tk.TeamID) != e.billing.ID || released(r.TicketID) != 1 {
			t.Fatalf("after the handoff: team %v, released %d", tk.TeamID, released(r.TicketID))
		}
		route(inbox.Event{Type: inbox.EventBotReleased, TicketID: r.TicketID})
		if tk := ticket(r.TicketID); tk.AssigneeID == nil || *tk.AssigneeID != agent.ID {
			t.Fatalf("after the release: assignee %v", tk.AssigneeID)
		}
		// The bot spoke four times; none of it is a first response.
		if tk := ticket(r.TicketID); tk.FirstResponseAt != nil {
			t.Fatalf("first response set by the bot at %v", tk.FirstResponseAt)
		}
		if _, err := svc.Reply(ctx, inbox.ReplyInput{TicketID: r.TicketID, AgentID: agent.ID, Text: "안녕하세요, 김상담입니다."}); err != nil {
			t.Fatal(err)
		}
		if tk := ticket(r.TicketID); tk.FirstResponseAt == nil {
			t.Fatal("the agent's reply set no first response")
		}

		// A held ticket is let go when the flow is turned off.
		in.ExternalID, in.ThreadKeys, in.OwnKeys, in.Contact.ID = "hold-2", []string{"conv-2"}, []string{"conv-2"}, "widget:"+e.ch.PublicKey+"/two"
		r3, err := svc.Ingest(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		route(inbox.Event{Type: inbox.EventTicketCreated, TicketID: r3.TicketID})
		if tk := ticket(r3.TicketID); tk.AssigneeID != nil {
			t.Fatal("held ticket assigned")
		}
		flows, err := svc.BotFlows(ctx)
		if err != nil || len(flows) != 1 {
			t.Fatal(err)
		}
		f := flows[0]
		if _, err := svc.SaveBotFlow(ctx, f.ID, inbox.BotFlowInput{ChannelID: f.ChannelID, Enabled: false, Steps: f.Steps}); err != nil {
			t.Fatal(err)
		}
		var rel store.Event
		if err := st.DB.Where("type = ? AND ticket_id = 0", inbox.EventBotReleased).Order("id DESC").Take(&rel).Error; err != nil {
			t.Fatalf("no release event for the channel: %v", err)
		}
		route(inbox.Event{Type: inbox.EventBotReleased, ChannelID: e.ch.ID})
		if tk := ticket(r3.TicketID); tk.AssigneeID == nil {
			t.Fatal("not assigned once the flow was turned off")
		}
	})
}

func derefTeam(id *int64) int64 {
	if id == nil {
		return 0
	}
	return *id
}

// botHoldHelpers returns what the bot-hold tests use: route hands an event
// to the routing consumer, ticket reads a ticket, released counts a
// ticket's bot.released events.
func botHoldHelpers(t *testing.T, ctx context.Context, st *store.Store, svc *inbox.Service) (route func(inbox.Event), ticket func(int64) store.Ticket, released func(int64) int64) {
	routing := svc.Routing()
	route = func(ev inbox.Event) {
		t.Helper()
		if err := routing.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	ticket = func(id int64) store.Ticket {
		t.Helper()
		var tk store.Ticket
		if err := st.DB.Take(&tk, id).Error; err != nil {
			t.Fatal(err)
		}
		return tk
	}
	released = func(id int64) int64 {
		var n int64
		st.DB.Model(&store.Event{}).Where("type = ? AND ticket_id = ?", inbox.EventBotReleased, id).Count(&n)
		return n
	}
	return route, ticket, released
}
