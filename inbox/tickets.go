package inbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	stdhtml "html"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// ReplyInput is an agent's reply to a customer.
type ReplyInput struct {
	TicketID int64
	AgentID  int64
	Text     string
	HTML     string
	// ChannelID sends on that channel; 0 means the channel of the customer's
	// latest message.
	ChannelID int64
	// ChannelKind ("email") picks the first enabled channel of that kind when
	// ChannelID is 0.
	ChannelKind string
	Attachments []Attachment
	// ExpectVersion, when set, refuses the reply with ErrStale if the ticket
	// changed since the agent loaded it (the collision guard).
	ExpectVersion int64
	// Status optionally sets the ticket status with the reply ("pending", "resolved").
	Status string
	// IdempotencyKey, when set, makes the reply once-only per agent: the same
	// key with the same reply within IdempotencyRetention returns the first
	// message and sends nothing again; with a different reply it is
	// ErrKeyReused.
	IdempotencyKey string

	// rule is the rule sending the reply (a saved reply action).
	rule *RuleCause
}

// Reply stores an agent reply and queues it for delivery in one transaction.
// The outbox dispatcher sends it; its delivery status starts as queued.
func (s *Service) Reply(ctx context.Context, r ReplyInput) (*store.Message, error) {
	var err error
	if r.Text, r.HTML, err = agentText(r.Text, r.HTML); err != nil {
		return nil, err
	}
	if strings.TrimSpace(r.Text) == "" && strings.TrimSpace(r.HTML) == "" && len(r.Attachments) == 0 {
		return nil, invalidAs("message_empty", nil, "reply is empty")
	}
	if len(r.Text) > MaxTextBytes || len(r.HTML) > MaxHTMLBytes {
		return nil, invalidAs("message_too_large", nil, "reply is too large")
	}
	if r.Status != "" && !validStatus(r.Status) {
		return nil, invalidAs("bad_status", map[string]any{"value": r.Status}, "unknown status %q", r.Status)
	}
	html := ""
	if r.HTML != "" {
		html = s.policy.Sanitize(r.HTML)
	}
	blobs, err := s.putBlobs(r.Attachments)
	if err != nil {
		return nil, err
	}
	key, err := newIdempotent(r.AgentID, r.IdempotencyKey, "reply", r.TicketID, r.Text, r.HTML, r.ChannelID, r.ChannelKind,
		r.ExpectVersion, r.Status, attachmentDigest(r.Attachments, blobs))
	if err != nil {
		return nil, err
	}
	var msg *store.Message
	var events []Event
	var replayed int64
	err = s.st.Tx(ctx, func(tx *gorm.DB) error {
		var err error
		if replayed, err = s.replay(tx, key); err != nil || replayed != 0 {
			return err
		}
		if msg, events, err = s.replyTx(tx, r, html, blobs); err != nil {
			return err
		}
		return s.remember(tx, key, msg.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("inbox: reply to ticket %d: %w", r.TicketID, err)
	}
	if key != nil {
		s.sweepIdempotency(ctx)
	}
	if replayed != 0 {
		return s.Message(ctx, replayed)
	}
	s.publish(events...) // the commit woke the dispatcher (store.OnOutbox)
	return msg, nil
}

// replyTx writes a reply, its outbox row and the ticket's change inside tx.
func (s *Service) replyTx(tx *gorm.DB, r ReplyInput, html string, blobs []string) (*store.Message, []Event, error) {
	t, err := lockTicket(tx, r.TicketID)
	if err != nil {
		return nil, nil, err
	}
	if r.ExpectVersion > 0 && t.Version != r.ExpectVersion {
		return nil, nil, ErrStale
	}
	ch, err := s.pickChannel(tx, t, r.ChannelID, r.ChannelKind)
	if err != nil {
		return nil, nil, err
	}
	if r.rule == nil && r.AgentID > 0 {
		if r.Text, html, err = withSignature(tx, r.AgentID, ch.Kind, r.Text, html); err != nil {
			return nil, nil, err
		}
	}
	ts := now()
	msg := &store.Message{
		TicketID: t.ID, Direction: store.DirOutbound, AuthorType: store.AuthorAgent, AuthorID: r.AgentID,
		ChannelID: ch.ID, Text: r.Text, HTML: html, Meta: store.JSONMap{}, DeliveryStatus: store.DeliveryQueued, CreatedAt: ts,
	}
	if r.rule != nil {
		msg.AuthorType = store.AuthorBot
		msg.Meta["rule"] = r.rule.ref()
	}
	if err := tx.Create(msg).Error; err != nil {
		return nil, nil, fmt.Errorf("create reply: %w", err)
	}
	if err := createAttachments(tx, msg.ID, r.Attachments, blobs, ts); err != nil {
		return nil, nil, err
	}
	mid := msg.ID
	if err := tx.Create(&store.Outbox{
		ChannelID: ch.ID, MessageID: &mid, TicketID: t.ID, Purpose: store.PurposeReply,
		Payload: store.JSONMap{}, Status: store.OutboxPending, NextAttemptAt: ts,
	}).Error; err != nil {
		return nil, nil, fmt.Errorf("queue reply: %w", err)
	}
	up := map[string]any{
		"last_agent_at": ts, "last_message_at": ts, "updated_at": ts,
		"message_count": gorm.Expr("message_count + 1"), "version": gorm.Expr("version + 1"),
	}
	if t.FirstResponseAt == nil && r.rule == nil { // an automatic reply is not a response
		up["first_response_at"] = ts
	}
	if r.Status != "" && r.Status != t.Status {
		up["status"] = r.Status
	}
	if t.AssigneeID == nil && r.AgentID > 0 {
		up["assignee_id"] = r.AgentID // the first agent to answer owns the ticket
	}
	if err := tx.Model(&store.Ticket{}).Where("id = ?", t.ID).Updates(up).Error; err != nil {
		return nil, nil, fmt.Errorf("update ticket: %w", err)
	}
	if err := s.st.IndexMessage(tx, t.ID, msg.ID, r.Text); err != nil {
		return nil, nil, err
	}
	ev := Event{Type: EventMessageCreated, TicketID: t.ID, MessageID: msg.ID, ChannelID: ch.ID, AgentID: r.AgentID,
		Message: &MessageChanges{Direction: store.DirOutbound}, Rule: r.rule}
	changes := &TicketChanges{LastMessageAt: &ts}
	if st, ok := up["status"].(string); ok {
		changes.Status = &Change[string]{Old: t.Status, New: st}
	}
	if t.AssigneeID == nil && r.AgentID > 0 {
		changes.Assignee = &Change[*AgentRef]{New: agentRef(tx, r.AgentID)}
	}
	events := []Event{ev, {Type: EventTicketUpdated, TicketID: t.ID, AgentID: r.AgentID, Changes: changes, Rule: r.rule}}
	if err := s.queueNotifications(tx, t.ID, ev); err != nil {
		return nil, nil, err
	}
	return msg, events, s.recordEvents(tx, events)
}

// NoteInput is an agent's private note on a ticket.
type NoteInput struct {
	TicketID    int64
	AgentID     int64
	Text        string
	Attachments []Attachment
	// IdempotencyKey works as for ReplyInput (one key space per agent).
	IdempotencyKey string
	// Mentions are the agents the note mentions (@name in the composer):
	// each is recorded (the "mentions" view) and named in the event, so
	// their clients notify them. Unknown or inactive agents, and agents
	// who cannot see the ticket (a restricted team's), are dropped.
	Mentions []int64
}

// maxMentions bounds the agents one note may mention.
const maxMentions = 50

// AddNote stores a private note: never sent to the customer.
func (s *Service) AddNote(ctx context.Context, ticketID, agentID int64, text string, atts []Attachment) (*store.Message, error) {
	return s.Note(ctx, NoteInput{TicketID: ticketID, AgentID: agentID, Text: text, Attachments: atts})
}

// Note stores a private note: never sent to the customer.
func (s *Service) Note(ctx context.Context, n NoteInput) (*store.Message, error) {
	var err error
	if n.Text, _, err = agentText(n.Text, ""); err != nil {
		return nil, err
	}
	if strings.TrimSpace(n.Text) == "" && len(n.Attachments) == 0 {
		return nil, invalidAs("message_empty", nil, "note is empty")
	}
	if len(n.Text) > MaxTextBytes {
		return nil, invalidAs("message_too_large", nil, "note is too large")
	}
	blobs, err := s.putBlobs(n.Attachments)
	if err != nil {
		return nil, err
	}
	if len(n.Mentions) > maxMentions {
		return nil, invalidAs("too_many_mentions", map[string]any{"max": maxMentions}, "at most %d mentions", maxMentions)
	}
	request := []any{"note", n.TicketID, n.Text, attachmentDigest(n.Attachments, blobs)}
	if len(n.Mentions) > 0 { // notes without mentions keep their earlier digest
		request = append(request, fmt.Sprint(n.Mentions))
	}
	key, err := newIdempotent(n.AgentID, n.IdempotencyKey, request...)
	if err != nil {
		return nil, err
	}
	var msg *store.Message
	var ev Event
	var replayed int64
	err = s.st.Tx(ctx, func(tx *gorm.DB) error {
		var err error
		if replayed, err = s.replay(tx, key); err != nil || replayed != 0 {
			return err
		}
		if msg, ev, err = s.noteTx(tx, n, blobs, nil); err != nil {
			return err
		}
		return s.remember(tx, key, msg.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("inbox: note on ticket %d: %w", n.TicketID, err)
	}
	if key != nil {
		s.sweepIdempotency(ctx)
	}
	if replayed != 0 {
		return s.Message(ctx, replayed)
	}
	s.publish(ev)
	return msg, nil
}

// noteTx writes a note inside tx. A note written by a rule (cause set) is
// the system's, with the rule named in its metadata.
func (s *Service) noteTx(tx *gorm.DB, n NoteInput, blobs []string, cause *RuleCause) (*store.Message, Event, error) {
	t, err := lockTicket(tx, n.TicketID)
	if err != nil {
		return nil, Event{}, err
	}
	ts := now()
	msg := &store.Message{TicketID: t.ID, Direction: store.DirNote, AuthorType: store.AuthorAgent, AuthorID: n.AgentID,
		ChannelID: t.LastChannelID, Text: n.Text, Meta: store.JSONMap{}, CreatedAt: ts}
	if cause != nil {
		msg.AuthorType = store.AuthorSystem
		msg.Meta["rule"] = cause.ref()
	}
	if err := tx.Create(msg).Error; err != nil {
		return nil, Event{}, fmt.Errorf("create note: %w", err)
	}
	if err := createAttachments(tx, msg.ID, n.Attachments, blobs, ts); err != nil {
		return nil, Event{}, err
	}
	mentions, err := store.MentionableAgentIDs(tx, t.ID, n.Mentions)
	if err != nil {
		return nil, Event{}, err
	}
	if len(mentions) > 0 {
		if err := store.CreateMentionsTx(tx, msg, mentions); err != nil {
			return nil, Event{}, err
		}
		msg.Meta["mentions"] = mentions
		if err := tx.Model(msg).Update("meta", msg.Meta).Error; err != nil {
			return nil, Event{}, fmt.Errorf("note mentions: %w", err)
		}
	}
	if err := tx.Model(&store.Ticket{}).Where("id = ?", t.ID).Updates(map[string]any{
		"version": gorm.Expr("version + 1"), "updated_at": ts, "message_count": gorm.Expr("message_count + 1"),
	}).Error; err != nil {
		return nil, Event{}, err
	}
	if err := s.st.IndexMessage(tx, t.ID, msg.ID, n.Text); err != nil {
		return nil, Event{}, err
	}
	evs := []Event{{Type: EventMessageCreated, TicketID: t.ID, MessageID: msg.ID, AgentID: n.AgentID, Message: &MessageChanges{Direction: store.DirNote, Mentions: mentions}, Rule: cause}}
	if err := s.recordEvents(tx, evs); err != nil {
		return nil, Event{}, err
	}
	return msg, evs[0], nil
}

// agentText normalises what an agent wrote, from any edge (the API, a Slack
// thread): NUL bytes go (plaintext.Text), invalid UTF-8 is refused.
func agentText(text, html string) (string, string, error) {
	t, err1 := plaintext.Text(text, 0)
	h, err2 := plaintext.Text(html, 0)
	if err1 != nil || err2 != nil {
		return "", "", invalidAs("bad_utf8", map[string]any{"field": "text"}, "text is not valid UTF-8")
	}
	return t, h, nil
}

// TicketPatch changes a ticket; nil fields are left alone.
type TicketPatch struct {
	Status       *string
	SnoozedUntil *time.Time
	Priority     *string
	// AssigneeID: pointer to 0 unassigns.
	AssigneeID *int64
	// TeamID files the ticket to a team; pointer to 0 to none.
	TeamID     *int64
	Tags       *[]string
	AddTags    []string
	RemoveTags []string
	Subject    *string
}

func validStatus(s string) bool {
	switch s {
	case store.StatusOpen, store.StatusPending, store.StatusSnoozed, store.StatusResolved, store.StatusClosed:
		return true
	}
	return false
}

func validPriority(p string) bool {
	switch p {
	case store.PriorityLow, store.PriorityNormal, store.PriorityHigh, store.PriorityUrgent:
		return true
	}
	return false
}

// UpdateTicket applies p on behalf of agent actorID (0 for the system) and
// records a system message describing the change.
func (s *Service) UpdateTicket(ctx context.Context, ticketID, actorID int64, p TicketPatch) (*store.Ticket, error) {
	var events []Event
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		var err error
		events, err = s.updateTicketTx(tx, ticketID, actorID, p, nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("inbox: update ticket %d: %w", ticketID, err)
	}
	if len(events) > 0 {
		s.publish(events...)
	}
	return s.Ticket(ctx, ticketID)
}

// updateTicketTx applies p inside tx and returns the recorded events (none
// when nothing changed). cause, when set, names the rule that made the
// change: its system message and event carry it.
func (s *Service) updateTicketTx(tx *gorm.DB, ticketID, actorID int64, p TicketPatch, cause *RuleCause) ([]Event, error) {
	var events []Event
	err := func() error {
		t, err := lockTicket(tx, ticketID)
		if err != nil {
			return err
		}
		ch := &TicketChanges{}
		up := map[string]any{}
		if p.Status != nil && *p.Status != t.Status {
			if !validStatus(*p.Status) {
				return invalidAs("bad_status", map[string]any{"value": *p.Status}, "unknown status %q", *p.Status)
			}
			var until *time.Time
			if *p.Status == store.StatusSnoozed {
				if p.SnoozedUntil == nil || !p.SnoozedUntil.After(time.Now()) {
					return invalidAs("snooze_time", nil, "snoozed needs a future snoozed_until")
				}
				u := p.SnoozedUntil.UTC()
				until = &u
				up["snoozed_until"] = u
			} else {
				up["snoozed_until"] = nil
			}
			if t.SnoozedUntil != nil || until != nil {
				ch.SnoozedUntil = &Change[*time.Time]{Old: t.SnoozedUntil, New: until}
			}
			up["status"] = *p.Status
			ch.Status = &Change[string]{Old: t.Status, New: *p.Status}
		}
		if p.Priority != nil && *p.Priority != t.Priority {
			if !validPriority(*p.Priority) {
				return invalidAs("bad_priority", map[string]any{"value": *p.Priority}, "unknown priority %q", *p.Priority)
			}
			up["priority"] = *p.Priority
			ch.Priority = &Change[string]{Old: t.Priority, New: *p.Priority}
		}
		if p.AssigneeID != nil {
			var old *AgentRef
			if t.AssigneeID != nil {
				old = agentRef(tx, *t.AssigneeID)
			}
			if *p.AssigneeID == 0 {
				if t.AssigneeID != nil {
					up["assignee_id"] = nil
					ch.Assignee = &Change[*AgentRef]{Old: old}
				}
			} else if t.AssigneeID == nil || *t.AssigneeID != *p.AssigneeID {
				var a store.Agent
				if err := tx.Take(&a, *p.AssigneeID).Error; err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
					return fmt.Errorf("load assignee: %w", err)
				} else if err != nil || !a.Active {
					return invalidAs("no_agent", map[string]any{"id": *p.AssigneeID}, "no active agent %d", *p.AssigneeID)
				}
				up["assignee_id"] = *p.AssigneeID
				ch.Assignee = &Change[*AgentRef]{Old: old, New: &AgentRef{ID: a.ID, Name: a.Name}}
			}
		}
		if p.TeamID != nil && *p.TeamID != derefID(t.TeamID) {
			var newID *int64
			if *p.TeamID != 0 {
				var tm store.Team
				if err := tx.Take(&tm, *p.TeamID).Error; err != nil {
					if errors.Is(err, gorm.ErrRecordNotFound) {
						return invalidAs("no_team", map[string]any{"id": *p.TeamID}, "no team %d", *p.TeamID)
					}
					return fmt.Errorf("load team: %w", err)
				}
				newID = &tm.ID
			}
			up["team_id"] = newID
			ch.Team = &Change[string]{Old: teamName(tx, t.TeamID), New: teamName(tx, newID)}
			ch.TeamID = &Change[int64]{Old: derefID(t.TeamID), New: derefID(newID)}
		}
		if p.Subject != nil && strings.TrimSpace(*p.Subject) != "" && *p.Subject != t.Subject {
			subject := plaintext.Clip(strings.TrimSpace(*p.Subject), 900)
			up["subject"] = subject
			ch.Subject = &Change[string]{Old: t.Subject, New: subject}
		}
		oldTags, newTags, err := applyTags(tx, t.ID, p)
		if err != nil {
			return err
		}
		if newTags != nil {
			ch.Tags = &Change[[]string]{Old: oldTags, New: newTags}
		}
		if len(ch.Fields()) == 0 {
			return nil
		}
		ts := now()
		up["version"] = gorm.Expr("version + 1")
		up["updated_at"] = ts
		if err := tx.Model(&store.Ticket{}).Where("id = ?", t.ID).Updates(up).Error; err != nil {
			return fmt.Errorf("update ticket: %w", err)
		}
		meta := store.JSONMap{"changes": ch, "agent_id": actorID}
		text := ch.Summary()
		if cause != nil {
			meta["rule"] = cause.ref()
			text += " (rule '" + cause.Name + "')"
		}
		if err := tx.Create(&store.Message{TicketID: t.ID, Direction: store.DirSystem, AuthorType: store.AuthorSystem, AuthorID: actorID,
			ChannelID: t.LastChannelID, Text: text, Meta: meta, CreatedAt: ts}).Error; err != nil {
			return err
		}
		events = []Event{{Type: EventTicketUpdated, TicketID: t.ID, AgentID: actorID, Changes: ch, Rule: cause}}
		if err := s.queueNotifications(tx, t.ID, events[0]); err != nil {
			return err
		}
		return s.recordEvents(tx, events)
	}()
	return events, err
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// agentRef names an agent for an event; a missing agent keeps its id.
func agentRef(tx *gorm.DB, id int64) *AgentRef {
	ref := &AgentRef{ID: id}
	var a store.Agent
	if tx.Select("id", "name").Take(&a, id).Error == nil {
		ref.Name = a.Name
	}
	return ref
}

// applyTags sets a ticket's tags from p. When they change it returns the
// old and new sets (sorted; new is non-nil, empty when all were removed).
func applyTags(tx *gorm.DB, ticketID int64, p TicketPatch) (old, updated []string, err error) {
	var current []string
	if err := tx.Model(&store.TicketTag{}).Where("ticket_id = ?", ticketID).Pluck("tag", &current).Error; err != nil {
		return nil, nil, err
	}
	want := slices.Clone(current)
	if p.Tags != nil {
		want = slices.Clone(*p.Tags)
	}
	want = append(want, p.AddTags...)
	norm := map[string]bool{}
	final := []string{}
	for _, tg := range want {
		tg = strings.ToLower(strings.TrimSpace(tg))
		if tg == "" || utf8.RuneCountInString(tg) > 64 || norm[tg] || slices.Contains(p.RemoveTags, tg) {
			continue
		}
		norm[tg] = true
		final = append(final, tg)
	}
	slices.Sort(final)
	slices.Sort(current)
	if slices.Equal(final, current) {
		return nil, nil, nil
	}
	if err := tx.Where("ticket_id = ?", ticketID).Delete(&store.TicketTag{}).Error; err != nil {
		return nil, nil, err
	}
	for _, tg := range final {
		if err := tx.Create(&store.TicketTag{TicketID: ticketID, Tag: tg}).Error; err != nil {
			return nil, nil, err
		}
	}
	if current == nil {
		current = []string{}
	}
	return current, final, nil
}

// MergeTickets moves every message and thread key of ticket from into ticket
// into, closes from and records the merge on it, so anything that still names
// from (a key, its number, a message racing the merge) is filed in into. The
// merge holds the advisory locks of both tickets' threads, like ingest, so a
// message arriving on one of them waits for it or goes first.
func (s *Service) MergeTickets(ctx context.Context, into, from, actorID int64) error {
	if into == from {
		return invalidAs("merge_self", nil, "cannot merge a ticket into itself")
	}
	var events []Event
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		var keys []string
		if err := tx.Model(&store.ThreadKey{}).Where("ticket_id IN ?", []int64{into, from}).Pluck("key", &keys).Error; err != nil {
			return fmt.Errorf("thread keys: %w", err)
		}
		if err := s.lockKeys(tx, keys...); err != nil {
			return err
		}
		dst, err := lockTicket(tx, into)
		if err != nil {
			return err
		}
		src, err := lockTicket(tx, from)
		if err != nil {
			return err
		}
		if src.MergedInto != nil || dst.MergedInto != nil {
			return invalidAs("already_merged", map[string]any{"number": src.Number()}, "ticket %d was already merged", src.Number())
		}
		last, err := s.mergeTicketsTx(tx, dst, src, actorID)
		if err != nil {
			return err
		}
		events = []Event{
			{Type: EventTicketUpdated, TicketID: into, AgentID: actorID, Changes: &TicketChanges{MergedFrom: from, LastMessageAt: &last}},
			{Type: EventTicketUpdated, TicketID: from, AgentID: actorID, Changes: &TicketChanges{MergedInto: into,
				Status: &Change[string]{Old: src.Status, New: store.StatusClosed}}},
		}
		return s.recordEvents(tx, events)
	})
	if err != nil {
		return fmt.Errorf("inbox: merge ticket %d into %d: %w", from, into, err)
	}
	s.publish(events...)
	return nil
}

// mergeTicketsTx moves src's rows to dst; both rows are locked. It returns
// dst's new last-message time.
func (s *Service) mergeTicketsTx(tx *gorm.DB, dst, src *store.Ticket, actorID int64) (time.Time, error) {
	ts := now()
	// Messages and keys remember the ticket they were first in (customer
	// views and UnmergeTicket read it; SET sees the row's old ticket_id).
	for _, q := range []string{
		"UPDATE messages SET origin_ticket_id = COALESCE(origin_ticket_id, ticket_id), ticket_id = ? WHERE ticket_id = ?",
		"UPDATE thread_keys SET origin_ticket_id = COALESCE(origin_ticket_id, ticket_id), ticket_id = ? WHERE ticket_id = ?",
		"UPDATE outboxes SET ticket_id = ? WHERE ticket_id = ?",
	} {
		if err := tx.Exec(q, dst.ID, src.ID).Error; err != nil {
			return time.Time{}, err
		}
	}
	if err := s.st.MoveMessagesIndex(tx, src.ID, dst.ID); err != nil {
		return time.Time{}, err
	}
	last := dst.LastMessageAt
	if src.LastMessageAt.After(last) {
		last = src.LastMessageAt
	}
	if err := tx.Model(&store.Ticket{}).Where("id = ?", dst.ID).Updates(map[string]any{
		"message_count": gorm.Expr("message_count + ?", src.MessageCount), "version": gorm.Expr("version + 1"),
		"last_message_at": last, "updated_at": ts,
	}).Error; err != nil {
		return time.Time{}, err
	}
	if err := tx.Model(&store.Ticket{}).Where("id = ?", src.ID).Updates(map[string]any{
		"status": store.StatusClosed, "merged_into": dst.ID, "version": gorm.Expr("version + 1"), "updated_at": ts, "message_count": 0,
	}).Error; err != nil {
		return time.Time{}, err
	}
	return last, tx.Create(&store.Message{TicketID: dst.ID, Direction: store.DirSystem, AuthorType: store.AuthorSystem, AuthorID: actorID,
		ChannelID: dst.LastChannelID, Text: fmt.Sprintf("merged #%d", src.Number()), Meta: store.JSONMap{"merged_ticket": src.ID}, CreatedAt: ts}).Error
}

// WakeSnoozed reopens snoozed tickets whose time has come.
func (s *Service) WakeSnoozed(ctx context.Context) (int, error) {
	var ids []int64
	if err := s.st.DB.WithContext(ctx).Model(&store.Ticket{}).
		Where("status = ? AND snoozed_until <= ?", store.StatusSnoozed, now()).Pluck("id", &ids).Error; err != nil {
		return 0, err
	}
	open := store.StatusOpen
	for _, id := range ids {
		if _, err := s.UpdateTicket(ctx, id, 0, TicketPatch{Status: &open}); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// lockTicket loads a ticket for update (FOR UPDATE on PostgreSQL; SQLite
// transactions already hold the write lock).
func lockTicket(tx *gorm.DB, id int64) (*store.Ticket, error) {
	var t store.Ticket
	q := tx
	if tx.Dialector.Name() == "postgres" {
		q = tx.Clauses(forUpdate())
	}
	if err := q.Take(&t, id).Error; err != nil {
		return nil, fmt.Errorf("load ticket %d: %w", id, notFound(err))
	}
	return &t, nil
}

func (s *Service) pickChannel(tx *gorm.DB, t *store.Ticket, id int64, kind string) (*store.Channel, error) {
	var ch store.Channel
	var err error
	switch {
	case id > 0:
		if err = tx.Take(&ch, id).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, invalidAs("no_channel", map[string]any{"id": id}, "no channel %d", id)
		}
	case kind != "":
		if err = tx.Where("kind = ? AND enabled = ?", kind, true).Order("id").Take(&ch).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, invalidAs("no_channel_kind", map[string]any{"kind": kind}, "no enabled %s channel", kind)
		}
	default:
		if err = tx.Take(&ch, t.LastChannelID).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, invalidAs("channel_gone", nil, "the ticket's channel no longer exists; choose another")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("load channel: %w", err)
	}
	if !ch.Enabled {
		return nil, invalidAs("channel_disabled", map[string]any{"name": ch.Name}, "channel %q is disabled", ch.Name)
	}
	return &ch, nil
}

func (s *Service) putBlobs(atts []Attachment) ([]string, error) {
	if len(atts) > MaxAttachments {
		return nil, invalidAs("too_many_attachments", map[string]any{"max": MaxAttachments}, "more than %d attachments", MaxAttachments)
	}
	out := make([]string, len(atts))
	for i, a := range atts {
		if len(a.Data) > MaxAttachmentBytes {
			return nil, invalidAs("attachment_too_large", map[string]any{"name": a.Name}, "attachment %q is too large", a.Name)
		}
		sum, err := s.st.PutBlob(a.Data)
		if err != nil {
			return nil, err
		}
		out[i] = sum
	}
	return out, nil
}

func createAttachments(tx *gorm.DB, msgID int64, atts []Attachment, blobs []string, ts time.Time) error {
	for i, a := range atts {
		if err := tx.Create(&store.Attachment{MessageID: msgID, SHA256: blobs[i], Name: plaintext.Clip(cleanFileName(a.Name), 255),
			ContentType: plaintext.Clip(a.ContentType, 255), Size: int64(len(a.Data)), ContentID: plaintext.Clip(a.ContentID, 255),
			Inline: a.Inline, CreatedAt: ts}).Error; err != nil {
			return fmt.Errorf("create attachment: %w", err)
		}
	}
	return nil
}

// Ticket returns a ticket with its contact and tags.
func (s *Service) Ticket(ctx context.Context, id int64) (*store.Ticket, error) {
	var t store.Ticket
	err := s.st.DB.WithContext(ctx).Preload("Contact").Preload("Tags").Take(&t, id).Error
	if err != nil {
		return nil, fmt.Errorf("inbox: ticket %d: %w", id, notFound(err))
	}
	return &t, nil
}

// TicketByPublicID returns a ticket by its public id.
func (s *Service) TicketByPublicID(ctx context.Context, pid string) (*store.Ticket, error) {
	var t store.Ticket
	err := s.st.DB.WithContext(ctx).Preload("Contact").Preload("Tags").Where("public_id = ?", pid).Take(&t).Error
	if err != nil {
		return nil, fmt.Errorf("inbox: ticket %s: %w", pid, notFound(err))
	}
	return &t, nil
}

// TicketByKey returns the ticket a thread key belongs to.
func (s *Service) TicketByKey(ctx context.Context, key string) (*store.Ticket, error) {
	var k store.ThreadKey
	if err := s.st.DB.WithContext(ctx).Where("key = ?", key).Take(&k).Error; err != nil {
		return nil, fmt.Errorf("inbox: thread %s: %w", key, notFound(err))
	}
	return s.Ticket(ctx, k.TicketID)
}

// Messages returns a ticket's messages in time order, with attachments.
func (s *Service) Messages(ctx context.Context, ticketID int64) ([]store.Message, error) {
	var ms []store.Message
	err := s.st.DB.WithContext(ctx).Preload("Attachments").Where("ticket_id = ?", ticketID).
		Order("created_at, id").Find(&ms).Error
	if err != nil {
		return nil, fmt.Errorf("inbox: messages of %d: %w", ticketID, err)
	}
	return ms, nil
}

// Message returns one message with attachments.
func (s *Service) Message(ctx context.Context, id int64) (*store.Message, error) {
	var m store.Message
	if err := s.st.DB.WithContext(ctx).Preload("Attachments").Take(&m, id).Error; err != nil {
		return nil, fmt.Errorf("inbox: message %d: %w", id, notFound(err))
	}
	return &m, nil
}

// MessageByExternalID returns the message a channel knows by id.
func (s *Service) MessageByExternalID(ctx context.Context, channelID int64, ext string) (*store.Message, error) {
	var m store.Message
	if err := s.st.DB.WithContext(ctx).Where("channel_id = ? AND external_id = ?", channelID, ext).Take(&m).Error; err != nil {
		return nil, fmt.Errorf("inbox: message %d/%s: %w", channelID, ext, notFound(err))
	}
	return &m, nil
}

// EditMessage records a customer's edit or deletion of a message on its
// channel (Discord, Slack). The original text is kept in the metadata.
func (s *Service) EditMessage(ctx context.Context, channelID int64, ext, text string, deleted bool) error {
	ext, text = plaintext.Scrub(ext), plaintext.Scrub(text)
	if len(text) > MaxTextBytes {
		return invalid("text is larger than %d bytes", MaxTextBytes)
	}
	var ev Event
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		var m store.Message
		if err := tx.Where("channel_id = ? AND external_id = ?", channelID, ext).Take(&m).Error; err != nil {
			return notFound(err)
		}
		ts := now()
		meta := m.Meta
		if meta == nil {
			meta = store.JSONMap{}
		}
		if _, ok := meta["original_text"]; !ok {
			meta["original_text"] = m.Text
		}
		up := map[string]any{"meta": meta}
		if deleted {
			up["deleted_at"] = ts
		} else {
			up["text"] = text
			up["edited_at"] = ts
		}
		if err := tx.Model(&m).Updates(up).Error; err != nil {
			return err
		}
		if !deleted {
			if err := s.st.IndexMessage(tx, m.TicketID, m.ID, text); err != nil {
				return err
			}
		}
		evs := []Event{{Type: EventMessageUpdated, TicketID: m.TicketID, MessageID: m.ID, ChannelID: channelID, Message: &MessageChanges{Edited: !deleted, Deleted: deleted}}}
		if err := s.recordEvents(tx, evs); err != nil {
			return err
		}
		ev = evs[0]
		return nil
	})
	if err != nil {
		return fmt.Errorf("inbox: edit message %s: %w", ext, err)
	}
	s.publish(ev)
	return nil
}

// Quarantine keeps raw input that could not become a message, for an admin
// to inspect and retry. It implements connectors.Quarantiner.
func (s *Service) Quarantine(ctx context.Context, channelID int64, externalID string, raw []byte, reason string) error {
	externalID, reason = plaintext.Clip(plaintext.Scrub(externalID), 500), plaintext.Scrub(reason)
	q := store.Quarantine{ChannelID: channelID, ExternalID: externalID, Reason: reason, Raw: raw, Size: int64(len(raw))}
	if err := s.st.DB.WithContext(ctx).Create(&q).Error; err != nil {
		return fmt.Errorf("inbox: quarantine: %w", err)
	}
	s.log.Warn("inbound quarantined", "channel_id", channelID, "external_id", externalID, "reason", reason, "size", len(raw))
	s.metrics.quarantined()
	return nil
}

// AgentByEmail returns an active agent by email.
func (s *Service) AgentByEmail(ctx context.Context, email string) (*store.Agent, error) {
	var a store.Agent
	err := s.st.DB.WithContext(ctx).Where("email = ? AND active = ?", strings.ToLower(strings.TrimSpace(email)), true).Take(&a).Error
	if err != nil {
		return nil, fmt.Errorf("inbox: agent %s: %w", email, notFound(err))
	}
	return &a, nil
}

func forUpdate() clause.Locking { return clause.Locking{Strength: "UPDATE"} }

// TicketPublicID returns a ticket's public id and number.
func (s *Service) TicketPublicID(ctx context.Context, id int64) (string, int64, error) {
	t, err := s.Ticket(ctx, id)
	if err != nil {
		return "", 0, err
	}
	return t.PublicID, t.Number(), nil
}

// withSignature adds agent's signature to a reply on a channel of kind,
// as the agent configured it (store.Agent.SignatureMode): below the text
// after a blank line, and as a paragraph of the HTML body when there is one.
func withSignature(tx *gorm.DB, agentID int64, kind, text, html string) (string, string, error) {
	var sig, mode string
	if err := tx.Raw("SELECT signature, signature_mode FROM agents WHERE id = ?", agentID).Row().Scan(&sig, &mode); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return text, html, nil
		}
		return "", "", fmt.Errorf("agent signature: %w", err)
	}
	sig = strings.TrimSpace(sig)
	if sig == "" || (mode != store.SignatureAll && !(mode == store.SignatureEmail && kind == "email")) {
		return text, html, nil
	}
	if strings.TrimSpace(text) != "" {
		text = strings.TrimRight(text, "\n") + "\n\n" + sig
	} else {
		text = sig
	}
	if html != "" {
		html += "<p>" + strings.ReplaceAll(stdhtml.EscapeString(sig), "\n", "<br>") + "</p>"
	}
	return text, html, nil
}
