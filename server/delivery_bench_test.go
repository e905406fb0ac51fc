package server_test

import (
	"fmt"
	"net"
	"net/smtp"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/server"
	"github.com/hanbox/hanbox/store/storetest"
)

// BenchmarkReplyDelivered measures an agent's reply from the REST call to
// the customer's SMTP server having the mail: REST → inbox.Reply (message +
// outbox row in one transaction) → dispatcher → email connector → SMTP sink
// on loopback. The dispatcher runs with its production options (the default
// poll interval), so a reply that waits for a poll tick instead of being
// woken by its commit shows here. One reply is in flight at a time; each
// b.N iteration is one reply, reported as the median and p90 latency.
func BenchmarkReplyDelivered(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(d, func(b *testing.B) {
			ts := newTestServerDSN(b, dsnFor(b, d), "admin@example.com", func(s *server.Server) {
				s.Dispatch = inbox.DispatchOptions{Drain: s.Dispatch.Drain} // production defaults
			})
			mx := newMailCatcher(b)
			mx.got = make(chan struct{}, 16)
			host, port, _ := net.SplitHostPort(mx.addr)
			var p int
			fmt.Sscan(port, &p)
			listen := freePort(b)
			ts.do("POST", "/api/v1/channels", "", map[string]any{"kind": "email", "name": "Support mail", "settings": map[string]any{
				"address": "support@shop.test", "smtp": map[string]any{"host": host, "port": p, "tls": "none"},
				"listen": map[string]any{"addr": listen},
			}}, 201, nil)
			mail := "From: Minji <minji@customer.test>\r\nTo: support@shop.test\r\nSubject: order 77\r\n" +
				"Message-ID: <bench-1@customer.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n주문한 신발 사이즈를 바꿀 수 있나요?\r\n"
			eventually(b, "email listener up", func() bool {
				return smtp.SendMail(listen, nil, "minji@customer.test", []string{"support@shop.test"}, []byte(mail)) == nil
			})
			var list struct {
				Items []struct {
					ID string `json:"id"`
				} `json:"items"`
			}
			eventually(b, "ticket from the email", func() bool {
				ts.do("GET", "/api/v1/tickets", "", nil, 200, &list)
				return len(list.Items) == 1
			})
			path := "/api/v1/tickets/" + list.Items[0].ID + "/replies"
			body := map[string]any{"text": "네, 가능합니다. 원하시는 사이즈를 알려주세요."}
			// One reply first, so connections and caches are warm.
			ts.do("POST", path, "", body, 201, nil)
			waitMail(b, mx)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if gap != 0 {
					b.StopTimer()
					time.Sleep(gap)
					b.StartTimer()
				}
				start := time.Now()
				ts.do("POST", path, "", body, 201, nil)
				waitMail(b, mx)
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*9/10].Microseconds())/1000, "p90-ms")
		})
	}
}

// waitMail waits for the sink's next message; the deadline only bounds a hang.
// gap is an idle pause between replies (HANBOX_BENCH_REPLY_GAP, e.g. 300ms), not timed.
var gap, _ = time.ParseDuration(os.Getenv("HANBOX_BENCH_REPLY_GAP"))

func waitMail(b *testing.B, mx *mailCatcher) {
	select {
	case <-mx.got:
	case <-time.After(60 * time.Second):
		b.Fatal("no mail delivered in 60s")
	}
}

func dsnFor(t testing.TB, dialect string) string {
	if dialect == "postgres" {
		return storetest.PostgresDSN(t)
	}
	return ""
}
