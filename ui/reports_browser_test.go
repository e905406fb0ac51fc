package ui_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"gorm.io/gorm"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/report"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// seedReports writes n tickets over the last two weeks on two channels,
// with first replies, resolutions and messages, straight into the store.
func seedReports(t *testing.T, e *testEnv, n int) {
	t.Helper()
	r := rand.New(rand.NewPCG(16, 1))
	now := time.Now().UTC().Truncate(time.Microsecond)
	err := e.srv.Store.Tx(e.ctx, func(tx *gorm.DB) error {
		mail := store.Channel{Kind: "email", Name: "이메일 지원", PublicKey: inbox.NewPublicID(), Settings: store.JSONMap{}, Secrets: store.JSONMap{}}
		contact := store.Contact{Name: "고객"}
		for _, v := range []any{&mail, &contact} {
			if err := tx.Create(v).Error; err != nil {
				return err
			}
		}
		for i := range n {
			at := now.Add(-time.Duration(r.Int64N(int64(14 * 24 * time.Hour)))).Truncate(time.Microsecond)
			ch := []int64{e.chanID, mail.ID}[r.IntN(2)]
			tk := store.Ticket{PublicID: fmt.Sprintf("rep%d", i), ReplyToken: fmt.Sprintf("rt%d", i), Status: store.StatusOpen, Priority: store.PriorityNormal,
				ContactID: contact.ID, ChannelID: ch, LastChannelID: ch, LastMessageAt: at, CreatedAt: at, UpdatedAt: at}
			if fr := at.Add(time.Duration(r.Int64N(int64(8 * time.Hour)))); r.IntN(5) < 3 && fr.Before(now) {
				tk.FirstResponseAt = &fr
			}
			if err := tx.Create(&tk).Error; err != nil {
				return err
			}
			if done := at.Add(time.Duration(r.Int64N(int64(30 * time.Hour)))); r.IntN(2) == 0 && done.Before(now) {
				if err := tx.Create(&store.StatusChange{TicketID: tk.ID, OldStatus: store.StatusOpen, NewStatus: store.StatusResolved, ChangedAt: done}).Error; err != nil {
					return err
				}
				if err := tx.Model(&tk).Update("status", store.StatusResolved).Error; err != nil {
					return err
				}
			}
			for j := range 1 + r.IntN(4) {
				ext := fmt.Sprintf("rm%d-%d", i, j)
				dir := []string{store.DirInbound, store.DirOutbound}[j%2]
				if err := tx.Create(&store.Message{TicketID: tk.ID, Direction: dir, AuthorType: store.AuthorContact, ChannelID: ch, ExternalID: &ext,
					Meta: store.JSONMap{}, CreatedAt: at.Add(time.Duration(j) * time.Minute)}).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBrowserReports opens the reports page in Korean and English: every
// chart and table is there with the figures the report service computes
// (and 140 arrivals, as seeded), the form changes the breakdown and
// period, and the CSV link points at the export. With HANBOX_SCREENSHOTS
// set it refreshes docs/reports.png.
func TestBrowserReports(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) { testBrowserReports(t, d) })
	}
}

func testBrowserReports(t *testing.T, dialect string) {
	const seeded = 140
	e := newEnv(t, dialect)
	seedReports(t, e, seeded)
	// Seeded around the inbox: build the report facts its durable
	// consumers would have kept.
	if err := e.srv.API.Reports.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	bctx := browser(t)
	a := newTab(t, bctx)
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	shots := shotDir(t)
	ctx := context.Background()
	want := func(name, by, period string) *report.Result {
		t.Helper()
		q, err := report.ParseQuery(name, map[string][]string{"by": {by}, "period": {period}}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.srv.API.Reports.Run(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	vol := want(report.Volume, "", "")
	if vol.Groups[0].Total[0].N != seeded {
		t.Fatalf("volume counts %v arrivals, want %d", vol.Groups[0].Total[0].N, seeded)
	}
	// The summary row's figures, as the page shows them.
	summary := func(section string) []string {
		return eval[[]string](a, `[...document.querySelectorAll('#report-`+section+` table.summary tbody tr:first-child td .now')].map(n => n.textContent)`)
	}
	for _, lang := range []struct{ code, heading, all string }{{"ko", "대화 수", "전체"}, {"en", "Conversations", "All"}} {
		a.do("reports "+lang.code, chromedp.Navigate(e.ts.URL+"/lang/"+lang.code+"?next=/reports"), chromedp.WaitVisible(chromedp.CSS(`#report-volume svg.chart-line`)))
		if got := a.text("#report-volume-title"); got != lang.heading {
			t.Fatalf("%s: heading %q, want %q", lang.code, got, lang.heading)
		}
		if got := a.text("#report-volume table.summary tbody th"); got != lang.all {
			t.Fatalf("%s: group %q, want %q", lang.code, got, lang.all)
		}
		tot := vol.Groups[0].Total
		if got := summary("volume"); strings.Join(got, " ") != fmt.Sprintf("%.0f %.0f %.0f", tot[0].N, tot[1].N, tot[2].N) {
			t.Fatalf("%s: volume summary %q, want %v", lang.code, got, tot)
		}
		msgs := want(report.Messages, "", "").Groups[0].Total
		if got := summary("messages"); strings.Join(got, " ") != fmt.Sprintf("%.0f %.0f", msgs[0].N, msgs[1].N) {
			t.Fatalf("%s: messages summary %q, want %v", lang.code, got, msgs)
		}
		// The line chart: three series × 30 days of points; its table the same numbers.
		if n := eval[int](a, `document.querySelectorAll('#report-volume svg.chart-line circle').length`); n != 3*report.DefaultDays {
			t.Fatalf("%s: %d points on the volume chart, want %d", lang.code, n, 3*report.DefaultDays)
		}
		pts := eval[[]string](a, `[...document.querySelectorAll('#report-volume svg.chart-line circle')].slice(0, 30).map(c => c.dataset.value)`)
		cells := eval[[]string](a, `[...document.querySelectorAll('#report-volume table.series tbody tr')].map(r => r.cells[1].textContent)`)
		for i, p := range vol.Groups[0].Points {
			if w := fmt.Sprintf("%.0f", p[0].N); pts[i] != w || cells[i] != w {
				t.Fatalf("%s: day %s: chart %s, table %s, want %s", lang.code, vol.Buckets[i], pts[i], cells[i], w)
			}
		}
		// The comparison bars and the heatmap: 168 cells holding every arrival.
		if n := eval[int](a, `document.querySelectorAll('#report-volume svg.chart-bar rect.now').length`); n != 3 {
			t.Fatalf("%s: %d bars, want 3", lang.code, n)
		}
		if sum := eval[int](a, `[...document.querySelectorAll('#report-heatmap svg rect.cell')].reduce((s, r) => s + Number(r.dataset.value), 0)`); sum != seeded {
			t.Fatalf("%s: heatmap holds %d arrivals, want %d", lang.code, sum, seeded)
		}
		if n := eval[int](a, `document.querySelectorAll('#report-heatmap svg rect.cell').length`); n != 7*24 {
			t.Fatalf("%s: %d heatmap cells", lang.code, n)
		}
		if got := a.text("#report-heatmap table.heat tbody th"); got != map[string]string{"ko": "월", "en": "Mon"}[lang.code] {
			t.Fatalf("%s: heatmap first row %q", lang.code, got)
		}
		if href := eval[string](a, `document.querySelector('#report-volume a.csv').getAttribute('href')`); !strings.HasPrefix(href, "/api/v1/reports/volume.csv?") {
			t.Fatalf("csv link %q", href)
		}
		if lang.code == "ko" {
			p := a.screenshot(shots, "reports-ko.png")
			if os.Getenv("HANBOX_SCREENSHOTS") != "" {
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join("..", "docs", "reports.png"), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}

	// The form: by channel, per week.
	a.do("by channel per week", chromedp.SetValue(chromedp.ID("report-by"), "channel"), chromedp.SetValue(chromedp.ID("report-period"), "week"),
		chromedp.Click(chromedp.CSS(`#report-form button[type=submit]`)))
	a.waitJS("the weekly page", `location.search.includes('by=channel') && location.search.includes('period=week') && !!document.querySelector('#report-volume svg.chart-line')`)
	byCh := want(report.Volume, "channel", "week")
	labels := eval[[]string](a, `[...document.querySelectorAll('#report-volume table.summary tbody th')].map(n => n.textContent)`)
	if len(labels) != len(byCh.Groups) || !strings.Contains(strings.Join(labels, ","), "이메일 지원") {
		t.Fatalf("channel rows %q, want %d groups", labels, len(byCh.Groups))
	}
	for i, g := range byCh.Groups {
		got := eval[string](a, fmt.Sprintf(`document.querySelectorAll('#report-volume table.summary tbody tr')[%d].querySelector('td .now').textContent`, i))
		if w := fmt.Sprintf("%.0f", g.Total[0].N); got != w || labels[i] != g.Label {
			t.Fatalf("row %d: %s %s, want %s %s", i, labels[i], got, g.Label, w)
		}
	}
	if n := eval[int](a, `document.querySelectorAll('#report-volume table.series tbody tr').length`); n != len(byCh.Buckets) {
		t.Fatalf("%d weekly rows, want %d", n, len(byCh.Buckets))
	}
}
