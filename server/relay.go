package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// relayChannel is the PostgreSQL NOTIFY channel that carries bus events
// between Hanbox instances sharing one database (and schema: another schema
// gets its own channel, see relayChannelFor).
const relayChannel = "hanbox_events"

// maxInline is the largest notification sent as is: PostgreSQL refuses
// payloads of 8000 bytes or more.
const maxInline = 7900

// relayMsg is one notification. An event that fits is carried inline;
// otherwise the notification names where to read it: a durable event's row
// in the events table (Ref), or a row of relay_bodies (Body) for an
// ephemeral one (a widget frame carrying a long reply).
type relayMsg struct {
	Instance string       `json:"i"`
	Event    *inbox.Event `json:"e,omitempty"`
	Ref      int64        `json:"r,omitempty"`
	Body     int64        `json:"b,omitempty"`
}

// relay fans events out across instances on PostgreSQL: every local event
// is sent with NOTIFY, and every notification from another instance is
// published on the local bus, so an agent connected to instance B sees a
// message ingested by instance A. Events of any size are carried; anything
// that cannot be is counted (hanbox_relay_dropped_total) and logged. A
// live view that missed an event re-fetches on reconnect; reactions that
// must happen do not depend on the relay (see inbox.Consumer).
type relay struct {
	st       *store.Store
	svc      *inbox.Service
	log      *slog.Logger
	instance string
	channel  string
	dropped  *prometheus.CounterVec

	// listen holds one LISTEN session until it fails; connected is called
	// once it listens. Tests replace it and sleep.
	listen func(ctx context.Context, connected func()) error
	sleep  func(ctx context.Context, d time.Duration) bool
}

func newRelay(st *store.Store, svc *inbox.Service, log *slog.Logger, dropped *prometheus.CounterVec) *relay {
	r := &relay{st: st, svc: svc, log: log, instance: inbox.NewPublicID(), channel: relayChannel, dropped: dropped, sleep: connectors.Sleep}
	r.listen = r.pgListen
	return r
}

// relayChannelFor names the NOTIFY channel of a schema: notifications are
// per database, so two Hanbox installations in two schemas of one database
// must not hear each other.
func relayChannelFor(schema string) string {
	return store.NotifyChannel(relayChannel, schema)
}

// run relays until ctx ends.
func (r *relay) run(ctx context.Context) error {
	var schema string
	if err := r.st.DB.WithContext(ctx).Raw("SELECT current_schema()").Row().Scan(&schema); err != nil && ctx.Err() == nil {
		r.log.Warn("relay: current schema; using the default channel", "err", err)
	}
	r.channel = relayChannelFor(schema)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.send(ctx)
	}()
	r.listenLoop(ctx)
	<-done
	return nil
}

func (r *relay) drop(reason string, e inbox.Event, err error) {
	if r.dropped != nil {
		r.dropped.WithLabelValues(reason).Inc()
	}
	r.log.Warn("relay: event not carried to other instances", "reason", reason, "type", e.Type, "event_id", e.ID,
		"ticket_id", e.TicketID, "err", err)
}

// send notifies every local event, several per statement when they queue up.
func (r *relay) send(ctx context.Context) {
	events := r.svc.Bus().SubscribeCounted(ctx, 4096, func(e inbox.Event) bool { return !e.Remote && e.Type != "" },
		func(e inbox.Event) { r.drop("backlog", e, errors.New("the relay fell behind")) })
	for e := range events {
		batch := []inbox.Event{e}
	more:
		for len(batch) < 64 {
			select {
			case e, ok := <-events:
				if !ok {
					break more
				}
				batch = append(batch, e)
			default:
				break more
			}
		}
		r.notify(ctx, batch)
	}
}

func (r *relay) notify(ctx context.Context, batch []inbox.Event) {
	db := r.st.DB.WithContext(ctx)
	var sql strings.Builder
	args := []any{}
	var sent []inbox.Event
	for _, e := range batch {
		payload, err := r.encode(ctx, e)
		if err != nil {
			if ctx.Err() == nil {
				r.drop("encode", e, err)
			}
			continue
		}
		if len(sent) == 0 {
			sql.WriteString("SELECT ")
		} else {
			sql.WriteString(", ")
		}
		sql.WriteString("pg_notify(?, ?)")
		args = append(args, r.channel, payload)
		sent = append(sent, e)
	}
	if len(sent) == 0 {
		return
	}
	if err := db.Exec(sql.String(), args...).Error; err != nil && ctx.Err() == nil {
		for _, e := range sent {
			r.drop("notify", e, err)
		}
	}
}

// encode makes the notification payload of e: inline when it fits, else a
// reference to a stored copy.
func (r *relay) encode(ctx context.Context, e inbox.Event) (string, error) {
	b, err := json.Marshal(relayMsg{Instance: r.instance, Event: &e})
	if err != nil {
		return "", err
	}
	if len(b) <= maxInline {
		return string(b), nil
	}
	m := relayMsg{Instance: r.instance, Ref: e.ID}
	if e.ID == 0 {
		body, err := json.Marshal(e)
		if err != nil {
			return "", err
		}
		row := store.RelayBody{Body: string(body), CreatedAt: time.Now().UTC()}
		if err := r.st.DB.WithContext(ctx).Create(&row).Error; err != nil {
			return "", fmt.Errorf("store relay body: %w", err)
		}
		m = relayMsg{Instance: r.instance, Body: row.ID}
	}
	b, err = json.Marshal(m)
	return string(b), err
}

// decode turns a notification into the event it carries.
func (r *relay) decode(ctx context.Context, m relayMsg) (inbox.Event, error) {
	switch {
	case m.Event != nil:
		return *m.Event, nil
	case m.Ref > 0:
		return r.svc.StoredEvent(ctx, m.Ref)
	case m.Body > 0:
		var row store.RelayBody
		if err := r.st.DB.WithContext(ctx).Take(&row, m.Body).Error; err != nil {
			return inbox.Event{}, fmt.Errorf("read relay body %d: %w", m.Body, err)
		}
		var e inbox.Event
		err := json.Unmarshal([]byte(row.Body), &e)
		return e, err
	}
	return inbox.Event{}, errors.New("empty notification")
}

// listenLoop keeps a LISTEN session, reconnecting with backoff (1 s doubling
// to a minute) that starts again from 1 s once a session is established.
func (r *relay) listenLoop(ctx context.Context) {
	backoff := time.Second
	for ctx.Err() == nil {
		err := r.listen(ctx, func() { backoff = time.Second })
		if ctx.Err() != nil {
			return
		}
		r.log.Warn("relay: listen failed; retrying", "err", err, "in", backoff)
		if !r.sleep(ctx, backoff) {
			return
		}
		backoff = min(backoff*2, time.Minute)
	}
}

func (r *relay) pgListen(ctx context.Context, connected func()) error {
	conn, err := pgx.Connect(ctx, r.st.DSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{r.channel}.Sanitize()); err != nil {
		return err
	}
	outbox := r.st.OutboxChannel()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{outbox}.Sanitize()); err != nil {
		return err
	}
	connected()
	// Outbox rows may have been committed elsewhere while no session listened.
	r.svc.Wake()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Channel == outbox {
			// An instance (maybe this one) committed outbox rows.
			r.svc.Wake()
			continue
		}
		var m relayMsg
		if err := json.Unmarshal([]byte(n.Payload), &m); err != nil {
			r.drop("decode", inbox.Event{}, err)
			continue
		}
		if m.Instance == r.instance {
			continue
		}
		e, err := r.decode(ctx, m)
		if err != nil {
			if ctx.Err() == nil {
				r.drop("read", inbox.Event{ID: m.Ref}, err)
			}
			continue
		}
		e.Remote = true
		r.svc.Bus().Publish(e)
	}
}
