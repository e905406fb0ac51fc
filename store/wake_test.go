package store_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestOutboxWake checks the dispatcher's wake-up: a transaction that queues
// outbox rows calls the OnOutbox functions once, after it has committed (the
// row is visible to another connection by then); a transaction without
// outbox rows or one rolled back calls nothing. On PostgreSQL the same commit
// sends one NOTIFY on OutboxChannel, and a rolled-back one none.
func TestOutboxWake(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ch := store.Channel{Kind: "api", Name: "wake", PublicKey: "wake", Enabled: true}
		c := store.Contact{Name: "c"}
		if err := st.DB.Create(&ch).Error; err != nil {
			t.Fatal(err)
		}
		if err := st.DB.Create(&c).Error; err != nil {
			t.Fatal(err)
		}
		tk := store.Ticket{PublicID: "w1", ReplyToken: "w1", Status: "open", Priority: "normal", ContactID: c.ID, ChannelID: ch.ID, LastChannelID: ch.ID}
		if err := st.DB.Create(&tk).Error; err != nil {
			t.Fatal(err)
		}
		var listen *pgx.Conn
		if st.Dialect == store.Postgres {
			var err error
			if listen, err = pgx.Connect(ctx, st.DSN); err != nil {
				t.Fatal(err)
			}
			defer listen.Close(ctx)
			if _, err := listen.Exec(ctx, "LISTEN "+pgx.Identifier{st.OutboxChannel()}.Sanitize()); err != nil {
				t.Fatal(err)
			}
		}
		var calls atomic.Int32
		var visible atomic.Bool
		st.OnOutbox(func() {
			calls.Add(1)
			var n int64
			// Another connection (not the writing transaction) sees the rows.
			st.DB.Model(&store.Outbox{}).Count(&n)
			visible.Store(n > 0)
		})
		row := func() *store.Outbox {
			return &store.Outbox{ChannelID: ch.ID, TicketID: tk.ID, Purpose: store.PurposeReply, Payload: store.JSONMap{},
				Status: store.OutboxPending, NextAttemptAt: time.Now().UTC()}
		}
		// No outbox rows, then a rollback: no call.
		if err := st.Tx(ctx, func(tx *gorm.DB) error {
			return tx.Model(&store.Ticket{}).Where("id = ?", tk.ID).Update("subject", "x").Error
		}); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		if err := st.Tx(ctx, func(tx *gorm.DB) error {
			if err := tx.Create(row()).Error; err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if n := calls.Load(); n != 0 {
			t.Fatalf("%d wake-ups without a committed outbox row", n)
		}
		// Two rows in one transaction: one wake-up, after the commit.
		if err := st.Tx(ctx, func(tx *gorm.DB) error {
			if err := tx.Create(row()).Error; err != nil {
				return err
			}
			if calls.Load() != 0 {
				t.Error("woken before the commit")
			}
			return tx.Create(row()).Error
		}); err != nil {
			t.Fatal(err)
		}
		if n := calls.Load(); n != 1 || !visible.Load() {
			t.Fatalf("wake-ups %d (visible %v), want 1 after the commit", n, visible.Load())
		}
		// Outside Tx, gorm's own transaction: woken after it.
		if err := st.DB.Create(row()).Error; err != nil {
			t.Fatal(err)
		}
		if n := calls.Load(); n != 2 {
			t.Fatalf("wake-ups %d after a plain create, want 2", n)
		}
		if listen == nil {
			return
		}
		// The rolled-back transaction sent nothing; the two commits one each.
		for i := 0; i < 2; i++ {
			wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			n, err := listen.WaitForNotification(wctx)
			cancel()
			if err != nil {
				t.Fatalf("notification %d: %v", i+1, err)
			}
			if n.Channel != st.OutboxChannel() {
				t.Fatalf("notification on %q", n.Channel)
			}
		}
		// Nothing more is pending: a marker NOTIFY sent now is the next one.
		if err := st.DB.Exec("SELECT pg_notify(?, 'marker')", st.OutboxChannel()).Error; err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		n, err := listen.WaitForNotification(wctx)
		if err != nil || n.Payload != "marker" {
			t.Fatalf("extra notification %+v, %v", n, err)
		}
	})
}
