package inbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/store"
)

// Conversation links: every agent email carries a link to a page showing the
// whole customer-visible thread of its ticket (see customer.go), where the
// customer may also continue it live.
//
//   - A link is bound to one ticket and one recipient (an address), and to
//     the recipient's contact. One link is live per ticket and recipient;
//     every email that carries it moves its expiry to LinkTTL from then.
//   - The token is "<public id>.<ticket id>.<signature>": an HMAC-SHA256
//     under a server secret kept in the store (server_secrets), so only
//     Hanbox makes tokens, and a token names nothing but its own link. The
//     public id is random (128 bits), so tokens cannot be guessed either.
//   - Opening checks the signature, then the row: revoked and expired links
//     are refused (ErrLinkRevoked, ErrLinkExpired), and the page shows only
//     the link's ticket (following merges) as the link's contact may see it.
//   - The first browser to open a link is its device (a cookie); an opening
//     in another browser is flagged (a forwarded link) but still shows only
//     that conversation.

// DefaultLinkTTL is how long a conversation link works after the last email
// that carried it (Options.LinkTTL).
const DefaultLinkTTL = 30 * 24 * time.Hour

// EventLinkRevoked is published when an agent revokes a conversation link
// (Data["link"] is its public id), so live pages on it end.
const EventLinkRevoked = "link.revoked"

// Errors of OpenConversation. ErrLinkInvalid is also an ErrNotFound.
var (
	ErrLinkInvalid = fmt.Errorf("inbox: no such conversation link: %w", ErrNotFound)
	ErrLinkExpired = errors.New("inbox: this conversation link has expired")
	ErrLinkRevoked = errors.New("inbox: this conversation link was revoked")
)

// LinkAccess is what an opened link grants: the customer-visible thread of
// one ticket, as one contact sees it.
type LinkAccess struct {
	LinkID   int64
	PublicID string
	// TicketID is the link's ticket, or the ticket it was merged into;
	// Number is that ticket's human number.
	TicketID int64
	Number   int64
	// ContactID is the link's contact (or the one it was merged into).
	ContactID int64
	Recipient string
	ExpiresAt time.Time
}

// Scope is what the link's holder may see.
func (a *LinkAccess) Scope() Scope { return Scope{ContactID: a.ContactID, TicketID: a.TicketID} }

// ConversationLink returns the URL of the conversation page of ticket
// ticketID for recipient (the address an email goes to), creating the link
// or moving its expiry. A link expired while nobody wrote is retired and a
// new one made.
func (s *Service) ConversationLink(ctx context.Context, ticketID int64, recipient string) (string, error) {
	recipient = normEmail(recipient)
	if recipient == "" {
		return "", invalid("a conversation link needs a recipient address")
	}
	key, err := s.linkSecret(ctx)
	if err != nil {
		return "", err
	}
	until := now().Add(s.linkTTL)
	for range 3 {
		l, err := s.st.LiveLink(ctx, ticketID, recipient)
		switch {
		case err == nil && l.ExpiresAt.After(now()):
			if err := s.st.ExtendLink(ctx, l.ID, until); err != nil {
				return "", fmt.Errorf("inbox: %w", err)
			}
			return s.linkURL(key, l), nil
		case err == nil:
			if _, err := s.st.RevokeLink(ctx, l.ID, 0, now()); err != nil {
				return "", fmt.Errorf("inbox: %w", err)
			}
			continue
		case !errors.Is(err, store.ErrNotFound):
			return "", fmt.Errorf("inbox: %w", err)
		}
		t, err := s.Ticket(ctx, ticketID)
		if err != nil {
			return "", err
		}
		l = &store.ConversationLink{PublicID: NewPublicID(), TicketID: ticketID, ContactID: t.ContactID, Recipient: recipient,
			CreatedAt: now(), ExpiresAt: until}
		err = s.st.CreateLink(ctx, l)
		if err == nil {
			return s.linkURL(key, l), nil
		}
		if !store.IsDuplicate(err) {
			return "", fmt.Errorf("inbox: %w", err)
		}
		// Another send made the live link first: use it.
	}
	return "", errors.New("inbox: conversation link: too many concurrent changes")
}

func (s *Service) linkURL(key []byte, l *store.ConversationLink) string {
	return s.baseURL + "/c/" + LinkToken(key, l.PublicID, l.TicketID)
}

// LinkToken signs a link's public id and ticket under key.
func LinkToken(key []byte, publicID string, ticketID int64) string {
	return signTicketToken(key, "hanbox-conversation-link", publicID, ticketID)
}

// signTicketToken is "<public id>.<ticket id, base 36>.<mac>", the mac over
// both under key in its own domain (links and surveys never open each other).
func signTicketToken(key []byte, domain, publicID string, ticketID int64) string {
	payload := publicID + "." + strconv.FormatInt(ticketID, 36)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(domain + "\x00" + payload))
	return payload + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// openTicketToken checks a signTicketToken token of domain against the
// stored key; ok is false for anything Hanbox did not sign.
func (s *Service) openTicketToken(ctx context.Context, domain, token string) (publicID string, ticketID int64, ok bool, err error) {
	parts := strings.Split(token, ".")
	if len(token) > 200 || len(parts) != 3 {
		return "", 0, false, nil
	}
	ticketID, perr := strconv.ParseInt(parts[1], 36, 64)
	if perr != nil || ticketID <= 0 {
		return "", 0, false, nil
	}
	key, err := s.linkSecret(ctx)
	if err != nil {
		return "", 0, false, err
	}
	if !hmac.Equal([]byte(signTicketToken(key, domain, parts[0], ticketID)), []byte(token)) {
		return "", 0, false, nil
	}
	return parts[0], ticketID, true, nil
}

// linkSecret returns the server's conversation-link key, made once.
func (s *Service) linkSecret(ctx context.Context) ([]byte, error) {
	if k := s.linkKey.Load(); k != nil {
		return *k, nil
	}
	k, err := s.st.Secret(ctx, "conversation_links", 32)
	if err != nil {
		return nil, fmt.Errorf("inbox: link key: %w", err)
	}
	s.linkKey.Store(&k)
	return k, nil
}

// OpenConversation checks a conversation link token and returns what it
// grants. A token that is not Hanbox's, or names no link, is ErrLinkInvalid;
// an expired or revoked link is ErrLinkExpired or ErrLinkRevoked.
func (s *Service) OpenConversation(ctx context.Context, token string) (*LinkAccess, error) {
	l, err := s.linkOf(ctx, token)
	if err != nil {
		return nil, err
	}
	switch {
	case !l.ExpiresAt.After(now()):
		return nil, ErrLinkExpired
	case l.RevokedAt != nil:
		return nil, ErrLinkRevoked
	}
	db := s.st.DB.WithContext(ctx)
	ticketID, err := mergedTarget(db, l.TicketID)
	if err != nil {
		return nil, err
	}
	contactID, err := mergedContact(db, l.ContactID)
	if err != nil {
		return nil, err
	}
	return &LinkAccess{LinkID: l.ID, PublicID: l.PublicID, TicketID: ticketID, Number: ticketID + store.TicketNumberBase, ContactID: contactID, Recipient: l.Recipient,
		ExpiresAt: l.ExpiresAt}, nil
}

// linkOf verifies a token's signature and loads its link.
func (s *Service) linkOf(ctx context.Context, token string) (*store.ConversationLink, error) {
	publicID, ticketID, ok, err := s.openTicketToken(ctx, "hanbox-conversation-link", token)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrLinkInvalid
	}
	l, err := s.st.LinkByPublicID(ctx, publicID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && l.TicketID != ticketID) {
		return nil, ErrLinkInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return l, nil
}

// LinkByPublicID returns what a live link grants, by the public id a page
// session carries (checked again on every message it sends).
func (s *Service) LinkByPublicID(ctx context.Context, publicID string) (*LinkAccess, error) {
	l, err := s.st.LinkByPublicID(ctx, publicID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrLinkInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	key, err := s.linkSecret(ctx)
	if err != nil {
		return nil, err
	}
	return s.OpenConversation(ctx, LinkToken(key, l.PublicID, l.TicketID))
}

// RecordLinkOpen records an opening of link id by the browser whose device
// cookie is device, and reports whether that is another browser than the
// one that opened it first (a forwarded link).
func (s *Service) RecordLinkOpen(ctx context.Context, linkID int64, device string) (otherDevice bool, err error) {
	sum := sha256.Sum256([]byte("hanbox-link-device\x00" + device))
	return s.st.RecordLinkOpen(ctx, linkID, base64.RawURLEncoding.EncodeToString(sum[:]), now())
}

// ConversationLinks returns the links of a ticket and of the tickets merged
// into it, newest first, for agents.
func (s *Service) ConversationLinks(ctx context.Context, ticketID int64) ([]store.ConversationLink, error) {
	var ids []int64
	if err := s.st.DB.WithContext(ctx).Model(&store.Ticket{}).Where("merged_into = ?", ticketID).Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("inbox: merged tickets of %d: %w", ticketID, err)
	}
	ls, err := s.st.TicketLinks(ctx, append(ids, ticketID))
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return ls, nil
}

// RevokeConversationLink revokes link linkID of ticket ticketID (or of a
// ticket merged into it) for agent agentID. Pages open on it end; the next
// agent email to its recipient carries a new link.
func (s *Service) RevokeConversationLink(ctx context.Context, ticketID, linkID, agentID int64) error {
	l, err := s.st.Link(ctx, linkID)
	if err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	if l.TicketID != ticketID {
		if t, err := mergedTarget(s.st.DB.WithContext(ctx), l.TicketID); err != nil || t != ticketID {
			return fmt.Errorf("inbox: link %d of ticket %d: %w", linkID, ticketID, ErrNotFound)
		}
	}
	if _, err := s.st.RevokeLink(ctx, linkID, agentID, now()); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	s.bus.Publish(Event{Type: EventLinkRevoked, TicketID: ticketID, ContactID: l.ContactID, AgentID: agentID,
		Data: map[string]any{"link": l.PublicID}})
	return nil
}

// IdentityLink is the identity kind of a message written on a conversation
// page: its value is the link's public id, and its sender is the link's
// contact. It is never stored as an identity: holding a link proves nothing
// about its holder beyond that link, so it links and merges nothing.
const IdentityLink = "link"

// linkSender returns the contact a live link writes as.
func linkSender(tx *gorm.DB, publicID string) (*store.Contact, error) {
	var l store.ConversationLink
	if err := tx.Where("public_id = ?", publicID).Take(&l).Error; err != nil {
		return nil, fmt.Errorf("conversation link: %w", notFound(err))
	}
	if l.RevokedAt != nil || !l.ExpiresAt.After(now()) {
		return nil, invalidAs("link_closed", nil, "this conversation link no longer works")
	}
	id, err := mergedContact(tx, l.ContactID)
	if err != nil {
		return nil, err
	}
	return loadContact(tx, id)
}
