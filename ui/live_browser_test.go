package ui_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestBrowserInboxKeepsUpUnderLoad drives 20 messages a second into the
// inbox (a new ticket every third one, follow-ups on the others) while an
// agent's list is open, and checks that the list keeps refreshing during
// the stream instead of waiting for it to stop: every new ticket from the
// first part of the run is on screen before the run ends, and the list was
// refetched again and again. The per-ticket delay (created → on screen) is
// logged with its median and p95 (docs/BENCHMARKS.md).
func TestBrowserInboxKeepsUpUnderLoad(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) { testInboxKeepsUp(t, d) })
	}
}

func testInboxKeepsUp(t *testing.T, dialect string) {
	e := newEnv(t, dialect)
	bctx := browser(t)
	a := newTab(t, bctx)
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("open view", chromedp.Navigate(e.ts.URL+"/tickets?view=all"), chromedp.WaitVisible(chromedp.ID("ticket-list")))
	a.waitLive()
	// The page notes when each row is first on screen (its own clock).
	eval[bool](a, `(() => {
		window.__seen = {};
		const scan = () => { for (const r of document.querySelectorAll('#ticket-list .trow')) if (!(r.dataset.ticket in window.__seen)) window.__seen[r.dataset.ticket] = Date.now(); };
		new MutationObserver(scan).observe(document.body, { childList: true, subtree: true });
		window.__hanboxRefreshes = 0;
		return true;
	})()`)

	const rate = 20 // messages per second
	total := 120    // six seconds
	if os.Getenv("HANBOX_LOAD_SECONDS") != "" {
		n, _ := strconv.Atoi(os.Getenv("HANBOX_LOAD_SECONDS"))
		total = n * rate
	}
	type created struct {
		pid string
		at  time.Time
	}
	var tickets []created
	var threads []string
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	start := time.Now()
	for i := range total {
		<-tick.C // paces the load; nothing is asserted on time
		in := &inbox.Inbound{ChannelID: e.chanID, ExternalID: fmt.Sprintf("load-%d", i), Text: "배송이 언제 되나요? " + strconv.Itoa(i)}
		if i%3 == 0 || len(threads) == 0 {
			key := fmt.Sprintf("load-thread-%d", i)
			in.OwnKeys = []string{key}
			in.Subject = fmt.Sprintf("부하 문의 %d", i)
			in.Contact = inbox.ContactRef{Kind: inbox.IdentityAPI, ID: "load/" + strconv.Itoa(i), Verified: true, Name: "고객 " + strconv.Itoa(i)}
			threads = append(threads, key)
		} else {
			n := i % len(threads)
			in.ThreadKeys = []string{threads[n]}
			in.Contact = inbox.ContactRef{Kind: inbox.IdentityAPI, ID: "load/" + threads[n][len("load-thread-"):], Verified: true}
		}
		res, err := e.srv.Inbox.Ingest(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if res.NewTicket {
			pid, _, err := e.srv.Inbox.TicketPublicID(e.ctx, res.TicketID)
			if err != nil {
				t.Fatal(err)
			}
			tickets = append(tickets, created{pid, time.Now()})
		}
	}
	end := time.Now()
	t.Logf("%d messages (%d new tickets) in %s: %.1f/s", total, len(tickets), end.Sub(start).Round(time.Millisecond),
		float64(total)/end.Sub(start).Seconds())
	duringRun := eval[int](a, `window.__hanboxRefreshes`)

	// Everything shows up in the end.
	last := tickets[len(tickets)-1].pid
	a.waitJS("last ticket listed", `'`+last+`' in window.__seen`)
	seen := eval[map[string]float64](a, `window.__seen`)

	// The order conditions: the list was refreshed many times while events
	// kept coming (a debounce without a maximum wait refreshes once, after
	// the stream), and each ticket of the first two thirds of the run was on
	// screen before the last message went in.
	if duringRun < 4 {
		t.Fatalf("the list refreshed %d times during a %d-message stream", duringRun, total)
	}
	var delays []time.Duration
	for i, c := range tickets {
		ms, ok := seen[c.pid]
		if !ok {
			t.Fatalf("ticket %s never seen", c.pid)
		}
		at := time.UnixMilli(int64(ms))
		if i < len(tickets)*2/3 && !at.Before(end) {
			t.Errorf("ticket %d of %d (%s) appeared only after the stream ended", i+1, len(tickets), c.pid)
		}
		delays = append(delays, at.Sub(c.at))
	}
	slices.Sort(delays)
	p := func(q float64) time.Duration { return delays[min(len(delays)-1, int(q*float64(len(delays))))] }
	t.Logf("%s: new ticket → on screen: median %s, p95 %s, max %s (%d tickets, %d refreshes during the run)",
		dialect, p(0.5).Round(time.Millisecond), p(0.95).Round(time.Millisecond), delays[len(delays)-1].Round(time.Millisecond), len(delays), duringRun)
}
