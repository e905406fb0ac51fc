package ui_test

import (
	"net/http"
	"testing"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
)

// TestTicketPageMarksRead: opening a ticket page reads it for the agent; a
// hidden tab's background refresh (X-Hanbox-Background) does not.
func TestTicketPageMarksRead(t *testing.T) {
	e := newEnv(t, store.SQLite)
	pid := e.ingest(map[string]any{"external_id": "r1", "subject": "읽음", "text": "안녕하세요", "contact": map[string]any{"external_id": "r-c1", "name": "김민지"}})
	tk, err := e.srv.Inbox.TicketByPublicID(e.ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	admin := agentID(t, e, "admin@example.com")
	unread := func() bool {
		t.Helper()
		u, err := e.srv.Store.Unread(e.ctx, admin, []store.Ticket{*tk})
		if err != nil {
			t.Fatal(err)
		}
		return u[tk.ID]
	}
	open := func(background bool) {
		t.Helper()
		req, _ := http.NewRequest("GET", e.ts.URL+"/tickets/"+pid, nil)
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: e.adminTok})
		if background {
			req.Header.Set("X-Hanbox-Background", "1")
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("ticket page: %d", resp.StatusCode)
		}
	}
	if !unread() {
		t.Fatal("a new ticket is read")
	}
	open(true)
	if !unread() {
		t.Fatal("a background refresh marked the ticket read")
	}
	open(false)
	if unread() {
		t.Fatal("opening the ticket did not mark it read")
	}
}
