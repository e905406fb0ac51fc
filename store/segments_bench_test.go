package store_test

import (
	"context"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

var profileWorlds = map[string]*profileWorld{}

// profileBenchStore is a store of HANBOX_BENCH_CONTACTS (default 100,000)
// generated profiles (see seedProfiles), made once per dialect.
func profileBenchStore(b *testing.B, dialect string) (*store.Store, *profileWorld) {
	seedMu.Lock()
	defer seedMu.Unlock()
	key := "profiles-" + dialect
	if st := seeded[key]; st != nil {
		return st, profileWorlds[key]
	}
	dir, err := os.MkdirTemp("", "hanbox-bench-")
	if err != nil {
		b.Fatal(err)
	}
	benchCleanup = append(benchCleanup, func() { os.RemoveAll(dir) })
	cfg := store.Config{DataDir: dir}
	if dialect == store.Postgres {
		dsn, drop, err := storetest.NewPostgresSchema()
		if err != nil {
			b.Fatal(err)
		}
		benchCleanup = append(benchCleanup, drop)
		cfg.DatabaseURL = dsn
	}
	st, err := store.Open(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	benchCleanup = append(benchCleanup, func() { st.Close() })
	start := time.Now()
	w := seedProfiles(b, st, rand.New(rand.NewPCG(100, 15)), envInt("HANBOX_BENCH_CONTACTS", 100_000))
	if err := st.DB.Exec("ANALYZE").Error; err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %s with %d contacts in %s", dialect, len(w.contacts), time.Since(start).Round(time.Second))
	seeded[key], profileWorlds[key] = st, w
	return st, w
}

// BenchmarkSegmentCount counts three shapes of segment over the seeded
// contacts: a selective all-of (tag, counter, consent), an any-of with
// negations (did not pay within 30 days, not seen for 60 days) and a text
// search on an attribute; and three page conditions (a path pattern within
// 7 days, a URL substring within 30 days with a visit counter, a negated
// substring).
func BenchmarkSegmentCount(b *testing.B) {
	segs := map[string]store.SegmentDef{
		"vip-active-consented": {Match: store.MatchAll, Conditions: []store.SegmentCondition{
			{Kind: store.CondTag, Tag: "VIP"},
			{Kind: store.CondAttribute, Key: store.AttrMessages, Op: store.OpGte, Value: "10"},
			{Kind: store.CondAttribute, Key: store.AttrEmailMarketing, Op: store.OpTrue}}},
		"lapsed-any": {Match: store.MatchAny, Conditions: []store.SegmentCondition{
			{Kind: store.CondEvent, Name: "order_paid", Days: 30, Not: true},
			{Kind: store.CondAttribute, Key: store.AttrLastSeen, Op: store.OpOlderThan, Days: 60}}},
		"plan-contains": {Match: store.MatchAll, Conditions: []store.SegmentCondition{
			{Kind: store.CondAttribute, Key: "plan", Op: store.OpContains, Value: "pro"}}},
		"page-pricing-7d": {Match: store.MatchAll, Conditions: []store.SegmentCondition{
			{Kind: store.CondPage, Op: store.OpPattern, Value: "/pricing*", Days: 7}}},
		"page-checkout-30d-visits": {Match: store.MatchAll, Conditions: []store.SegmentCondition{
			{Kind: store.CondPage, Op: store.OpContains, Value: "checkout", Days: 30},
			{Kind: store.CondAttribute, Key: store.AttrVisits, Op: store.OpGte, Value: "5"}}},
		"page-not-refund": {Match: store.MatchAll, Conditions: []store.SegmentCondition{
			{Kind: store.CondPage, Op: store.OpContains, Value: "refund", Not: true}}},
	}
	for _, d := range storetest.Dialects() {
		for _, name := range []string{"vip-active-consented", "lapsed-any", "plan-contains", "page-pricing-7d", "page-checkout-30d-visits", "page-not-refund"} {
			b.Run(d+"/"+name, func(b *testing.B) {
				st, w := profileBenchStore(b, d)
				ctx := context.Background()
				measure(b, func() int {
					n, err := st.SegmentCount(ctx, segs[name], w.now)
					if err != nil {
						b.Fatal(err)
					}
					return int(n)
				})
			})
		}
	}
}
