package discord

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
)

// interaction is an INTERACTION_CREATE payload for a button click in a
// guild thread, shaped like Discord's (type 3 = message component,
// component_type 2 = button; the clicker is in member.user).
func interaction(id, token, channelID, userID, customID string) map[string]any {
	return map[string]any{
		"id": id, "application_id": "800000000000000001", "type": 3, "token": token, "version": 1,
		"guild_id": fakeGuild, "channel_id": channelID, "locale": "ko", "app_permissions": "309237746688",
		"member": map[string]any{"roles": []any{}, "joined_at": "2025-01-01T00:00:00+00:00", "permissions": "0",
			"user": map[string]any{"id": userID, "username": "minji", "global_name": nil, "discriminator": "0"}},
		"message": map[string]any{"id": "1200", "channel_id": channelID, "type": 0, "content": "", "timestamp": "2026-11-24T07:40:00.000000+00:00"},
		"data":    map[string]any{"custom_id": customID, "component_type": 2},
	}
}

// TestCSATButtonsInDiscordThread: a resolved Discord ticket gets its rating
// request in the customer's thread with one button per score; the
// customer's click (an INTERACTION_CREATE on the gateway) stores the score
// and is answered with the thank-you only they see; the same click again
// stores nothing more; another user's click is refused and changes nothing.
func TestCSATButtonsInDiscordThread(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		env, f, ch := setup(t, dialect, nil)
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		sched := jobs.New(env.Store, jobs.Options{Poll: 20 * time.Millisecond})
		if err := env.Inbox.EnableSurveys(ctx, sched); err != nil {
			t.Fatal(err)
		}
		go env.Inbox.RunConsumers(ctx, inbox.ConsumeOptions{Poll: 20 * time.Millisecond})
		go sched.Run(ctx)
		if _, err := env.Inbox.SetCSATSetting(ctx, ch.ID, inbox.SurveySettingInput{Enabled: true, QuestionKo: "상담은 어떠셨나요?", ThanksKo: "고맙습니다!"}); err != nil {
			t.Fatal(err)
		}
		agent := env.Agent("agent@hanbox.test", "상담원")
		f.dispatch("MESSAGE_CREATE", userMessage("1100", fakeSupport, fakeGuild, customer, "minji", "환불 문의드려요"))
		var tk *store.Ticket
		env.Eventually("ticket from Discord", func() bool { tk = ticketByKey(t, env, ThreadKey("1100")); return tk != nil })
		if _, err := env.Inbox.Reply(ctx, inbox.ReplyInput{TicketID: tk.ID, AgentID: agent.ID, Text: "환불해 드렸습니다"}); err != nil {
			t.Fatal(err)
		}
		resolved := store.StatusResolved
		if _, err := env.Inbox.UpdateTicket(ctx, tk.ID, agent.ID, inbox.TicketPatch{Status: &resolved}); err != nil {
			t.Fatal(err)
		}
		var req fakePost
		env.Eventually("rating buttons in the thread", func() bool {
			posts, _, _ := f.snapshot()
			for _, p := range posts {
				if len(p.Components) > 0 {
					req = p
					return true
				}
			}
			return false
		})
		if req.ChannelID != "1100" || !strings.HasPrefix(req.Content, "상담은 어떠셨나요?") || len(req.Components) != 1 {
			t.Fatalf("request in %s: %q with %d rows", req.ChannelID, req.Content, len(req.Components))
		}
		buttons, _ := req.Components[0]["components"].([]any)
		if req.Components[0]["type"] != float64(1) || len(buttons) != 5 {
			t.Fatalf("row %v: want one action row of 5 buttons", req.Components[0])
		}
		four := buttons[3].(map[string]any)
		if four["type"] != float64(2) || four["label"] != "4 만족" || !strings.HasPrefix(four["custom_id"].(string), ActionRate+":") {
			t.Fatalf("button 4 = %v", four)
		}
		var sv store.Survey
		survey := func() store.Survey {
			var got store.Survey
			if err := env.Store.DB.Where("ticket_id = ? AND kind = ?", tk.ID, store.SurveyCSAT).Take(&got).Error; err != nil {
				t.Fatal(err)
			}
			return got
		}
		sv = survey()
		if four["custom_id"] != ActionRate+":"+sv.PublicID+":4" {
			t.Fatalf("custom id %v does not name survey %s", four["custom_id"], sv.PublicID)
		}
		answer := func(id string) fakeCallback {
			t.Helper()
			var cb fakeCallback
			env.Eventually("interaction "+id+" answered", func() bool {
				for _, c := range f.interactionAnswers() {
					if c.ID == id {
						cb = c
						return true
					}
				}
				return false
			})
			return cb
		}
		customID := four["custom_id"].(string)
		f.dispatch("INTERACTION_CREATE", interaction("1500", "tok-1500", "1100", customer, customID))
		if cb := answer("1500"); cb.Token != "tok-1500" || cb.Type != 4 || cb.Flags != 64 || cb.Content != "고맙습니다!" {
			t.Fatalf("answer to the customer's click = %+v, want an ephemeral thank-you", cb)
		}
		if sv = survey(); sv.Score == nil || *sv.Score != 4 || sv.Answers != 1 {
			t.Fatalf("after the click: score %v, answers %d", sv.Score, sv.Answers)
		}
		// The same button again (a double click): thanked, stored once.
		f.dispatch("INTERACTION_CREATE", interaction("1501", "tok-1501", "1100", customer, customID))
		if cb := answer("1501"); cb.Content != "고맙습니다!" {
			t.Fatalf("second click answered %q", cb.Content)
		}
		// Someone else in the thread clicks 1: refused, nothing changes.
		f.dispatch("INTERACTION_CREATE", interaction("1502", "tok-1502", "1100", "700000000000000002", ActionRate+":"+sv.PublicID+":1"))
		if cb := answer("1502"); !strings.Contains(cb.Content, "Only the customer") || cb.Flags != 64 {
			t.Fatalf("another user's click answered %+v", cb)
		}
		// A forged survey id: refused.
		f.dispatch("INTERACTION_CREATE", interaction("1503", "tok-1503", "1100", customer, ActionRate+":nosuchsurvey:5"))
		if cb := answer("1503"); !strings.Contains(cb.Content, "Only the customer") {
			t.Fatalf("forged survey answered %+v", cb)
		}
		if sv = survey(); *sv.Score != 4 || sv.Answers != 1 {
			t.Fatalf("after the other clicks: score %d, answers %d, want 4 and 1", *sv.Score, sv.Answers)
		}
		var answered int64
		if err := env.Store.DB.Model(&store.Event{}).Where("type = ?", inbox.EventSurveyAnswered).Count(&answered).Error; err != nil {
			t.Fatal(err)
		}
		if answered != 1 {
			t.Fatalf("%d survey.answered events, want 1", answered)
		}
	})
}

// TestSurveyComponents: NPS's eleven scores fill three rows (Discord
// allows five buttons a row); thumbs are two labelled buttons.
func TestSurveyComponents(t *testing.T) {
	for _, tc := range []struct {
		name  string
		req   inbox.SurveyRequest
		rows  []int
		first string
		last  string
	}{
		{"nps", inbox.SurveyRequest{PublicID: "p", Kind: store.SurveyNPS, Scale: 10, Style: "nps", Locale: "en"}, []int{5, 5, 1}, "0", "10"},
		{"faces", inbox.SurveyRequest{PublicID: "p", Kind: store.SurveyCSAT, Scale: 5, Style: inbox.ScaleFaces, Locale: "en"}, []int{5}, "1 Very unsatisfied", "5 Very satisfied"},
		{"thumbs", inbox.SurveyRequest{PublicID: "p", Kind: store.SurveyCSAT, Scale: 5, Style: inbox.ScaleThumbs, Locale: "ko"}, []int{2}, "👎 매우 불만족", "👍 매우 만족"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sizes []int
			var labels, ids []string
			for _, r := range surveyComponents(&tc.req) {
				row := r.(discordgo.ActionsRow)
				sizes = append(sizes, len(row.Components))
				for _, b := range row.Components {
					labels = append(labels, b.(discordgo.Button).Label)
					ids = append(ids, b.(discordgo.Button).CustomID)
				}
			}
			if !slices.Equal(sizes, tc.rows) || labels[0] != tc.first || labels[len(labels)-1] != tc.last {
				t.Fatalf("rows %v labels %q", sizes, labels)
			}
			choices := tc.req.Choices()
			if ids[len(ids)-1] != fmt.Sprintf("%s:p:%d", ActionRate, choices[len(choices)-1]) {
				t.Fatalf("custom ids %q", ids)
			}
		})
	}
}
