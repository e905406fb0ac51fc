package inbox_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// Ingest benchmarks run the whole pipeline: validation, dedupe lookup,
// identity, threading, ticket create/append, message, thread keys, search
// index, one transaction, events. Each b.N iteration is one message.

var benchText = "안녕하세요, 주문한 상품의 배송이 아직 도착하지 않았습니다. 주문번호는 20261124-5521 입니다. Could you check the delivery status?"

func BenchmarkIngest(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(d+"/new_ticket", func(b *testing.B) {
			svc, ch := benchService(b, d)
			ctx := context.Background()
			b.ResetTimer()
			cpu0 := cpuTime()
			statements.Store(0)
			for i := 0; i < b.N; i++ {
				in := &inbox.Inbound{ChannelID: ch.ID, ExternalID: fmt.Sprintf("n-%d", i), ThreadKeys: []string{fmt.Sprintf("t-%d", i)},
					OwnKeys: []string{fmt.Sprintf("t-%d", i)}, Contact: inbox.ContactRef{Kind: inbox.IdentityAPI, ID: fmt.Sprintf("c-%d", i%500), Verified: true}, Text: benchText}
				if _, err := svc.Ingest(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, cpu0)
		})
		b.Run(d+"/append", func(b *testing.B) {
			svc, ch := benchService(b, d)
			ctx := context.Background()
			b.ResetTimer()
			cpu0 := cpuTime()
			statements.Store(0)
			for i := 0; i < b.N; i++ {
				thread := fmt.Sprintf("t-%d", i%200)
				in := &inbox.Inbound{ChannelID: ch.ID, ExternalID: fmt.Sprintf("a-%d", i), ThreadKeys: []string{thread}, OwnKeys: []string{thread},
					Contact: inbox.ContactRef{Kind: inbox.IdentityAPI, ID: fmt.Sprintf("c-%d", i%200), Verified: true}, Text: benchText}
				if _, err := svc.Ingest(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, cpu0)
		})
		b.Run(d+"/duplicate", func(b *testing.B) {
			svc, ch := benchService(b, d)
			ctx := context.Background()
			in := &inbox.Inbound{ChannelID: ch.ID, ExternalID: "dup", Contact: inbox.ContactRef{Kind: inbox.IdentityAPI, ID: "c", Verified: true}, Text: benchText}
			if _, err := svc.Ingest(ctx, in); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu0 := cpuTime()
			statements.Store(0)
			for i := 0; i < b.N; i++ {
				r, err := svc.Ingest(ctx, in)
				if err != nil || !r.Duplicate {
					b.Fatal(err, r)
				}
			}
			reportRate(b, cpu0)
		})
		// Sustained: many goroutines (connectors, webhook handlers) ingesting a
		// mix of new conversations and replies at once.
		b.Run(d+"/parallel_mixed", func(b *testing.B) {
			svc, ch := benchService(b, d)
			ctx := context.Background()
			var n atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			cpu0 := cpuTime()
			statements.Store(0)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					thread := fmt.Sprintf("t-%d", i/4) // every 4 messages share a thread
					in := &inbox.Inbound{ChannelID: ch.ID, ExternalID: fmt.Sprintf("p-%d", i), ThreadKeys: []string{thread}, OwnKeys: []string{thread},
						Contact: inbox.ContactRef{Kind: inbox.IdentityAPI, ID: fmt.Sprintf("c-%d", i/4), Verified: true}, Text: benchText}
					if _, err := svc.Ingest(ctx, in); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportRate(b, cpu0)
		})
	}
}

func benchService(b *testing.B, dialect string) (*inbox.Service, store.Channel) {
	st := storetest.Open(b, dialect)
	countStatements(st)
	svc := inbox.New(st, inbox.Options{})
	ch := store.Channel{Kind: "api", Name: "bench", PublicKey: inbox.NewPublicID(), Enabled: true}
	if err := st.DB.Create(&ch).Error; err != nil {
		b.Fatal(err)
	}
	return svc, ch
}

// cpuTime returns the process's user+system CPU time. On a shared machine,
// CPU per message is steadier than wall-clock throughput.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportRate(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/msg")
	b.ReportMetric(float64(statements.Swap(0))/float64(b.N), "stmts/msg")
}

// statements counts the SQL statements the benchmarks' stores ran (gorm's
// query, row, raw/exec, create, update and delete callbacks; transactions'
// BEGIN and COMMIT are not counted). reportRate reads and resets it.
var statements atomic.Int64

func countStatements(st *store.Store) {
	count := func(*gorm.DB) { statements.Add(1) }
	cb := st.DB.Callback()
	_ = cb.Query().After("gorm:query").Register("bench:count", count)
	_ = cb.Row().After("gorm:row").Register("bench:count", count)
	_ = cb.Raw().After("gorm:raw").Register("bench:count", count)
	_ = cb.Create().After("gorm:create").Register("bench:count", count)
	_ = cb.Update().After("gorm:update").Register("bench:count", count)
	_ = cb.Delete().After("gorm:delete").Register("bench:count", count)
}
