package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
)

// TestBrowserAdminRetriesFailedDelivery: an admin opens the failed
// deliveries screen (in English and in Korean), sees a reply that could not
// be delivered with its reason, and retries it; it goes out again.
func TestBrowserAdminRetriesFailedDelivery(t *testing.T) {
	e := newEnv(t, store.SQLite)
	bctx := browser(t)
	pid := e.ingest(map[string]any{"external_id": "m1", "subject": "환불 문의", "text": "환불해 주세요",
		"contact": map[string]any{"external_id": "cust-1", "name": "김민지"}})
	var reply struct{ ID int64 }
	e.call("POST", "/api/v1/tickets/"+pid+"/replies", e.adminTok, map[string]any{"text": "환불 처리했습니다."}, 201, &reply)
	db := e.srv.Store.DB
	eventually(t, "first delivery recorded", func() bool {
		var row store.Outbox
		return db.Where("message_id = ?", reply.ID).Take(&row).Error == nil && row.Status == store.OutboxSent
	})
	// As after the customer's system kept refusing it.
	if err := db.Model(&store.Outbox{}).Where("message_id = ?", reply.ID).
		Updates(map[string]any{"status": store.OutboxFailed, "attempts": 10, "last_error": "webhook answered 503 Service Unavailable"}).Error; err != nil {
		t.Fatal(err)
	}
	a := newTab(t, bctx)
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("open failed deliveries", chromedp.Navigate(e.ts.URL+"/admin/deliveries"), chromedp.WaitVisible(chromedp.ID("failed-deliveries")))
	a.ready()
	if h := a.text("h1"); h != "Failed deliveries" {
		t.Fatalf("title %q", h)
	}
	row := a.text("#failed-deliveries tbody tr")
	if !strings.Contains(row, "webhook answered 503") || !strings.Contains(row, "Reply") || !strings.Contains(row, "Shop API") || !strings.Contains(row, "환불 문의") {
		t.Fatalf("row %q", row)
	}
	a.do("korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/admin/deliveries"), chromedp.WaitVisible(chromedp.ID("failed-deliveries")))
	if h := a.text("h1"); h != "전송 실패" {
		t.Fatalf("Korean title %q", h)
	}
	if b := a.text("[data-retry-delivery]"); b != "다시 보내기" {
		t.Fatalf("Korean button %q", b)
	}
	before := len(e.hooks.all())
	a.do("retry", chromedp.Click(chromedp.CSS("[data-retry-delivery]")))
	a.waitJS("row gone and toast shown", `!document.querySelector('[data-retry-delivery]') && !document.getElementById('toast').hidden`)
	eventually(t, "delivered again", func() bool { return len(e.hooks.all()) == before+1 })
	eventually(t, "recorded sent", func() bool {
		var row store.Outbox
		return db.Where("message_id = ?", reply.ID).Take(&row).Error == nil && row.Status == store.OutboxSent
	})
	if got := e.hooks.texts(); got[len(got)-1] != "환불 처리했습니다." {
		t.Fatalf("delivered %q", got[len(got)-1])
	}
	a.do("reload", chromedp.Navigate(e.ts.URL+"/admin/deliveries"), chromedp.WaitVisible(chromedp.CSS("p.empty")))
	a.ready()
	if !strings.Contains(a.text(".admin"), "실패한 전송이 없습니다.") {
		t.Fatalf("page after retry: %q", a.text(".admin"))
	}
}

func TestBrowserAdminRetriesFailedJob(t *testing.T) {
	e := newEnv(t, store.SQLite)
	bctx := browser(t)
	ran := make(chan string, 1)
	e.srv.Jobs.Handle("probe.survey", func(ctx context.Context, j *jobs.Job) error {
		ran <- j.Key
		return nil
	})
	now := time.Now().UTC()
	job := store.Job{Kind: "probe.survey", Key: "contact:7:round:1", Status: store.JobFailed, DueAt: now, Attempts: 10,
		LastError: "smtp: 550 mailbox unavailable", CreatedAt: now, UpdatedAt: now, FinishedAt: &now}
	if err := e.srv.Store.DB.Create(&job).Error; err != nil {
		t.Fatal(err)
	}
	a := newTab(t, bctx)
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("open in Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/admin/deliveries"), chromedp.WaitVisible(chromedp.ID("failed-jobs")))
	a.ready() // the retry button's handler is attached by the page's module (CI's race step clicked before it was)
	row := a.text("#failed-jobs tbody tr")
	if !strings.Contains(row, "probe.survey") || !strings.Contains(row, "contact:7:round:1") || !strings.Contains(row, "550 mailbox unavailable") {
		t.Fatalf("row %q", row)
	}
	if !strings.Contains(a.text(".admin"), "실패한 예약 작업") {
		t.Fatalf("Korean heading missing: %q", a.text(".admin"))
	}
	a.do("retry", chromedp.Click(chromedp.CSS("[data-retry-job]")))
	a.waitJS("row gone and toast shown", `!document.querySelector('[data-retry-job]') && !document.getElementById('toast').hidden`)
	select {
	case key := <-ran:
		if key != job.Key {
			t.Fatalf("ran %q", key)
		}
	case <-time.After(30 * time.Second): // safety net only
		t.Fatal("the retried job never ran")
	}
	eventually(t, "job done", func() bool {
		var j store.Job
		return e.srv.Store.DB.Take(&j, job.ID).Error == nil && j.Status == store.JobDone
	})
}
