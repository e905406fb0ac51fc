package inbox_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestProfileFromIngestAndAPI: ingest keeps the counters; attributes are
// checked against their types; events are recorded; contacts resolve by
// id, email and external user id.
func TestProfileFromIngestAndAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		var res inbox.IngestResult
		for i, ext := range []string{"m1", "m2", "m3"} {
			r, err := svc.Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: ext, Text: "hi", ThreadKeys: []string{"widget:s1"},
				Contact: inbox.ContactRef{Kind: inbox.IdentityWidget, ID: "pk/user:u-7", Verified: true, Email: "minji@example.com", EmailVerified: true}})
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				res = r
			}
		}
		p, err := svc.ContactProfile(ctx, res.ContactID, 10)
		if err != nil {
			t.Fatal(err)
		}
		vals := p.AttributeValues()
		if vals[store.AttrMessages] != 3.0 || vals[store.AttrConversations] != 1.0 || vals[store.AttrLastSeen] == nil || vals[store.AttrFirstSeen] == nil {
			t.Fatalf("built-ins after ingest: %v", vals)
		}
		if _, err := svc.CreateAttributeDef(ctx, store.AttributeDef{Key: "plan", LabelKo: "요금제", LabelEn: "Plan", Type: store.AttrText}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateAttributeDef(ctx, store.AttributeDef{Key: "seats", LabelEn: "Seats", Type: store.AttrNumber}); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []store.AttributeDef{{Key: "plan", LabelEn: "again", Type: store.AttrText}, {Key: "Bad Key", LabelEn: "x", Type: store.AttrText},
			{Key: store.AttrMessages, LabelEn: "x", Type: store.AttrNumber}, {Key: "k", LabelEn: "x", Type: "json"}, {Key: "nolabel", Type: store.AttrText}} {
			if _, err := svc.CreateAttributeDef(ctx, bad); !errors.Is(err, inbox.ErrInvalid) {
				t.Errorf("define %+v: %v, want ErrInvalid", bad, err)
			}
		}
		for _, bad := range []map[string]any{{"seats": "many"}, {"plan": 3.0}, {"nope": "x"}, {store.AttrMessages: 5.0},
			{store.AttrEmailMarketing: "maybe"}, {store.AttrTimeZone: "Mars/Base"}} {
			if err := svc.SetContactAttributes(ctx, res.ContactID, bad, inbox.SourceAPI); !errors.Is(err, inbox.ErrInvalid) {
				t.Errorf("set %v: %v, want ErrInvalid", bad, err)
			}
		}
		if err := svc.SetContactAttributes(ctx, res.ContactID, map[string]any{"plan": "pro", "seats": 12.0, store.AttrEmailMarketing: true,
			store.AttrTimeZone: "Asia/Seoul", store.AttrLocale: "ko"}, inbox.SourceAPI); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
		if _, err := svc.RecordContactEvent(ctx, res.ContactID, inbox.ContactEventInput{Name: "order_paid", At: at, Properties: map[string]any{"amount": 39000.0}}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RecordContactEvent(ctx, res.ContactID, inbox.ContactEventInput{Name: "bad name!"}); !errors.Is(err, inbox.ErrInvalid) {
			t.Fatalf("bad event name: %v", err)
		}
		p, _ = svc.ContactProfile(ctx, res.ContactID, 10)
		vals = p.AttributeValues()
		if vals["plan"] != "pro" || vals["seats"] != 12.0 || vals[store.AttrEmailMarketing] != true || vals[store.AttrLocale] != "ko" || vals[store.AttrTimeZone] != "Asia/Seoul" {
			t.Fatalf("after set: %v", vals)
		}
		// The time zone is the contact's own (quiet hours and NPS rounds read it).
		var row store.Contact
		if err := st.DB.Take(&row, res.ContactID).Error; err != nil || row.TimeZone != "Asia/Seoul" {
			t.Fatalf("contact time zone %q (%v), want the attribute's Asia/Seoul", row.TimeZone, err)
		}
		if len(p.Events) != 1 || p.Events[0].Name != "order_paid" || !p.Events[0].At.Equal(at) || p.Events[0].Properties["amount"] != 39000.0 {
			t.Fatalf("events: %+v", p.Events)
		}
		for _, ref := range []string{"Minji@Example.com", "u-7", "user:u-7", strconv.FormatInt(res.ContactID, 10)} {
			c, err := svc.FindContact(ctx, ref)
			if err != nil || c.ID != res.ContactID {
				t.Fatalf("find %q: %v %v", ref, c, err)
			}
		}
		for _, ref := range []string{"nobody@example.com", "u-8", "999999"} {
			if _, err := svc.FindContact(ctx, ref); !errors.Is(err, inbox.ErrNotFound) {
				t.Fatalf("find %q: %v, want not found", ref, err)
			}
		}
		d := store.SegmentDef{Match: store.MatchAll, Conditions: []store.SegmentCondition{
			{Kind: store.CondAttribute, Key: store.AttrMessages, Op: store.OpGte, Value: "3"},
			{Kind: store.CondEvent, Name: "order_paid", Days: 7},
			{Kind: store.CondAttribute, Key: store.AttrEmailMarketing, Op: store.OpTrue}}}
		pv, err := svc.PreviewSegment(ctx, d, time.Now(), 0, 10)
		if err != nil || pv.Count != 1 || len(pv.Contacts) != 1 {
			t.Fatalf("preview: %+v %v", pv, err)
		}
		d.Conditions[0].Value = "4"
		if pv, _ := svc.PreviewSegment(ctx, d, time.Now(), 0, 10); pv.Count != 0 {
			t.Fatalf("messages >= 4 matched %d", pv.Count)
		}
		if err := svc.SaveSegment(ctx, &store.Segment{Name: "x", Definition: store.SegmentDef{Match: "most"}}); !errors.Is(err, inbox.ErrInvalid) {
			t.Fatalf("bad segment saved: %v", err)
		}
	})
}
