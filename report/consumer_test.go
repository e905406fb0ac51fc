package report_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/report"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestStatusConsumer resolves a ticket through the inbox and lets the
// customer reopen it by writing again: the durable consumer records both
// changes once, even when an event is handled twice, and the volume report
// counts them.
func TestStatusConsumer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		svc := inbox.New(st, inbox.Options{})
		ch := store.Channel{Kind: "api", Name: "api", PublicKey: inbox.NewPublicID(), Enabled: true}
		if err := st.DB.Create(&ch).Error; err != nil {
			t.Fatal(err)
		}
		c := report.StatusConsumer(st)
		for _, c := range []inbox.Consumer{c, report.MessageConsumer(st)} {
			if err := svc.AddConsumer(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = svc.RunConsumers(ctx, inbox.ConsumeOptions{Instance: "t", Poll: 10 * time.Millisecond})
		}()
		in := func(ext string) int64 {
			r, err := svc.Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: ext, ThreadKeys: []string{"th"}, OwnKeys: []string{"th"},
				Contact: inbox.ContactRef{Kind: inbox.IdentityAPI, ID: "c1", Verified: true, Name: "김민지"}, Text: "배송이 늦어요"})
			if err != nil {
				t.Fatal(err)
			}
			return r.TicketID
		}
		id := in("m1")
		resolved := store.StatusResolved
		if _, err := svc.UpdateTicket(ctx, id, 0, inbox.TicketPatch{Status: &resolved}); err != nil {
			t.Fatal(err)
		}
		in("m2")
		var rows []store.StatusChange
		var dirty int64
		deadline := time.Now().Add(60 * time.Second)
		for len(rows) < 2 || dirty == 0 {
			st.DB.Table("report_dirty_hours").Count(&dirty)
			if time.Now().After(deadline) {
				t.Fatalf("status changes recorded: %+v", rows)
			}
			if err := st.DB.Order("id").Find(&rows).Error; err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond) // poll interval of the bounded wait above, not a synchronisation
		}
		cancel()
		<-done
		if rows[0].NewStatus != store.StatusResolved || rows[1].OldStatus != store.StatusResolved || store.Done(rows[1].NewStatus) {
			t.Fatalf("changes: %+v", rows)
		}
		// At least once: the same event again changes nothing.
		e, err := svc.StoredEvent(context.Background(), *rows[0].EventID)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Handle(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		var n int64
		st.DB.Model(&store.StatusChange{}).Count(&n)
		if n != 2 {
			t.Fatalf("%d rows after a replay, want 2", n)
		}
		today := time.Now().In(seoul)
		res, err := report.New(st).Run(context.Background(), report.Query{Report: report.Volume, From: today.AddDate(0, 0, -1), To: today})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Groups[0].Total; got[0].N != 1 || got[1].N != 1 || got[2].N != 1 {
			t.Fatalf("created/resolved/reopened today: %v", got)
		}
		// The messages report recounts the hours the consumer marked: two
		// customer messages, from the hourly rollup and from messages alike.
		for _, by := range []string{report.ByNone, report.ByChannel, report.ByPriority} {
			res, err = report.New(st).Run(context.Background(), report.Query{Report: report.Messages, By: by, From: today.AddDate(0, 0, -1), To: today})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Groups[0].Total; got[0].N != 2 || got[1].N != 0 {
				t.Fatalf("messages by %q: %v", by, got)
			}
		}
		st.DB.Table("report_dirty_hours").Count(&dirty)
		if dirty != 0 {
			t.Fatalf("%d hours still marked after a report", dirty)
		}
	})
}

// TestFactsKeptByConsumer: after tickets are created, answered, assigned,
// reprioritised, filed to a team, resolved and reopened through the inbox,
// the facts and per-ticket message hours the durable consumer kept equal
// those rebuilt from the tables.
func TestFactsKeptByConsumer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		// Built (and recorded as built) on the empty store: from here on
		// only the consumer writes facts.
		if err := report.New(st).RebuildFacts(ctx); err != nil {
			t.Fatal(err)
		}
		svc := inbox.New(st, inbox.Options{})
		ch := store.Channel{Kind: "api", Name: "api", PublicKey: inbox.NewPublicID(), Enabled: true}
		agent := store.Agent{Email: "a@x", Name: "김상담", Role: store.RoleAgent, Active: true}
		team := store.Team{NameKo: "결제", NameEn: "Billing"}
		for _, v := range []any{&ch, &agent, &team} {
			if err := st.DB.Create(v).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := svc.AddConsumer(ctx, report.StatusConsumer(st)); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = svc.RunConsumers(ctx, inbox.ConsumeOptions{Instance: "t", Poll: 10 * time.Millisecond})
		}()
		in := func(thread, ext string) int64 {
			r, err := svc.Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: ext, ThreadKeys: []string{thread}, OwnKeys: []string{thread},
				Contact: inbox.ContactRef{Kind: inbox.IdentityAPI, ID: "c-" + thread, Verified: true, Name: "김민지"}, Text: "배송이 늦어요"})
			if err != nil {
				t.Fatal(err)
			}
			return r.TicketID
		}
		a, b := in("a", "m1"), in("b", "m2")
		if _, err := svc.Reply(ctx, inbox.ReplyInput{TicketID: a, AgentID: agent.ID, Text: "확인하겠습니다"}); err != nil {
			t.Fatal(err)
		}
		high, resolved := store.PriorityHigh, store.StatusResolved
		for _, p := range []struct {
			id    int64
			patch inbox.TicketPatch
		}{
			{a, inbox.TicketPatch{AssigneeID: &agent.ID}},
			{b, inbox.TicketPatch{Priority: &high, TeamID: &team.ID}},
			{a, inbox.TicketPatch{Status: &resolved}},
			{b, inbox.TicketPatch{Status: &resolved}},
		} {
			if _, err := svc.UpdateTicket(ctx, p.id, agent.ID, p.patch); err != nil {
				t.Fatal(err)
			}
		}
		in("b", "m3") // reopens b
		var last int64
		if err := st.DB.Model(&store.Event{}).Select("COALESCE(MAX(id), 0)").Scan(&last).Error; err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			var c store.EventConsumer
			if err := st.DB.Where("name = ?", report.StatusConsumerName).Take(&c).Error; err != nil {
				t.Fatal(err)
			}
			if c.CursorID >= last {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("consumer at %d of %d", c.CursorID, last)
			}
			time.Sleep(10 * time.Millisecond) // poll interval of the bounded wait above, not a synchronisation
		}
		cancel()
		<-done
		type row = map[string]any
		facts := func() (tickets, changes []row) {
			t.Helper()
			var hours []row
			if err := st.DB.Table("report_ticket_message_hours").Order("ticket_id, hour").Find(&hours).Error; err != nil {
				t.Fatal(err)
			}
			changes = append(changes, hours...)
			if err := st.DB.Table("report_tickets").Order("ticket_id").Find(&tickets).Error; err != nil {
				t.Fatal(err)
			}
			if err := st.DB.Table("report_status_facts").Order("change_id").Find(&changes).Error; err != nil {
				t.Fatal(err)
			}
			return tickets, changes
		}
		kt, kall := facts()
		var kc []row
		if err := st.DB.Table("report_status_facts").Order("change_id").Find(&kc).Error; err != nil {
			t.Fatal(err)
		}
		if len(kt) != 2 || len(kc) != 3 {
			t.Fatalf("kept facts: %d tickets, %d changes; want 2 and 3: %v %v", len(kt), len(kc), kt, kc)
		}
		if kt[0]["first_response_s"] == nil || kt[1]["priority"] != store.PriorityHigh || kc[2]["kind"] != "reopen" || kc[2]["team_id"] == nil {
			t.Fatalf("kept facts: %v %v", kt, kc)
		}
		if err := report.New(st).RebuildFacts(context.Background()); err != nil {
			t.Fatal(err)
		}
		rt, rall := facts()
		if fmt.Sprint(kt) != fmt.Sprint(rt) || fmt.Sprint(kall) != fmt.Sprint(rall) {
			t.Fatalf("kept facts\n%v\n%v\ndiffer from rebuilt\n%v\n%v", kt, kall, rt, rall)
		}
	})
}
