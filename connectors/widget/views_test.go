package widget

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// TestPageViewsRecorded: the session's page and later POST /view calls are
// stored for the visitor, hostile URLs are dropped and titles kept as text,
// the first message's contact takes the earlier views into its counters,
// and views beyond the per-visitor limit are dropped.
func TestPageViewsRecorded(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, nil)
		ctx := context.Background()
		at := time.Now().UTC().Truncate(time.Second)
		h.conn.setClock(func() time.Time { return at })
		s := h.session(SessionRequest{Page: &pageInfo{URL: testOrigin + "/pricing?plan=pro", Title: "가격"}})
		view := func(u, title string) {
			t.Helper()
			resp := h.do("POST", "/view", s.SessionToken, ViewRequest{Page: &pageInfo{URL: u, Title: title}}, nil)
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("POST /view %s: %d", u, resp.StatusCode)
			}
		}
		view("javascript:alert(1)", "x")
		view(testOrigin+"/checkout", `<img src=x onerror=alert(1)>`)
		if resp := h.do("POST", "/view", "", ViewRequest{Page: &pageInfo{URL: testOrigin + "/x"}}, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("view without a session: %d", resp.StatusCode)
		}
		identity := h.ch.PublicKey + "/" + s.VisitorID
		var rows []store.PageView
		if err := h.env.Store.DB.Where("visitor = ?", identity).Order("id").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].Path != "/pricing?plan=pro" || rows[0].Title != "가격" || rows[1].Title != `<img src=x onerror=alert(1)>` ||
			rows[0].ContactID != nil || !rows[0].VisitStart || rows[1].VisitStart || !rows[0].At.Equal(at) {
			t.Fatalf("rows: %+v", rows)
		}
		c := h.mustDial(s.SessionToken, "")
		c.message("m-1", "가격이 궁금해요")
		ct, err := h.env.Inbox.ContactByIdentity(ctx, inbox.IdentityWidget, identity)
		if err != nil {
			t.Fatal(err)
		}
		view(testOrigin+"/refund", "환불")
		p, err := h.env.Inbox.ContactProfile(ctx, ct.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if v := p.AttributeValues(); v[store.AttrPagesViewed] != 3.0 || v[store.AttrVisits] != 1.0 {
			t.Fatalf("counters: %v", v)
		}
		// The limit (30 a minute per visitor, the refused javascript: view
		// took one) holds on the channel's clock.
		for range 40 {
			view(testOrigin+"/spam", "")
		}
		var n int64
		h.env.Store.DB.Model(&store.PageView{}).Where("visitor = ?", identity).Count(&n)
		if n != 29 {
			t.Fatalf("%d views stored, want the 29 the limit allows", n)
		}
		h.conn.setClock(func() time.Time { return at.Add(time.Minute) })
		view(testOrigin+"/later", "")
		h.env.Store.DB.Model(&store.PageView{}).Where("visitor = ?", identity).Count(&n)
		if n != 30 {
			t.Fatalf("%d views after the refill, want 30", n)
		}
	})
}
