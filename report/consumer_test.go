package report_test

import (
	"context"
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
