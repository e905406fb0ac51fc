package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// The list and search benchmarks run against a store seeded with
// HANBOX_BENCH_TICKETS tickets (default 10,000) and HANBOX_BENCH_MESSAGES
// messages (default 100,000) of Korean and English support text. Seeding
// bypasses the ingest pipeline (measured by inbox's BenchmarkIngest) and
// writes rows and search documents in bulk. Each benchmark reports the p50
// and p95 of single-query latency.

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

var (
	benchCleanup []func()
	seedMu       sync.Mutex
	seeded       = map[string]*store.Store{}
	statusMix    = []string{store.StatusOpen, store.StatusOpen, store.StatusOpen, store.StatusPending, store.StatusResolved, store.StatusResolved, store.StatusClosed}
	vocab        = benchVocab()
)

// benchVocab builds a support-desk vocabulary: common Korean stems first
// (so they are the most frequent under the Zipf draw), each with particles
// glued on as Korean writes them, then generated two- and three-syllable
// words and English words for the long tail.
func benchVocab() []string {
	stems := []string{"배송", "환불", "주문", "결제", "취소", "문의", "교환", "상품", "도착", "확인", "비밀번호", "로그인", "계정", "쿠폰", "포인트", "사이즈", "색상", "재고", "영수증", "반품"}
	particles := []string{"", "이", "은", "을", "가", "는", "도"}
	var out []string
	for _, st := range stems {
		for _, p := range particles {
			out = append(out, st+p)
		}
	}
	r := rand.New(rand.NewPCG(7, 7))
	syll := []rune("가나다라마바사아자차카타파하고노도로모보소오조초코토포호구누두루무부수우주추쿠투푸후기니디리미비시이지치키티피히")
	for len(out) < 4000 {
		n := 2 + r.IntN(2)
		w := make([]rune, n)
		for i := range w {
			w[i] = syll[r.IntN(len(syll))]
		}
		out = append(out, string(w)+particles[r.IntN(len(particles))])
		if r.IntN(3) == 0 {
			out = append(out, fmt.Sprintf("word%dx", len(out)))
		}
	}
	return append(out, "refund", "refunds", "refunded", "delivery", "invoice")
}

// sentence draws n words with a Zipf distribution (s=1.1) over vocab, so a
// few words are very common and most are rare, as in real support mail.
func sentence(r *rand.Rand, z *rand.Zipf, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(vocab[z.Uint64()])
	}
	return b.String()
}

func seededStore(b *testing.B, dialect string) *store.Store {
	seedMu.Lock()
	defer seedMu.Unlock()
	if st := seeded[dialect]; st != nil {
		return st
	}
	nt, nm := envInt("HANBOX_BENCH_TICKETS", 10_000), envInt("HANBOX_BENCH_MESSAGES", 100_000)
	// The seeded store outlives each sub-benchmark; TestMain removes it.
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
	if err := seed(st, nt, nm); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %s with %d tickets, %d messages in %s", dialect, nt, nm, time.Since(start).Round(time.Second))
	seeded[dialect] = st
	return st
}

func seed(st *store.Store, nt, nm int) error {
	r := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(r, 1.1, 1, uint64(len(vocab)-1))
	ctx := context.Background()
	base := time.Now().UTC().Add(-90 * 24 * time.Hour)
	nc := nt / 3
	if err := st.Tx(ctx, func(tx *gorm.DB) error {
		for _, a := range []store.Agent{{Email: "a1@x", Name: "A1", Role: store.RoleAgent, Active: true}, {Email: "a2@x", Name: "A2", Role: store.RoleAgent, Active: true}} {
			if err := tx.Create(&a).Error; err != nil {
				return err
			}
		}
		cs := make([]store.Contact, 0, nc)
		for i := 0; i < nc; i++ {
			cs = append(cs, store.Contact{Name: fmt.Sprintf("고객%d", i), Email: fmt.Sprintf("c%d@example.com", i)})
		}
		return tx.CreateInBatches(cs, 1000).Error
	}); err != nil {
		return err
	}
	perTicket := nm / nt
	msgID := int64(0)
	const chunk = 2000
	for t0 := 0; t0 < nt; t0 += chunk {
		err := st.Tx(ctx, func(tx *gorm.DB) error {
			var tickets []store.Ticket
			for i := t0; i < min(t0+chunk, nt); i++ {
				at := base.Add(time.Duration(i) * 90 * 24 * time.Hour / time.Duration(nt))
				tk := store.Ticket{PublicID: fmt.Sprintf("bench%07d", i), ReplyToken: fmt.Sprintf("r%07d", i), Subject: sentence(r, z, 5),
					Status: statusMix[r.IntN(len(statusMix))], Priority: store.PriorityNormal, ContactID: int64(r.IntN(nc) + 1),
					ChannelID: int64(r.IntN(4) + 1), LastChannelID: 1, LastMessageAt: at, MessageCount: perTicket, CreatedAt: at}
				if r.IntN(3) > 0 {
					a := int64(r.IntN(2) + 1)
					tk.AssigneeID = &a
				}
				tickets = append(tickets, tk)
			}
			if err := tx.CreateInBatches(tickets, 500).Error; err != nil {
				return err
			}
			var tags []store.TicketTag
			var msgs []store.Message
			for _, tk := range tickets {
				if r.IntN(5) == 0 {
					tags = append(tags, store.TicketTag{TicketID: tk.ID, Tag: []string{"vip", "배송", "환불", "bug"}[r.IntN(4)]})
				}
				if err := st.IndexTicket(tx, tk.ID, tk.Subject, "고객", "c@example.com"); err != nil {
					return err
				}
				for j := 0; j < perTicket; j++ {
					msgID++
					ext := "m" + strconv.FormatInt(msgID, 10)
					dir := store.DirInbound
					if j%2 == 1 {
						dir = store.DirOutbound
					}
					text := sentence(r, z, 12)
					if msgID%5 == 0 {
						text += " refund" // a common English word: in 20% of messages
					}
					msgs = append(msgs, store.Message{TicketID: tk.ID, Direction: dir, AuthorType: store.AuthorContact, AuthorID: tk.ContactID,
						ChannelID: tk.ChannelID, ExternalID: &ext, Text: text, Meta: store.JSONMap{}, CreatedAt: tk.CreatedAt.Add(time.Duration(j) * time.Minute)})
				}
			}
			if len(tags) > 0 {
				if err := tx.CreateInBatches(tags, 500).Error; err != nil {
					return err
				}
			}
			if err := tx.CreateInBatches(msgs, 500).Error; err != nil {
				return err
			}
			for _, m := range msgs {
				if err := st.IndexMessage(tx, m.TicketID, m.ID, m.Text); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if st.Dialect == store.Postgres {
		return st.DB.Exec("ANALYZE").Error
	}
	return st.DB.Exec("ANALYZE").Error
}

// measure runs op b.N times and reports p50 and p95 latency in ms.
func measure(b *testing.B, op func() int) {
	b.Helper()
	durs := make([]time.Duration, 0, b.N)
	total := 0
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		total += op()
		durs = append(durs, time.Since(t0))
	}
	b.StopTimer()
	cpu := processCPU() - cpu0
	slices.Sort(durs)
	pct := func(p float64) float64 { return float64(durs[int(float64(len(durs)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(float64(total)/float64(b.N), "rows/op")
	// This process's CPU per call: on SQLite all of the work, on PostgreSQL
	// the client's share only. Steadier than wall time on a shared machine.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkListTickets(b *testing.B) {
	for _, d := range storetest.Dialects() {
		cases := []struct {
			name string
			f    store.TicketFilter
		}{
			{"open", store.TicketFilter{Status: store.StatusOpen}},
			{"mine_open", store.TicketFilter{Status: store.StatusOpen, AssigneeID: 1}},
			{"unassigned", store.TicketFilter{Status: store.StatusOpen, Unassigned: true}},
			{"tag", store.TicketFilter{Tag: "vip"}},
			{"all_page3", store.TicketFilter{Status: "all"}},
		}
		for _, c := range cases {
			b.Run(d+"/"+c.name, func(b *testing.B) {
				st := seededStore(b, d)
				ctx := context.Background()
				f := c.f
				if c.name == "all_page3" {
					p1, _ := st.ListTickets(ctx, f)
					p2, _ := st.ListTickets(ctx, store.TicketFilter{Status: "all", Cursor: p1.NextCursor})
					f.Cursor = p2.NextCursor
				}
				measure(b, func() int {
					p, err := st.ListTickets(ctx, f)
					if err != nil {
						b.Fatal(err)
					}
					return len(p.Items)
				})
			})
		}
	}
}

func BenchmarkSearch(b *testing.B) {
	for _, d := range storetest.Dialects() {
		for _, q := range []struct{ name, q string }{
			{"korean_common", "배송"},        // the most frequent stem, with particles
			{"korean_mid", "영수증"},          // a mid-frequency stem
			{"korean_rare", vocab[3000]},   // a long-tail word
			{"korean_two_words", "환불 영수증"}, // both must match
			{"english_prefix", "refun"},    // prefix match: refund, refunds, refunded
			{"english_common", "refund"},   // in 20% of messages
		} {
			// index: every search from the index (SetSearchWalk(), the
			// path before the walk); walk: the list walked first.
			for _, path := range []string{"index", "walk"} {
				b.Run(d+"/"+q.name+"/"+path, func(b *testing.B) {
					st := seededStore(b, d)
					if path == "index" {
						defer store.SetSearchWalk()()
					}
					ctx := context.Background()
					measure(b, func() int {
						p, err := st.ListTickets(ctx, store.TicketFilter{Query: q.q, Status: "all"})
						if err != nil {
							b.Fatal(err)
						}
						return len(p.Items)
					})
				})
			}
		}
	}
}

// BenchmarkUnread: the read marks of one list page (50 rows) for an agent
// who has opened half of the tickets, and the "mentions" view's list.
func BenchmarkUnread(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(d, func(b *testing.B) {
			st := seededStore(b, d)
			ctx := context.Background()
			const agent = 77
			var n int64
			st.DB.Model(&store.TicketRead{}).Where("agent_id = ?", agent).Count(&n)
			if n == 0 {
				var ids []int64
				st.DB.Model(&store.Ticket{}).Order("id").Pluck("id", &ids)
				now := time.Now().UTC()
				var marks []store.TicketRead
				var mentions []store.Mention
				for i, id := range ids {
					if i%2 == 0 {
						marks = append(marks, store.TicketRead{AgentID: agent, TicketID: id, ReadAt: now})
					}
					if i%50 == 0 {
						mentions = append(mentions, store.Mention{MessageID: int64(i + 1), AgentID: agent, TicketID: id, CreatedAt: now})
					}
				}
				if err := st.DB.CreateInBatches(marks, 500).Error; err != nil {
					b.Fatal(err)
				}
				if err := st.DB.CreateInBatches(mentions, 500).Error; err != nil {
					b.Fatal(err)
				}
			}
			page, err := st.ListTickets(ctx, store.TicketFilter{Status: store.StatusOpen})
			if err != nil {
				b.Fatal(err)
			}
			for i := range page.Items { // every row has a customer message to compare with
				at := page.Items[i].LastMessageAt
				page.Items[i].LastCustomerAt = &at
			}
			b.Run("page_marks", func(b *testing.B) {
				measure(b, func() int {
					u, err := st.Unread(ctx, agent, page.Items)
					if err != nil {
						b.Fatal(err)
					}
					return len(u)
				})
			})
			b.Run("mentions_view", func(b *testing.B) {
				measure(b, func() int {
					p, err := st.ListTickets(ctx, store.TicketFilter{MentionOf: agent})
					if err != nil {
						b.Fatal(err)
					}
					return len(p.Items)
				})
			})
		})
	}
}
