package widget

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hanbox/hanbox/avatar"
	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/plaintext"
)

// frame is one WebSocket frame (and one element of a poll answer), in both
// directions. Fields are set per type:
//
//	client → server: message {client_id, conversation_id, text, attachments, page, locale, tz},
//	                 typing {conversation_id, typing}, read {conversation_id, up_to}, page {page}, ping
//	server → client: message {id, client_id, conversation_id, from, author, channel, text, quoted, attachments, at, choices},
//	                 typing {conversation_id, from, typing}, read {conversation_id, at},
//	                 error {code, message, client_id}, pong, closed {code} (a page's link was revoked),
//	                 ready (after the catch-up that follows a connect)
//
// conversation_id is the ticket's number. On a client message it names the
// conversation to continue (a verified customer's or a page's); without it
// the message goes to the visitor's current chat.
type frame struct {
	Type         string `json:"type"`
	ID           int64  `json:"id,omitempty"`
	ClientID     string `json:"client_id,omitempty"`
	Conversation string `json:"conversation_id,omitempty"`
	From         string `json:"from,omitempty"` // "visitor", "agent" or "bot"
	Author       string `json:"author,omitempty"`
	// AuthorAvatar is the agent's avatar, a path on Hanbox's origin.
	AuthorAvatar string           `json:"author_avatar,omitempty"`
	Channel      string           `json:"channel,omitempty"` // the kind of channel the message came or went by
	Text         string           `json:"text,omitempty"`
	Quoted       string           `json:"quoted,omitempty"` // quoted email history, to show folded
	Attachments  []attachmentJSON `json:"attachments,omitempty"`
	Refs         []string         `json:"refs,omitempty"` // upload refs on a client message
	Page         *pageInfo        `json:"page,omitempty"`
	Locale       string           `json:"locale,omitempty"`
	TZ           string           `json:"tz,omitempty"`
	Typing       *bool            `json:"typing,omitempty"`
	UpTo         int64            `json:"up_to,omitempty"`
	At           *time.Time       `json:"at,omitempty"`
	Code         string           `json:"code,omitempty"`
	Message      string           `json:"message,omitempty"`
	RetryAfter   int              `json:"retry_after,omitempty"` // seconds, on rate_limited errors
	// Position is a "queue" frame's place in the team queue (0: no longer
	// waiting).
	Position *int `json:"position,omitempty"`
	// WaitSeconds is a "queue" frame's expected wait for an answer, from
	// the team's recent pace (inbox.QueuePace); absent when there is not
	// enough data to say.
	WaitSeconds int64 `json:"wait_seconds,omitempty"`
	// Survey is the rating card on a survey request (server frames) or the
	// answer (a client "survey" frame: id, score, and Text as the comment).
	Survey *surveyJSON `json:"survey,omitempty"`
	// Choices are a bot message's quick-reply buttons; a button sends its
	// label as the visitor's message.
	Choices []string `json:"choices,omitempty"`
	// Lang is the language the widget shows ("ko" or "en") on a client
	// message; Article the help article the visitor read before writing.
	Lang    string      `json:"lang,omitempty"`
	Article *articleRef `json:"article,omitempty"`
}

// articleRef names a help article on a visitor's message.
type articleRef struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
}

// surveyJSON is a rating card: the question is the message text; labels
// name the scores 1..scale in the survey's language.
type surveyJSON struct {
	ID    string `json:"id"`
	Scale int    `json:"scale,omitempty"`
	// Min is the lowest score: 1 for CSAT (faces), 0 for NPS (numbers 0–10).
	Min int    `json:"min"`
	Why string `json:"why,omitempty"` // NPS's follow-up, the comment's prompt
	// Style is faces, numbers, thumbs or nps; Choices the scores offered.
	Style   string   `json:"style,omitempty"`
	Choices []int    `json:"choices,omitempty"`
	Labels  []string `json:"labels,omitempty"`
	Thanks  string   `json:"thanks,omitempty"`
	Score   int      `json:"score,omitempty"`
	Done    bool     `json:"done,omitempty"`
}

func surveyCard(r *inbox.SurveyRequest) *surveyJSON {
	sj := &surveyJSON{ID: r.PublicID, Scale: r.Scale, Min: r.Lowest(), Why: r.Why, Style: r.Style, Choices: r.Choices(), Thanks: r.Thanks}
	if r.Lowest() == 1 {
		sj.Labels = inbox.SurveyLabels(r.Locale)
	}
	return sj
}

type pageInfo struct {
	URL      string `json:"url"`
	Title    string `json:"title"`
	Referrer string `json:"referrer"`
}

func (p *pageInfo) clean() *pageInfo {
	if p == nil {
		return nil
	}
	return &pageInfo{URL: plaintext.Clip(noNUL(p.URL), 2000), Title: plaintext.Clip(noNUL(p.Title), 300), Referrer: plaintext.Clip(noNUL(p.Referrer), 2000)}
}

// attachmentJSON describes a file on a message; URL needs the session token.
type attachmentJSON struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Image       bool   `json:"image"`
}

func attachmentView(a inbox.StoredAttachment) attachmentJSON {
	return attachmentJSON{ID: a.ID, Name: a.Name, ContentType: a.ContentType, Size: a.Size, Image: isImage(a.ContentType)}
}

func isImage(ct string) bool {
	switch strings.ToLower(ct) {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// claims are the contents of a session token.
type claims struct {
	Visitor       string `json:"v"`
	UserID        string `json:"u,omitempty"` // set only when verified by user_hash
	Name          string `json:"n,omitempty"`
	Email         string `json:"e,omitempty"`
	EmailVerified bool   `json:"ev,omitempty"`
	// Page is the public id of the conversation link a page session was
	// opened with; such a session sees and writes that conversation only.
	Page string `json:"p,omitempty"`
	Exp  int64  `json:"x"`
}

// identity is the widget identity value of the session's contact (for a
// page session, the hub's name of it: never stored).
func (c *Channel) identity(cl *claims) string {
	switch {
	case cl.Page != "":
		return c.ch.PublicKey + "/page:" + cl.Page
	case cl.UserID != "":
		return c.ch.PublicKey + "/user:" + cl.UserID
	}
	return c.ch.PublicKey + "/" + cl.Visitor
}

// conversationBase prefixes the conversation ids of one identity.
func conversationBase(identity string) string {
	sum := sha256.Sum256([]byte(identity))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:10]))
}

// ownPrefix is the prefix of the thread keys of the chats an identity
// started on this channel.
func (c *Channel) ownPrefix(identity string) string {
	return ThreadKeyPrefix(c.ch.PublicKey) + conversationBase(identity) + "-"
}

var tokenRe = regexp.MustCompile(`^[A-Za-z0-9_-]{32,128}$`)

// visitorID derives the public visitor id from the secret visitor token, so
// nothing that agents see (identities, meta) can be used to impersonate.
func visitorID(token string) string {
	sum := sha256.Sum256([]byte("hanbox-widget-visitor\x00" + token))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
}

// contactID returns the session's contact id, 0 when the visitor never
// wrote. A page session's contact is its link's.
func (c *Channel) contactID(ctx context.Context, cl *claims) (int64, error) {
	if id, _ := c.hub.info(c.identity(cl)); id != 0 {
		return id, nil
	}
	if cl.Page != "" {
		v, err := c.viewer(ctx, cl)
		if err != nil {
			return 0, err
		}
		return v.contactID, nil
	}
	ct, err := c.svc.ContactByIdentity(ctx, inbox.IdentityWidget, c.identity(cl))
	if errors.Is(err, connectors.ErrNotFound) && cl.UserID != "" && cl.EmailVerified && cl.Email != "" {
		// A signed-in user who never chatted: the site vouches for their
		// address, so they are the contact who proved it (their first
		// message joins that contact the same way), and see its history.
		ct, err = c.svc.ContactByIdentity(ctx, inbox.IdentityEmail, cl.Email)
	}
	if errors.Is(err, connectors.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	c.hub.setContact(c.identity(cl), ct.ID, 0)
	return ct.ID, nil
}

// viewer is whose conversations a session shows, and which of them: every
// conversation of a verified customer's contact (any channel); only the
// chats an unverified visitor's own token started; a page's one ticket.
type viewer struct {
	contactID int64
	scope     inbox.Scope
	verified  bool
	link      *inbox.LinkAccess // page sessions
}

// errLinkClosed answers a page session whose link was revoked or expired.
var errLinkClosed = errf(http.StatusUnauthorized, "link_closed", "this conversation link no longer works; open the newest email to continue")

// viewer resolves the session's viewer. A page session re-checks its link:
// a revoked or expired link ends it (errLinkClosed).
func (c *Channel) viewer(ctx context.Context, cl *claims) (viewer, error) {
	if cl.Page != "" {
		l, err := c.pages().LinkByPublicID(ctx, cl.Page)
		if err != nil {
			if errors.Is(err, inbox.ErrLinkRevoked) || errors.Is(err, inbox.ErrLinkExpired) || errors.Is(err, connectors.ErrNotFound) {
				return viewer{}, errLinkClosed
			}
			return viewer{}, err
		}
		c.hub.setPage(c.identity(cl), l.ContactID, l.TicketID)
		return viewer{contactID: l.ContactID, scope: l.Scope(), link: l}, nil
	}
	id, err := c.contactID(ctx, cl)
	if err != nil {
		return viewer{}, err
	}
	v := viewer{contactID: id, scope: inbox.Scope{ContactID: id}, verified: cl.UserID != ""}
	if !v.verified {
		v.scope.KeyPrefix = c.ownPrefix(c.identity(cl))
	}
	return v, nil
}

// conversation is one conversation of a visitor, as the script shows it.
type conversation struct {
	ID          string    `json:"id"` // the ticket's number
	TicketID    int64     `json:"-"`
	Number      int64     `json:"number"`
	Subject     string    `json:"subject"`
	Status      string    `json:"status"`
	Open        bool      `json:"open"`
	Continuable bool      `json:"continuable"`
	Channel     string    `json:"channel"` // the kind of channel it started on
	Messages    []frame   `json:"messages"`
	Created     time.Time `json:"created_at"`
	LastAt      time.Time `json:"last_message_at"`
	// QueuePosition is the conversation's place in its team's queue (1:
	// next), while it waits for an agent; 0 otherwise.
	QueuePosition int `json:"queue_position,omitempty"`
	// QueueWaitSeconds is the expected wait at that place (0: unknown).
	QueueWaitSeconds int64    `json:"queue_wait_seconds,omitempty"`
	keys             []string // this identity's chat keys, for currentConversation
}

// conversationID is the id frames carry for the conversation of a ticket.
func conversationID(number int64) string { return strconv.FormatInt(number, 10) }

// conversations returns the conversations v may see, newest first.
func (c *Channel) conversations(ctx context.Context, v viewer, limit int) ([]conversation, error) {
	if v.contactID == 0 {
		return nil, nil
	}
	ccs, err := c.svc.CustomerConversations(ctx, v.scope, limit)
	if err != nil {
		return nil, fmt.Errorf("widget: conversations: %w", err)
	}
	out := make([]conversation, 0, len(ccs))
	for _, cc := range ccs {
		out = append(out, conversation{ID: conversationID(cc.Number), TicketID: cc.TicketID, Number: cc.Number, Subject: cc.Subject,
			Status: cc.Status, Open: cc.Open, Continuable: cc.Continuable, Channel: cc.ChannelKind, Created: cc.CreatedAt,
			LastAt: cc.LastMessageAt, keys: cc.Keys})
	}
	return out, nil
}

// currentConversation picks the chat a new message without a
// conversation_id goes to: the identity's latest chat on this channel while
// it is open, else a new one. Ids are deterministic (identity hash +
// sequence), so concurrent first messages of one visitor share one ticket.
func (c *Channel) currentConversation(ctx context.Context, cl *claims, contactID int64) (string, error) {
	who := c.identity(cl)
	prefix := c.ownPrefix(who)
	convs, err := c.conversations(ctx, viewer{contactID: contactID, scope: inbox.Scope{ContactID: contactID, KeyPrefix: prefix}}, 50)
	if err != nil {
		return "", err
	}
	base := conversationBase(who)
	n := 0
	for i, cv := range convs {
		for _, k := range cv.keys {
			id := strings.TrimPrefix(k, ThreadKeyPrefix(c.ch.PublicKey))
			if i == 0 && cv.Open {
				return id, nil
			}
			if k, err := strconv.Atoi(strings.TrimPrefix(id, base+"-")); err == nil && k > n {
				n = k
			}
		}
	}
	return base + "-" + strconv.Itoa(n+1), nil
}

// history returns the messages of the given conversations that v may see
// with ids above since, in the one order (stored time, then id).
func (c *Channel) history(ctx context.Context, v viewer, convs []conversation, since int64, limit int) ([]frame, error) {
	if len(convs) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(convs))
	for i, cv := range convs {
		ids[i] = cv.TicketID
	}
	msgs, err := c.svc.CustomerMessages(ctx, v.contactID, ids, since, limit)
	if err != nil {
		return nil, fmt.Errorf("widget: history: %w", err)
	}
	out := make([]frame, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, messageFrame(m))
	}
	return out, nil
}

// messageFrame is a stored message as the script shows it.
func messageFrame(m inbox.CustomerMessage) frame {
	at := m.CreatedAt.UTC()
	f := frame{Type: "message", ID: m.ID, Conversation: conversationID(m.Number), Channel: m.ChannelKind, Text: m.Text, Quoted: m.Quoted, At: &at}
	if m.Inbound {
		f.From = "visitor"
		if m.ChannelKind == Kind {
			_, f.ClientID, _ = strings.Cut(m.ExternalID, "/")
		}
	} else if m.Bot != nil {
		f.From, f.Choices = "bot", m.Bot.Choices
	} else {
		f.From = "agent"
		f.Author, f.AuthorAvatar = m.AuthorName, avatar.Path(m.AuthorAvatar)
	}
	for _, a := range m.Attachments {
		f.Attachments = append(f.Attachments, attachmentView(a))
	}
	return f
}

// expectedReply returns the median first-response time, in seconds, of this
// channel's recent tickets (0 when unknown); cached for five minutes.
func (c *Channel) expectedReply(ctx context.Context) int64 {
	c.replyMu.Lock()
	defer c.replyMu.Unlock()
	if !c.replyAt.IsZero() && c.now().Sub(c.replyAt) < 5*time.Minute {
		return c.replySeconds
	}
	d, err := c.svc.FirstResponseMedian(ctx, c.ch.ID, 100)
	if err != nil {
		c.log.Warn("widget: expected reply time", "err", err)
		return c.replySeconds
	}
	c.replySeconds = int64(d / time.Second)
	c.replyAt = c.now()
	return c.replySeconds
}

// queuePositions fills the places in their team queues of the open
// conversations among convs.
func (c *Channel) queuePositions(ctx context.Context, convs []conversation) {
	for i := range convs {
		if !convs[i].Open {
			continue
		}
		p, err := c.svc.TicketQueuePlace(ctx, convs[i].TicketID)
		if err != nil {
			c.log.Warn("widget: queue place", "ticket_id", convs[i].TicketID, "err", err)
			continue
		}
		convs[i].QueuePosition = p.Position
		convs[i].QueueWaitSeconds = int64(p.Wait / time.Second)
	}
}

// maxQueueFrames bounds how many waiting tickets one queue change updates.
const maxQueueFrames = 500

// onQueueMoved tells the visitors of a team's waiting tickets their places
// after a ticket joined, left or moved in the queue (created, assigned,
// unassigned, its status or team changed), and the visitors of the changed
// ticket that it no longer waits when so. Places come from the queue.
func (c *Channel) onQueueMoved(ctx context.Context, e inbox.Event) {
	if !c.hub.anyone() {
		return // nobody to tell
	}
	place, err := c.svc.TicketQueuePlace(ctx, e.TicketID)
	if err != nil {
		return
	}
	send := func(ticketID int64, pos int, wait time.Duration) { c.sendQueuePlace(ctx, ticketID, pos, wait) }
	teams := []int64{place.TeamID}
	if ch := e.Changes; ch != nil && ch.TeamID != nil && ch.TeamID.Old != 0 && ch.TeamID.Old != place.TeamID {
		teams = append(teams, ch.TeamID.Old) // it left that queue
	}
	if place.Position == 0 {
		send(e.TicketID, 0, 0)
	}
	for _, team := range teams {
		if team == 0 {
			continue
		}
		ids, err := c.svc.TeamQueue(ctx, team, maxQueueFrames)
		if err != nil {
			c.log.Warn("widget: team queue", "team_id", team, "err", err)
			continue
		}
		// One pace per team for all its places.
		gap, paced, err := c.svc.QueuePace(ctx, team, c.now())
		if err != nil {
			c.log.Warn("widget: queue pace", "team_id", team, "err", err)
		}
		for i, id := range ids {
			var wait time.Duration
			if paced {
				wait = inbox.QueueWait(i+1, gap)
			}
			send(id, i+1, wait)
		}
	}
}

// queueMoved reports whether a ticket event may change a team queue.
func queueMoved(e inbox.Event) bool {
	if e.Type == inbox.EventTicketCreated {
		return true
	}
	ch := e.Changes
	return e.Type == inbox.EventTicketUpdated && ch != nil && (ch.Assignee != nil || ch.Status != nil || ch.TeamID != nil)
}

// sendQueuePlace tells the connected visitors of a ticket its place in the
// team queue (0: no longer waiting).
func (c *Channel) sendQueuePlace(ctx context.Context, ticketID int64, pos int, wait time.Duration) {
	contactID := c.ticketContactID(ctx, ticketID)
	if contactID == 0 || !c.hub.hasContact(contactID) {
		return
	}
	f := frame{Type: "queue", Conversation: conversationID(ticketID + inbox.TicketNumberBase), Position: &pos, WaitSeconds: int64(wait / time.Second)}
	c.hub.broadcast(ctx, contactID, f, reach{ticketID: ticketID})
}
