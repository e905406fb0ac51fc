package widget

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/plaintext"
)

// frame is one WebSocket frame (and one element of a poll answer), in both
// directions. Fields are set per type:
//
//	client → server: message {client_id, text, attachments, page, locale, tz}, typing {typing}, read {up_to}, page {page}, ping
//	server → client: message {id, client_id, conversation_id, from, author, text, attachments, at},
//	                 typing {from, typing}, read {at}, error {code, message, client_id}, pong,
//	                 ready (after the catch-up that follows a connect)
type frame struct {
	Type         string           `json:"type"`
	ID           int64            `json:"id,omitempty"`
	ClientID     string           `json:"client_id,omitempty"`
	Conversation string           `json:"conversation_id,omitempty"`
	From         string           `json:"from,omitempty"` // "visitor" or "agent"
	Author       string           `json:"author,omitempty"`
	Text         string           `json:"text,omitempty"`
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
	Exp           int64  `json:"x"`
}

// identity is the widget identity value of the session's contact.
func (c *Channel) identity(cl *claims) string {
	if cl.UserID != "" {
		return c.ch.PublicKey + "/user:" + cl.UserID
	}
	return c.ch.PublicKey + "/" + cl.Visitor
}

// conversationBase prefixes the conversation ids of one identity.
func conversationBase(identity string) string {
	sum := sha256.Sum256([]byte(identity))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:10]))
}

var tokenRe = regexp.MustCompile(`^[A-Za-z0-9_-]{32,128}$`)

// visitorID derives the public visitor id from the secret visitor token, so
// nothing that agents see (identities, meta) can be used to impersonate.
func visitorID(token string) string {
	sum := sha256.Sum256([]byte("hanbox-widget-visitor\x00" + token))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
}

// contactID returns the session's contact id, 0 when the visitor never wrote.
func (c *Channel) contactID(ctx context.Context, cl *claims) (int64, error) {
	if id, _ := c.hub.info(c.identity(cl)); id != 0 {
		return id, nil
	}
	ct, err := c.svc.ContactByIdentity(ctx, inbox.IdentityWidget, c.identity(cl))
	if errors.Is(err, connectors.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	c.hub.setContact(c.identity(cl), ct.ID, 0)
	return ct.ID, nil
}

// conversation is one widget ticket of a contact.
type conversation struct {
	ID       string    `json:"id"`
	TicketID int64     `json:"-"`
	Number   int64     `json:"number"`
	Status   string    `json:"status"`
	Open     bool      `json:"open"`
	Messages []frame   `json:"messages"`
	Created  time.Time `json:"created_at"`
}

// conversations returns the contact's widget tickets on this channel,
// newest first. Only tickets with this channel's thread key count: a
// contact's email tickets never show in the widget.
func (c *Channel) conversations(ctx context.Context, contactID int64, limit int) ([]conversation, error) {
	if contactID == 0 {
		return nil, nil
	}
	vcs, err := c.svc.VisitorConversations(ctx, contactID, ThreadKeyPrefix(c.ch.PublicKey), limit)
	if err != nil {
		return nil, fmt.Errorf("widget: conversations: %w", err)
	}
	out := make([]conversation, 0, len(vcs))
	for _, v := range vcs {
		out = append(out, conversation{ID: strings.TrimPrefix(v.Key, ThreadKeyPrefix(c.ch.PublicKey)), TicketID: v.TicketID,
			Number: v.Number, Status: v.Status, Open: v.Open, Created: v.CreatedAt})
	}
	return out, nil
}

// currentConversation picks the conversation a new message goes to: the
// contact's latest widget ticket while it is open, else a new one. Ids are
// deterministic (identity hash + sequence), so concurrent first messages of
// one visitor share one ticket.
func (c *Channel) currentConversation(ctx context.Context, cl *claims, contactID int64) (string, error) {
	base := conversationBase(c.identity(cl))
	convs, err := c.conversations(ctx, contactID, 50)
	if err != nil {
		return "", err
	}
	if len(convs) > 0 && convs[0].Open {
		return convs[0].ID, nil
	}
	n := 0
	for _, cv := range convs {
		if rest, ok := strings.CutPrefix(cv.ID, base+"-"); ok {
			if k, err := strconv.Atoi(rest); err == nil && k > n {
				n = k
			}
		}
	}
	return base + "-" + strconv.Itoa(n+1), nil
}

// history returns the visitor-visible messages of the given conversations
// with ids above since, oldest first.
func (c *Channel) history(ctx context.Context, convs []conversation, since int64, limit int) ([]frame, error) {
	if len(convs) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(convs))
	byTicket := map[int64]string{}
	for i, cv := range convs {
		ids[i] = cv.TicketID
		byTicket[cv.TicketID] = cv.ID
	}
	msgs, err := c.svc.VisitorHistory(ctx, ids, since, limit)
	if err != nil {
		return nil, fmt.Errorf("widget: history: %w", err)
	}
	out := make([]frame, 0, len(msgs))
	for _, m := range msgs {
		at := m.CreatedAt.UTC()
		f := frame{Type: "message", ID: m.ID, Conversation: byTicket[m.TicketID], Text: m.Text, At: &at}
		if m.Inbound {
			f.From = "visitor"
			_, f.ClientID, _ = strings.Cut(m.ExternalID, "/")
		} else {
			f.From = "agent"
			f.Author = m.AuthorName
			if strings.TrimSpace(f.Text) == "" && m.HTML != "" {
				f.Text = plaintext.FromHTML(m.HTML)
			}
		}
		for _, a := range m.Attachments {
			f.Attachments = append(f.Attachments, attachmentView(a))
		}
		out = append(out, f)
	}
	return out, nil
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
