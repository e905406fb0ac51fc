package inbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// Ingest stores an inbound message exactly once and threads it into a ticket.
// Calling it again with the same (ChannelID, ExternalID) returns the first
// result with Duplicate set and changes nothing, so connectors may retry
// freely and replay after a crash.
func (s *Service) Ingest(ctx context.Context, in *Inbound) (IngestResult, error) {
	start := time.Now()
	p, done, res, err := s.prepare(ctx, in, start)
	if done {
		return res, err
	}
	in = p.in // scrubbed
	var events []Event
	for attempt := 0; attempt < 4; attempt++ {
		if s.batch != nil {
			res, events, err = s.batch.ingest(ctx, p)
		} else {
			err = s.st.Tx(ctx, func(tx *gorm.DB) error {
				var e error
				res, events, e = s.ingestTx(tx, in, p.html, p.blobs, true)
				return e
			})
		}
		if err == nil || !store.IsDuplicate(err) {
			break
		}
		// A concurrent ingest won a unique key (same message, identity or
		// thread on PostgreSQL): look again; it is now a duplicate or a match.
		if r, ok, e := s.findDuplicate(ctx, s.st.DB.WithContext(ctx), in.ChannelID, in.ExternalID); e == nil && ok {
			s.metrics.ingest("duplicate", start)
			return r, nil
		}
	}
	return s.finish(in, res, events, err, start)
}

// IngestAll ingests messages in order, like calling Ingest for each, but
// lets them share transactions (a mailbox backfill, a gateway catch-up): on
// SQLite through the one group-commit writer, on PostgreSQL in transactions
// of up to maxBatch messages of its own, written in order. The i-th result
// and error belong to the i-th message; each message is stored exactly once
// whatever happens to the others.
func (s *Service) IngestAll(ctx context.Context, ins []*Inbound) ([]IngestResult, []error) {
	results := make([]IngestResult, len(ins))
	errs := make([]error, len(ins))
	if s.batch == nil {
		for i, in := range ins {
			results[i], errs[i] = s.Ingest(ctx, in)
		}
		return results, errs
	}
	start := time.Now()
	reqs := make([]*batchReq, len(ins))
	for i, in := range ins {
		p, done, res, err := s.prepare(ctx, in, start)
		if done {
			results[i], errs[i] = res, err
			continue
		}
		if s.batch.writers > 1 {
			if p.done == nil {
				p.done = make(chan batchResp, 1)
			}
			reqs[i] = p
			continue
		}
		if err := s.batch.enqueue(ctx, p); err != nil {
			results[i], errs[i] = IngestResult{}, err
			continue
		}
		reqs[i] = p
	}
	if s.batch.writers > 1 {
		// Several writers would not keep the order: commit here, in order.
		var chunk []*batchReq
		for _, r := range reqs {
			if r == nil {
				continue
			}
			if chunk = append(chunk, r); len(chunk) == maxBatch {
				s.batch.commit(chunk)
				chunk = nil
			}
		}
		if len(chunk) > 0 {
			s.batch.commit(chunk)
		}
	}
	for i, r := range reqs {
		if r == nil {
			continue
		}
		resp := <-r.done
		if resp.err != nil && store.IsDuplicate(resp.err) {
			results[i], errs[i] = s.Ingest(ctx, ins[i]) // lost a race: settle it alone
			continue
		}
		results[i], errs[i] = s.finish(r.in, resp.res, resp.events, resp.err, start)
	}
	return results, errs
}

// prepare scrubs and validates a message, answers duplicates without a
// write, and does the work that needs no transaction (sanitizing HTML,
// storing attachment bytes). done reports that res and err are final; p.in
// is the scrubbed copy of in that is stored.
func (s *Service) prepare(ctx context.Context, in *Inbound, start time.Time) (p *batchReq, done bool, res IngestResult, err error) {
	if in != nil {
		in = scrubInbound(in)
	}
	if err := validateInbound(in); err != nil {
		s.metrics.ingest("invalid", start)
		return nil, true, IngestResult{}, err
	}
	if r, ok, err := s.findDuplicate(ctx, s.st.DB.WithContext(ctx), in.ChannelID, in.ExternalID); err != nil {
		return nil, true, IngestResult{}, err
	} else if ok {
		s.metrics.ingest("duplicate", start)
		return nil, true, r, nil
	}
	p = &batchReq{in: in, blobs: make([]string, len(in.Attachments)), done: make(chan batchResp, 1)}
	if in.HTML != "" {
		p.html = s.policy.Sanitize(in.HTML)
	}
	for i, a := range in.Attachments {
		sum, err := s.st.PutBlob(a.Data)
		if err != nil {
			return nil, true, IngestResult{}, fmt.Errorf("inbox: ingest %s: %w", in.ExternalID, err)
		}
		p.blobs[i] = sum
	}
	return p, false, IngestResult{}, nil
}

// finish publishes a committed message's events and records metrics.
func (s *Service) finish(in *Inbound, res IngestResult, events []Event, err error, start time.Time) (IngestResult, error) {
	if err != nil {
		s.metrics.ingest("error", start)
		return IngestResult{}, fmt.Errorf("inbox: ingest %s: %w", in.ExternalID, err)
	}
	if res.Duplicate {
		s.metrics.ingest("duplicate", start)
		return res, nil
	}
	s.publish(events...) // events helper: bus and durable consumers
	s.metrics.ingest("stored", start)
	return res, nil
}

func validateInbound(in *Inbound) error {
	switch {
	case in == nil:
		return invalid("no message")
	case in.ChannelID <= 0:
		return invalid("channel is required")
	case strings.TrimSpace(in.ExternalID) == "":
		return invalid("external_id is required")
	case len(in.ExternalID) > MaxExternalID:
		return invalid("external_id is longer than %d bytes", MaxExternalID)
	case in.Contact.Kind == "" || strings.TrimSpace(in.Contact.ID) == "":
		return invalid("contact identity is required")
	case len(in.Contact.ID) > 320:
		return invalid("contact id is too long")
	case len(in.Text) > MaxTextBytes:
		return invalid("text is larger than %d bytes", MaxTextBytes)
	case len(in.HTML) > MaxHTMLBytes:
		return invalid("html is larger than %d bytes", MaxHTMLBytes)
	case len(in.Attachments) > MaxAttachments:
		return invalid("more than %d attachments", MaxAttachments)
	case strings.TrimSpace(in.Text) == "" && strings.TrimSpace(in.HTML) == "" && len(in.Attachments) == 0:
		return invalid("message is empty")
	}
	for _, a := range in.Attachments {
		if len(a.Data) > MaxAttachmentBytes {
			return invalid("attachment %q is larger than %d bytes", a.Name, MaxAttachmentBytes)
		}
	}
	for _, k := range append(append([]string(nil), in.ThreadKeys...), in.OwnKeys...) {
		if len(k) > 500 {
			return invalid("thread key is longer than 500 bytes")
		}
	}
	_, err := normSender(in.Contact)
	return err
}

// scrubInbound returns a copy of in with every text that reaches the store
// scrubbed (plaintext.Scrub: no NUL bytes, valid UTF-8), so a message stores
// the same on SQLite and PostgreSQL and never fails there for its bytes.
// Names and file names also lose their bidirectional controls
// (plaintext.StripBidi), so "invoice\u202Egnp.exe" cannot pass for a
// picture anywhere it is shown later. The caller's value is not modified.
func scrubInbound(in *Inbound) *Inbound {
	c := *in
	c.ExternalID = plaintext.Scrub(in.ExternalID)
	c.ThreadKeys = plaintext.ScrubValue(in.ThreadKeys).([]string)
	c.OwnKeys = plaintext.ScrubValue(in.OwnKeys).([]string)
	c.Contact = scrubRef(in.Contact)
	c.Participants = make([]ContactRef, len(in.Participants))
	for i, p := range in.Participants {
		c.Participants[i] = scrubRef(p)
	}
	c.Subject, c.Text, c.HTML = plaintext.Scrub(in.Subject), plaintext.Scrub(in.Text), plaintext.Scrub(in.HTML)
	c.Attachments = make([]Attachment, len(in.Attachments))
	for i, a := range in.Attachments {
		a.Name, a.ContentType, a.ContentID = plaintext.StripBidi(plaintext.Scrub(a.Name)), plaintext.Scrub(a.ContentType), plaintext.Scrub(a.ContentID)
		c.Attachments[i] = a
	}
	if in.Meta != nil {
		c.Meta = plaintext.ScrubValue(in.Meta).(map[string]any)
	}
	return &c
}

func scrubRef(r ContactRef) ContactRef {
	r.Kind, r.ID, r.Name = plaintext.Scrub(r.Kind), plaintext.Scrub(r.ID), plaintext.StripBidi(plaintext.Scrub(r.Name))
	r.Email, r.Locale = plaintext.Scrub(r.Email), plaintext.Scrub(r.Locale)
	return r
}

func (s *Service) findDuplicate(ctx context.Context, db *gorm.DB, channelID int64, externalID string) (IngestResult, bool, error) {
	var r IngestResult
	err := db.Raw("SELECT id, ticket_id, author_id FROM messages WHERE channel_id = ? AND external_id = ?", channelID, externalID).
		Row().Scan(&r.MessageID, &r.TicketID, &r.ContactID)
	if errors.Is(err, sql.ErrNoRows) {
		return IngestResult{}, false, nil
	}
	if err != nil {
		return IngestResult{}, false, fmt.Errorf("inbox: dedupe lookup: %w", err)
	}
	r.Duplicate = true
	return r, true, nil
}

// ingestTx writes one inbound message inside tx. single is a transaction of
// its own: it takes the message's locks and looks the message up first; a
// batch has taken every message's locks already (batcher.commit) and relies
// on the unique index instead of the lookup (a duplicate then fails the
// batch, which is replayed message by message).
func (s *Service) ingestTx(tx *gorm.DB, in *Inbound, html string, blobs []string, single bool) (IngestResult, []Event, error) {
	snd, err := normSender(in.Contact)
	if err != nil {
		return IngestResult{}, nil, err
	}
	if single {
		if err := s.lockKeys(tx, ingestLockKeys(in, snd)...); err != nil {
			return IngestResult{}, nil, err
		}
	}
	if single {
		if r, ok, err := s.findDuplicate(context.Background(), tx, in.ChannelID, in.ExternalID); err != nil || ok {
			return r, nil, err
		}
	}
	contact, merged, err := s.resolveContact(tx, snd)
	if err != nil {
		return IngestResult{}, nil, err
	}
	var events []Event
	for _, id := range merged {
		events = append(events, Event{Type: EventContactUpdated, ContactID: contact.ID, Contact: &ContactChanges{MergedFrom: id}})
	}
	ts := now()
	// th.assignee and th.team are who owns the ticket now (and its team,
	// for a new one): agents' clients notify on these without fetching the
	// ticket. The ticket's write returns them.
	th, err := s.threadMessage(tx, in, contact, ts, html, blobs)
	if err != nil {
		return IngestResult{}, nil, err
	}
	ticketID, ticketEvent := th.id, th.event
	counters := []string{store.AttrMessages}
	if ticketEvent.Type == EventTicketCreated {
		counters = append(counters, store.AttrConversations)
		ticketEvent.TeamID = derefID(th.team)
	}
	events = append(events, ticketEvent)
	msgID := th.msgID
	if msgID == 0 {
		if msgID, err = s.storeMessage(tx, in, ticketID, contact.ID, html, blobs, ts, counters); err != nil {
			return IngestResult{}, nil, err
		}
	}
	if ticketEvent.Type == EventTicketCreated && th.flowID != 0 {
		if err := s.holdForBotFlow(tx, ticketID, th.flowID, th.holdMins, ts); err != nil {
			return IngestResult{}, nil, err
		}
	}
	msgEvent := Event{Type: EventMessageCreated, TicketID: ticketID, MessageID: msgID, ChannelID: in.ChannelID, ContactID: contact.ID,
		Message: &MessageChanges{Direction: store.DirInbound, AssigneeID: derefID(th.assignee)}}
	events = append(events, msgEvent)
	// Notifiers hear of a new ticket once, with its first message.
	notify := msgEvent
	if ticketEvent.Type == EventTicketCreated {
		notify = ticketEvent
		notify.MessageID = msgID
	}
	if err := s.queueNotifications(tx, ticketID, notify); err != nil {
		return IngestResult{}, nil, err
	}
	// events helper: the durable record of this change, in its transaction
	// (a batch records all its messages' events in one statement: see
	// batcher.commit).
	if single {
		if err := s.recordEvents(tx, events); err != nil {
			return IngestResult{}, nil, err
		}
	}
	res := IngestResult{TicketID: ticketID, MessageID: msgID, ContactID: contact.ID, NewTicket: ticketEvent.Type == EventTicketCreated}
	return res, events, nil
}

// ingestLockKeys are the advisory locks of one inbound message: the message,
// the identities it may touch and every thread it names.
func ingestLockKeys(in *Inbound, snd sender) []string {
	keys := []string{fmt.Sprintf("msg:%d:%s", in.ChannelID, in.ExternalID)}
	keys = append(keys, snd.lockKeys()...)
	keys = append(keys, in.ThreadKeys...)
	return append(keys, in.OwnKeys...)
}

// threaded is where threadMessage put a message.
type threaded struct {
	id       int64
	event    Event  // ticket.created or ticket.updated
	team     *int64 // the ticket's team and assignee after the write
	assignee *int64
	flowID   int64 // a new ticket's channel's enabled bot flow, 0 for none
	holdMins int   // that flow's hold time in minutes (bot_flows.hold_minutes)
	msgID    int64 // the message, when written with the ticket's update (appendMessage)
}

// threadMessage puts a message on its ticket: the existing one it threads to
// (bumped, and reopened unless the message is automatic) or a new one. It
// returns the ticket, its owners and the event to publish.
//
// On PostgreSQL a message to an existing ticket is written with the
// ticket's update (appendMessage), and th.msgID is set.
func (s *Service) threadMessage(tx *gorm.DB, in *Inbound, contact *store.Contact, ts time.Time, html string, blobs []string) (threaded, error) {
	ticket, err := s.findTicket(tx, in, contact)
	if err != nil {
		return threaded{}, err
	}
	for hops := 0; ticket != nil; hops++ {
		var (
			changes  *TicketChanges
			assignee *int64
			msgID    int64
			ok       bool
		)
		if s.st.Dialect == store.Postgres {
			msgID, changes, assignee, ok, err = s.appendMessage(tx, ticket, in, contact.ID, html, blobs, ts)
		} else {
			changes, assignee, ok, err = bumpTicket(tx, ticket, in, ts)
		}
		if err != nil {
			return threaded{}, err
		}
		if ok {
			return threaded{id: ticket.ID, assignee: assignee, msgID: msgID,
				event: Event{Type: EventTicketUpdated, TicketID: ticket.ID, ChannelID: in.ChannelID, ContactID: contact.ID, Changes: changes}}, nil
		}
		// Merged or closed since it was found (a merge committed while this
		// message waited for the ticket row): follow the merge, or start anew.
		if ticket, err = followTicket(tx, ticket.ID); err != nil {
			return threaded{}, err
		}
		if hops > maxMergeHops {
			ticket = nil
		}
	}
	th, err := s.openTicket(tx, in, contact, ts)
	if err != nil {
		return threaded{}, err
	}
	th.event = Event{Type: EventTicketCreated, TicketID: th.id, ChannelID: in.ChannelID, ContactID: contact.ID}
	return th, nil
}

// openTicket creates a ticket for the first message of a conversation and
// returns it with its team and its channel's enabled bot flow.
func (s *Service) openTicket(tx *gorm.DB, in *Inbound, contact *store.Contact, ts time.Time) (threaded, error) {
	subject := strings.TrimSpace(in.Subject)
	if subject == "" {
		subject = subjectFrom(in.Text)
	}
	subject = plaintext.Clip(subject, 900)
	token := randomID(10)
	var th threaded
	var flow, hold sql.NullInt64
	// A channel's default team (channel_teams) takes its new tickets.
	if s.st.Dialect == store.Postgres {
		// Ticket, reply-token key, search entry and the channel's bot flow
		// in one round trip.
		doc, docArgs := store.PostgresDocCTE("t", true, 0, subject, contact.Name, contact.Email, in.Contact.ID)
		args := []any{NewPublicID(), token, subject, store.StatusOpen, store.PriorityNormal, in.ChannelID, contact.ID, in.ChannelID,
			in.ChannelID, ts, ts, ts, ts, TokenKey(token), ts}
		args = append(append(args, docArgs...), in.ChannelID)
		if err := tx.Raw(`WITH t AS (INSERT INTO tickets (public_id, reply_token, subject, status, priority, team_id, contact_id, channel_id, last_channel_id,
				last_customer_at, last_message_at, message_count, version, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, (SELECT team_id FROM channel_teams WHERE channel_id = ?), ?, ?, ?, ?, ?, 1, 1, ?, ?) RETURNING id, team_id),
			k AS (INSERT INTO thread_keys (key, ticket_id, created_at) SELECT ?, id, ? FROM t ON CONFLICT (key) DO NOTHING),
			d AS (`+doc+`)
			SELECT t.id, t.team_id, f.id, f.hold_minutes FROM t
			LEFT JOIN LATERAL (SELECT id, hold_minutes FROM bot_flows WHERE channel_id = ? AND enabled = true ORDER BY id LIMIT 1) f ON true`, args...).
			Row().Scan(&th.id, &th.team, &flow, &hold); err != nil {
			return threaded{}, fmt.Errorf("create ticket: %w", err)
		}
		th.flowID, th.holdMins = flow.Int64, int(hold.Int64)
		return th, nil
	}
	if err := tx.Raw(`INSERT INTO tickets (public_id, reply_token, subject, status, priority, team_id, contact_id, channel_id, last_channel_id,
			last_customer_at, last_message_at, message_count, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, (SELECT team_id FROM channel_teams WHERE channel_id = ?), ?, ?, ?, ?, ?, 1, 1, ?, ?) RETURNING id, team_id`,
		NewPublicID(), token, subject, store.StatusOpen, store.PriorityNormal, in.ChannelID, contact.ID, in.ChannelID,
		in.ChannelID, ts, ts, ts, ts).Row().Scan(&th.id, &th.team); err != nil {
		return threaded{}, fmt.Errorf("create ticket: %w", err)
	}
	if err := addKeys(tx, th.id, TokenKey(token)); err != nil {
		return threaded{}, err
	}
	if err := s.st.IndexTicket(tx, th.id, subject, contact.Name, contact.Email, in.Contact.ID); err != nil {
		return threaded{}, err
	}
	err := tx.Raw("SELECT id, hold_minutes FROM bot_flows WHERE channel_id = ? AND enabled = ? ORDER BY id LIMIT 1", in.ChannelID, true).Row().Scan(&flow, &hold)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return threaded{}, fmt.Errorf("bot flow of channel %d: %w", in.ChannelID, err)
	}
	th.flowID, th.holdMins = flow.Int64, int(hold.Int64)
	return th, nil
}

// bumpTicket records a customer message on an existing ticket and reopens it
// unless the message is automatic, and returns its assignee. ok is false
// when the ticket was merged away or closed in the meantime: then nothing
// was written. (On PostgreSQL the UPDATE waits for a merge holding the row
// and then sees its result.)
func bumpTicket(tx *gorm.DB, t *store.Ticket, in *Inbound, ts time.Time) (changes *TicketChanges, assignee *int64, ok bool, err error) {
	reopened := !in.Auto && t.Status != store.StatusOpen
	q := `UPDATE tickets SET last_customer_at = ?, last_message_at = ?, last_channel_id = ?, message_count = message_count + 1,
			version = version + 1, updated_at = ?`
	if reopened {
		q += `, status = 'open', snoozed_until = NULL`
	}
	rows, err := tx.Raw(q+` WHERE id = ? AND merged_into IS NULL AND status <> ? RETURNING assignee_id`, ts, ts, in.ChannelID, ts, t.ID, store.StatusClosed).Rows()
	if err != nil {
		return nil, nil, false, fmt.Errorf("update ticket: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		ok = true
		if err := rows.Scan(&assignee); err != nil {
			return nil, nil, false, fmt.Errorf("update ticket: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, false, fmt.Errorf("update ticket: %w", err)
	}
	if !ok {
		return nil, nil, false, nil
	}
	changes = &TicketChanges{LastMessageAt: &ts}
	if reopened {
		changes.Status = &Change[string]{Old: t.Status, New: store.StatusOpen}
	}
	return changes, assignee, true, nil
}

// appendMessage is bumpTicket and storeMessage in one statement on
// PostgreSQL (data-modifying CTEs): the ticket's update and, only if it
// updated a row, the message, its thread keys, its search entry and the
// contact's activity. ok is false when the ticket was merged away or
// closed in the meantime: then nothing was written.
func (s *Service) appendMessage(tx *gorm.DB, t *store.Ticket, in *Inbound, contactID int64, html string, blobs []string, ts time.Time) (msgID int64, changes *TicketChanges, assignee *int64, ok bool, err error) {
	metaJSON, err := store.JSONMap(inboundMeta(in)).Value()
	if err != nil {
		return 0, nil, nil, false, err
	}
	keyJSON, err := json.Marshal(uniqueKeys(append(append([]string(nil), in.OwnKeys...), in.ThreadKeys...)))
	if err != nil {
		return 0, nil, nil, false, err
	}
	reopened := !in.Auto && t.Status != store.StatusOpen
	reopen := ""
	if reopened {
		reopen = `, status = 'open', snoozed_until = NULL`
	}
	doc, docArgs := store.PostgresDocCTE("m", false, t.ID, in.Text)
	touch, touchArgs := store.PostgresTouchCTE("m", contactID, ts, store.AttrMessages)
	args := []any{ts, ts, in.ChannelID, ts, t.ID, store.StatusClosed,
		store.DirInbound, store.AuthorContact, contactID, in.ChannelID, in.ExternalID, in.Text, html, metaJSON, ts,
		t.ID, ts, string(keyJSON)}
	args = append(append(args, docArgs...), touchArgs...)
	rows, err := tx.Raw(`WITH u AS (UPDATE tickets SET last_customer_at = ?, last_message_at = ?, last_channel_id = ?, message_count = message_count + 1,
				version = version + 1, updated_at = ?`+reopen+` WHERE id = ? AND merged_into IS NULL AND status <> ? RETURNING id, assignee_id),
			m AS (INSERT INTO messages (ticket_id, direction, author_type, author_id, channel_id, external_id, text, html, meta, delivery_status, delivery_error, created_at)
				SELECT u.id, ?::text, ?::text, ?::bigint, ?::bigint, ?::text, ?::text, ?::text, ?::text, '', '', ?::timestamptz FROM u RETURNING id),
			k AS (INSERT INTO thread_keys (key, ticket_id, created_at) SELECT x, ?::bigint, ?::timestamptz FROM jsonb_array_elements_text(?::jsonb) AS x
				WHERE EXISTS (SELECT 1 FROM m) ON CONFLICT (key) DO NOTHING),
			d AS (`+doc+`),
			a AS (`+touch+`)
			SELECT m.id, u.assignee_id FROM m, u`, args...).Rows()
	if err != nil {
		return 0, nil, nil, false, fmt.Errorf("append message: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		ok = true
		if err := rows.Scan(&msgID, &assignee); err != nil {
			return 0, nil, nil, false, fmt.Errorf("append message: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, nil, nil, false, fmt.Errorf("append message: %w", err)
	}
	if !ok {
		return 0, nil, nil, false, nil
	}
	if err := createAttachments(tx, msgID, in.Attachments, blobs, ts); err != nil {
		return 0, nil, nil, false, err
	}
	changes = &TicketChanges{LastMessageAt: &ts}
	if reopened {
		changes.Status = &Change[string]{Old: t.Status, New: store.StatusOpen}
	}
	return msgID, changes, assignee, true, nil
}

// storeMessage writes the message row, its attachments, its thread keys and
// its search index entry, records the contact's activity (counters grow by
// one) and returns the message id.
func (s *Service) storeMessage(tx *gorm.DB, in *Inbound, ticketID, contactID int64, html string, blobs []string, ts time.Time, counters []string) (int64, error) {
	metaJSON, err := store.JSONMap(inboundMeta(in)).Value()
	if err != nil {
		return 0, err
	}
	var id int64
	keys := append(append([]string(nil), in.OwnKeys...), in.ThreadKeys...)
	if s.st.Dialect == store.Postgres {
		// Message, thread keys and search entry in one round trip.
		keyJSON, err := json.Marshal(uniqueKeys(keys))
		if err != nil {
			return 0, err
		}
		// Message, thread keys, search entry and the contact's activity in
		// one round trip.
		doc, docArgs := store.PostgresDocCTE("m", false, ticketID, in.Text)
		touch, touchArgs := store.TouchContactSQL(contactID, ts, counters...)
		args := []any{ticketID, store.DirInbound, store.AuthorContact, contactID, in.ChannelID, in.ExternalID, in.Text, html, metaJSON, ts,
			ticketID, ts, string(keyJSON)}
		args = append(append(args, docArgs...), touchArgs...)
		if err := tx.Raw(`WITH m AS (INSERT INTO messages (ticket_id, direction, author_type, author_id, channel_id, external_id, text, html, meta, delivery_status, delivery_error, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', ?) RETURNING id),
			k AS (INSERT INTO thread_keys (key, ticket_id, created_at) SELECT x, ?, ? FROM jsonb_array_elements_text(?::jsonb) AS x ON CONFLICT (key) DO NOTHING),
			d AS (`+doc+`),
			a AS (`+touch+`)
			SELECT id FROM m`, args...).Row().Scan(&id); err != nil {
			return 0, fmt.Errorf("create message: %w", err)
		}
		if err := createAttachments(tx, id, in.Attachments, blobs, ts); err != nil {
			return 0, err
		}
		return id, nil
	}
	if err := tx.Raw(`INSERT INTO messages (ticket_id, direction, author_type, author_id, channel_id, external_id, text, html, meta, delivery_status, delivery_error, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', ?) RETURNING id`,
		ticketID, store.DirInbound, store.AuthorContact, contactID, in.ChannelID, in.ExternalID, in.Text, html, metaJSON, ts).
		Row().Scan(&id); err != nil {
		return 0, fmt.Errorf("create message: %w", err)
	}
	if err := createAttachments(tx, id, in.Attachments, blobs, ts); err != nil {
		return 0, err
	}
	if err := addKeys(tx, ticketID, keys...); err != nil {
		return 0, err
	}
	if err := s.st.IndexMessage(tx, ticketID, id, in.Text); err != nil {
		return 0, err
	}
	if err := store.TouchContactTx(tx, contactID, ts, counters...); err != nil {
		return 0, err
	}
	return id, nil
}

// inboundMeta is the metadata stored with an inbound message: the channel's
// Meta plus when it was sent, whether it is automatic and who else was on it.
func inboundMeta(in *Inbound) map[string]any {
	meta := make(map[string]any, len(in.Meta)+3)
	for k, v := range in.Meta {
		meta[k] = v
	}
	if !in.SentAt.IsZero() {
		meta["sent_at"] = in.SentAt.UTC().Format(time.RFC3339)
	}
	if in.Auto {
		meta["auto"] = true
	}
	if len(in.Participants) > 0 {
		ps := make([]map[string]any, 0, len(in.Participants))
		for _, p := range in.Participants {
			ps = append(ps, map[string]any{"kind": p.Kind, "id": p.ID, "name": p.Name, "email": p.Email})
		}
		meta["participants"] = ps
	}
	return meta
}

// maxMergeHops bounds following merged tickets (a chain A→B→C of merges).
const maxMergeHops = 16

// findTicket picks the ticket an inbound message belongs to, or nil for a
// new one. A key or ticket number of a merged ticket leads to the ticket it
// was merged into; a closed ticket is never reopened.
func (s *Service) findTicket(tx *gorm.DB, in *Inbound, contact *store.Contact) (*store.Ticket, error) {
	if in.NewTicket {
		return nil, nil
	}
	if t, err := ticketByKeys(tx, in.ThreadKeys); err != nil || t != nil {
		return t, err
	}
	if in.FallbackNumber > store.TicketNumberBase {
		t, err := followTicket(tx, in.FallbackNumber-store.TicketNumberBase)
		if err != nil || (t != nil && t.ContactID == contact.ID) {
			return t, err
		}
	}
	return nil, nil
}

// ticketByKeys returns the ticket of the first key that names a ticket still
// taking messages (following merges), or nil.
func ticketByKeys(tx *gorm.DB, keys []string) (*store.Ticket, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	var rows []struct {
		Key string
		store.Ticket
	}
	if err := tx.Raw(`SELECT k.key, t.id, t.status, t.contact_id, t.merged_into FROM thread_keys k JOIN tickets t ON t.id = k.ticket_id
		WHERE k.key IN ?`, keys).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("thread lookup: %w", err)
	}
	byKey := make(map[string]store.Ticket, len(rows))
	for _, r := range rows {
		byKey[r.Key] = r.Ticket
	}
	for _, k := range keys {
		t, ok := byKey[k]
		switch {
		case !ok:
		case t.MergedInto == nil && t.Status != store.StatusClosed:
			return &t, nil
		case t.MergedInto != nil:
			if f, err := followTicket(tx, *t.MergedInto); err != nil || f != nil {
				return f, err
			}
		}
	}
	return nil, nil
}

// followTicket returns ticket id, or the ticket it was merged into (through
// any chain of merges); nil when that ticket is closed or does not exist.
func followTicket(tx *gorm.DB, id int64) (*store.Ticket, error) {
	for range maxMergeHops {
		var t store.Ticket
		err := tx.Select("id", "status", "contact_id", "merged_into").Take(&t, id).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("ticket lookup: %w", err)
		}
		if t.MergedInto == nil {
			if t.Status == store.StatusClosed {
				return nil, nil
			}
			return &t, nil
		}
		id = *t.MergedInto
	}
	return nil, nil
}

// addKeys maps thread keys to a ticket; keys already mapped keep their ticket.
func addKeys(tx *gorm.DB, ticketID int64, keys ...string) error {
	ts := now()
	seen := map[string]bool{}
	var sqlb strings.Builder
	args := make([]any, 0, 3*len(keys))
	for _, k := range keys {
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		if len(args) > 0 {
			sqlb.WriteString(", ")
		}
		sqlb.WriteString("(?, ?, ?)")
		args = append(args, k, ticketID, ts)
	}
	if len(args) == 0 {
		return nil
	}
	if err := tx.Exec("INSERT INTO thread_keys (key, ticket_id, created_at) VALUES "+sqlb.String()+" ON CONFLICT (key) DO NOTHING", args...).Error; err != nil {
		return fmt.Errorf("add thread keys: %w", err)
	}
	return nil
}

// uniqueKeys returns keys without empty and repeated ones, in order (as
// addKeys writes them).
func uniqueKeys(keys []string) []string {
	out := make([]string, 0, len(keys))
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if k != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

func cleanFileName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, strings.TrimSpace(plaintext.StripBidi(name)))
	if name == "" || name == "." || name == ".." {
		name = "attachment"
	}
	return name
}

// normEmail lower-cases and trims an address; "" when it is none (no @, too
// long, or bytes no address has).
func normEmail(e string) string {
	e = strings.TrimSpace(strings.ToLower(e))
	if !strings.Contains(e, "@") || len(e) > 320 || !plaintext.Clean(e) {
		return ""
	}
	return e
}
