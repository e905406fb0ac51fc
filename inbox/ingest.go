package inbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

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

// IngestAll ingests messages in order, like calling Ingest for each, but on
// SQLite lets them share transactions (a mailbox backfill, a gateway
// catch-up). The i-th result and error belong to the i-th message; each
// message is stored exactly once whatever happens to the others.
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
		if err := s.batch.enqueue(ctx, p); err != nil {
			results[i], errs[i] = IngestResult{}, err
			continue
		}
		reqs[i] = p
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
		results[i], errs[i] = s.finish(ins[i], resp.res, resp.events, resp.err, start)
	}
	return results, errs
}

// prepare validates a message, answers duplicates without a write, and does
// the work that needs no transaction (sanitizing HTML, storing attachment
// bytes). done reports that res and err are final.
func (s *Service) prepare(ctx context.Context, in *Inbound, start time.Time) (p *batchReq, done bool, res IngestResult, err error) {
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
	s.Wake()
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
	return nil
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

// ingestTx writes one inbound message inside tx. checkDup looks the message
// up first; a batch skips that and relies on the unique index instead (a
// duplicate then fails the batch, which is replayed message by message).
func (s *Service) ingestTx(tx *gorm.DB, in *Inbound, html string, blobs []string, checkDup bool) (IngestResult, []Event, error) {
	lock := []string{fmt.Sprintf("msg:%d:%s", in.ChannelID, in.ExternalID), "id:" + in.Contact.Kind + ":" + in.Contact.ID}
	lock = append(lock, in.ThreadKeys...)
	lock = append(lock, in.OwnKeys...)
	if e := normEmail(in.Contact.Email); e != "" {
		lock = append(lock, "id:email:"+e)
	}
	if err := s.lockKeys(tx, lock...); err != nil {
		return IngestResult{}, nil, err
	}
	if checkDup {
		if r, ok, err := s.findDuplicate(context.Background(), tx, in.ChannelID, in.ExternalID); err != nil || ok {
			return r, nil, err
		}
	}
	var events []Event
	contact, merged, err := s.resolveContact(tx, in.Contact)
	if err != nil {
		return IngestResult{}, nil, err
	}
	for _, id := range merged {
		events = append(events, Event{Type: EventContactUpdated, ContactID: contact.ID, Contact: &ContactChanges{MergedFrom: id}})
	}
	for _, p := range in.Participants {
		if p.Kind == "" || p.ID == "" {
			continue
		}
		if _, _, err := s.resolveContact(tx, p); err != nil {
			return IngestResult{}, nil, err
		}
	}

	ts := now()
	ticket, err := s.findTicket(tx, in, contact)
	if err != nil {
		return IngestResult{}, nil, err
	}
	res := IngestResult{ContactID: contact.ID}
	if ticket == nil {
		subject := strings.TrimSpace(in.Subject)
		if subject == "" {
			subject = subjectFrom(in.Text)
		}
		ticket = &store.Ticket{
			PublicID:       NewPublicID(),
			ReplyToken:     randomID(10),
			Subject:        truncateUTF8(subject, 900),
			Status:         store.StatusOpen,
			Priority:       store.PriorityNormal,
			ContactID:      contact.ID,
			ChannelID:      in.ChannelID,
			LastChannelID:  in.ChannelID,
			LastCustomerAt: &ts,
			LastMessageAt:  ts,
			MessageCount:   1,
		}
		if err := tx.Raw(`INSERT INTO tickets (public_id, reply_token, subject, status, priority, team, contact_id, channel_id, last_channel_id,
			last_customer_at, last_message_at, message_count, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, 1, 1, ?, ?) RETURNING id`,
			ticket.PublicID, ticket.ReplyToken, ticket.Subject, ticket.Status, ticket.Priority, ticket.ContactID, ticket.ChannelID,
			ticket.LastChannelID, ts, ts, ts, ts).Row().Scan(&ticket.ID); err != nil {
			return IngestResult{}, nil, fmt.Errorf("create ticket: %w", err)
		}
		if err := addKeys(tx, ticket.ID, TokenKey(ticket.ReplyToken)); err != nil {
			return IngestResult{}, nil, err
		}
		if err := s.st.IndexTicket(tx, ticket.ID, ticket.Subject, contact.Name, contact.Email, in.Contact.ID); err != nil {
			return IngestResult{}, nil, err
		}
		res.NewTicket = true
		events = append(events, Event{Type: EventTicketCreated, TicketID: ticket.ID, ChannelID: in.ChannelID, ContactID: contact.ID})
	} else {
		reopened := !in.Auto && ticket.Status != store.StatusOpen
		q := `UPDATE tickets SET last_customer_at = ?, last_message_at = ?, last_channel_id = ?, message_count = message_count + 1,
			version = version + 1, updated_at = ?`
		if reopened {
			q += `, status = 'open', snoozed_until = NULL`
		}
		if err := tx.Exec(q+` WHERE id = ?`, ts, ts, in.ChannelID, ts, ticket.ID).Error; err != nil {
			return IngestResult{}, nil, fmt.Errorf("update ticket: %w", err)
		}
		changes := &TicketChanges{LastMessageAt: &ts}
		if reopened {
			changes.Status = &Change[string]{Old: ticket.Status, New: store.StatusOpen}
		}
		events = append(events, Event{Type: EventTicketUpdated, TicketID: ticket.ID, ChannelID: in.ChannelID, ContactID: contact.ID, Changes: changes})
	}

	meta := map[string]any{}
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
	ext := in.ExternalID
	msg := &store.Message{
		TicketID:   ticket.ID,
		Direction:  store.DirInbound,
		AuthorType: store.AuthorContact,
		AuthorID:   contact.ID,
		ChannelID:  in.ChannelID,
		ExternalID: &ext,
		Text:       in.Text,
		HTML:       html,
		Meta:       meta,
		CreatedAt:  ts,
	}
	metaJSON, err := msg.Meta.Value()
	if err != nil {
		return IngestResult{}, nil, err
	}
	if err := tx.Raw(`INSERT INTO messages (ticket_id, direction, author_type, author_id, channel_id, external_id, text, html, meta, delivery_status, delivery_error, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', ?) RETURNING id`,
		msg.TicketID, msg.Direction, msg.AuthorType, msg.AuthorID, msg.ChannelID, ext, msg.Text, msg.HTML, metaJSON, ts).
		Row().Scan(&msg.ID); err != nil {
		return IngestResult{}, nil, fmt.Errorf("create message: %w", err)
	}
	for i, a := range in.Attachments {
		att := store.Attachment{
			MessageID:   msg.ID,
			SHA256:      blobs[i],
			Name:        truncateUTF8(cleanFileName(a.Name), 255),
			ContentType: truncateUTF8(a.ContentType, 255),
			Size:        int64(len(a.Data)),
			ContentID:   truncateUTF8(a.ContentID, 255),
			Inline:      a.Inline,
			CreatedAt:   ts,
		}
		if err := tx.Create(&att).Error; err != nil {
			return IngestResult{}, nil, fmt.Errorf("create attachment: %w", err)
		}
	}
	keys := append(append([]string(nil), in.OwnKeys...), in.ThreadKeys...)
	if err := addKeys(tx, ticket.ID, keys...); err != nil {
		return IngestResult{}, nil, err
	}
	if err := s.st.IndexMessage(tx, ticket.ID, msg.ID, in.Text); err != nil {
		return IngestResult{}, nil, err
	}
	ev := Event{Type: EventMessageCreated, TicketID: ticket.ID, MessageID: msg.ID, ChannelID: in.ChannelID, ContactID: contact.ID,
		Message: &MessageChanges{Direction: store.DirInbound}}
	events = append(events, ev)
	notifyEvent := ev
	if res.NewTicket {
		notifyEvent = events[len(events)-2]
		notifyEvent.MessageID = msg.ID
	}
	if err := s.queueNotifications(tx, ticket.ID, notifyEvent); err != nil {
		return IngestResult{}, nil, err
	}
	// events helper: the durable record of this change, in its transaction.
	if err := s.recordEvents(tx, events); err != nil {
		return IngestResult{}, nil, err
	}
	res.TicketID = ticket.ID
	res.MessageID = msg.ID
	return res, events, nil
}

// findTicket picks the ticket an inbound message belongs to, or nil for a new one.
func (s *Service) findTicket(tx *gorm.DB, in *Inbound, contact *store.Contact) (*store.Ticket, error) {
	if in.NewTicket {
		return nil, nil
	}
	if len(in.ThreadKeys) > 0 {
		type row struct {
			Key      string
			TicketID int64
			Status   string
		}
		var rows []row
		if err := tx.Raw("SELECT k.key, k.ticket_id, t.status FROM thread_keys k JOIN tickets t ON t.id = k.ticket_id WHERE k.key IN ?", in.ThreadKeys).
			Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("thread lookup: %w", err)
		}
		byKey := make(map[string]row, len(rows))
		for _, r := range rows {
			byKey[r.Key] = r
		}
		for _, k := range in.ThreadKeys {
			r, ok := byKey[k]
			if !ok || r.Status == store.StatusClosed {
				continue
			}
			return &store.Ticket{ID: r.TicketID, Status: r.Status}, nil
		}
	}
	if in.FallbackNumber > store.TicketNumberBase {
		var t store.Ticket
		err := tx.Take(&t, in.FallbackNumber-store.TicketNumberBase).Error
		if err == nil && t.ContactID == contact.ID && t.Status != store.StatusClosed {
			return &t, nil
		}
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("fallback lookup: %w", err)
		}
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

func cleanFileName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, strings.TrimSpace(name))
	if name == "" || name == "." || name == ".." {
		name = "attachment"
	}
	return name
}

func normEmail(e string) string {
	e = strings.TrimSpace(strings.ToLower(e))
	if !strings.Contains(e, "@") || len(e) > 320 {
		return ""
	}
	return e
}
