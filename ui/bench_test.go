package ui_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// benchPage renders path through the whole server handler (middleware,
// session lookup, store queries, template) b.N times.
func benchPage(b *testing.B, e *testEnv, path, want string) {
	req := httptest.NewRequest("GET", path, nil)
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: e.adminTok})
	h := e.srv.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) {
		b.Fatalf("GET %s: %d", path, rec.Code)
	}
	b.SetBytes(int64(rec.Body.Len()))
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d", path, rec.Code)
		}
	}
}

// BenchmarkInboxPage renders the Open view with 50 of 120 tickets shown.
func BenchmarkInboxPage(b *testing.B) {
	e := newEnv(b, store.SQLite)
	for i := range 120 {
		_, err := e.srv.Inbox.Ingest(e.ctx, &inbox.Inbound{ChannelID: e.chanID, ExternalID: fmt.Sprintf("b%d", i),
			Subject: fmt.Sprintf("배송 문의 %d", i), Text: "주문한 물건의 배송이 늦어요. Where is my order?",
			Contact: inbox.ContactRef{Kind: inbox.IdentityAPI, ID: fmt.Sprintf("bench/%d", i%40), Verified: true, Name: fmt.Sprintf("고객 %d", i%40)}})
		if err != nil {
			b.Fatal(err)
		}
	}
	benchPage(b, e, "/tickets?view=open", "배송 문의 119")
}

// BenchmarkConversationPage renders one ticket with 200 messages.
func BenchmarkConversationPage(b *testing.B) {
	e := newEnv(b, store.SQLite)
	var tid int64
	for i := range 200 {
		res, err := e.srv.Inbox.Ingest(e.ctx, &inbox.Inbound{ChannelID: e.chanID, ExternalID: fmt.Sprintf("c%d", i),
			ThreadKeys: []string{"bench:conv"}, OwnKeys: []string{"bench:conv"}, Subject: "긴 대화",
			Text:    fmt.Sprintf("메시지 %d: 배송이 늦어요. The parcel has not arrived yet and tracking shows nothing.", i),
			HTML:    fmt.Sprintf("<p>메시지 %d: <b>배송</b>이 늦어요.</p><blockquote>quoted earlier mail</blockquote>", i),
			Contact: inbox.ContactRef{Kind: inbox.IdentityAPI, ID: "bench/conv", Verified: true, Name: "김민지"}})
		if err != nil {
			b.Fatal(err)
		}
		tid = res.TicketID
	}
	t, err := e.srv.Inbox.Ticket(e.ctx, tid)
	if err != nil {
		b.Fatal(err)
	}
	if t.MessageCount != 200 {
		b.Fatalf("ticket has %d messages, want 200", t.MessageCount)
	}
	benchPage(b, e, "/tickets/"+t.PublicID, "메시지 199")
}

// BenchmarkSSEFanout opens 200 agent event streams over loopback and
// measures, per publish, the time until all 200 streams received it.
func BenchmarkSSEFanout(b *testing.B) {
	const streams = 200
	e := newEnv(b, store.SQLite)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu    sync.Mutex
		seq   int64 = -1
		got   atomic.Int64
		done  = make(chan struct{}, 1)
		ready sync.WaitGroup
	)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: streams, MaxConnsPerHost: 0}}
	ready.Add(streams)
	for range streams {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/api/v1/events", nil)
			req.Header.Set("Authorization", "Bearer "+e.adminTok)
			resp, err := client.Do(req)
			if err != nil {
				ready.Done()
				return
			}
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			first := true
			for sc.Scan() {
				line := sc.Text()
				if first && strings.HasPrefix(line, ": connected") {
					first = false
					ready.Done()
					continue
				}
				if !strings.HasPrefix(line, "data: ") || !strings.Contains(line, `"bench_seq"`) {
					continue
				}
				mu.Lock()
				want := fmt.Sprintf(`"bench_seq":%d}`, seq)
				mu.Unlock()
				if strings.Contains(line, want) && got.Add(1) == streams {
					done <- struct{}{}
				}
			}
		}()
	}
	ready.Wait()
	bus := e.srv.Inbox.Bus()
	var lat []time.Duration
	b.ResetTimer()
	i := int64(0)
	for b.Loop() {
		mu.Lock()
		seq = i
		mu.Unlock()
		got.Store(0)
		start := time.Now()
		bus.Publish(inbox.Event{Type: inbox.EventTicketUpdated, TicketID: 1, Data: map[string]any{"bench_seq": i}})
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			b.Fatalf("publish %d: only %d of %d streams received it", i, got.Load(), streams)
		}
		lat = append(lat, time.Since(start))
		i++
	}
	b.StopTimer()
	sort.Slice(lat, func(a, c int) bool { return lat[a] < lat[c] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
