package store_test

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
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
	segs := benchSegments()
	for _, d := range storetest.Dialects() {
		for _, name := range benchSegmentNames {
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

var benchSegmentNames = []string{"vip-active-consented", "lapsed-any", "plan-contains", "page-pricing-7d", "page-checkout-30d-visits", "page-not-refund"}

// BenchmarkSegmentCountShapes compares, in one run, the two SQL shapes a
// segment compiles to: uncorrelated "c.id IN (SELECT contact_id …)"
// subqueries (bulk) and correlated EXISTS probes per contact (what
// SegmentWhere gives campaigns). The two alternate, count by count, so a
// shared machine's load falls on both alike; p50/p95 of each are reported.
func BenchmarkSegmentCountShapes(b *testing.B) {
	segs := benchSegments()
	for _, d := range storetest.Dialects() {
		for _, name := range benchSegmentNames {
			b.Run(d+"/"+name, func(b *testing.B) {
				st, w := profileBenchStore(b, d)
				ctx := context.Background()
				bulkWhere, bulkArgs, err := st.SegmentBulkWhere(ctx, segs[name], w.now)
				if err != nil {
					b.Fatal(err)
				}
				corrWhere, corrArgs, err := st.SegmentWhere(ctx, segs[name], w.now)
				if err != nil {
					b.Fatal(err)
				}
				type shape struct {
					where string
					args  []any
					durs  []time.Duration
				}
				bulk, corr := &shape{where: bulkWhere, args: bulkArgs}, &shape{where: corrWhere, args: corrArgs}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					order := []*shape{bulk, corr}
					if i%2 == 1 {
						order = []*shape{corr, bulk}
					}
					for _, q := range order {
						t0 := time.Now()
						var n int64
						if err := st.DB.Raw("SELECT COUNT(*) FROM contacts c WHERE "+q.where, q.args...).Scan(&n).Error; err != nil {
							b.Fatal(err)
						}
						q.durs = append(q.durs, time.Since(t0))
					}
				}
				b.StopTimer()
				for _, m := range []struct {
					name string
					ds   []time.Duration
				}{{"bulk", bulk.durs}, {"corr", corr.durs}} {
					slices.Sort(m.ds)
					pct := func(p float64) float64 { return float64(m.ds[int(float64(len(m.ds)-1)*p)].Microseconds()) / 1000 }
					b.ReportMetric(pct(0.50), m.name+"-p50-ms")
					b.ReportMetric(pct(0.95), m.name+"-p95-ms")
				}
			})
		}
	}
}

func benchSegments() map[string]store.SegmentDef {
	return map[string]store.SegmentDef{
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
}
