package slack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
)

var rateAction = regexp.MustCompile(`hanbox_rate:([A-Za-z0-9_-]+):4`)

// TestCSATButtonsInCustomerThread: a resolved Slack customer ticket gets
// its rating request in the customer's thread as Block Kit buttons; the
// customer's signed button click records the score (and they see the
// thank-you); another Slack user's click on the same button changes nothing.
func TestCSATButtonsInCustomerThread(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		r := newRig(t, dialect, nil)
		r.waitConnected()
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		sched := jobs.New(r.env.Store, jobs.Options{Poll: 20 * time.Millisecond})
		if err := r.env.Inbox.EnableSurveys(ctx, sched); err != nil {
			t.Fatal(err)
		}
		go r.env.Inbox.RunConsumers(ctx, inbox.ConsumeOptions{Poll: 20 * time.Millisecond})
		go sched.Run(ctx)
		if _, err := r.env.Inbox.SetCSATSetting(ctx, r.slack.ID, inbox.SurveySettingInput{Enabled: true, QuestionKo: "상담은 어떠셨나요?", ThanksKo: "고맙습니다!"}); err != nil {
			t.Fatal(err)
		}
		r.postEvent(r.eventFile("event_customer_message.json", func(env, ev map[string]any) { delete(ev, "files") }))
		r.env.Eventually("ticket from Slack", func() bool { return len(r.env.Tickets()) == 1 })
		tk := r.env.Tickets()[0]
		if _, err := r.env.Inbox.Reply(ctx, inbox.ReplyInput{TicketID: tk.ID, AgentID: r.agent.ID, Text: "처리했습니다"}); err != nil {
			t.Fatal(err)
		}
		resolved := store.StatusResolved
		if _, err := r.env.Inbox.UpdateTicket(ctx, tk.ID, r.agent.ID, inbox.TicketPatch{Status: &resolved}); err != nil {
			t.Fatal(err)
		}
		var blocks, thread string
		r.env.Eventually("rating buttons in the customer thread", func() bool {
			for _, p := range r.fake.Calls("chat.postMessage") {
				if p.Form.Get("channel") == custChan && rateAction.MatchString(p.Form.Get("blocks")) {
					blocks, thread = p.Form.Get("blocks"), p.Form.Get("thread_ts")
					return true
				}
			}
			return false
		})
		if thread != "1764000200.000300" || !regexp.MustCompile(`매우 만족`).MatchString(blocks) {
			t.Fatalf("thread %q blocks %s", thread, blocks)
		}
		publicID := rateAction.FindStringSubmatch(blocks)[1]
		click := func(user, team, score, trigger string) {
			t.Helper()
			p := map[string]any{
				"type": "block_actions", "trigger_id": trigger,
				"user": map[string]any{"id": user, "team_id": team}, "team": map[string]any{"id": team},
				"channel":   map[string]any{"id": custChan},
				"container": map[string]any{"type": "message", "channel_id": custChan, "message_ts": "1764000600.000100", "thread_ts": thread},
				"actions": []map[string]any{{"action_id": "hanbox_rate:" + publicID + ":" + score, "block_id": "hanbox_survey:" + publicID,
					"value": score, "type": "button", "action_ts": "1764000700.000100"}},
			}
			b, _ := json.Marshal(p)
			body := []byte(url.Values{"payload": {string(b)}}.Encode())
			if code := r.post("/interactions", body, time.Now(), signSecret, nil); code != http.StatusOK {
				t.Fatalf("interaction answered %d", code)
			}
		}
		survey := func() store.Survey {
			var sv store.Survey
			if err := r.env.Store.DB.Where("public_id = ?", publicID).Take(&sv).Error; err != nil {
				t.Fatal(err)
			}
			return sv
		}
		click(customerU, "T0CUSTOMR", "4", "trig.customer")
		r.env.Eventually("rating stored", func() bool { sv := survey(); return sv.Score != nil && *sv.Score == 4 })
		r.env.Eventually("thank-you only the customer sees", func() bool {
			for _, p := range r.fake.Calls("chat.postEphemeral") {
				if p.Form.Get("user") == customerU && p.Form.Get("text") == "고맙습니다!" {
					return true
				}
			}
			return false
		})
		// Someone else in the channel clicks 1: they are told it is not
		// theirs, and nothing changes.
		click("U0AGENT01", "T0HANBOX1", "1", "trig.other")
		r.env.Eventually("the other user is told", func() bool {
			for _, p := range r.fake.Calls("chat.postEphemeral") {
				if p.Form.Get("user") == "U0AGENT01" && regexp.MustCompile(`Only the customer`).MatchString(p.Form.Get("text")) {
					return true
				}
			}
			return false
		})
		if sv := survey(); *sv.Score != 4 || sv.Answers != 1 {
			t.Fatalf("after another user's click: %+v", sv)
		}
	})
}
