package ui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store"
)

// TestBrowserNPSAdmin: an admin, in Korean, writes an NPS survey in the
// surveys page — texts (the preview follows), a tag audience, a custom
// schedule, widget only, quiet hours — and saves it; it lists, edits back
// into the form, and the API has what was typed. Then the responses view
// in English: filtered to promoters it shows their answers and the NPS of
// the selection, and its CSV export (same filters) has a BOM and their rows.
func TestBrowserNPSAdmin(t *testing.T) {
	e := newEnv(t, store.SQLite)
	bctx := browser(t)
	a := newTab(t, bctx)
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("surveys page", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/admin/surveys"), chromedp.WaitVisible(chromedp.ID("nps-form")))
	a.waitJS("form ready", `document.getElementById('nps-form').dataset.ready === 'new'`)
	if got := a.text("h1"); got != "설문" {
		t.Fatalf("heading %q", got)
	}
	if got := a.text("#nps-preview-q"); !strings.Contains(got, "추천하실 가능성") {
		t.Fatalf("default preview %q", got)
	}
	a.set("nps-name", "VIP 분기 NPS")
	a.do("enable", chromedp.Click(chromedp.ID("nps-enabled")))
	a.set("nps-qko", "VIP 고객님, 저희를 추천하시겠어요?")
	a.set("nps-wko", "가장 큰 이유는 무엇인가요?")
	a.waitJS("preview follows", `document.getElementById('nps-preview-q').textContent === 'VIP 고객님, 저희를 추천하시겠어요?' &&
		document.getElementById('nps-preview-why').textContent === '가장 큰 이유는 무엇인가요?' && document.querySelectorAll('#nps-preview-scale .npsn').length === 11`)
	a.do("tag audience", chromedp.Click(chromedp.ID("nps-aud-tag")))
	a.set("nps-tag", "VIP")
	a.set("nps-first", "14")
	a.do("custom repeat", chromedp.Click(chromedp.ID("nps-rep-custom")))
	a.set("nps-days", "120, 45")
	a.do("no email", chromedp.Click(chromedp.ID("nps-email")))
	a.set("nps-quiet-start", "22:00")
	a.set("nps-quiet-end", "08:00")
	a.do("save", chromedp.Click(chromedp.ID("nps-save")))
	a.waitJS("listed", `!!document.querySelector('#nps-surveys [data-nps-row]')`)
	var list struct {
		Items []struct {
			ID          int64  `json:"id"`
			Name        string `json:"name"`
			Enabled     bool   `json:"enabled"`
			QuestionKo  string `json:"question_ko"`
			WhyKo       string `json:"why_ko"`
			AudienceTag string `json:"audience_tag"`
			FirstDays   int    `json:"first_days"`
			RepeatDays  []int  `json:"repeat_days"`
			ByEmail     bool   `json:"by_email"`
			ByWidget    bool   `json:"by_widget"`
			QuietStart  string `json:"quiet_start"`
			QuietEnd    string `json:"quiet_end"`
		} `json:"items"`
	}
	e.call("GET", "/api/v1/nps-surveys", e.adminTok, nil, 200, &list)
	if len(list.Items) != 1 {
		t.Fatalf("surveys %+v", list.Items)
	}
	got := list.Items[0]
	if got.Name != "VIP 분기 NPS" || !got.Enabled || got.QuestionKo != "VIP 고객님, 저희를 추천하시겠어요?" || got.WhyKo != "가장 큰 이유는 무엇인가요?" ||
		got.AudienceTag != "VIP" || got.FirstDays != 14 || fmt.Sprint(got.RepeatDays) != "[45 120]" || got.ByEmail || !got.ByWidget ||
		got.QuietStart != "22:00" || got.QuietEnd != "08:00" {
		t.Fatalf("saved %+v", got)
	}
	if row := a.text("#nps-surveys [data-nps-row]"); !strings.Contains(row, "VIP 분기 NPS") || !strings.Contains(row, "45, 120") || !strings.Contains(row, "위젯") {
		t.Fatalf("row %q", row)
	}
	a.do("edit", chromedp.Click(chromedp.CSS(`[data-nps-edit]`)))
	a.waitJS("edit form", fmt.Sprintf(`document.getElementById('nps-form').dataset.ready === '%d' && document.getElementById('nps-days').value === '45, 120' &&
		document.getElementById('nps-aud-tag').checked && document.getElementById('nps-form-h').textContent === 'NPS 설문 편집'`, got.ID))

	// Responses: 10, 9, 6 and an unanswered one.
	tid := e.ingest(map[string]any{"external_id": "m1", "contact": map[string]any{"external_id": "c1", "name": "민지"}, "text": "문의"})
	tk, err := e.srv.Inbox.TicketByPublicID(e.ctx, tid)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for i, sc := range []int{10, 9, 6, -1} {
		round := i
		sv := store.Survey{PublicID: fmt.Sprintf("n%d", i), Kind: store.SurveyNPS, TicketID: tk.ID, Round: int64(100 + i), ContactID: tk.ContactID,
			ChannelID: tk.LastChannelID, RequestedAt: now, ExpiresAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now, NPSSurveyID: &got.ID, NPSRound: &round}
		if sc >= 0 {
			s := sc
			sv.Score, sv.AnsweredAt, sv.Answers, sv.Comment = &s, &now, 1, fmt.Sprintf("이유 %d", sc)
		}
		if err := e.srv.Store.DB.Create(&sv).Error; err != nil {
			t.Fatal(err)
		}
	}
	a.do("responses in English", chromedp.Navigate(e.ts.URL+"/lang/en?next=/admin/surveys"), chromedp.WaitVisible(chromedp.ID("nps-responses")))
	if n := eval[int](a, `document.querySelectorAll('#nps-responses [data-nps-response]').length`); n != 4 {
		t.Fatalf("%d responses, want 4", n)
	}
	// 2 promoters, 1 detractor of 3 answers: 33.3.
	if s := a.text("#nps-score-value"); s != "33.3" {
		t.Fatalf("score %q", s)
	}
	a.set("nf-min", "9")
	a.do("filter", chromedp.Click(chromedp.ID("nf-apply")))
	a.waitJS("filtered", `location.search.includes('min=9') && document.querySelectorAll('#nps-responses [data-nps-response]').length === 2`)
	if s := a.text("#nps-score"); !strings.Contains(s, "NPS: 100.0") || !strings.Contains(s, "Promoters 2") {
		t.Fatalf("filtered score %q", s)
	}
	if txt := a.text("#nps-responses"); !strings.Contains(txt, "promoter") || strings.Contains(txt, "이유 6") {
		t.Fatalf("filtered table %q", txt)
	}
	// The text decoder drops a BOM: read the first bytes separately.
	bom := eval[string](a, `fetch(document.getElementById('nps-export').href).then(r => r.arrayBuffer()).then(b => Array.from(new Uint8Array(b).slice(0, 3)).join(','))`)
	csv := eval[string](a, `fetch(document.getElementById('nps-export').href).then(r => r.text())`)
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if bom != "239,187,191" || !strings.HasPrefix(csv, "id,") || len(lines) != 3 || !strings.Contains(csv, "이유 10") || strings.Contains(csv, "이유 6") {
		t.Fatalf("export (first bytes %s) %q", bom, csv)
	}
}
