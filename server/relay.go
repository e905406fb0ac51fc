package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// relayChannel is the PostgreSQL NOTIFY channel that carries bus events
// between Hanbox instances sharing one database.
const relayChannel = "hanbox_events"

type relayMsg struct {
	Instance string      `json:"i"`
	Event    inbox.Event `json:"e"`
}

// runRelay fans events out across instances on PostgreSQL: every local
// event is sent with NOTIFY, and every notification from another instance is
// published on the local bus, so an agent connected to instance B sees a
// message ingested by instance A. It reconnects with backoff until ctx ends.
// NOTIFY is transactional and best-effort: a missed event only delays a live
// view, which re-fetches on reconnect; stored data is never at risk.
func runRelay(ctx context.Context, st *store.Store, bus *inbox.Bus, log *slog.Logger) {
	instance := inbox.NewPublicID()
	go func() {
		events := bus.Subscribe(ctx, 1024, func(e inbox.Event) bool { return !e.Remote })
		for e := range events {
			b, err := json.Marshal(relayMsg{Instance: instance, Event: e})
			if err != nil || len(b) > 7900 { // NOTIFY payloads stop at 8000 bytes
				continue
			}
			if err := st.DB.WithContext(ctx).Exec("SELECT pg_notify(?, ?)", relayChannel, string(b)).Error; err != nil && ctx.Err() == nil {
				log.Warn("relay: notify", "err", err)
			}
		}
	}()
	backoff := time.Second
	for ctx.Err() == nil {
		err := listen(ctx, st.DSN, instance, bus)
		if ctx.Err() != nil {
			return
		}
		log.Warn("relay: listen failed; retrying", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Minute)
	}
}

func listen(ctx context.Context, dsn, instance string, bus *inbox.Bus) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+relayChannel); err != nil {
		return err
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var m relayMsg
		if json.Unmarshal([]byte(n.Payload), &m) != nil || m.Instance == instance {
			continue
		}
		m.Event.Remote = true
		bus.Publish(m.Event)
	}
}
