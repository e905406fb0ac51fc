//go:build unix

package report_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/report"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// Benchmarks run every report on a year of generated data:
// HANBOX_BENCH_TICKETS tickets (default 10,000) and HANBOX_BENCH_MESSAGES
// messages (default 100,000), on SQLite and, with HANBOX_TEST_POSTGRES, on
// PostgreSQL. The size is 100,000 / 1,000,000:
//
//	HANBOX_BENCH_TICKETS=100000 HANBOX_BENCH_MESSAGES=1000000 go test -run '^$' -bench Reports -benchtime 20x ./report/

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var (
	benchMu     sync.Mutex
	benchStores = map[string]*store.Store{}
)

// benchEnd is the last day of the generated year (Seoul).
var benchEnd = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

func benchStore(b *testing.B, dialect string) *store.Store {
	benchMu.Lock()
	defer benchMu.Unlock()
	if st := benchStores[dialect]; st != nil {
		return st
	}
	nt, nm := envInt("HANBOX_BENCH_TICKETS", 10_000), envInt("HANBOX_BENCH_MESSAGES", 100_000)
	st := openBenchStore(b, dialect)
	var have int64
	if err := st.DB.Model(&store.Ticket{}).Count(&have).Error; err != nil {
		b.Fatal(err)
	}
	if have > 0 {
		// Built again each time: the store may predate the facts' code.
		start := time.Now()
		if err := report.New(st).Rebuild(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.Logf("reusing %s store with %d tickets; rebuilt report rollups and facts in %s", dialect, have, time.Since(start).Round(time.Millisecond))
		// Statistics for the rebuilt tables, as after seeding (and, on
		// PostgreSQL, the visibility map index-only scans need), as
		// autovacuum would soon give them.
		analyze := "ANALYZE"
		if dialect == store.Postgres {
			analyze = "VACUUM ANALYZE report_tickets, report_status_facts, report_message_hours"
		}
		if err := st.DB.Exec(analyze).Error; err != nil {
			b.Fatal(err)
		}
		benchStores[dialect] = st
		return st
	}
	start := time.Now()
	if err := seedBench(st, nt, nm); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %s with %d tickets, %d messages in %s", dialect, nt, nm, time.Since(start).Round(time.Second))
	benchStores[dialect] = st
	return st
}

// openBenchStore opens the store to seed: a throwaway one, or, to seed once
// and measure many times, the SQLite store in HANBOX_BENCH_SQLITE_DIR or the
// PostgreSQL database HANBOX_BENCH_POSTGRES names (kept, and reused when it
// already holds tickets; it must have been seeded with the same sizes).
func openBenchStore(b *testing.B, dialect string) *store.Store {
	cfg := store.Config{DataDir: os.Getenv("HANBOX_BENCH_SQLITE_DIR"), DatabaseURL: os.Getenv("HANBOX_BENCH_POSTGRES")}
	if dialect == store.SQLite && cfg.DataDir == "" || dialect == store.Postgres && cfg.DatabaseURL == "" {
		return storetest.Open(b, dialect)
	}
	if dialect == store.SQLite {
		cfg.DatabaseURL = ""
	} else {
		cfg.DataDir = b.TempDir()
	}
	st, err := store.Open(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// seedBench writes nt tickets spread over the year before benchEnd, nm
// messages among them, a resolution for two in three (and a reopening for
// some), tags on a third and a CSAT answer for a fifth, in bulk inserts.
func seedBench(st *store.Store, nt, nm int) error {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	yearStart := benchEnd.Add(-365 * 24 * time.Hour).Add(-9 * time.Hour)
	var chans []store.Channel
	var agents []store.Agent
	var teams []store.Team
	contact := store.Contact{Name: "고객"}
	if err := st.Tx(ctx, func(tx *gorm.DB) error {
		for i := range 4 {
			chans = append(chans, store.Channel{Kind: "api", Name: fmt.Sprintf("채널%d", i), PublicKey: fmt.Sprintf("bench%d", i)})
		}
		for i := range 8 {
			agents = append(agents, store.Agent{Email: fmt.Sprintf("a%d@x", i), Name: fmt.Sprintf("상담원%d", i), Role: store.RoleAgent})
		}
		teams = []store.Team{{NameKo: "결제", NameEn: "Billing"}, {NameKo: "배송", NameEn: "Shipping"}, {NameKo: "기업", NameEn: "B2B"}}
		for _, v := range []any{&chans, &agents, &teams, &contact} {
			if err := tx.Create(v).Error; err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	prios := []string{store.PriorityLow, store.PriorityNormal, store.PriorityNormal, store.PriorityHigh, store.PriorityUrgent}
	perTicket := max(1, nm/nt)
	const chunk = 5000
	for t0 := 0; t0 < nt; t0 += chunk {
		err := st.Tx(ctx, func(tx *gorm.DB) error {
			var tickets []store.Ticket
			var resolved, reopened []bool
			for i := t0; i < min(t0+chunk, nt); i++ {
				at := yearStart.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour)))).Truncate(time.Microsecond)
				tk := store.Ticket{PublicID: fmt.Sprintf("b%d", i), ReplyToken: fmt.Sprintf("r%d", i), Status: store.StatusOpen, Priority: prios[r.IntN(len(prios))],
					ContactID: contact.ID, ChannelID: chans[r.IntN(len(chans))].ID, LastMessageAt: at, MessageCount: perTicket, CreatedAt: at, UpdatedAt: at}
				tk.LastChannelID = tk.ChannelID
				if r.IntN(4) > 0 {
					tk.AssigneeID = &agents[r.IntN(len(agents))].ID
				}
				if r.IntN(3) > 0 {
					tk.TeamID = &teams[r.IntN(len(teams))].ID
				}
				if r.IntN(5) > 0 {
					fr := at.Add(time.Duration(r.Int64N(int64(12 * time.Hour)))).Truncate(time.Microsecond)
					tk.FirstResponseAt = &fr
				}
				res, re := r.IntN(3) > 0, r.IntN(10) == 0
				resolved, reopened = append(resolved, res), append(reopened, res && re)
				if res && !re {
					tk.Status = store.StatusResolved
				}
				tickets = append(tickets, tk)
			}
			if err := tx.CreateInBatches(&tickets, 1000).Error; err != nil {
				return err
			}
			var tags []store.TicketTag
			var changes []store.StatusChange
			var surveys []store.Survey
			var msgs []store.Message
			for i, tk := range tickets {
				if r.IntN(3) == 0 {
					tags = append(tags, store.TicketTag{TicketID: tk.ID, Tag: []string{"배송", "환불", "vip", "bug", "결제"}[r.IntN(5)]})
				}
				if resolved[i] {
					done := tk.CreatedAt.Add(time.Duration(r.Int64N(int64(72 * time.Hour)))).Truncate(time.Microsecond)
					changes = append(changes, store.StatusChange{TicketID: tk.ID, OldStatus: store.StatusOpen, NewStatus: store.StatusResolved, ChangedAt: done})
					if reopened[i] {
						changes = append(changes, store.StatusChange{TicketID: tk.ID, OldStatus: store.StatusResolved, NewStatus: store.StatusOpen, ChangedAt: done.Add(time.Hour)})
					} else if r.IntN(3) == 0 {
						ans := done.Add(time.Duration(r.Int64N(int64(24 * time.Hour)))).Truncate(time.Microsecond)
						sc := 1 + r.IntN(5)
						surveys = append(surveys, store.Survey{PublicID: "s" + tk.PublicID, Kind: store.SurveyCSAT, TicketID: tk.ID, Round: 1, ContactID: contact.ID,
							ChannelID: tk.ChannelID, AgentID: tk.AssigneeID, TeamID: tk.TeamID, Score: &sc, Answers: 1, RequestedAt: done, ExpiresAt: done, AnsweredAt: &ans})
					}
				}
				for j := range perTicket {
					dir := store.DirInbound
					if j%2 == 1 {
						dir = store.DirOutbound
					}
					msgs = append(msgs, store.Message{TicketID: tk.ID, Direction: dir, AuthorType: store.AuthorContact, ChannelID: tk.ChannelID,
						Meta: store.JSONMap{}, CreatedAt: tk.CreatedAt.Add(time.Duration(j) * 7 * time.Minute)})
				}
			}
			for _, v := range []any{&tags, &changes, &surveys} {
				if err := tx.CreateInBatches(v, 1000).Error; err != nil {
					return err
				}
			}
			return tx.CreateInBatches(&msgs, 1000).Error
		})
		if err != nil {
			return err
		}
	}
	// The rows were written around the inbox: build the rollups and facts.
	if err := report.New(st).Rebuild(ctx); err != nil {
		return err
	}
	if st.Dialect == store.Postgres {
		return st.DB.Exec("VACUUM ANALYZE").Error
	}
	return st.DB.Exec("ANALYZE").Error
}

// BenchmarkReports runs each report over the last 30 days by day and the
// last 90 days by week, without a breakdown and by tag (the breakdown
// with a join), reporting p50 and p95 latency.
func BenchmarkReports(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(d, func(b *testing.B) {
			svc := report.New(benchStore(b, d))
			for _, rg := range []struct {
				name   string
				days   int
				period string
			}{{"30d", 30, report.Day}, {"90d", 90, report.Week}} {
				for _, name := range report.Names {
					for _, by := range []string{report.ByNone, report.ByTag} {
						if name == report.Heatmap && by != report.ByNone {
							continue
						}
						q := report.Query{Report: name, From: benchEnd.AddDate(0, 0, 1-rg.days), To: benchEnd, Period: rg.period, By: by, Loc: seoul}
						b.Run(fmt.Sprintf("%s/%s/by=%s", rg.name, name, by), func(b *testing.B) {
							measureReport(b, func() {
								if _, err := svc.Run(context.Background(), q); err != nil {
									b.Fatal(err)
								}
							})
						})
					}
				}
			}
		})
	}
}

// measureReport reports p50 and p95 wall time and this process's CPU time
// per operation (on SQLite that is all the work; the machine is shared, so
// wall time includes waiting for a core).
func measureReport(b *testing.B, op func()) {
	durs := make([]time.Duration, 0, b.N)
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		op()
		durs = append(durs, time.Since(t0))
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	slices.Sort(durs)
	pct := func(p float64) float64 { return float64(durs[int(float64(len(durs)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
}
