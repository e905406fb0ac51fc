package inbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

func attrs(t *testing.T, svc *inbox.Service, id int64) map[string]any {
	t.Helper()
	p, err := svc.ContactProfile(context.Background(), id, 100)
	if err != nil {
		t.Fatal(err)
	}
	return p.AttributeValues()
}

// TestPageViews: views before the visitor has a contact are kept under the
// visitor and claimed by the contact their first message creates; visits
// are split by the 30-minute gap; counters and seen times follow; hostile
// URLs are refused or stored as text; rows per visitor are bounded.
func TestPageViews(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		const visitor = "pk/v-anon"
		t0 := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
		view := func(u string, at time.Time) *store.PageView {
			t.Helper()
			v, err := svc.RecordPageView(ctx, inbox.PageViewInput{ChannelID: ch.ID, Visitor: visitor, URL: u, Title: "<b>가격</b>\x00", At: at})
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		v1 := view("https://shop.example/pricing?plan=pro#top", t0)
		view("https://shop.example/checkout", t0.Add(10*time.Minute))
		view("https://shop.example/pricing", t0.Add(2*time.Hour)) // a new visit
		if v1.ContactID != nil || !v1.VisitStart || v1.Path != "/pricing?plan=pro" || v1.URL != "https://shop.example/pricing?plan=pro" || v1.Title != "<b>가격</b>" {
			t.Fatalf("first view: %+v", v1)
		}
		for _, bad := range []string{"javascript:alert(1)", "data:text/html,<script>", "/relative", "", "https://"} {
			if _, err := svc.RecordPageView(ctx, inbox.PageViewInput{ChannelID: ch.ID, Visitor: visitor, URL: bad}); !errors.Is(err, inbox.ErrInvalid) {
				t.Errorf("url %q: %v, want ErrInvalid", bad, err)
			}
		}
		if v, err := svc.RecordPageView(ctx, inbox.PageViewInput{ChannelID: ch.ID, Visitor: "pk/v-ko", URL: "HTTPS://user:pw@Shop.Example/ko/%ED%99%98%EB%B6%88?q=1#x"}); err != nil ||
			v.URL != "https://shop.example/ko/환불?q=1" || v.Path != "/ko/환불?q=1" {
			t.Fatalf("decoded view: %v %+v", err, v)
		}
		res, err := svc.Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: "m1", Text: "hi", ThreadKeys: []string{"widget:s1"},
			Contact: inbox.ContactRef{Kind: inbox.IdentityWidget, ID: visitor}})
		if err != nil {
			t.Fatal(err)
		}
		a := attrs(t, svc, res.ContactID)
		if a[store.AttrPagesViewed] != 3.0 || a[store.AttrVisits] != 2.0 || a[store.AttrFirstSeen] != t0.Format(time.RFC3339) {
			t.Fatalf("claimed counters: %v", a)
		}
		later := view("https://shop.example/refund", time.Now().UTC())
		if later.ContactID == nil || *later.ContactID != res.ContactID || !later.VisitStart {
			t.Fatalf("view of a known visitor: %+v", later)
		}
		a = attrs(t, svc, res.ContactID)
		if a[store.AttrPagesViewed] != 4.0 || a[store.AttrVisits] != 3.0 {
			t.Fatalf("counters after a known view: %v", a)
		}
		views, err := svc.ContactPageViews(ctx, res.ContactID, 10)
		if err != nil || len(views) != 4 || !strings.HasSuffix(views[0].URL, "/refund") {
			t.Fatalf("contact views: %v %+v", err, views)
		}
		// Bounded per visitor: the oldest rows go, the counter keeps counting.
		other := "pk/v-busy"
		for i := range store.MaxPageViewsPerVisitor + 5 {
			if _, err := svc.RecordPageView(ctx, inbox.PageViewInput{ChannelID: ch.ID, Visitor: other, URL: "https://shop.example/p",
				At: t0.Add(time.Duration(i) * time.Second)}); err != nil {
				t.Fatal(err)
			}
		}
		var n int64
		st.DB.Model(&store.PageView{}).Where("visitor = ?", other).Count(&n)
		if n != store.MaxPageViewsPerVisitor {
			t.Fatalf("kept %d views, want %d", n, store.MaxPageViewsPerVisitor)
		}
		// Retention.
		gone, err := svc.PrunePageViews(ctx, t0.Add(time.Hour))
		if err != nil || gone != store.MaxPageViewsPerVisitor+2 {
			t.Fatalf("pruned %d (%v), want %d", gone, err, store.MaxPageViewsPerVisitor+2)
		}
	})
}

// TestUnmergeContactProfile: a contact merge moves events, page views and
// attributes and adds up counters; undoing it gives them back to the
// merged contact and subtracts its counters, keeping what the surviving
// contact did and set after the merge.
func TestUnmergeContactProfile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		if _, err := svc.CreateAttributeDef(ctx, store.AttributeDef{Key: "plan", LabelEn: "Plan", Type: store.AttrText}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateAttributeDef(ctx, store.AttributeDef{Key: "company", LabelEn: "Company", Type: store.AttrText}); err != nil {
			t.Fatal(err)
		}
		mk := func(visitor, ext string) int64 {
			t.Helper()
			r, err := svc.Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: ext, Text: "hello", ThreadKeys: []string{"widget:" + ext},
				Contact: inbox.ContactRef{Kind: inbox.IdentityWidget, ID: visitor}})
			if err != nil {
				t.Fatal(err)
			}
			return r.ContactID
		}
		into, from := mk("pk/v-into", "a1"), mk("pk/v-from", "b1")
		mk("pk/v-from", "b2")
		for _, v := range []string{"pk/v-into", "pk/v-from", "pk/v-from"} {
			if _, err := svc.RecordPageView(ctx, inbox.PageViewInput{ChannelID: ch.ID, Visitor: v, URL: "https://shop.example/" + v[3:]}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.RecordContactEvent(ctx, from, inbox.ContactEventInput{Name: "cart_added"}); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetContactAttributes(ctx, from, map[string]any{"plan": "pro", "company": "From Co"}, inbox.SourceAPI); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetContactAttributes(ctx, into, map[string]any{"company": "Into Co"}, inbox.SourceAPI); err != nil {
			t.Fatal(err)
		}
		before := attrs(t, svc, from)
		if err := svc.MergeContacts(ctx, into, from); err != nil {
			t.Fatal(err)
		}
		a := attrs(t, svc, into)
		if a["plan"] != "pro" || a["company"] != "Into Co" || a[store.AttrMessages] != 3.0 || a[store.AttrPagesViewed] != 3.0 || a[store.AttrConversations] != 3.0 {
			t.Fatalf("merged profile: %v", a)
		}
		// After the merge the survivor acts and changes a moved value.
		if _, err := svc.RecordPageView(ctx, inbox.PageViewInput{ChannelID: ch.ID, Visitor: "pk/v-into", URL: "https://shop.example/after"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RecordContactEvent(ctx, into, inbox.ContactEventInput{Name: "order_paid"}); err != nil {
			t.Fatal(err)
		}
		if err := svc.UnmergeContact(ctx, into); !errors.Is(err, inbox.ErrInvalid) {
			t.Fatalf("unmerge of an unmerged contact: %v", err)
		}
		if err := svc.UnmergeContact(ctx, from); err != nil {
			t.Fatal(err)
		}
		af, ai := attrs(t, svc, from), attrs(t, svc, into)
		for k, v := range before {
			if af[k] != v {
				t.Errorf("from's %s after unmerge: %v, want %v", k, af[k], v)
			}
		}
		if ai["plan"] != nil || ai["company"] != "Into Co" || ai[store.AttrMessages] != 1.0 || ai[store.AttrPagesViewed] != 2.0 || ai[store.AttrConversations] != 1.0 {
			t.Fatalf("into after unmerge: %v", ai)
		}
		for id, want := range map[int64][]string{from: {"cart_added"}, into: {"order_paid"}} {
			evs, err := st.ContactEvents(ctx, id, 10)
			if err != nil || len(evs) != len(want) || evs[0].Name != want[0] || evs[0].OriginContactID != nil {
				t.Errorf("events of %d: %v %+v", id, err, evs)
			}
		}
		vf, _ := svc.ContactPageViews(ctx, from, 10)
		vi, _ := svc.ContactPageViews(ctx, into, 10)
		if len(vf) != 2 || len(vi) != 2 {
			t.Fatalf("views after unmerge: from %d, into %d", len(vf), len(vi))
		}
		c, err := svc.Contact(ctx, from)
		if err != nil || c.MergedInto != nil || len(c.Identities) != 1 {
			t.Fatalf("from after unmerge: %v %+v", err, c)
		}
		tl, err := st.ListTickets(ctx, store.TicketFilter{Status: "all", ContactID: from, Limit: 10})
		if err != nil || len(tl.Items) != 2 {
			t.Fatalf("from's tickets after unmerge: %v %d", err, len(tl.Items))
		}
		// A new view of from's visitor counts on from again.
		if v, err := svc.RecordPageView(ctx, inbox.PageViewInput{ChannelID: ch.ID, Visitor: "pk/v-from", URL: "https://shop.example/back"}); err != nil || v.ContactID == nil || *v.ContactID != from {
			t.Fatalf("view after unmerge: %v %+v", err, v)
		}
		if err := svc.UnmergeContact(ctx, from); !errors.Is(err, inbox.ErrInvalid) {
			t.Fatalf("second unmerge: %v", err)
		}
	})
}

// TestUnmergeContactFamily: a contact merged into B before B was merged
// into C comes back with B (still merged into B), and can then be split
// off B in turn.
func TestUnmergeContactFamily(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		ids := map[string]int64{}
		for _, n := range []string{"a", "b", "c"} {
			r, err := svc.Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: n, Text: "hi", ThreadKeys: []string{"widget:" + n},
				Contact: inbox.ContactRef{Kind: inbox.IdentityWidget, ID: "pk/v-" + n}})
			if err != nil {
				t.Fatal(err)
			}
			ids[n] = r.ContactID
			if _, err := svc.RecordPageView(ctx, inbox.PageViewInput{ChannelID: ch.ID, Visitor: "pk/v-" + n, URL: "https://shop.example/" + n}); err != nil {
				t.Fatal(err)
			}
		}
		if err := svc.MergeContacts(ctx, ids["b"], ids["a"]); err != nil {
			t.Fatal(err)
		}
		if err := svc.MergeContacts(ctx, ids["c"], ids["b"]); err != nil {
			t.Fatal(err)
		}
		if v := attrs(t, svc, ids["c"]); v[store.AttrPagesViewed] != 3.0 || v[store.AttrMessages] != 3.0 {
			t.Fatalf("c after both merges: %v", v)
		}
		pages := func(id int64) int {
			vs, err := svc.ContactPageViews(ctx, id, 10)
			if err != nil {
				t.Fatal(err)
			}
			return len(vs)
		}
		if err := svc.UnmergeContact(ctx, ids["b"]); err != nil {
			t.Fatal(err)
		}
		a, _ := svc.Contact(ctx, ids["a"])
		if a.MergedInto == nil || *a.MergedInto != ids["b"] || pages(ids["b"]) != 2 || pages(ids["c"]) != 1 {
			t.Fatalf("after unmerging b: a merged into %v, b %d views, c %d views", a.MergedInto, pages(ids["b"]), pages(ids["c"]))
		}
		if v := attrs(t, svc, ids["c"]); v[store.AttrPagesViewed] != 1.0 || v[store.AttrMessages] != 1.0 {
			t.Fatalf("c after unmerging b: %v", v)
		}
		if v := attrs(t, svc, ids["b"]); v[store.AttrPagesViewed] != 2.0 || v[store.AttrMessages] != 2.0 {
			t.Fatalf("b after its unmerge: %v", v)
		}
		if err := svc.UnmergeContact(ctx, ids["a"]); err != nil {
			t.Fatal(err)
		}
		if pages(ids["a"]) != 1 || pages(ids["b"]) != 1 {
			t.Fatalf("after unmerging a: a %d views, b %d views", pages(ids["a"]), pages(ids["b"]))
		}
		if v := attrs(t, svc, ids["b"]); v[store.AttrPagesViewed] != 1.0 || v[store.AttrMessages] != 1.0 {
			t.Fatalf("b after unmerging a: %v", v)
		}
		if c, _ := svc.Contact(ctx, ids["a"]); c.MergedInto != nil || len(c.Identities) != 1 {
			t.Fatalf("a after its unmerge: %+v", c)
		}
	})
}
