package ui_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/ui"
)

// TestWebhooksPageFlagsFailing: a subscription whose deliveries have failed
// for over an hour is flagged on the list and on its own page, in Korean;
// one failing for ten minutes is not; neither page shows a secret.
func TestWebhooksPageFlagsFailing(t *testing.T) {
	e := newEnv(t, store.SQLite)
	var long, short struct {
		ID     int64  `json:"id"`
		Secret string `json:"secret"`
	}
	e.call("POST", "/api/v1/webhooks", e.adminTok, map[string]any{"name": "오래 실패", "url": "https://down.example.com/h", "events": []string{"ticket.created"}}, http.StatusCreated, &long)
	e.call("POST", "/api/v1/webhooks", e.adminTok, map[string]any{"name": "잠깐 실패", "url": "https://flaky.example.com/h", "events": []string{"ticket.created"}}, http.StatusCreated, &short)
	now := time.Now().UTC()
	for id, since := range map[int64]time.Time{long.ID: now.Add(-2 * time.Hour), short.ID: now.Add(-10 * time.Minute)} {
		if err := e.srv.Store.DB.Model(&store.WebhookSubscription{}).Where("id = ?", id).
			Updates(map[string]any{"failing_since": since, "last_failure_at": now}).Error; err != nil {
			t.Fatal(err)
		}
	}
	get := func(path string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: e.adminTok})
		req.AddCookie(&http.Cookie{Name: ui.LangCookie, Value: "ko"})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		for _, s := range []string{long.Secret, short.Secret} {
			if strings.Contains(string(b), s) {
				t.Fatalf("%s shows a secret", path)
			}
		}
		return string(b)
	}
	list := get("/admin/webhooks")
	rowOf := func(id int64) string {
		i := strings.Index(list, `data-webhook="`+itoa(id)+`"`)
		if i < 0 {
			t.Fatalf("subscription %d not listed", id)
		}
		row, _, _ := strings.Cut(list[i:], "</tr>")
		return row
	}
	if row := rowOf(long.ID); !strings.Contains(row, "data-failing") || !strings.Contains(row, "전송 실패 중") {
		t.Fatalf("long failure not flagged: %s", row)
	}
	if row := rowOf(short.ID); strings.Contains(row, "data-failing") {
		t.Fatalf("ten minutes of failures flagged: %s", row)
	}
	if page := get("/admin/webhooks/" + itoa(long.ID)); !strings.Contains(page, `id="webhook-failing"`) || !strings.Contains(page, "한 시간 넘게 실패") {
		t.Fatal("the subscription's page does not say it is failing")
	}
	if page := get("/admin/webhooks/" + itoa(short.ID)); strings.Contains(page, `id="webhook-failing"`) {
		t.Fatal("ten minutes of failures flagged on the page")
	}
}
