package email

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hanbox/hanbox/connectors/conntest"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// benchMessage returns the i-th message of a realistic support mailbox:
// Korean and English plain text, multipart/alternative with HTML, a reply
// every third message threading to an earlier one, and a small attachment
// every tenth.
func benchMessage(i int) []byte {
	from := fmt.Sprintf("customer%d@example%d.net", i%1500, i%7)
	subject := fmt.Sprintf("주문 %d 배송 문의 / order question", 100000+i%4000)
	var extra []string
	if i%3 == 0 && i > 0 {
		parent := fmt.Sprintf("bench-%d@mail.example.net", i-1)
		extra = append(extra, "In-Reply-To: <"+parent+">", "References: <"+parent+">")
		subject = "Re: " + subject
	}
	para := "안녕하세요, 지난주에 주문한 상품이 아직 도착하지 않았습니다. 배송 조회를 해 보니 계속 '배송 준비 중'으로 나옵니다. 확인 부탁드립니다.\r\n" +
		"Hello, the parcel I ordered last week has not arrived yet; tracking still says 'preparing'. Could you check?\r\n"
	text := strings.Repeat(para, 1+i%4) + "\r\n감사합니다.\r\n" + strconv.Itoa(i) + "\r\n"
	head := fmt.Sprintf("From: Customer %d <%s>\r\nTo: Support <support@example.com>\r\nSubject: %s\r\nMessage-ID: <bench-%d@mail.example.net>\r\n"+
		"Date: Mon, 04 Nov 2024 10:%02d:00 +0900\r\nMIME-Version: 1.0\r\n", i, from, mime2047(subject), i, i%60)
	for _, h := range extra {
		head += h + "\r\n"
	}
	switch {
	case i%10 == 0:
		return []byte(head + "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text +
			"\r\n--b1\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"receipt.pdf\"\r\n\r\n" +
			b64lines([]byte(fmt.Sprintf("%%PDF-1.4 receipt %d %s", i, strings.Repeat("x", 2000)))) + "--b1--\r\n")
	case i%2 == 0:
		return []byte(head + "Content-Type: multipart/alternative; boundary=\"a1\"\r\n\r\n--a1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text +
			"\r\n--a1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<div>" + strings.ReplaceAll(text, "\r\n", "<br>") + "</div>\r\n--a1--\r\n")
	default:
		return []byte(head + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + text)
	}
}

type doneSink struct {
	inner inboxSink
	n     atomic.Int64
	want  int64
	done  chan struct{}
}

func (d *doneSink) Ingest(ctx context.Context, in *inbox.Inbound) (inbox.IngestResult, error) {
	r, err := d.inner.Ingest(ctx, in)
	if err == nil && d.n.Add(1) == d.want {
		close(d.done)
	}
	return r, err
}

// IngestAll passes the connector's ordered batches on as the runtime does.
func (d *doneSink) IngestAll(ctx context.Context, ins []*inbox.Inbound) ([]inbox.IngestResult, []error) {
	res, errs := d.inner.(interface {
		IngestAll(context.Context, []*inbox.Inbound) ([]inbox.IngestResult, []error)
	}).IngestAll(ctx, ins)
	for _, err := range errs {
		if err == nil && d.n.Add(1) == d.want {
			close(d.done)
		}
	}
	return res, errs
}

// BenchmarkInitialSync measures a first sync of a full mailbox from the
// in-memory IMAP server into each store (SQLite; PostgreSQL with
// HANBOX_TEST_POSTGRES): fetch, parse and ingest through the ordered batch
// ingest (IngestAll), as the connector runtime does. The mailbox size is
// 10,000 messages (HANBOX_BENCH_EMAIL_MESSAGES overrides it).
func BenchmarkInitialSync(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(d, func(b *testing.B) { benchInitialSync(b, d) })
	}
}

func benchInitialSync(b *testing.B, dialect string) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("HANBOX_BENCH_EMAIL_MESSAGES")); err == nil && v > 0 {
		n = v
	}
	msgs := make([][]byte, n)
	var bytes int64
	for i := range msgs {
		msgs[i] = benchMessage(i)
		bytes += int64(len(msgs[i]))
	}
	var total, cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		env := conntest.New(b, dialect)
		srv := newMemIMAP(b, nil)
		for _, m := range msgs {
			srv.deliver(b, "INBOX", m)
		}
		row := env.AddChannel(Kind, "bench", settingsFor(srv, nil), secretsFor(), "")
		c := directChannel(b, env, row, nil)
		sink := &doneSink{inner: env.Inbox, want: int64(n), done: make(chan struct{})}
		b.StartTimer()
		start, cpu0 := time.Now(), processCPU()
		stop := runStart(c, sink)
		select {
		case <-sink.done:
		case <-time.After(30 * time.Minute):
			b.Fatal("sync did not finish")
		}
		total += time.Since(start)
		cpu += processCPU() - cpu0
		b.StopTimer()
		if err := stop(); err != nil {
			b.Fatal(err)
		}
		var cnt int64
		env.Store.DB.Model(&store.Message{}).Where("channel_id = ?", row.ID).Count(&cnt)
		if cnt != int64(n) {
			b.Fatalf("%d messages stored, want %d", cnt, n)
		}
		env.Stop()
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/total.Seconds(), "msgs/s")
	b.ReportMetric(float64(bytes)/float64(n), "bytes/msg")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n)/float64(b.N), "cpu-us/msg")
}

// processCPU is this process's user+system CPU time (IMAP server, parser,
// pipeline and, on SQLite, the store; not the PostgreSQL server's).
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkParse measures Parse alone on the same mailbox mix.
func BenchmarkParse(b *testing.B) {
	msgs := make([][]byte, 100)
	for i := range msgs {
		msgs[i] = benchMessage(i)
	}
	i := 0
	for b.Loop() {
		if _, err := Parse(msgs[i%len(msgs)], ParseOptions{ChannelID: 1, Own: testOwn}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
