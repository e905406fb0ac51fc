package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// profileWorld is generated profile data, kept in memory too so a
// brute-force filter can say what a segment should match.
type profileWorld struct {
	now      time.Time
	contacts []store.Contact
	attrs    map[int64]map[string]store.ContactAttribute
	tags     map[int64][]string
	events   map[int64][]store.ContactEvent
	views    map[int64][]store.PageView
	types    map[string]string
}

var (
	worldTexts  = []string{"free", "pro", "team", "엔터프라이즈", "Pro plan", "서울", "busan"}
	worldTags   = []string{"VIP", "refund", "버그", "billing"}
	worldEvents = []string{"signed_up", "cart_added", "order_paid"}
	worldLocale = []string{"", "ko", "en", "ko-KR"}
	worldURLs   = []string{"https://shop.example/pricing", "https://shop.example/Pricing?plan=pro", "https://shop.example/checkout/step-2",
		"http://blog.example/ko/환불-안내", "https://shop.example/refund_100%", "https://shop.example/", "https://docs.example/setup/multi-step"}
	worldPagePatterns = []string{"pricing", "PRICING", "/checkout", "환불", "_100%", "refund_", "/pricing*", "/checkout/*", "https://shop.example/*",
		"http*://*example/*", "*step*", "/", "/ko/*", "shop"}
	worldCustom = []store.AttributeDef{
		{Key: "plan", LabelKo: "요금제", LabelEn: "Plan", Type: store.AttrText},
		{Key: "score", LabelKo: "점수", LabelEn: "Score", Type: store.AttrNumber},
		{Key: "beta", LabelKo: "베타", LabelEn: "Beta", Type: store.AttrBoolean},
		{Key: "renewal", LabelKo: "갱신일", LabelEn: "Renewal", Type: store.AttrDate},
	}
)

// seedProfiles writes n contacts (a few merged away) with random
// attributes, tagged tickets and events, and returns them.
func seedProfiles(t testing.TB, st *store.Store, r *rand.Rand, n int) *profileWorld {
	t.Helper()
	ctx := context.Background()
	w := &profileWorld{now: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC), attrs: map[int64]map[string]store.ContactAttribute{},
		tags: map[int64][]string{}, events: map[int64][]store.ContactEvent{}, views: map[int64][]store.PageView{}, types: map[string]string{}}
	for _, d := range worldCustom {
		d.CreatedAt, d.UpdatedAt = w.now, w.now
		if err := st.CreateAttributeDef(ctx, &d); err != nil {
			t.Fatal(err)
		}
		w.types[d.Key] = d.Type
	}
	w.contacts = make([]store.Contact, n)
	for i := range w.contacts {
		w.contacts[i] = store.Contact{Name: fmt.Sprintf("c%d", i), Locale: worldLocale[r.IntN(len(worldLocale))], CreatedAt: w.now, UpdatedAt: w.now}
	}
	db := st.DB.WithContext(ctx)
	if err := db.CreateInBatches(w.contacts, 500).Error; err != nil {
		t.Fatal(err)
	}
	var merged []int64
	for i := range w.contacts {
		if r.IntN(20) == 0 && i > 0 {
			into := w.contacts[0].ID
			w.contacts[i].MergedInto = &into
			merged = append(merged, w.contacts[i].ID)
		}
	}
	if len(merged) > 0 {
		if err := db.Model(&store.Contact{}).Where("id IN ?", merged).Update("merged_into", w.contacts[0].ID).Error; err != nil {
			t.Fatal(err)
		}
	}
	day := int64(86400)
	var attrs []store.ContactAttribute
	var tickets []store.Ticket
	var events []store.ContactEvent
	var views []store.PageView
	for _, c := range w.contacts {
		m := map[string]store.ContactAttribute{}
		put := func(a store.ContactAttribute) {
			a.ContactID = c.ID
			m[a.Key] = a
			attrs = append(attrs, a)
		}
		if r.IntN(4) > 0 {
			s := worldTexts[r.IntN(len(worldTexts))]
			put(store.ContactAttribute{Key: "plan", Type: store.AttrText, Text: &s})
		}
		if r.IntN(4) > 0 {
			f := float64(r.IntN(200)) / 2
			put(store.ContactAttribute{Key: "score", Type: store.AttrNumber, Num: &f})
		}
		if r.IntN(3) > 0 {
			b := r.IntN(2) == 0
			put(store.ContactAttribute{Key: "beta", Type: store.AttrBoolean, Bool: &b})
		}
		if r.IntN(3) > 0 {
			u := w.now.Unix() + (r.Int64N(400)-200)*day + r.Int64N(day)
			put(store.ContactAttribute{Key: "renewal", Type: store.AttrDate, Time: &u})
		}
		if r.IntN(5) > 0 {
			u := w.now.Unix() - r.Int64N(120)*day - r.Int64N(day)
			put(store.ContactAttribute{Key: store.AttrLastSeen, Type: store.AttrDate, Time: &u})
			f := float64(r.IntN(150))
			put(store.ContactAttribute{Key: store.AttrMessages, Type: store.AttrNumber, Num: &f})
		}
		if r.IntN(2) > 0 {
			b := r.IntN(3) > 0
			put(store.ContactAttribute{Key: store.AttrEmailMarketing, Type: store.AttrBoolean, Bool: &b})
		}
		if r.IntN(3) > 0 {
			f := float64(r.IntN(30))
			put(store.ContactAttribute{Key: store.AttrVisits, Type: store.AttrNumber, Num: &f})
		}
		w.attrs[c.ID] = m
		for k := r.IntN(4); k > 0; k-- {
			u := worldURLs[r.IntN(len(worldURLs))]
			rest := u[strings.Index(u, "://")+3:]
			id := c.ID
			v := store.PageView{ContactID: &id, Visitor: fmt.Sprintf("pk/v%d", c.ID), ChannelID: 1, URL: u, Path: rest[strings.Index(rest, "/"):],
				At: w.now.Add(-time.Duration(r.Int64N(60*24*3600)) * time.Second)}
			views = append(views, v)
			w.views[c.ID] = append(w.views[c.ID], v)
		}
		for k := r.IntN(3); k > 0; k-- {
			tickets = append(tickets, store.Ticket{PublicID: fmt.Sprintf("p%d-%d", c.ID, k), ReplyToken: fmt.Sprintf("r%d-%d", c.ID, k),
				Status: store.StatusOpen, Priority: "normal", ContactID: c.ID, ChannelID: 1, LastChannelID: 1, LastMessageAt: w.now, CreatedAt: w.now, UpdatedAt: w.now})
		}
		for k := r.IntN(4); k > 0; k-- {
			e := store.ContactEvent{ContactID: c.ID, Name: worldEvents[r.IntN(len(worldEvents))],
				At: w.now.Add(-time.Duration(r.Int64N(90*24*3600)) * time.Second), Properties: store.JSONMap{"k": k}, CreatedAt: w.now}
			events = append(events, e)
			w.events[c.ID] = append(w.events[c.ID], e)
		}
	}
	if err := db.CreateInBatches(attrs, 500).Error; err != nil {
		t.Fatal(err)
	}
	if len(tickets) > 0 {
		if err := db.Omit("Contact", "Tags").CreateInBatches(tickets, 500).Error; err != nil {
			t.Fatal(err)
		}
	}
	var tags []store.TicketTag
	for _, tk := range tickets {
		for _, tg := range worldTags {
			if r.IntN(4) == 0 {
				tags = append(tags, store.TicketTag{TicketID: tk.ID, Tag: tg})
				if !slices.Contains(w.tags[tk.ContactID], tg) {
					w.tags[tk.ContactID] = append(w.tags[tk.ContactID], tg)
				}
			}
		}
	}
	if len(tags) > 0 {
		if err := db.CreateInBatches(tags, 500).Error; err != nil {
			t.Fatal(err)
		}
	}
	if len(events) > 0 {
		if err := db.CreateInBatches(events, 500).Error; err != nil {
			t.Fatal(err)
		}
	}
	if len(views) > 0 {
		if err := db.CreateInBatches(views, 500).Error; err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// randomSegment draws a valid definition of up to four conditions.
func randomSegment(r *rand.Rand, w *profileWorld) store.SegmentDef {
	d := store.SegmentDef{Match: []string{store.MatchAll, store.MatchAny}[r.IntN(2)]}
	keys := []string{"plan", "score", "beta", "renewal", store.AttrLastSeen, store.AttrMessages, store.AttrEmailMarketing, store.AttrLocale, store.AttrProactiveChat,
		store.AttrVisits}
	for k := r.IntN(5); k > 0; k-- {
		var c store.SegmentCondition
		switch r.IntN(5) {
		case 4:
			c = store.SegmentCondition{Kind: store.CondPage, Op: []string{store.OpContains, store.OpPattern}[r.IntN(2)],
				Value: worldPagePatterns[r.IntN(len(worldPagePatterns))], Days: []int{0, 1, 7, 30}[r.IntN(4)], Not: r.IntN(3) == 0}
		case 0:
			c = store.SegmentCondition{Kind: store.CondTag, Tag: worldTags[r.IntN(len(worldTags))], Not: r.IntN(3) == 0}
		case 1:
			c = store.SegmentCondition{Kind: store.CondEvent, Name: worldEvents[r.IntN(len(worldEvents))], Days: []int{0, 1, 7, 30, 60}[r.IntN(5)], Not: r.IntN(3) == 0}
		default:
			key := keys[r.IntN(len(keys))]
			typ := w.types[key]
			if b, ok := store.BuiltinAttribute(key); ok {
				typ = b.Type
			}
			ops := store.AttributeOps(typ)
			c = store.SegmentCondition{Kind: store.CondAttribute, Key: key, Op: ops[r.IntN(len(ops))]}
			switch typ {
			case store.AttrText:
				if key == store.AttrLocale {
					c.Value = worldLocale[1+r.IntN(len(worldLocale)-1)]
				} else {
					c.Value = worldTexts[r.IntN(len(worldTexts))]
				}
				if c.Op == store.OpContains {
					c.Value = []string{"pro", "PRO", "엔터", "an", "o-"}[r.IntN(5)]
				}
			case store.AttrNumber:
				c.Value = strconv.FormatFloat(float64(r.IntN(200))/2, 'f', -1, 64)
			case store.AttrDate:
				c.Value = w.now.AddDate(0, 0, r.IntN(400)-200).Format(time.DateOnly)
				c.Days = r.IntN(150)
			}
		}
		d.Conditions = append(d.Conditions, c)
	}
	return d
}

// bruteMatch says whether contact c matches d, from the in-memory data.
func (w *profileWorld) bruteMatch(d store.SegmentDef, c store.Contact) bool {
	if c.MergedInto != nil {
		return false
	}
	if len(d.Conditions) == 0 {
		return true
	}
	for _, cond := range d.Conditions {
		ok := w.condMatch(cond, c)
		if d.Match == store.MatchAny && ok {
			return true
		}
		if d.Match == store.MatchAll && !ok {
			return false
		}
	}
	return d.Match == store.MatchAll
}

func (w *profileWorld) condMatch(cond store.SegmentCondition, c store.Contact) bool {
	switch cond.Kind {
	case store.CondTag:
		return slices.Contains(w.tags[c.ID], cond.Tag) != cond.Not
	case store.CondEvent:
		did := false
		for _, e := range w.events[c.ID] {
			if e.Name == cond.Name && (cond.Days == 0 || !e.At.Before(w.now.AddDate(0, 0, -cond.Days))) {
				did = true
			}
		}
		return did != cond.Not
	case store.CondPage:
		did := false
		for _, v := range w.views[c.ID] {
			if (cond.Days == 0 || !v.At.Before(w.now.AddDate(0, 0, -cond.Days))) && pageMatch(cond, v) {
				did = true
			}
		}
		return did != cond.Not
	}
	if cond.Key == store.AttrLocale {
		switch cond.Op {
		case store.OpSet:
			return c.Locale != ""
		case store.OpUnset:
			return c.Locale == ""
		case store.OpContains:
			return strings.Contains(strings.ToLower(c.Locale), strings.ToLower(cond.Value))
		case store.OpNe:
			return c.Locale != "" && c.Locale != cond.Value
		}
		return c.Locale == cond.Value
	}
	a, present := w.attrs[c.ID][cond.Key]
	switch cond.Op {
	case store.OpSet:
		return present
	case store.OpUnset:
		return !present
	case store.OpFalse:
		return !present || !*a.Bool
	}
	if !present {
		return false
	}
	switch cond.Op {
	case store.OpTrue:
		return *a.Bool
	case store.OpContains:
		return strings.Contains(strings.ToLower(*a.Text), strings.ToLower(cond.Value))
	case store.OpBefore, store.OpAfter:
		t, _ := store.ParseDate(cond.Value)
		return (*a.Time < t.Unix()) == (cond.Op == store.OpBefore)
	case store.OpOlderThan:
		return *a.Time < w.now.Unix()-int64(cond.Days)*86400
	case store.OpWithinDays:
		return *a.Time >= w.now.Unix()-int64(cond.Days)*86400
	}
	if a.Type == store.AttrText {
		if cond.Op == store.OpEq {
			return *a.Text == cond.Value
		}
		return *a.Text != cond.Value
	}
	v, _ := strconv.ParseFloat(cond.Value, 64)
	x := *a.Num
	switch cond.Op {
	case store.OpEq:
		return x == v
	case store.OpNe:
		return x != v
	case store.OpGt:
		return x > v
	case store.OpGte:
		return x >= v
	case store.OpLt:
		return x < v
	}
	return x <= v
}

// pageMatch is the page condition's rule, written out with a regular
// expression rather than SQL.
func pageMatch(cond store.SegmentCondition, v store.PageView) bool {
	val := strings.ToLower(cond.Value)
	if cond.Op == store.OpContains {
		return strings.Contains(strings.ToLower(v.URL), val)
	}
	target := v.Path
	if strings.HasPrefix(val, "http://") || strings.HasPrefix(val, "https://") {
		target = v.URL
	}
	re := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(val), `\*`, ".*") + "$")
	return re.MatchString(strings.ToLower(target))
}

// TestSegmentMatchesBruteForce compares the compiled SQL of many random
// segments with a Go filter over the same generated data.
func TestSegmentMatchesBruteForce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		r := rand.New(rand.NewPCG(15, 2026))
		w := seedProfiles(t, st, r, 400)
		nonEmpty, selectivePages := 0, 0
		for i := 0; i < 300; i++ {
			d := randomSegment(r, w)
			var want []int64
			for _, c := range w.contacts {
				if w.bruteMatch(d, c) {
					want = append(want, c.ID)
				}
			}
			slices.Reverse(want)
			n, err := st.SegmentCount(ctx, d, w.now)
			if err != nil {
				t.Fatalf("segment %d %+v: %v", i, d, err)
			}
			got, err := st.SegmentContacts(ctx, d, w.now, 0, 1000)
			if err != nil {
				t.Fatalf("segment %d: %v", i, err)
			}
			ids := make([]int64, len(got))
			for k, c := range got {
				ids[k] = c.ID
			}
			if n != int64(len(want)) || !slices.Equal(ids, want) {
				t.Fatalf("segment %d %+v: count %d, %d contacts; brute force %d", i, d, n, len(ids), len(want))
			}
			// Both SQL shapes agree, whichever SegmentCount picked: the
			// correlated one campaigns use (SegmentWhere) and the bulk one.
			for shape, compile := range map[string]func(context.Context, store.SegmentDef, time.Time) (string, []any, error){
				"correlated": st.SegmentWhere, "bulk": st.SegmentBulkWhere} {
				where, args, err := compile(ctx, d, w.now)
				if err != nil {
					t.Fatal(err)
				}
				var each []int64
				if err := st.DB.Raw("SELECT c.id FROM contacts c WHERE "+where+" ORDER BY c.id DESC", args...).Scan(&each).Error; err != nil {
					t.Fatalf("segment %d %s: %v", i, shape, err)
				}
				if !slices.Equal(each, want) {
					t.Fatalf("segment %d %+v: %s shape %d contacts; brute force %d", i, d, shape, len(each), len(want))
				}
			}
			if len(want) > 0 && len(want) < len(w.contacts)-30 {
				nonEmpty++
				if slices.ContainsFunc(d.Conditions, func(c store.SegmentCondition) bool { return c.Kind == store.CondPage }) {
					selectivePages++
				}
			}
		}
		// The draw must exercise selective segments, not only all or none.
		if nonEmpty < 100 || selectivePages < 30 {
			t.Fatalf("only %d of 300 segments were selective, %d with a page condition", nonEmpty, selectivePages)
		}
	})
}

// TestSegmentPages pages through a segment's contacts.
func TestSegmentPages(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	w := seedProfiles(t, st, rand.New(rand.NewPCG(1, 1)), 50)
	d := store.SegmentDef{Match: store.MatchAll}
	first, err := st.SegmentContacts(ctx, d, w.now, 0, 20)
	if err != nil || len(first) != 20 {
		t.Fatalf("first page: %d, %v", len(first), err)
	}
	next, err := st.SegmentContacts(ctx, d, w.now, first[19].ID, 20)
	if err != nil || len(next) == 0 || next[0].ID >= first[19].ID {
		t.Fatalf("next page: %v %v", next, err)
	}
	bad := store.SegmentDef{Match: store.MatchAll, Conditions: []store.SegmentCondition{{Kind: store.CondAttribute, Key: "score", Op: store.OpContains, Value: "x"}}}
	if _, err := st.SegmentCount(ctx, bad, w.now); err == nil {
		t.Fatal("contains on a number attribute validated")
	}
}
