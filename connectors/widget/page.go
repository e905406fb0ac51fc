package widget

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"net/http"
	"strings"

	"github.com/coder/websocket"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/web"
)

// The live part of conversation pages. A page (served by the UI at
// /c/{token}, readable without JavaScript) opens a page session here with
// its link token and then speaks the widget's protocol: the WebSocket with
// catch-up, long-poll, messages, typing, read receipts, uploads and files.
// A page session sees and writes one conversation, the link's ticket, as the
// link's contact: its hub visitor receives only that ticket's frames, its
// scope lists only that ticket, and every message re-checks the link, so a
// revoked link stops at once (and its open sockets are closed).

var _ connectors.PageHost = (*Channel)(nil)

// PageHostPath implements connectors.PageHost.
func (c *Channel) PageHostPath() string { return "/connectors/" + Kind + "/" + c.ch.PublicKey }

// pages returns the inbox's conversation-link door.
func (c *Channel) pages() connectors.Pages { return c.links }

// PageSessionRequest is the body of POST /page/session.
type PageSessionRequest struct {
	Token  string `json:"token"`
	Locale string `json:"locale"`
}

// pageVisitor is the visitor id of a page session: derived from the link,
// so the link's public id never shows in what agents see.
func pageVisitor(publicID string) string {
	sum := sha256.Sum256([]byte("hanbox-page-visitor\x00" + publicID))
	return "page-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
}

// handlePageSession exchanges a conversation link token for a page session:
// the same answer as POST /session, with the link's one conversation.
func (c *Channel) handlePageSession(w http.ResponseWriter, r *http.Request) {
	if c.links == nil {
		writeErr(w, errf(http.StatusNotFound, "not_found", "no such endpoint"))
		return
	}
	if ok, wait := c.sessionLimit.Allow(web.ClientIP(r)); !ok {
		writeErr(w, &apiError{status: http.StatusTooManyRequests, code: "rate_limited", msg: "too many sessions from this address; slow down", retryAfter: wait})
		return
	}
	var req PageSessionRequest
	if e := decodeBody(w, r, 4<<10, &req); e != nil {
		writeErr(w, e)
		return
	}
	ctx := r.Context()
	l, err := c.links.OpenConversation(ctx, strings.TrimSpace(req.Token))
	switch {
	case errors.Is(err, inbox.ErrLinkExpired):
		writeErr(w, errf(http.StatusGone, "link_expired", "this conversation link has expired"))
		return
	case errors.Is(err, inbox.ErrLinkRevoked):
		writeErr(w, errf(http.StatusGone, "link_revoked", "this conversation link was revoked"))
		return
	case errors.Is(err, connectors.ErrNotFound):
		writeErr(w, errf(http.StatusNotFound, "not_found", "no such conversation"))
		return
	case err != nil:
		c.log.Error("widget: open conversation link", "err", err)
		writeErr(w, errf(http.StatusServiceUnavailable, "unavailable", "try again shortly"))
		return
	}
	exp := min(c.now().Add(SessionTTL).Unix(), l.ExpiresAt.Unix())
	cl := claims{Visitor: pageVisitor(l.PublicID), Page: l.PublicID, Exp: exp}
	resp, e := c.session(ctx, &cl, "")
	if e != nil {
		writeErr(w, e)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// onLinkRevoked ends the page sockets of a revoked link: each gets a
// "closed" frame and then the socket closes; the page reloads to show why.
func (c *Channel) onLinkRevoked(ctx context.Context, e inbox.Event) {
	pub, _ := e.Data["link"].(string)
	if pub == "" {
		return
	}
	conns := c.hub.closeVisitor(c.ch.PublicKey + "/page:" + pub)
	writeAll(ctx, conns, frame{Type: "closed", Code: "link_revoked"})
	for _, conn := range conns {
		conn.Close(websocket.StatusPolicyViolation, "link revoked")
	}
}

// onTicketsMoved follows merges and unmerges for open pages: each page's
// link is looked up again, so it keeps receiving its conversation's frames
// in whichever ticket they are now.
func (c *Channel) onTicketsMoved(ctx context.Context) {
	for who := range c.hub.pageVisitors() {
		pub := strings.TrimPrefix(who, c.ch.PublicKey+"/page:")
		l, err := c.links.LinkByPublicID(ctx, pub)
		if err != nil {
			continue
		}
		c.hub.setPage(who, l.ContactID, l.TicketID)
	}
}
