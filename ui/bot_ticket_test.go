package ui_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
)

// TestTicketShowsBotMessages: the ticket page sets the answer bot's
// messages and notes apart (labelled, with their buttons, in Korean and in
// English) and names the help article a customer read before writing;
// a hostile article title stays text.
func TestTicketShowsBotMessages(t *testing.T) {
	e := newEnv(t, store.SQLite)
	pid := e.ingest(map[string]any{"external_id": "b1", "text": "배송 문의",
		"contact": map[string]any{"external_id": "c-b1", "name": "김민지"},
		"meta":    map[string]any{"kb_article": map[string]any{"id": 7, "title": "배송 안내 <script>alert(1)</script>"}}})
	tk, err := e.srv.Inbox.TicketByPublicID(e.ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []store.Message{
		{TicketID: tk.ID, Direction: store.DirOutbound, AuthorType: store.AuthorBot, ChannelID: tk.ChannelID, Text: "어느 부서와 상담하시겠어요?",
			Meta: store.JSONMap{"bot": map[string]any{"choices": []any{"결제", "배송", "사람과 상담"}}}, DeliveryStatus: store.DeliverySent},
		{TicketID: tk.ID, Direction: store.DirNote, AuthorType: store.AuthorBot, ChannelID: tk.ChannelID, Text: "봇이 받은 정보 (collected by the bot)\n이름 (name): 김민지"},
	} {
		if err := e.srv.Store.DB.Create(&m).Error; err != nil {
			t.Fatal(err)
		}
	}
	for lang, want := range map[string][]string{
		"ko": {"응답 봇", ">봇<", "버튼:", "문의 전에 읽은 문서", "사람과 상담"},
		"en": {"Answer bot", ">Bot<", "Buttons:", "Read before writing", "사람과 상담"},
	} {
		req, _ := http.NewRequest("GET", e.ts.URL+"/tickets/"+pid, nil)
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: e.adminTok})
		req.Header.Set("Accept-Language", lang)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body := string(b)
		if n := strings.Count(body, `data-author="bot"`); n != 2 {
			t.Errorf("%s: %d bot entries, want 2", lang, n)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: page lacks %q", lang, w)
			}
		}
		if strings.Contains(body, "<script>alert(1)") || !strings.Contains(body, `href="/kb/7"`) {
			t.Errorf("%s: article line unsafe or missing", lang)
		}
	}
}
