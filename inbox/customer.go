package inbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// What a customer sees of their conversations: the one rule, used by the
// widget (its history and live catch-up) and by the conversation page.
//
// A customer (a contact) sees a message when all of these hold:
//   - it is inbound or outbound: never a private note or a system line
//     (assignment, tags, rule actions, merges);
//   - it is not deleted;
//   - its channel shows history to customers (SetHistoryChannels: Slack and
//     Discord only when their channel says so);
//   - they are the contact of the ticket the message was first written in
//     (messages.origin_ticket_id, else its ticket): after a merge, the part
//     another contact wrote, or that was written to them, before the merge
//     stays theirs alone.
//
// Of such a message they see its text with the quoted email history folded
// off (meta.quoted_from), the agent's name, the channel's kind, the time and
// the files: never its metadata, HTML, delivery state or delivery errors,
// bot data or anything else agents see. Everyone sees the same order: stored
// time, then id, as the agent's thread (Messages).
//
// Which conversations a viewer may list is a Scope: a verified customer sees
// every conversation of their contact; an unverified widget visitor only the
// ones their own visitor token started (by thread key); a conversation page
// only its own ticket.

// DefaultContinueWindow is how long after its last message a resolved
// conversation may still be continued by its customer (Options.ContinueWindow).
const DefaultContinueWindow = 7 * 24 * time.Hour

// Scope is what a viewer may list: the conversations of ContactID, narrowed
// to those with a thread key starting with KeyPrefix, or to one ticket.
type Scope struct {
	ContactID int64
	// KeyPrefix keeps tickets with a thread key starting with it (an
	// unverified widget visitor's own conversations).
	KeyPrefix string
	// TicketID keeps only that ticket (a conversation page).
	TicketID int64
}

// CustomerConversation is one conversation as its customer lists it.
type CustomerConversation struct {
	TicketID int64
	Number   int64
	Subject  string
	Status   string
	// Open is true when the ticket is neither resolved nor closed.
	Open bool
	// Continuable is true when the customer may write into it (CanContinue).
	Continuable bool
	// ChannelKind and ChannelName are those of the ticket's first channel.
	ChannelKind   string
	ChannelName   string
	CreatedAt     time.Time
	LastMessageAt time.Time
	// Keys are the ticket's thread keys that start with the Scope's
	// KeyPrefix (when it has one), oldest first.
	Keys []string
}

// CustomerMessage is one message as its customer sees it.
type CustomerMessage struct {
	ID       int64
	TicketID int64
	// Number is the ticket's human number.
	Number  int64
	Inbound bool
	// ExternalID is the channel's id of an inbound message (the widget
	// finds its client ids there).
	ExternalID  string
	ChannelKind string
	// Text is the message without its quoted history; Quoted is that
	// history ("" when none), to show folded.
	Text   string
	Quoted string
	// AuthorName is the agent's name on an agent's message.
	AuthorName string
	// AuthorAvatar is that agent's avatar blob ("" for none).
	AuthorAvatar string
	// Bot is set on the answer bot's messages (their buttons).
	Bot         *BotPrompt
	Attachments []StoredAttachment
	CreatedAt   time.Time
}

// SetHistoryChannels sets the channels whose messages customers never see
// in their history (the runtime sets it from the channels' settings).
func (s *Service) SetHistoryChannels(hidden []int64) {
	m := make(map[int64]bool, len(hidden))
	for _, id := range hidden {
		m[id] = true
	}
	s.hiddenChannels.Store(&m)
}

func (s *Service) hidden() []int64 {
	p := s.hiddenChannels.Load()
	if p == nil {
		return nil
	}
	out := make([]int64, 0, len(*p))
	for id := range *p {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// visible narrows q (over messages aliased m) to what contactID may see.
func (s *Service) visible(q *gorm.DB, contactID int64) *gorm.DB {
	q = q.Joins("JOIN tickets o ON o.id = COALESCE(m.origin_ticket_id, m.ticket_id)").
		Where("o.contact_id = ? AND m.direction IN ? AND m.deleted_at IS NULL", contactID, []string{store.DirInbound, store.DirOutbound})
	if h := s.hidden(); len(h) > 0 {
		q = q.Where("m.channel_id NOT IN ?", h)
	}
	return q
}

// CustomerConversations returns the conversations sc may list that have
// something for the customer to see, newest first, at most limit.
func (s *Service) CustomerConversations(ctx context.Context, sc Scope, limit int) ([]CustomerConversation, error) {
	if sc.ContactID == 0 || limit <= 0 {
		return nil, nil
	}
	db := s.st.DB.WithContext(ctx)
	q := db.Table("tickets t").Select("t.*").Where("t.merged_into IS NULL").
		Where("t.contact_id = ? OR t.id IN (SELECT m.ticket_id FROM messages m JOIN tickets o ON o.id = m.origin_ticket_id WHERE o.contact_id = ?)",
			sc.ContactID, sc.ContactID).
		Where("EXISTS (?)", s.visible(db.Table("messages m").Select("1"), sc.ContactID).Where("m.ticket_id = t.id"))
	if sc.KeyPrefix != "" {
		q = q.Where(`EXISTS (SELECT 1 FROM thread_keys k WHERE k.ticket_id = t.id AND k.key LIKE ? ESCAPE '\')`, likePrefix(sc.KeyPrefix))
	}
	if sc.TicketID != 0 {
		q = q.Where("t.id = ?", sc.TicketID)
	}
	var ts []store.Ticket
	if err := q.Order("t.last_message_at DESC, t.id DESC").Limit(limit).Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("inbox: customer conversations: %w", err)
	}
	chans, err := s.channelNames(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]CustomerConversation, 0, len(ts))
	ids := make([]int64, 0, len(ts))
	for i := range ts {
		out = append(out, s.customerConversation(&ts[i], sc.ContactID, chans))
		ids = append(ids, ts[i].ID)
	}
	if sc.KeyPrefix == "" || len(ids) == 0 {
		return out, nil
	}
	var keys []store.ThreadKey
	if err := db.Where(`ticket_id IN ? AND key LIKE ? ESCAPE '\'`, ids, likePrefix(sc.KeyPrefix)).Order("created_at, key").Find(&keys).Error; err != nil {
		return nil, fmt.Errorf("inbox: conversation keys: %w", err)
	}
	for _, k := range keys {
		i := slices.Index(ids, k.TicketID)
		out[i].Keys = append(out[i].Keys, k.Key)
	}
	return out, nil
}

func (s *Service) customerConversation(t *store.Ticket, contactID int64, chans map[int64]store.Channel) CustomerConversation {
	c := CustomerConversation{TicketID: t.ID, Number: t.Number(), Subject: t.Subject, Status: t.Status,
		Open: t.Status != store.StatusResolved && t.Status != store.StatusClosed, Continuable: s.continuable(t, contactID) == nil,
		CreatedAt: t.CreatedAt, LastMessageAt: t.LastMessageAt}
	if ch, ok := chans[t.ChannelID]; ok {
		c.ChannelKind, c.ChannelName = ch.Kind, ch.Name
	}
	return c
}

// channelNames loads every channel's kind and name (a small table).
func (s *Service) channelNames(ctx context.Context) (map[int64]store.Channel, error) {
	var chans []store.Channel
	if err := s.st.DB.WithContext(ctx).Select("id", "kind", "name").Find(&chans).Error; err != nil {
		return nil, fmt.Errorf("inbox: channels: %w", err)
	}
	m := make(map[int64]store.Channel, len(chans))
	for _, ch := range chans {
		m[ch.ID] = ch
	}
	return m, nil
}

// CustomerMessages returns what contactID may see of the given tickets
// (conversations a Scope listed) with ids above since: the newest limit of
// them, in the one order (stored time, then id).
func (s *Service) CustomerMessages(ctx context.Context, contactID int64, ticketIDs []int64, since int64, limit int) ([]CustomerMessage, error) {
	if contactID == 0 || len(ticketIDs) == 0 || limit <= 0 {
		return nil, nil
	}
	var rows []messageRow
	q := s.visible(s.messageRows(ctx), contactID).Where("m.ticket_id IN ? AND m.id > ?", ticketIDs, since)
	if err := q.Order("m.created_at DESC, m.id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("inbox: customer messages: %w", err)
	}
	slices.Reverse(rows)
	return s.customerMessages(ctx, rows)
}

// messageRow is a stored message with its channel's kind.
type messageRow struct {
	store.Message `gorm:"embedded"`
	ChannelKind   string
}

// messageRows selects messages (aliased m) with their channel's kind.
func (s *Service) messageRows(ctx context.Context) *gorm.DB {
	return s.st.DB.WithContext(ctx).Table("messages m").Select("m.*, ch.kind AS channel_kind").
		Joins("LEFT JOIN channels ch ON ch.id = m.channel_id")
}

// customerMessages turns stored messages (already found visible) into what
// the customer sees, loading files and agent names in one query each.
func (s *Service) customerMessages(ctx context.Context, rows []messageRow) ([]CustomerMessage, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	db := s.st.DB.WithContext(ctx)
	ids := make([]int64, len(rows))
	var agentIDs []int64
	for i, m := range rows {
		ids[i] = m.ID
		if m.Direction == store.DirOutbound && m.AuthorType == store.AuthorAgent && m.AuthorID > 0 && !slices.Contains(agentIDs, m.AuthorID) {
			agentIDs = append(agentIDs, m.AuthorID)
		}
	}
	var atts []store.Attachment
	if err := db.Where("message_id IN ?", ids).Order("id").Find(&atts).Error; err != nil {
		return nil, fmt.Errorf("inbox: customer attachments: %w", err)
	}
	byMsg := map[int64][]StoredAttachment{}
	for _, a := range atts {
		byMsg[a.MessageID] = append(byMsg[a.MessageID], a)
	}
	names, avatars := map[int64]string{}, map[int64]string{}
	if len(agentIDs) > 0 {
		var agents []store.Agent
		if err := db.Select("id", "name", "avatar_sum").Where("id IN ?", agentIDs).Find(&agents).Error; err != nil {
			return nil, fmt.Errorf("inbox: customer message agents: %w", err)
		}
		for _, a := range agents {
			names[a.ID], avatars[a.ID] = a.Name, a.AvatarSum
		}
	}
	out := make([]CustomerMessage, 0, len(rows))
	for _, m := range rows {
		v := CustomerMessage{ID: m.ID, TicketID: m.TicketID, Number: m.TicketID + store.TicketNumberBase, Inbound: m.Direction == store.DirInbound, ChannelKind: m.ChannelKind,
			Attachments: byMsg[m.ID], CreatedAt: m.CreatedAt}
		v.Text, v.Quoted = FoldQuote(m.Message)
		if v.Inbound && m.ExternalID != nil {
			v.ExternalID = *m.ExternalID
		}
		if !v.Inbound && m.AuthorType == store.AuthorAgent {
			v.AuthorName, v.AuthorAvatar = names[m.AuthorID], avatars[m.AuthorID]
		}
		if !v.Inbound && m.AuthorType == store.AuthorBot {
			v.Bot = botPromptOf(m.Meta)
		}
		out = append(out, v)
	}
	return out, nil
}

// FoldQuote splits a message's text at its quoted history: the email parser
// stores the byte offset where it begins as meta.quoted_from. An offset that
// does not fall inside the text on a character boundary is ignored.
func FoldQuote(m store.Message) (text, quoted string) {
	text = m.Text
	if strings.TrimSpace(text) == "" && m.HTML != "" {
		text = plaintext.FromHTML(m.HTML)
	}
	q := int(m.Meta.Int("quoted_from"))
	if q <= 0 || q >= len(text) || !utf8.RuneStart(text[q]) || strings.TrimSpace(text[:q]) == "" {
		return text, ""
	}
	return strings.TrimRight(text[:q], " \t\r\n"), text[q:]
}

// CustomerMessage returns one message when contactID may see it within sc;
// ErrNotFound otherwise, so a probe learns nothing.
func (s *Service) CustomerMessage(ctx context.Context, sc Scope, messageID int64) (*CustomerMessage, error) {
	var m messageRow
	q := s.scoped(s.st.DB.WithContext(ctx), s.visible(s.messageRows(ctx), sc.ContactID).Where("m.id = ?", messageID), sc)
	if err := q.Take(&m).Error; err != nil {
		return nil, fmt.Errorf("inbox: customer message %d: %w", messageID, notFound(err))
	}
	out, err := s.customerMessages(ctx, []messageRow{m})
	if err != nil {
		return nil, err
	}
	return &out[0], nil
}

// scoped narrows q (over messages m) to the tickets sc may list.
func (s *Service) scoped(db, q *gorm.DB, sc Scope) *gorm.DB {
	q = q.Where("EXISTS (?)", db.Table("tickets t").Select("1").Where("t.id = m.ticket_id AND t.merged_into IS NULL"))
	if sc.KeyPrefix != "" {
		q = q.Where(`EXISTS (SELECT 1 FROM thread_keys k WHERE k.ticket_id = m.ticket_id AND k.key LIKE ? ESCAPE '\')`, likePrefix(sc.KeyPrefix))
	}
	if sc.TicketID != 0 {
		q = q.Where("m.ticket_id = ?", sc.TicketID)
	}
	return q
}

// CustomerAttachment returns attachment id when it is on a message the
// viewer of sc may see; ErrNotFound otherwise, so a probe learns nothing.
func (s *Service) CustomerAttachment(ctx context.Context, sc Scope, id int64) (*StoredAttachment, error) {
	if sc.ContactID == 0 {
		return nil, ErrNotFound
	}
	db := s.st.DB.WithContext(ctx)
	var a store.Attachment
	q := s.scoped(db, s.visible(db.Table("attachments a").Select("a.*").Joins("JOIN messages m ON m.id = a.message_id"), sc.ContactID), sc).
		Where("a.id = ?", id)
	if err := q.Take(&a).Error; err != nil {
		return nil, fmt.Errorf("inbox: customer attachment %d: %w", id, notFound(err))
	}
	return &a, nil
}

// ErrNotContinuable means the customer may read a conversation but not
// write into it: it is closed, merged away, or resolved longer ago than the
// continue window.
var ErrNotContinuable = errors.New("inbox: this conversation cannot be continued")

// CanContinue returns the conversation when contactID may write into ticket
// id: it is theirs, not merged away, not closed, and open or resolved within
// the continue window. ErrNotFound when it is not theirs; ErrNotContinuable
// when it is, but is over.
func (s *Service) CanContinue(ctx context.Context, contactID, ticketID int64) (*CustomerConversation, error) {
	var t store.Ticket
	if err := s.st.DB.WithContext(ctx).Take(&t, ticketID).Error; err != nil {
		return nil, fmt.Errorf("inbox: conversation %d: %w", ticketID, notFound(err))
	}
	if t.ContactID != contactID || contactID == 0 {
		return nil, fmt.Errorf("inbox: conversation %d: %w", ticketID, ErrNotFound)
	}
	if err := s.continuable(&t, contactID); err != nil {
		return nil, err
	}
	chans, err := s.channelNames(ctx)
	if err != nil {
		return nil, err
	}
	c := s.customerConversation(&t, contactID, chans)
	return &c, nil
}

func (s *Service) continuable(t *store.Ticket, contactID int64) error {
	switch {
	case t.ContactID != contactID || t.MergedInto != nil || t.Status == store.StatusClosed:
		return ErrNotContinuable
	case t.Status == store.StatusResolved && now().Sub(t.LastMessageAt) > s.continueWindow:
		return ErrNotContinuable
	}
	return nil
}

// mergedTarget follows ticket id's merges to the ticket its messages are in
// now (id itself when it was never merged).
func mergedTarget(db *gorm.DB, id int64) (int64, error) {
	for range maxMergeHops {
		var t store.Ticket
		if err := db.Select("id", "merged_into").Take(&t, id).Error; err != nil {
			return 0, fmt.Errorf("inbox: ticket %d: %w", id, notFound(err))
		}
		if t.MergedInto == nil {
			return t.ID, nil
		}
		id = *t.MergedInto
	}
	return id, nil
}

// mergedContact follows contact id's merges to the contact it is part of now.
func mergedContact(db *gorm.DB, id int64) (int64, error) {
	for range maxMergeHops {
		var c store.Contact
		if err := db.Select("id", "merged_into").Take(&c, id).Error; err != nil {
			return 0, fmt.Errorf("inbox: contact %d: %w", id, notFound(err))
		}
		if c.MergedInto == nil {
			return c.ID, nil
		}
		id = *c.MergedInto
	}
	return id, nil
}

// TicketNumberBase is added to a ticket's id to form its human number (see
// store), for channels that name conversations by number.
const TicketNumberBase = store.TicketNumberBase
