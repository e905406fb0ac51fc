package email

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/hanbox/hanbox/inbox"
)

// TestComposeNPSAndThumbsRequests: an NPS request mails eleven links 0–10
// (numbers, no CSAT labels) and a thumbs CSAT request two (1 and 5), each
// with List-Unsubscribe for one-click (RFC 8058) and the unsubscribe link in
// the body.
func TestComposeNPSAndThumbsRequests(t *testing.T) {
	c := &Channel{settings: Settings{Address: "support@example.com"}}
	c.settings.defaults()
	for _, tc := range []struct {
		name   string
		sv     inbox.SurveyRequest
		scores []string
	}{
		{"nps", inbox.SurveyRequest{PublicID: "p1", Kind: "nps", Scale: 10, Style: "nps", Question: "추천하시겠어요?", Locale: "ko"},
			[]string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}},
		{"thumbs", inbox.SurveyRequest{PublicID: "p2", Kind: "csat", Scale: 5, Style: inbox.ScaleThumbs, Question: "만족하셨나요?", Locale: "ko"},
			[]string{"1", "5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sv := tc.sv
			sv.URL, sv.UnsubscribeURL = "https://help.example.com/s/tok", "https://help.example.com/u/unsub"
			out := &inbox.Outbound{MessageID: 11, Ticket: inbox.TicketRef{PublicID: "pub", Number: 1011, Subject: "문의"},
				Contact: inbox.PersonRef{Email: "cust@example.net"}, Survey: &sv}
			msg, err := c.compose(out, time.Now(), nil)
			if err != nil {
				t.Fatal(err)
			}
			m, err := mail.CreateReader(bytes.NewReader(msg.raw))
			if err != nil {
				t.Fatal(err)
			}
			if m.Header.Get("List-Unsubscribe") != "<https://help.example.com/u/unsub>" || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
				t.Fatalf("headers %q %q", m.Header.Get("List-Unsubscribe"), m.Header.Get("List-Unsubscribe-Post"))
			}
			text := strings.ReplaceAll(bodyText(t, msg.raw), "\r\n", "\n")
			var got []string
			for _, line := range strings.Split(text, "\n") {
				if i := strings.Index(line, "?score="); i >= 0 {
					got = append(got, line[i+len("?score="):])
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.scores, ",") {
				t.Fatalf("score links %v, want %v\n%s", got, tc.scores, text)
			}
			if tc.name == "nps" && strings.Contains(text, "만족") {
				t.Errorf("NPS mail carries CSAT labels:\n%s", text)
			}
			if !strings.Contains(text, "설문 메일 받지 않기: https://help.example.com/u/unsub") {
				t.Errorf("no unsubscribe link:\n%s", text)
			}
		})
	}
}
