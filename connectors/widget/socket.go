package widget

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"github.com/hanbox/hanbox/inbox"
)

// Socket limits: a frame carries at most one message (8 KB of text plus
// JSON), and a socket with no frame for idleTimeout is closed (the script
// pings every 25 s).
const (
	maxFrameBytes = 32 << 10
	idleTimeout   = 70 * time.Second
)

// handleWS serves GET /ws?token=...&since=<message id>: after the upgrade
// the server sends messages newer than since (what the visitor missed while
// away), then a "ready" frame, then live frames.
func (c *Channel) handleWS(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" || !c.originAllowed(origin) {
		writeErr(w, errf(http.StatusForbidden, "origin_not_allowed", "this site may not use this widget"))
		return
	}
	cl, e := c.auth(r)
	if e != nil {
		writeErr(w, e)
		return
	}
	// The origin was checked above against full origins (scheme included),
	// which OriginPatterns (host patterns) cannot express.
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return // Accept has answered
	}
	conn.SetReadLimit(maxFrameBytes)
	// The socket outlives this handler: the read loop runs in its own
	// goroutine, so the request, its headers and the deep stack of the HTTP
	// server's goroutine are released while the visitor sits idle (see
	// docs/bench/widget.md for the memory per idle connection).
	ctx := c.life
	who := c.identity(cl)
	// Register before catching up: a reply committed from here on is pushed,
	// one committed before is in the catch-up (the script drops duplicates
	// by id), so nothing falls between the two.
	first := c.hub.attach(who, conn)
	if _, err := c.contactID(ctx, cl); err != nil && ctx.Err() == nil {
		c.log.Warn("widget: socket contact", "err", err)
	}
	if first {
		c.publishPresence(who, cl.Visitor, true)
	}
	q := r.URL.Query()
	if since, err := strconv.ParseInt(q.Get("since"), 10, 64); err == nil && since >= 0 {
		msgs, err := c.messagesSince(ctx, cl, since)
		if err != nil {
			c.log.Warn("widget: catch up", "err", err)
		}
		for _, m := range msgs {
			if !writeFrame(ctx, conn, m) {
				c.closeSocket(who, cl.Visitor, conn)
				return
			}
		}
	}
	if !writeFrame(ctx, conn, frame{Type: "ready"}) {
		c.closeSocket(who, cl.Visitor, conn)
		return
	}
	go c.readLoop(ctx, conn, cl, who)
}

func (c *Channel) closeSocket(who, visitor string, conn *websocket.Conn) {
	conn.CloseNow()
	if c.hub.detach(who, conn) {
		c.publishPresence(who, visitor, false)
	}
}

// readLoop reads the visitor's frames until the socket closes or the
// channel stops. Frames that touch the store are handled on a short-lived
// goroutine so that this long-lived one keeps a small stack.
func (c *Channel) readLoop(ctx context.Context, conn *websocket.Conn, cl *claims, who string) {
	defer c.closeSocket(who, cl.Visitor, conn)
	for {
		rctx, cancel := context.WithTimeout(ctx, idleTimeout)
		typ, b, err := conn.Read(rctx)
		cancel()
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				conn.Close(websocket.StatusPolicyViolation, "idle")
			}
			return
		}
		c.hub.touch(who)
		if typ != websocket.MessageText {
			writeFrame(ctx, conn, frame{Type: "error", Code: "bad_frame", Message: "frames are JSON text"})
			continue
		}
		var f frame
		if err := json.Unmarshal(b, &f); err != nil {
			writeFrame(ctx, conn, frame{Type: "error", Code: "bad_json", Message: "frame is not valid JSON"})
			continue
		}
		switch f.Type {
		case "ping":
			writeFrame(ctx, conn, frame{Type: "pong"})
		case "survey":
			if !writeFrame(ctx, conn, c.answerSurvey(ctx, cl, &f)) {
				return
			}
		case "message", "typing", "read", "page":
			done := make(chan bool)
			go func() { done <- c.handleFrame(ctx, conn, cl, who, &f) }()
			if !<-done {
				return
			}
		default:
			writeFrame(ctx, conn, frame{Type: "error", Code: "bad_frame", Message: "unknown frame type"})
		}
	}
}

// handleFrame handles one client frame; false means the socket is broken.
func (c *Channel) handleFrame(ctx context.Context, conn *websocket.Conn, cl *claims, who string, f *frame) bool {
	if f.Type != "message" {
		c.handleEphemeral(ctx, cl, f)
		return true
	}
	out, rc, e := c.postMessage(ctx, cl, f)
	if e != nil {
		ef := frame{Type: "error", Code: e.code, Message: e.msg, ClientID: f.ClientID}
		if e.retryAfter > 0 {
			ef.RetryAfter = int((e.retryAfter + time.Second - 1) / time.Second)
		}
		return writeFrame(ctx, conn, ef)
	}
	if !writeFrame(ctx, conn, out) {
		return false
	}
	contactID, _ := c.hub.info(who)
	c.hub.echo(ctx, contactID, conn, out, rc)
	return true
}

func writeFrame(ctx context.Context, conn *websocket.Conn, f frame) bool {
	b, err := json.Marshal(f)
	if err != nil {
		return false
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return conn.Write(wctx, websocket.MessageText, b) == nil
}

func (c *Channel) publishPresence(who, visitor string, online bool) {
	contactID, ticketID := c.hub.info(who)
	c.bus.Publish(inbox.Event{Type: inbox.EventPresence, ChannelID: c.ch.ID, ContactID: contactID, TicketID: ticketID,
		Data: map[string]any{"visitor": visitor, "online": online}})
}
