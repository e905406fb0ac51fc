package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// Sender delivers replies on one channel (a connectors.Connector).
type Sender interface {
	Send(ctx context.Context, out *Outbound) (ExternalRef, error)
}

// NotifySender delivers notifications on one channel (a connectors.Notifier).
type NotifySender interface {
	Notify(ctx context.Context, n *Notification) (ExternalRef, error)
}

// Senders finds the running connector of a channel. A connector that also
// implements NotifySender receives the channel's notifications.
type Senders interface {
	Sender(channelID int64) (Sender, bool)
}

// DispatchOptions tune the dispatcher.
type DispatchOptions struct {
	// MaxAttempts before a reply is marked failed (default 10).
	MaxAttempts int
	// NotifyRetryFor is how long a notification (a Slack card) is retried
	// before it is marked failed (default 24h): a chat service's outage of
	// hours loses nothing. Card updates for the same ticket and channel
	// collapse, so a backlog sends only the newest.
	NotifyRetryFor time.Duration
	// BaseBackoff is the first retry delay, doubled per attempt (default 2s),
	// capped at MaxBackoff (default 10m).
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// Poll is how often due rows are looked for without a wake-up (default 1s).
	Poll time.Duration
	// Lease is how long a claimed row is held by one dispatcher (default 2m).
	Lease time.Duration
	// Workers is how many deliveries run at once (default 8).
	Workers int
	// SendTimeout bounds one Send (default 60s).
	SendTimeout time.Duration
	// Drain is how long sends in flight may finish after ctx ends (default
	// 10s); a send cut off then is released for the next start.
	Drain time.Duration
	// HTTPClient posts rule webhooks (default: a client with SendTimeout).
	HTTPClient *http.Client
}

func (o *DispatchOptions) defaults() {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.NotifyRetryFor <= 0 {
		o.NotifyRetryFor = 24 * time.Hour
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 2 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 60 * time.Second
	}
	if o.Drain <= 0 {
		o.Drain = 10 * time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: o.SendTimeout}
	}
}

// Wake tells the dispatcher that outbox rows may be due. Commits that queue
// rows call it themselves (store.OnOutbox); call it after making an existing
// row due again.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// queueNotifications writes one outbox row per notifying channel for ev,
// inside the transaction that made the change.
func (s *Service) queueNotifications(tx *gorm.DB, ticketID int64, ev Event) error {
	ids := *s.notifiers.Load()
	if len(ids) == 0 {
		return nil
	}
	ts := now()
	for _, id := range ids {
		payload := store.JSONMap{"type": ev.Type, "message_id": ev.MessageID, "agent_id": ev.AgentID, "event": ev}
		row := store.Outbox{ChannelID: id, TicketID: ticketID, Purpose: store.PurposeNotify,
			Payload: payload, Status: store.OutboxPending, NextAttemptAt: ts}
		if ev.Type == EventTicketUpdated {
			// A card update renders the ticket as it is when sent, so a
			// newer one makes an older one redundant.
			row.CollapseKey = collapseCard
		}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("queue notification: %w", err)
		}
	}
	return nil
}

// collapseCard is the collapse key of notification rows that re-render a
// ticket's card.
const collapseCard = "card"

// RunDispatcher delivers due outbox rows until ctx ends. Several dispatchers
// (in several processes) may run against one database: rows are claimed with
// a lease, so each delivery has one owner at a time, and a crashed owner's
// rows are taken over when the lease runs out. When ctx ends it claims no
// more rows, lets sends in flight finish (DispatchOptions.Drain), releases
// the rows of sends cut off, and returns once none is left.
func (s *Service) RunDispatcher(ctx context.Context, senders Senders, opts DispatchOptions) error {
	opts.defaults()
	sendCtx, stopSends := drainContext(ctx, opts.Drain)
	defer stopSends()
	sem := make(chan struct{}, opts.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(opts.Poll)
	defer tick.Stop()
	busy := map[int64]bool{} // tickets with a delivery in flight: replies on one ticket go in order
	var mu sync.Mutex
	for {
		rows, err := s.claimDue(ctx, opts, busy, &mu)
		if err != nil && ctx.Err() == nil {
			s.log.Error("outbox claim failed", "err", err)
		}
		for _, row := range rows {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				s.release(row)
				continue
			}
			wg.Add(1)
			go func(row store.Outbox) {
				defer func() {
					mu.Lock()
					delete(busy, row.TicketID)
					mu.Unlock()
					<-sem
					wg.Done()
					s.Wake()
				}()
				s.deliver(sendCtx, senders, opts, row)
			}(row)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-tick.C:
		}
	}
}

func (s *Service) claimDue(ctx context.Context, opts DispatchOptions, busy map[int64]bool, mu *sync.Mutex) ([]store.Outbox, error) {
	db := s.st.DB.WithContext(ctx)
	ts := now()
	var due []store.Outbox
	err := db.Where("status = ? AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until < ?)", store.OutboxPending, ts, ts).
		Order("id").Limit(64).Find(&due).Error
	if err != nil {
		return nil, fmt.Errorf("inbox: find due outbox: %w", err)
	}
	var claimed []store.Outbox
	mu.Lock()
	defer mu.Unlock()
	// A claim cut off by the shutdown could commit on the server after the
	// client gave up, leaving a lease nobody releases: claims run to their
	// end, and no new one starts once ctx is done.
	claimDB := s.st.DB.WithContext(context.WithoutCancel(ctx))
	for _, row := range due {
		if ctx.Err() != nil {
			break
		}
		if row.TicketID != 0 && busy[row.TicketID] {
			continue // an earlier delivery on this ticket is still running
		}
		lease := ts.Add(opts.Lease)
		res := claimDB.Model(&store.Outbox{}).
			Where("id = ? AND status = ? AND (locked_until IS NULL OR locked_until < ?)", row.ID, store.OutboxPending, ts).
			Update("locked_until", lease)
		if res.Error != nil {
			return claimed, fmt.Errorf("inbox: claim outbox %d: %w", row.ID, res.Error)
		}
		if res.RowsAffected == 1 {
			if row.TicketID != 0 { // campaign mail has no ticket and no order to keep
				busy[row.TicketID] = true
			}
			row.LockedUntil = &lease
			claimed = append(claimed, row)
		}
	}
	return claimed, nil
}

func (s *Service) backoff(opts DispatchOptions, attempts int) time.Duration {
	d := opts.BaseBackoff << min(attempts-1, 20)
	if d > opts.MaxBackoff || d <= 0 {
		d = opts.MaxBackoff
	}
	// ±20% jitter so retries of many rows do not arrive together.
	j := time.Duration(rand.Int64N(int64(d)/5 + 1))
	return d - d/10 + j
}

func (s *Service) deliver(ctx context.Context, senders Senders, opts DispatchOptions, row store.Outbox) {
	if row.CollapseKey != "" && s.supersede(ctx, row) {
		return
	}
	s.metrics.attempt()
	sendCtx, cancel := context.WithTimeout(ctx, opts.SendTimeout)
	defer cancel()
	conn, ok := senders.Sender(row.ChannelID)
	var (
		ref ExternalRef
		err error
	)
	switch {
	case row.Purpose == store.PurposeWebhook:
		ref, err = s.sendWebhook(sendCtx, opts.HTTPClient, row)
	case !ok:
		err = fmt.Errorf("channel %d is not running", row.ChannelID)
	case row.Purpose == store.PurposeCampaign:
		var out *Outbound
		out, err = s.buildCampaignOutbound(sendCtx, row)
		if err == nil {
			ref, err = conn.Send(sendCtx, out)
		}
	case row.Purpose == store.PurposeNotify:
		n, ok := conn.(NotifySender)
		if !ok {
			err = Permanent(fmt.Errorf("channel %d does not send notifications", row.ChannelID))
			break
		}
		var note *Notification
		note, err = s.buildNotification(sendCtx, row)
		if err == nil {
			ref, err = n.Notify(sendCtx, note)
		}
	default:
		var out *Outbound
		out, err = s.buildOutbound(sendCtx, row)
		if err == nil {
			ref, err = conn.Send(sendCtx, out)
		}
	}
	if ctx.Err() != nil {
		s.release(row) // cut off by shutdown: the next start sends it
		return
	}
	ctx = context.WithoutCancel(ctx) // a result is recorded even if the drain ends now
	if err == nil {
		s.finishSent(ctx, row, ref)
		return
	}
	if errors.Is(err, ErrUnreachable) && row.Purpose == store.PurposeReply {
		if s.reroute(ctx, row) {
			return
		}
		err = Permanent(fmt.Errorf("customer left and no email channel or address is known: %w", err))
	}
	s.finishFailed(ctx, opts, row, err)
}

// supersede marks row as superseded, without sending it, when a newer
// pending row of the same ticket and channel has its collapse key.
func (s *Service) supersede(ctx context.Context, row store.Outbox) bool {
	var newer []int64
	db := s.st.DB.WithContext(ctx)
	if err := db.Model(&store.Outbox{}).Where("channel_id = ? AND ticket_id = ? AND collapse_key = ? AND status = ? AND id > ?",
		row.ChannelID, row.TicketID, row.CollapseKey, store.OutboxPending, row.ID).Order("id DESC").Limit(1).Pluck("id", &newer).Error; err != nil {
		s.log.Warn("outbox: look for a newer row", "outbox_id", row.ID, "err", err)
		return false
	}
	if len(newer) == 0 {
		return false
	}
	err := db.Model(&store.Outbox{}).Where("id = ? AND status = ?", row.ID, store.OutboxPending).Updates(map[string]any{
		"status": store.OutboxSuperseded, "locked_until": nil, "last_error": fmt.Sprintf("superseded by #%d", newer[0]), "updated_at": now(),
	}).Error
	if err != nil {
		s.log.Warn("outbox: supersede", "outbox_id", row.ID, "err", err)
		return false
	}
	s.metrics.delivered(row.Purpose, "superseded")
	return true
}

// release gives a claimed row back without counting an attempt, so it is
// due again at once (for this or another instance) instead of after its lease.
func (s *Service) release(row store.Outbox) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.st.DB.WithContext(ctx).Model(&store.Outbox{}).Where("id = ? AND locked_until = ?", row.ID, row.LockedUntil).
		Update("locked_until", nil).Error
	if err != nil {
		s.log.Warn("outbox: release", "outbox_id", row.ID, "err", err)
	}
}

func (s *Service) finishSent(ctx context.Context, row store.Outbox, ref ExternalRef) {
	var ev *Event
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&store.Outbox{}).Where("id = ?", row.ID).Updates(map[string]any{
			"status": store.OutboxSent, "attempts": row.Attempts + 1, "locked_until": nil, "last_error": "", "updated_at": now(),
		}).Error; err != nil {
			return err
		}
		if row.Purpose == store.PurposeCampaign {
			return campaignSent(tx, row, ref)
		}
		if row.MessageID == nil {
			return nil
		}
		var m store.Message
		if err := tx.Take(&m, *row.MessageID).Error; err != nil {
			return notFound(err)
		}
		meta := m.Meta
		if meta == nil {
			meta = store.JSONMap{}
		}
		for k, v := range ref.Meta {
			meta[k] = v
		}
		up := map[string]any{"delivery_status": store.DeliverySent, "delivery_error": "", "meta": meta}
		if ref.ID != "" {
			var n int64
			if err := tx.Model(&store.Message{}).Where("channel_id = ? AND external_id = ?", row.ChannelID, ref.ID).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				up["external_id"] = ref.ID
			}
		}
		if err := tx.Model(&m).Updates(up).Error; err != nil {
			return err
		}
		if err := addKeys(tx, m.TicketID, ref.Keys...); err != nil {
			return err
		}
		evs := []Event{{Type: EventMessageUpdated, TicketID: m.TicketID, MessageID: m.ID, ChannelID: row.ChannelID,
			Message: &MessageChanges{DeliveryStatus: store.DeliverySent}}}
		if err := s.recordEvents(tx, evs); err != nil {
			return err
		}
		ev = &evs[0]
		return nil
	})
	if err != nil {
		// The send happened; the row stays claimed until its lease ends and is
		// then sent again: at least once, never lost.
		s.log.Error("outbox: record sent", "outbox_id", row.ID, "err", err)
		return
	}
	s.metrics.delivered(row.Purpose, "sent")
	if ev != nil {
		s.publish(*ev)
	}
}

func (s *Service) finishFailed(ctx context.Context, opts DispatchOptions, row store.Outbox, sendErr error) {
	attempts := row.Attempts + 1
	final := IsPermanent(sendErr) || attempts >= opts.MaxAttempts
	if row.Purpose == store.PurposeNotify && !IsPermanent(sendErr) {
		since := row.CreatedAt
		if row.RetrySince != nil {
			since = *row.RetrySince
		}
		final = now().Sub(since) >= opts.NotifyRetryFor
	}
	next := now().Add(s.backoff(opts, attempts))
	var ra *RetryAfterError
	if errors.As(sendErr, &ra) && !final {
		if at := now().Add(ra.After); at.After(next) || ra.After > 0 {
			next = at
		}
	}
	msg := plaintext.Clip(sendErr.Error(), 1000)
	var ev *Event
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		up := map[string]any{"attempts": attempts, "locked_until": nil, "last_error": msg, "updated_at": now(), "next_attempt_at": next}
		if final {
			up["status"] = store.OutboxFailed
		}
		if err := tx.Model(&store.Outbox{}).Where("id = ?", row.ID).Updates(up).Error; err != nil {
			return err
		}
		if row.Purpose == store.PurposeCampaign && final {
			return campaignFailed(tx, row, msg)
		}
		if row.MessageID == nil {
			return nil
		}
		mup := map[string]any{"delivery_error": msg}
		if final {
			mup["delivery_status"] = store.DeliveryFailed
		}
		if err := tx.Model(&store.Message{}).Where("id = ?", *row.MessageID).Updates(mup).Error; err != nil {
			return err
		}
		if final {
			evs := []Event{{Type: EventMessageUpdated, TicketID: row.TicketID, MessageID: *row.MessageID, ChannelID: row.ChannelID,
				Message: &MessageChanges{DeliveryStatus: store.DeliveryFailed, DeliveryError: msg}}}
			if err := s.recordEvents(tx, evs); err != nil {
				return err
			}
			ev = &evs[0]
		}
		return nil
	})
	if err != nil {
		s.log.Error("outbox: record failure", "outbox_id", row.ID, "err", err)
		return
	}
	if final {
		s.metrics.delivered(row.Purpose, "failed")
		s.log.Warn("delivery failed", "outbox_id", row.ID, "ticket_id", row.TicketID, "channel_id", row.ChannelID, "attempts", attempts, "err", sendErr)
	} else {
		s.metrics.delivered(row.Purpose, "retry")
		s.log.Info("delivery will be retried", "outbox_id", row.ID, "ticket_id", row.TicketID, "channel_id", row.ChannelID, "attempts", attempts, "next", next, "err", sendErr)
	}
	if ev != nil {
		s.publish(*ev)
	}
}

// reroute moves an unreachable reply to the contact's email via the first
// enabled email channel. It reports whether the row was rerouted.
func (s *Service) reroute(ctx context.Context, row store.Outbox) bool {
	var moved bool
	var from store.Channel
	evs := []Event{{Type: EventMessageUpdated, TicketID: row.TicketID, MessageID: *row.MessageID, Message: &MessageChanges{ContinuedOn: "email"}}}
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		var t store.Ticket
		if err := tx.Preload("Contact").Take(&t, row.TicketID).Error; err != nil {
			return err
		}
		if t.Contact == nil || t.Contact.Email == "" {
			return nil
		}
		var ch store.Channel
		err := tx.Where("kind = ? AND enabled = ? AND id <> ?", "email", true, row.ChannelID).Order("id").Take(&ch).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		_ = tx.Take(&from, row.ChannelID).Error
		payload := row.Payload
		if payload == nil {
			payload = store.JSONMap{}
		}
		payload["continued_from"] = row.ChannelID
		payload["continued_from_kind"] = from.Kind
		if err := tx.Model(&store.Outbox{}).Where("id = ?", row.ID).Updates(map[string]any{
			"channel_id": ch.ID, "payload": payload, "locked_until": nil, "next_attempt_at": now(), "updated_at": now(),
		}).Error; err != nil {
			return err
		}
		if err := tx.Exec("UPDATE messages SET channel_id = ? WHERE id = ?", ch.ID, *row.MessageID).Error; err != nil {
			return err
		}
		evs[0].ChannelID = ch.ID
		moved = true
		return s.recordEvents(tx, evs)
	})
	if err != nil {
		s.log.Error("outbox: reroute", "outbox_id", row.ID, "err", err)
		return false
	}
	if moved {
		s.metrics.delivered(row.Purpose, "rerouted")
		s.log.Info("reply continues by email", "ticket_id", row.TicketID, "from_channel", row.ChannelID)
		s.publish(evs...)
		s.Wake()
	}
	return moved
}

// RetryDelivery re-queues a failed reply (the agent's retry button).
func (s *Service) RetryDelivery(ctx context.Context, messageID int64) error {
	var ids []int64
	if err := s.st.DB.WithContext(ctx).Model(&store.Outbox{}).Where("message_id = ? AND status = ?", messageID, store.OutboxFailed).
		Order("id DESC").Limit(1).Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("inbox: retry delivery %d: %w", messageID, err)
	}
	if len(ids) == 0 {
		return invalidAs("not_failed", nil, "message %d has no failed delivery", messageID)
	}
	return s.RetryOutbox(ctx, ids[0])
}

// RetryOutbox queues a failed delivery (a reply or a notification) again,
// by its outbox id, with a fresh retry window: the admin's retry button.
func (s *Service) RetryOutbox(ctx context.Context, id int64) error {
	var evs []Event
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		var row store.Outbox
		if err := tx.Take(&row, id).Error; err != nil {
			return notFound(err)
		}
		if row.Status != store.OutboxFailed {
			return invalidAs("not_failed", nil, "delivery %d has not failed (it is %s)", id, row.Status)
		}
		ts := now()
		if err := tx.Model(&store.Outbox{}).Where("id = ?", id).Updates(map[string]any{
			"status": store.OutboxPending, "attempts": 0, "next_attempt_at": ts, "locked_until": nil, "retry_since": ts, "updated_at": ts,
		}).Error; err != nil {
			return err
		}
		if row.MessageID == nil {
			return nil
		}
		if err := tx.Model(&store.Message{}).Where("id = ?", *row.MessageID).
			Updates(map[string]any{"delivery_status": store.DeliveryQueued, "delivery_error": ""}).Error; err != nil {
			return err
		}
		evs = []Event{{Type: EventMessageUpdated, TicketID: row.TicketID, MessageID: *row.MessageID, ChannelID: row.ChannelID,
			Message: &MessageChanges{DeliveryStatus: store.DeliveryQueued}}}
		return s.recordEvents(tx, evs)
	})
	if err != nil {
		return fmt.Errorf("inbox: retry delivery %d: %w", id, err)
	}
	s.publish(evs...)
	s.Wake()
	return nil
}

// FailedDelivery is an outbox row that failed for good, as admins see it.
type FailedDelivery struct {
	ID          int64  `json:"id"`
	Purpose     string `json:"purpose"` // reply, notify or webhook
	ChannelID   int64  `json:"channel_id"`
	ChannelName string `json:"channel_name"`
	ChannelKind string `json:"channel_kind"`
	TicketID    int64  `json:"-"`
	// Ticket is the ticket's public id and Number its human number.
	Ticket    string    `json:"ticket"`
	Number    int64     `json:"number"`
	Subject   string    `json:"subject"`
	MessageID int64     `json:"message_id,omitempty"`
	Event     string    `json:"event,omitempty"` // the event a notification announced
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	CreatedAt time.Time `json:"created_at"`
	FailedAt  time.Time `json:"failed_at"`
}

// FailedDeliveries lists failed outbox rows, most recent failure first.
func (s *Service) FailedDeliveries(ctx context.Context, limit int) ([]FailedDelivery, error) {
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	var rows []store.Outbox
	db := s.st.DB.WithContext(ctx)
	if err := db.Where("status = ?", store.OutboxFailed).Order("updated_at DESC, id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("inbox: failed deliveries: %w", err)
	}
	_, chans, err := s.st.Lookups(ctx)
	if err != nil {
		return nil, err
	}
	ticketIDs := make([]int64, 0, len(rows))
	for _, r := range rows {
		ticketIDs = append(ticketIDs, r.TicketID)
	}
	var tickets []store.Ticket
	if len(ticketIDs) > 0 {
		if err := db.Select("id", "public_id", "subject").Where("id IN ?", ticketIDs).Find(&tickets).Error; err != nil {
			return nil, fmt.Errorf("inbox: failed deliveries: %w", err)
		}
	}
	byID := map[int64]*store.Ticket{}
	for i := range tickets {
		byID[tickets[i].ID] = &tickets[i]
	}
	out := make([]FailedDelivery, 0, len(rows))
	for _, r := range rows {
		d := FailedDelivery{ID: r.ID, Purpose: r.Purpose, ChannelID: r.ChannelID, TicketID: r.TicketID, Attempts: r.Attempts,
			LastError: r.LastError, CreatedAt: r.CreatedAt, FailedAt: r.UpdatedAt}
		if ch := chans[r.ChannelID]; ch != nil {
			d.ChannelName, d.ChannelKind = ch.Name, ch.Kind
		}
		if t := byID[r.TicketID]; t != nil {
			d.Ticket, d.Number, d.Subject = t.PublicID, t.Number(), t.Subject
		}
		if r.MessageID != nil {
			d.MessageID = *r.MessageID
		}
		if r.Purpose == store.PurposeNotify {
			d.Event = r.Payload.String("type")
		}
		out = append(out, d)
	}
	return out, nil
}

// OutboxDepth returns the number of pending and failed outbox rows.
func (s *Service) OutboxDepth(ctx context.Context) (pending, failed int64, err error) {
	db := s.st.DB.WithContext(ctx).Model(&store.Outbox{})
	if err = db.Where("status = ?", store.OutboxPending).Count(&pending).Error; err != nil {
		return
	}
	err = s.st.DB.WithContext(ctx).Model(&store.Outbox{}).Where("status = ?", store.OutboxFailed).Count(&failed).Error
	return
}

func (s *Service) ticketRef(t *store.Ticket) TicketRef {
	return TicketRef{ID: t.ID, PublicID: t.PublicID, Number: t.Number(), Subject: t.Subject, Status: t.Status, ReplyToken: t.ReplyToken, URL: s.TicketURL(t)}
}

func (s *Service) buildOutbound(ctx context.Context, row store.Outbox) (*Outbound, error) {
	if row.MessageID == nil {
		return nil, Permanent(errors.New("reply row without message"))
	}
	db := s.st.DB.WithContext(ctx)
	m, err := s.Message(ctx, *row.MessageID)
	if err != nil {
		return nil, Permanent(err)
	}
	t, err := s.Ticket(ctx, row.TicketID)
	if err != nil {
		return nil, Permanent(err)
	}
	out := &Outbound{OutboxID: row.ID, Attempt: row.Attempts + 1, MessageID: m.ID, ChannelID: row.ChannelID, Ticket: s.ticketRef(t), Text: m.Text, HTML: m.HTML}
	if t.Contact != nil {
		out.Contact = PersonRef{ID: t.Contact.ID, Name: t.Contact.Name, Email: t.Contact.Email}
	}
	agents, _, err := s.st.Lookups(ctx)
	if err != nil {
		return nil, err
	}
	if a := agents[m.AuthorID]; a != nil {
		out.Agent = PersonRef{ID: a.ID, Name: a.Name, Email: a.Email, AvatarSum: a.AvatarSum}
	}
	for _, att := range m.Attachments {
		sum := att.SHA256
		out.Attachments = append(out.Attachments, OutboundAttachment{Name: att.Name, ContentType: att.ContentType, Size: att.Size, SHA256: sum,
			Open: func() (io.ReadCloser, error) { return s.st.OpenBlob(sum) }})
	}
	var last store.Message
	err = db.Where("ticket_id = ? AND channel_id = ? AND direction = ?", t.ID, row.ChannelID, store.DirInbound).
		Order("created_at DESC, id DESC").Take(&last).Error
	if err == nil {
		rc := &ReplyContext{MessageID: last.ID, Meta: last.Meta, At: last.CreatedAt}
		if last.ExternalID != nil {
			rc.ExternalID = *last.ExternalID
		}
		out.ReplyTo = rc
	} else if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, err
	}
	if err := db.Model(&store.ThreadKey{}).Where("ticket_id = ?", t.ID).Order("created_at, key").Pluck("key", &out.ThreadKeys).Error; err != nil {
		return nil, err
	}
	var hist []store.Message
	if err := db.Where("ticket_id = ? AND direction IN ? AND id < ?", t.ID, []string{store.DirInbound, store.DirOutbound}, m.ID).
		Order("created_at DESC, id DESC").Limit(10).Find(&hist).Error; err != nil {
		return nil, err
	}
	for i := len(hist) - 1; i >= 0; i-- {
		h := hist[i]
		name := ""
		if h.Direction == store.DirInbound && t.Contact != nil {
			name = t.Contact.Name
		} else if ag := agents[h.AuthorID]; ag != nil {
			name = ag.Name
		}
		out.History = append(out.History, PriorMessage{Direction: h.Direction, AuthorName: name, Text: h.Text, At: h.CreatedAt})
	}
	if k := row.Payload.String("continued_from_kind"); k != "" {
		out.Continued = true
		out.FromChannelKind = k
	}
	if m.AuthorType == store.AuthorBot {
		out.Bot = botPromptOf(m.Meta)
	}
	if id := row.Payload.Int("survey_id"); id > 0 {
		if out.Survey, err = s.surveyRequest(ctx, id); err != nil {
			return nil, err
		}
		// Connectors that render no survey send the text: the question
		// and the rating page.
		out.Text = out.Survey.Question + "\n\n" + out.Survey.URL
	}
	return out, nil
}

func (s *Service) buildNotification(ctx context.Context, row store.Outbox) (*Notification, error) {
	db := s.st.DB.WithContext(ctx)
	t, err := s.Ticket(ctx, row.TicketID)
	if err != nil {
		return nil, Permanent(err)
	}
	ev := Event{Type: row.Payload.String("type"), MessageID: row.Payload.Int("message_id"), AgentID: row.Payload.Int("agent_id")}
	if raw, ok := row.Payload["event"]; ok {
		// The typed event; rows queued by older versions have only the fields above.
		if b, err := json.Marshal(raw); err == nil {
			_ = json.Unmarshal(b, &ev)
		}
	}
	ev.TicketID = t.ID // the ticket may have been merged since
	n := &Notification{OutboxID: row.ID, Event: ev, Ticket: s.ticketRef(t), Priority: t.Priority, WaitingSince: t.LastCustomerAt, MessageID: ev.MessageID}
	if t.Contact != nil {
		n.Contact = PersonRef{ID: t.Contact.ID, Name: t.Contact.Name, Email: t.Contact.Email}
	}
	for _, tg := range t.Tags {
		n.Tags = append(n.Tags, tg.Tag)
	}
	if t.AssigneeID != nil {
		var a store.Agent
		if db.Take(&a, *t.AssigneeID).Error == nil {
			n.Assignee = &PersonRef{ID: a.ID, Name: a.Name, Email: a.Email}
		}
	}
	var ch store.Channel
	if db.Take(&ch, t.ChannelID).Error == nil {
		n.ChannelName, n.ChannelKind = ch.Name, ch.Kind
	}
	if ev.MessageID > 0 {
		var m store.Message
		if db.Select("id", "text", "direction").Take(&m, ev.MessageID).Error == nil {
			n.Excerpt = plaintext.Clip(m.Text, 600)
			n.MessageDir = m.Direction
		}
	}
	return n, nil
}
