package widget

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// defaultLiveWindow is how recently a visitor must have been seen (a poll
// that just ended, a socket that is reconnecting) to count as present.
const defaultLiveWindow = 10 * time.Second

// hub tracks the visitors of one channel in this process: their live
// sockets, their waiting long-polls and when each was last seen. Visitors
// are found by contact (replies name a contact) and by visitor id.
type hub struct {
	mu        sync.Mutex
	visitors  map[string]*visitor
	byContact map[int64]map[*visitor]struct{}
	// liveWindow: see defaultLiveWindow.
	liveWindow time.Duration
	// ownPrefix gives the thread-key prefix of an identity's own chats.
	ownPrefix func(identity string) string
	// now is the channel's clock (Channel.SetClock).
	now func() time.Time
}

type visitor struct {
	id        string
	contactID int64
	ticketID  int64 // the open conversation's ticket, when known
	conns     map[*websocket.Conn]struct{}
	polls     int
	lastSeen  time.Time
	wake      chan struct{} // closed when something new arrives for pollers

	// Who may receive what (see reach): a verified customer every
	// conversation of their contact; a page its one ticket (ticketID); an
	// unverified visitor the chats their token started (by key, and the
	// tickets seen listed for them).
	verified bool
	page     bool
	prefix   string
	tickets  map[int64]bool
}

// reach names who may receive a frame: the visitors of its contact who may
// see its ticket. A zero reach (no ticket) reaches them all.
type reach struct {
	ticketID int64
	keys     []string // this channel's chat keys of the ticket
}

// may reports whether v may receive a frame of reach r; call with h.mu held.
func (v *visitor) may(r reach) bool {
	switch {
	case r.ticketID == 0 || v.verified:
		return true
	case v.page:
		return v.ticketID == r.ticketID
	case v.tickets[r.ticketID]:
		return true
	}
	for _, k := range r.keys {
		if v.prefix != "" && strings.HasPrefix(k, v.prefix) {
			return true
		}
	}
	return false
}

func newHub() *hub {
	return &hub{visitors: map[string]*visitor{}, byContact: map[int64]map[*visitor]struct{}{}, liveWindow: defaultLiveWindow, now: time.Now}
}

// get returns the visitor with id, creating it; call with h.mu held.
func (h *hub) get(id string) *visitor {
	v, ok := h.visitors[id]
	if !ok {
		v = &visitor{id: id, conns: map[*websocket.Conn]struct{}{}, wake: make(chan struct{}), tickets: map[int64]bool{},
			verified: strings.Contains(id, "/user:"), page: strings.Contains(id, "/page:")}
		if h.ownPrefix != nil {
			v.prefix = h.ownPrefix(id)
		}
		h.visitors[id] = v
	}
	return v
}

// allow records tickets an unverified visitor was shown (their own chats),
// so frames of those tickets reach them.
func (h *hub) allow(id string, ticketIDs ...int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v := h.get(id)
	if len(v.tickets) > 1000 {
		clear(v.tickets)
	}
	for _, t := range ticketIDs {
		v.tickets[t] = true
	}
}

// allowed reports whether ticketID was listed for visitor id.
func (h *hub) allowed(id string, ticketID int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.visitors[id]
	return ok && v.tickets[ticketID]
}

// setPage ties a page visitor to its link's contact and ticket.
func (h *hub) setPage(id string, contactID, ticketID int64) {
	h.setContact(id, contactID, 0)
	h.mu.Lock()
	h.get(id).ticketID = ticketID
	h.mu.Unlock()
}

// pageVisitors returns the page visitors and their tickets.
func (h *hub) pageVisitors() map[string]int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int64{}
	for id, v := range h.visitors {
		if v.page {
			out[id] = v.ticketID
		}
	}
	return out
}

// closeVisitor ends the sockets of visitor id (a page whose link was revoked).
func (h *hub) closeVisitor(id string) []*websocket.Conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.visitors[id]
	if !ok {
		return nil
	}
	var conns []*websocket.Conn
	for c := range v.conns {
		conns = append(conns, c)
	}
	close(v.wake)
	v.wake = make(chan struct{})
	return conns
}

// setContact ties a visitor to its contact once known.
func (h *hub) setContact(id string, contactID, ticketID int64) {
	if contactID == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	v := h.get(id)
	if v.contactID != contactID {
		if m := h.byContact[v.contactID]; m != nil {
			delete(m, v)
			if len(m) == 0 {
				delete(h.byContact, v.contactID)
			}
		}
		v.contactID = contactID
		if h.byContact[contactID] == nil {
			h.byContact[contactID] = map[*visitor]struct{}{}
		}
		h.byContact[contactID][v] = struct{}{}
	}
	if ticketID != 0 && !v.page {
		v.ticketID = ticketID
	}
	v.lastSeen = h.now()
}

func (h *hub) info(id string) (contactID, ticketID int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if v, ok := h.visitors[id]; ok {
		return v.contactID, v.ticketID
	}
	return 0, 0
}

// attach registers a socket; it reports whether it is the visitor's first.
func (h *hub) attach(id string, conn *websocket.Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	v := h.get(id)
	v.conns[conn] = struct{}{}
	v.lastSeen = h.now()
	return len(v.conns) == 1 && v.polls == 0
}

// detach removes a socket; it reports whether the visitor is now gone.
func (h *hub) detach(id string, conn *websocket.Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	v := h.get(id)
	delete(v.conns, conn)
	v.lastSeen = h.now()
	return len(v.conns) == 0 && v.polls == 0
}

// beginPoll registers a waiting long-poll; it returns the wake channel and
// the visitor's number of polls, this one included.
func (h *hub) beginPoll(id string) (<-chan struct{}, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v := h.get(id)
	v.polls++
	v.lastSeen = h.now()
	return v.wake, v.polls
}

func (h *hub) endPoll(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v := h.get(id)
	v.polls--
	v.lastSeen = h.now()
}

func (h *hub) touch(id string) {
	h.mu.Lock()
	h.get(id).lastSeen = h.now()
	h.mu.Unlock()
}

func (h *hub) hasContact(contactID int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.byContact[contactID]) > 0
}

// anyone reports whether any visitor (socket or poller) is known.
func (h *hub) anyone() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.visitors) > 0
}

// connCount returns the number of live sockets.
func (h *hub) connCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, v := range h.visitors {
		n += len(v.conns)
	}
	return n
}

// targets collects the sockets of the contact's visitors that r reaches and
// wakes their pollers; it reports whether any of them is live and when the
// latest was last seen.
func (h *hub) targets(contactID int64, except *websocket.Conn, r reach) (conns []*websocket.Conn, live bool, lastSeen time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for v := range h.byContact[contactID] {
		if !v.may(r) {
			continue
		}
		for c := range v.conns {
			if c != except {
				conns = append(conns, c)
			}
		}
		if len(v.conns) > 0 || v.polls > 0 || h.now().Sub(v.lastSeen) < h.liveWindow {
			live = true
		}
		if v.lastSeen.After(lastSeen) {
			lastSeen = v.lastSeen
		}
		close(v.wake)
		v.wake = make(chan struct{})
	}
	return conns, live, lastSeen
}

// deliver pushes f to every socket of the contact's visitors that r reaches.
func (h *hub) deliver(ctx context.Context, contactID int64, f frame, r reach) (live bool, lastSeen time.Time) {
	conns, live, lastSeen := h.targets(contactID, nil, r)
	writeAll(ctx, conns, f)
	return live, lastSeen
}

// broadcast pushes an ephemeral frame (typing, read) to the sockets of a
// contact's visitors that r reaches.
func (h *hub) broadcast(ctx context.Context, contactID int64, f frame, r reach) {
	h.mu.Lock()
	var conns []*websocket.Conn
	for v := range h.byContact[contactID] {
		if !v.may(r) {
			continue
		}
		for c := range v.conns {
			conns = append(conns, c)
		}
	}
	h.mu.Unlock()
	writeAll(ctx, conns, f)
}

// echo pushes a visitor's own message to the contact's other sockets that
// may see it (other tabs, the widget and a conversation page).
func (h *hub) echo(ctx context.Context, contactID int64, except *websocket.Conn, f frame, r reach) {
	conns, _, _ := h.targets(contactID, except, r)
	writeAll(ctx, conns, f)
}

// writeAll writes f to each socket with a short timeout; a socket that cannot
// take it is closed, and its visitor finds the message in history on reconnect.
func writeAll(ctx context.Context, conns []*websocket.Conn, f frame) {
	if len(conns) == 0 {
		return
	}
	b, err := json.Marshal(f)
	if err != nil {
		return
	}
	for _, c := range conns {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if err := c.Write(wctx, websocket.MessageText, b); err != nil {
			c.CloseNow()
		}
		cancel()
	}
}

// sweep forgets visitors without sockets or polls not seen for maxAge.
func (h *hub) sweep(maxAge time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, v := range h.visitors {
		if len(v.conns) == 0 && v.polls == 0 && h.now().Sub(v.lastSeen) > maxAge {
			delete(h.visitors, id)
			if m := h.byContact[v.contactID]; m != nil {
				delete(m, v)
				if len(m) == 0 {
					delete(h.byContact, v.contactID)
				}
			}
		}
	}
}

// forgetContact drops the cached contact of its visitors; the next request
// of each looks the contact up again (after contacts were merged).
// It returns the identities of those visitors.
func (h *hub) forgetContact(contactID int64) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ids []string
	for v := range h.byContact[contactID] {
		v.contactID, v.ticketID = 0, 0
		ids = append(ids, v.id)
	}
	delete(h.byContact, contactID)
	return ids
}
