package kb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/kb"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestEmailSuggestions: with the channel's kb_suggestions on, a new email
// (or Slack) ticket gets one bot acknowledgement with up to three article links
// (published only); a replayed event adds nothing; automatic mail, a
// question no article answers, and a channel with the setting off get
// nothing; the widget suggests inline instead (its script), never here.
func TestEmailSuggestions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		in := inbox.New(st, inbox.Options{})
		k := kb.New(st)
		on := store.Channel{Kind: "email", Name: "support", PublicKey: inbox.NewPublicID(), Enabled: true, Settings: store.JSONMap{kb.SettingEmailSuggestions: true}}
		off := store.Channel{Kind: "email", Name: "sales", PublicKey: inbox.NewPublicID(), Enabled: true}
		slack := store.Channel{Kind: "slack", Name: "community", PublicKey: inbox.NewPublicID(), Enabled: true, Settings: store.JSONMap{kb.SettingEmailSuggestions: true}}
		discord := store.Channel{Kind: "discord", Name: "server", PublicKey: inbox.NewPublicID(), Enabled: true}
		widget := store.Channel{Kind: "widget", Name: "site", PublicKey: inbox.NewPublicID(), Enabled: true, Settings: store.JSONMap{kb.SettingEmailSuggestions: true}}
		for _, c := range []*store.Channel{&on, &off, &slack, &discord, &widget} {
			if err := st.DB.Create(c).Error; err != nil {
				t.Fatal(err)
			}
		}
		create(t, k, "배송 기간 안내", "주문 후 배송은 보통 2~3일 걸립니다.", "ko", store.KBPublished)
		create(t, k, "해외 배송", "해외 배송은 7~14일 걸립니다.", "ko", store.KBPublished)
		create(t, k, "배송 초안", "배송 초안", "ko", store.KBDraft)
		for i, topic := range []string{"환불 절차", "결제 수단", "회원 탈퇴", "쿠폰 사용", "교환 신청", "포인트 적립"} {
			create(t, k, topic, fmt.Sprintf("%s 안내 %d", topic, i), "ko", store.KBPublished)
		}
		c := k.AckConsumer(in, "https://support.example.com/")
		n := 0
		mail := func(ch store.Channel, subject, text string, auto bool) int64 {
			n++
			meta := map[string]any{}
			if auto {
				meta["auto"] = true
			}
			r, err := in.Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: fmt.Sprintf("<m%d@example.kr>", n), ThreadKeys: []string{fmt.Sprintf("email:m%d", n)},
				Contact: inbox.ContactRef{Kind: inbox.IdentityEmail, ID: fmt.Sprintf("kim%d@example.kr", n), Verified: true}, Subject: subject, Text: text, Meta: meta, Auto: auto})
			if err != nil {
				t.Fatal(err)
			}
			for range 2 { // a replayed event changes nothing
				if err := c.Handle(ctx, inbox.Event{Type: inbox.EventTicketCreated, TicketID: r.TicketID}); err != nil {
					t.Fatal(err)
				}
			}
			return r.TicketID
		}
		bots := func(id int64) []store.Message {
			msgs, err := in.Messages(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			var out []store.Message
			for _, m := range msgs {
				if m.AuthorType == store.AuthorBot {
					out = append(out, m)
				}
			}
			return out
		}
		got := bots(mail(on, "배송 문의", "배송이 언제 오나요? 주문한 지 3일 됐어요", false))
		if len(got) != 1 {
			t.Fatalf("bot messages = %d, want 1", len(got))
		}
		text := got[0].Text
		if !strings.Contains(text, "문의가 접수되었습니다") || !strings.Contains(text, "배송 기간 안내") || !strings.Contains(text, "https://support.example.com/help/ko/") ||
			strings.Contains(text, "초안") || strings.Count(text, "https://") > 3 {
			t.Fatalf("acknowledgement:\n%s", text)
		}
		var queued int64
		st.DB.Model(&store.Outbox{}).Where("message_id = ?", got[0].ID).Count(&queued)
		if queued != 1 {
			t.Fatalf("outbox rows = %d", queued)
		}
		// Slack: a thread reply with the same articles.
		if b := bots(mail(slack, "", "배송 기간이 얼마나 걸려요?", false)); len(b) != 1 || !strings.Contains(b[0].Text, "배송 기간 안내") {
			t.Fatalf("slack thread reply: %+v", b)
		}
		for name, id := range map[string]int64{
			"automatic mail":  mail(on, "자동 응답: 부재중", "배송 관련 부재중입니다", true),
			"no good article": mail(on, "Hello", "quantum entanglement lattice", false),
			"setting off":     mail(off, "배송 문의", "배송이 언제 오나요?", false),
			"discord, off":    mail(discord, "", "배송이 언제 오나요?", false),
			"widget (inline)": mail(widget, "", "배송이 언제 오나요?", false),
		} {
			if b := bots(id); len(b) != 0 {
				t.Errorf("%s: the bot wrote %q", name, b[0].Text)
			}
		}
	})
}
