package server_test

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/server"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// BenchmarkCampaignSend10k measures a campaign email to 10,000 contacts
// (HANBOX_BENCH_CAMPAIGN_N overrides the count) through the whole path, on
// a server with production scheduler and dispatcher options: the planner
// job pages the audience and schedules one send job per contact; each send
// job commits its send row and outbox row with its completion; the
// dispatcher renders (name placeholder, unsubscribe link) and mails each
// one to an SMTP sink on loopback. Timed from the campaign's creation to the
// sink holding every mail; reported as mails per second.
func BenchmarkCampaignSend10k(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("HANBOX_BENCH_CAMPAIGN_N")); err == nil && v > 0 {
		n = v
	}
	for _, d := range storetest.Dialects() {
		b.Run(d, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				ts := newTestServerDSN(b, dsnFor(b, d), "admin@example.com", func(s *server.Server) {
					s.Dispatch = inbox.DispatchOptions{Drain: s.Dispatch.Drain}
				})
				mx := newMailCatcher(b)
				var got atomic.Int64
				all := make(chan struct{})
				mx.got = make(chan struct{}, 1024)
				go func() {
					for range mx.got {
						if got.Add(1) == int64(n) {
							close(all)
						}
					}
				}()
				host, port, _ := net.SplitHostPort(mx.addr)
				var p int
				fmt.Sscan(port, &p)
				ts.do("POST", "/api/v1/channels", "", map[string]any{"kind": "email", "name": "Shop mail", "settings": map[string]any{
					"address": "hello@shop.test", "smtp": map[string]any{"host": host, "port": p, "tls": "none"},
					"listen": map[string]any{"addr": freePort(b)}}}, 201, nil)
				st := ts.srv.Store
				at := time.Now().UTC()
				cs := make([]store.Contact, n)
				for k := range cs {
					cs[k] = store.Contact{Name: fmt.Sprintf("고객%d", k), Email: fmt.Sprintf("c%d@bulk.test", k), Locale: "ko", CreatedAt: at, UpdatedAt: at}
				}
				if err := st.DB.CreateInBatches(cs, 500).Error; err != nil {
					b.Fatal(err)
				}
				hundred := 100.0
				as := make([]store.ContactAttribute, n)
				for k := range as {
					as[k] = store.ContactAttribute{ContactID: cs[k].ID, Key: store.AttrMessages, Type: store.AttrNumber, Num: &hundred}
				}
				if err := st.DB.CreateInBatches(as, 500).Error; err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				ts.do("POST", "/api/v1/campaigns", "", map[string]any{"name": "100번째", "enabled": true, "channel": "email", "trigger": "milestone",
					"trigger_config": map[string]any{"attribute": "messages", "value": 100}, "subject_ko": "감사합니다",
					"body_ko": "{{contact.name}}님, 100번째 메시지예요!", "quiet_start": "00:00", "quiet_end": "00:00", "cap_days": 0}, 201, nil)
				select {
				case <-all:
				case <-time.After(30 * time.Minute):
					b.Fatalf("%d of %d mails after 30 minutes", got.Load(), n)
				}
				el := time.Since(start)
				b.StopTimer()
				b.ReportMetric(float64(n)/el.Seconds(), "mails/s")
				b.ReportMetric(el.Seconds(), "s/send")
			}
		})
	}
}
