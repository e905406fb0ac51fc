package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// csatEnv is an inbox with the CSAT consumer running and a scheduler driven
// by hand (RunDue), so a test decides when jobs run.
type csatEnv struct {
	t     *testing.T
	st    *store.Store
	svc   *inbox.Service
	ch    store.Channel
	sched *jobs.Scheduler
	agent *store.Agent
	ctx   context.Context
	n     int
}

func newCSATEnv(t *testing.T, st *store.Store) *csatEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	svc, ch := newService(t, st)
	sched := jobs.New(st, jobs.Options{})
	if err := svc.EnableSurveys(ctx, sched); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.RunConsumers(ctx, fastConsume("a")) }()
	t.Cleanup(func() { cancel(); <-done })
	a := &store.Agent{Email: "agent@example.com", Name: "박상담", Role: store.RoleAgent, Active: true}
	if err := st.CreateAgent(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetCSATSetting(ctx, ch.ID, inbox.SurveySettingInput{Enabled: true, QuestionKo: "만족하셨나요?"}); err != nil {
		t.Fatal(err)
	}
	return &csatEnv{t: t, st: st, svc: svc, ch: ch, sched: sched, agent: a, ctx: ctx}
}

// ticket makes a ticket with a customer message and, when answered, an
// agent reply.
func (e *csatEnv) ticket(answered bool) int64 {
	e.t.Helper()
	e.n++
	r, err := e.svc.Ingest(e.ctx, msg(e.ch, fmt.Sprintf("m-%d", e.n), fmt.Sprintf("t-%d", e.n), "환불 문의"))
	if err != nil {
		e.t.Fatal(err)
	}
	if answered {
		if _, err := e.svc.Reply(e.ctx, inbox.ReplyInput{TicketID: r.TicketID, AgentID: e.agent.ID, Text: "처리했습니다"}); err != nil {
			e.t.Fatal(err)
		}
	}
	return r.TicketID
}

func (e *csatEnv) status(id int64, s string) {
	e.t.Helper()
	if _, err := e.svc.UpdateTicket(e.ctx, id, e.agent.ID, inbox.TicketPatch{Status: &s}); err != nil {
		e.t.Fatal(err)
	}
}

// consumed waits until the CSAT consumer has passed every stored event.
func (e *csatEnv) consumed() {
	waitConsumed(e.t, e.st, inbox.CSATConsumerName)
}

func (e *csatEnv) jobs(ticketID int64) []store.Job {
	e.t.Helper()
	var js []store.Job
	if err := e.st.DB.Where("kind = ? AND job_key LIKE ?", inbox.JobCSAT, fmt.Sprintf("ticket:%d:%%", ticketID)).Order("id").Find(&js).Error; err != nil {
		e.t.Fatal(err)
	}
	return js
}

func (e *csatEnv) surveys(ticketID int64) []store.Survey {
	e.t.Helper()
	out, err := e.svc.Surveys(e.ctx, store.SurveyFilter{TicketIDs: []int64{ticketID}})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *csatEnv) runDue() {
	e.t.Helper()
	if _, err := e.sched.RunDue(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

// TestCSATOnResolve: resolving an answered ticket asks once; a replayed
// schedule, a second run and a re-resolve without reopening ask nothing
// more; reopening and resolving again is a new round.
func TestCSATOnResolve(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newCSATEnv(t, st)
		id := e.ticket(true)
		e.status(id, store.StatusResolved)
		e.consumed()
		js := e.jobs(id)
		if len(js) != 1 || js[0].Status != store.JobPending {
			t.Fatalf("jobs after resolve = %+v, want one pending", js)
		}
		e.runDue()
		sv := e.surveys(id)
		if len(sv) != 1 {
			t.Fatalf("surveys = %d, want 1", len(sv))
		}
		s := sv[0]
		if s.Kind != store.SurveyCSAT || s.ChannelID != e.ch.ID || s.AgentID == nil || *s.AgentID != e.agent.ID || s.MessageID == nil || s.Score != nil {
			t.Fatalf("survey = %+v", s)
		}
		var out store.Outbox
		if err := st.DB.Where("message_id = ?", *s.MessageID).Take(&out).Error; err != nil {
			t.Fatal(err)
		}
		if out.Payload.Int("survey_id") != s.ID || out.ChannelID != e.ch.ID {
			t.Fatalf("outbox = %+v", out)
		}
		m, err := e.svc.Message(e.ctx, *s.MessageID)
		if err != nil || m.Text != "만족하셨나요?" || m.Direction != store.DirOutbound {
			t.Fatalf("request message = %+v, %v", m, err)
		}
		// The same job key again is a no-op; running again sends nothing.
		if added, err := e.sched.Schedule(e.ctx, jobs.Spec{Kind: inbox.JobCSAT, Key: js[0].Key}); err != nil || added {
			t.Fatalf("schedule again: added=%v err=%v", added, err)
		}
		e.runDue()
		if n := len(e.surveys(id)); n != 1 {
			t.Fatalf("surveys after a second run = %d", n)
		}
		// Reopened and resolved again: a second round.
		e.status(id, store.StatusOpen)
		e.status(id, store.StatusResolved)
		e.consumed()
		e.runDue()
		if n := len(e.surveys(id)); n != 2 {
			t.Fatalf("surveys after a second resolution = %d, want 2", n)
		}
	})
}

// TestCSATSkips: no request for a bot-only (unanswered), spam, merged or
// reopened ticket, nor on a channel with the survey off.
func TestCSATSkips(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newCSATEnv(t, st)
		unanswered := e.ticket(false)
		e.status(unanswered, store.StatusResolved)

		spam := e.ticket(true)
		tags := []string{"Spam"}
		if _, err := e.svc.UpdateTicket(e.ctx, spam, e.agent.ID, inbox.TicketPatch{Tags: &tags}); err != nil {
			t.Fatal(err)
		}
		e.status(spam, store.StatusResolved)

		into, merged := e.ticket(true), e.ticket(true)
		if err := e.svc.MergeTickets(e.ctx, into, merged, e.agent.ID); err != nil {
			t.Fatal(err)
		}

		reopened := e.ticket(true)
		e.status(reopened, store.StatusResolved)
		e.consumed()
		if n := len(e.jobs(reopened)); n != 1 {
			t.Fatalf("jobs of the reopened ticket = %d", n)
		}
		e.status(reopened, store.StatusOpen) // before the job runs
		e.consumed()
		e.runDue()

		for name, id := range map[string]int64{"unanswered": unanswered, "spam": spam, "merged": merged, "reopened": reopened} {
			if n := len(e.surveys(id)); n != 0 {
				t.Errorf("%s ticket: %d surveys, want 0", name, n)
			}
		}
		if n := len(e.jobs(unanswered)) + len(e.jobs(spam)) + len(e.jobs(merged)); n != 0 {
			t.Errorf("jobs for skipped tickets = %d", n)
		}

		if _, err := e.svc.SetCSATSetting(e.ctx, e.ch.ID, inbox.SurveySettingInput{Enabled: false}); err != nil {
			t.Fatal(err)
		}
		off := e.ticket(true)
		e.status(off, store.StatusResolved)
		e.consumed()
		if n := len(e.jobs(off)); n != 0 {
			t.Errorf("jobs with the survey off = %d", n)
		}
	})
}

// TestCSATDelay: the job is due after the channel's delay.
func TestCSATDelay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newCSATEnv(t, st)
		if _, err := e.svc.SetCSATSetting(e.ctx, e.ch.ID, inbox.SurveySettingInput{Enabled: true, Delay: 2 * time.Hour}); err != nil {
			t.Fatal(err)
		}
		id := e.ticket(true)
		before := time.Now()
		e.status(id, store.StatusResolved)
		e.consumed()
		js := e.jobs(id)
		if len(js) != 1 || js[0].DueAt.Before(before.Add(2*time.Hour-time.Minute)) {
			t.Fatalf("jobs = %+v, want one due in 2h", js)
		}
		e.runDue()
		if n := len(e.surveys(id)); n != 0 {
			t.Fatalf("a delayed survey went out at once")
		}
	})
}

// TestCSATAnswer: rating tokens bind survey and ticket; forged, other-ticket
// and expired tokens are refused; the same answer twice is one answer; the
// last answer wins; a low score is flagged in the durable event.
func TestCSATAnswer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newCSATEnv(t, st)
		id := e.ticket(true)
		e.status(id, store.StatusResolved)
		e.consumed()
		e.runDue()
		sv := e.surveys(id)[0]
		u, err := e.svc.SurveyURL(e.ctx, &sv)
		if err != nil {
			t.Fatal(err)
		}
		token := u[strings.LastIndex(u, "/s/")+3:]
		a, err := e.svc.OpenSurvey(e.ctx, token)
		if err != nil || a.Survey.ID != sv.ID || a.Closed || a.Question != "만족하셨나요?" {
			t.Fatalf("open = %+v, %v", a, err)
		}

		key, err := st.Secret(e.ctx, "conversation_links", 32)
		if err != nil {
			t.Fatal(err)
		}
		other := e.ticket(true)
		bad := map[string]string{
			"forged":       token[:len(token)-2] + "xx",
			"other ticket": inbox.SurveyToken(key, sv.PublicID, other),
			"link token":   inbox.LinkToken(key, sv.PublicID, id),
			"unknown":      inbox.SurveyToken(key, inbox.NewPublicID(), id),
			"garbage":      "a.b",
			"wrong key":    inbox.SurveyToken([]byte("not the server key"), sv.PublicID, id),
		}
		for name, tok := range bad {
			if _, err := e.svc.AnswerSurvey(e.ctx, tok, 5, ""); !errors.Is(err, inbox.ErrSurveyInvalid) {
				t.Errorf("%s token: err = %v, want ErrSurveyInvalid", name, err)
			}
		}
		if _, err := e.svc.AnswerSurvey(e.ctx, token, 6, ""); !errors.Is(err, inbox.ErrInvalid) {
			t.Errorf("score 6: err = %v", err)
		}

		sub := e.svc.Bus().Subscribe(e.ctx, 16, func(ev inbox.Event) bool { return ev.Type == inbox.EventSurveyAnswered })
		for range 2 { // a double click
			if _, err := e.svc.AnswerSurvey(e.ctx, token, 2, ""); err != nil {
				t.Fatal(err)
			}
		}
		ev := <-sub
		if ev.Survey == nil || ev.Survey.Score != 2 || !ev.Survey.Low || ev.TicketID != id || ev.ID == 0 {
			t.Fatalf("answered event = %+v", ev)
		}
		if a, err = e.svc.AnswerSurvey(e.ctx, token, 5, "빨리 해결해 주셨어요"); err != nil || *a.Survey.Score != 5 {
			t.Fatalf("second answer: %+v %v", a, err)
		}
		if ev := <-sub; ev.Survey.Low || ev.Survey.Previous == nil || *ev.Survey.Previous != 2 {
			t.Fatalf("second answer event = %+v", ev.Survey)
		}
		got := e.surveys(id)[0]
		if got.Score == nil || *got.Score != 5 || got.Comment != "빨리 해결해 주셨어요" || got.Answers != 2 || got.AnsweredAt == nil {
			t.Fatalf("stored answer = %+v", got)
		}
		var evs int64
		st.DB.Model(&store.Event{}).Where("type = ?", inbox.EventSurveyAnswered).Count(&evs)
		if evs != 2 {
			t.Fatalf("durable survey.answered events = %d, want 2 (the double click is one)", evs)
		}

		// Past the window: refused, the answer stays.
		if err := st.DB.Model(&store.Survey{}).Where("id = ?", sv.ID).Update("expires_at", time.Now().Add(-time.Minute)).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AnswerSurvey(e.ctx, token, 1, ""); !errors.Is(err, inbox.ErrSurveyExpired) {
			t.Fatalf("expired: err = %v", err)
		}
		if a, err := e.svc.OpenSurvey(e.ctx, token); err != nil || !a.Closed {
			t.Fatalf("expired open = %+v, %v", a, err)
		}
	})
}

// TestCSATDelivery: the dispatcher hands the request to the channel with
// the survey and a text that names the rating page.
func TestCSATDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newCSATEnv(t, st)
		id := e.ticket(true)
		e.status(id, store.StatusResolved)
		e.consumed()
		e.runDue()
		f := &notifySender{sent: make(chan *inbox.Outbound, 16)}
		go func() { _ = e.svc.RunDispatcher(e.ctx, senders{e.ch.ID: f}, fastDispatch()) }()
		// Each send arrives on the channel; the timer only bounds a hang.
		var out *inbox.Outbound
		hang := time.NewTimer(60 * time.Second)
		defer hang.Stop()
		for out == nil {
			select {
			case o := <-f.sent:
				if o.Survey != nil {
					out = o
				}
			case <-hang.C:
				t.Fatal("survey request not delivered")
			}
		}
		if out.Survey.Scale != 5 || out.Survey.Locale != "ko" || !strings.Contains(out.Text, out.Survey.URL) ||
			!strings.Contains(out.Survey.ScoreURL(4), "score=4") {
			t.Fatalf("outbound survey = %+v text %q", out.Survey, out.Text)
		}
	})
}

// TestCSATAnswerAsContact: a chat answers by survey id for its contact only;
// pending surveys list the unanswered ones with their request messages.
func TestCSATAnswerAsContact(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newCSATEnv(t, st)
		id := e.ticket(true)
		e.status(id, store.StatusResolved)
		e.consumed()
		e.runDue()
		sv := e.surveys(id)[0]
		reqs, msgs, err := e.svc.PendingSurveys(e.ctx, sv.ContactID)
		if err != nil || len(reqs) != 1 || reqs[0].PublicID != sv.PublicID || msgs[0] != *sv.MessageID || reqs[0].Thanks == "" {
			t.Fatalf("pending = %+v %v %v", reqs, msgs, err)
		}
		if _, err := e.svc.AnswerSurveyAs(e.ctx, sv.ContactID+1000, sv.PublicID, 5, ""); !errors.Is(err, inbox.ErrSurveyInvalid) {
			t.Fatalf("another contact: err = %v", err)
		}
		if _, err := e.svc.AnswerSurveyAs(e.ctx, sv.ContactID, "nope", 5, ""); !errors.Is(err, inbox.ErrSurveyInvalid) {
			t.Fatalf("unknown survey: err = %v", err)
		}
		if a, err := e.svc.AnswerSurveyAs(e.ctx, sv.ContactID, sv.PublicID, 3, "보통"); err != nil || *a.Survey.Score != 3 {
			t.Fatalf("own answer: %+v %v", a, err)
		}
		if reqs, _, _ := e.svc.PendingSurveys(e.ctx, sv.ContactID); len(reqs) != 0 {
			t.Fatalf("still pending after the answer: %+v", reqs)
		}
	})
}

// TestCSATThumbsScale: a channel on the thumbs scale offers 1 and 5 only
// (so scores and reports stay on 1–5): 3 is refused, 5 is recorded; an
// unknown scale is refused.
func TestCSATThumbsScale(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newCSATEnv(t, st)
		if _, err := e.svc.SetCSATSetting(e.ctx, e.ch.ID, inbox.SurveySettingInput{Enabled: true, Scale: "stars"}); !errors.Is(err, inbox.ErrInvalid) {
			t.Fatalf("unknown scale: %v", err)
		}
		if _, err := e.svc.SetCSATSetting(e.ctx, e.ch.ID, inbox.SurveySettingInput{Enabled: true, Scale: inbox.ScaleThumbs}); err != nil {
			t.Fatal(err)
		}
		id := e.ticket(true)
		e.status(id, store.StatusResolved)
		e.consumed()
		e.runDue()
		sv := e.surveys(id)
		if len(sv) != 1 {
			t.Fatalf("surveys = %d", len(sv))
		}
		reqs, _, err := e.svc.PendingSurveys(e.ctx, sv[0].ContactID)
		if err != nil || len(reqs) != 1 || reqs[0].Style != inbox.ScaleThumbs || fmt.Sprint(reqs[0].Choices()) != "[1 5]" {
			t.Fatalf("request %+v %v", reqs, err)
		}
		u, err := e.svc.SurveyURL(e.ctx, &sv[0])
		if err != nil {
			t.Fatal(err)
		}
		tok := u[strings.LastIndex(u, "/s/")+3:]
		if _, err := e.svc.AnswerSurvey(e.ctx, tok, 3, ""); !errors.Is(err, inbox.ErrInvalid) {
			t.Fatalf("3 on thumbs: %v", err)
		}
		a, err := e.svc.AnswerSurvey(e.ctx, tok, 5, "좋아요")
		if err != nil || *a.Survey.Score != 5 {
			t.Fatalf("answer %+v %v", a, err)
		}
	})
}

// notifySender is a Sender that hands every message it sends to a channel,
// so a test waits for a delivery instead of polling for it.
type notifySender struct{ sent chan *inbox.Outbound }

func (n *notifySender) Send(ctx context.Context, out *inbox.Outbound) (inbox.ExternalRef, error) {
	select {
	case n.sent <- out:
	case <-ctx.Done():
		return inbox.ExternalRef{}, ctx.Err()
	}
	return inbox.ExternalRef{ID: fmt.Sprintf("sent-%d", out.MessageID)}, nil
}
