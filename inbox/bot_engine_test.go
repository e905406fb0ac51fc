package inbox

import (
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store"
)

// seoul is 2026-12-03 (a Thursday) at the given local time in Asia/Seoul.
func seoul(t *testing.T, hhmm string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04", "2026-12-03 "+hhmm, loc)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func testFlow() *store.BotFlow {
	return &store.BotFlow{ID: 1, Enabled: true, GreetingKo: "안녕하세요! 한박스 쇼핑입니다.", GreetingEn: "Hello from Hanbox Shop!", Steps: store.BotSteps{
		{Kind: store.BotStepName, Required: true},
		{Kind: store.BotStepEmail, Required: false},
		{Kind: store.BotStepOrder, Required: false},
		{Kind: store.BotStepDepartment, Required: true, Options: []store.BotOption{
			{LabelKo: "결제", LabelEn: "Billing", TeamID: 7}, {LabelKo: "배송", LabelEn: "Shipping", TeamID: 8}}},
	}}
}

// weekdayHours: 09:00–18:00 Monday to Friday in Asia/Seoul.
var weekdayHours = store.BusinessHours{TimeZone: "Asia/Seoul", Weekly: map[string][][2]string{
	"mon": {{"09:00", "18:00"}}, "tue": {{"09:00", "18:00"}}, "wed": {{"09:00", "18:00"}}, "thu": {{"09:00", "18:00"}}, "fri": {{"09:00", "18:00"}}}}

func envAt(t *testing.T, lang, hhmm string) botEnv {
	return botEnv{Lang: lang, Now: seoul(t, hhmm), Hours: func(id int64) (store.BusinessHours, bool) {
		if id == 7 || id == 8 {
			return weekdayHours, true
		}
		return store.BusinessHours{}, false
	}}
}

func texts(turn botTurn) string {
	var out []string
	for _, r := range turn.Replies {
		out = append(out, r.Text+" ["+strings.Join(r.Choices, "|")+"]")
	}
	return strings.Join(out, " / ")
}

// TestBotSteps walks each step kind with good, bad and skipped answers.
func TestBotSteps(t *testing.T) {
	type msg struct {
		text string
		want string // substring of the turn's replies ("" expects none)
	}
	cases := []struct {
		name   string
		lang   string
		known  string // contact's known email
		msgs   []msg
		status string
		step   int
		team   int64
		ans    map[string]string
	}{
		{name: "start greets and asks the name", lang: "ko", msgs: []msg{{"배송이 안 와요", "안녕하세요! 한박스 쇼핑입니다. [] / 성함을 알려 주세요. [사람과 상담]"}},
			status: store.BotActive, step: 0},
		{name: "english start", lang: "en", msgs: []msg{{"where is my parcel", "Hello from Hanbox Shop! [] / May I have your name? [Talk to a person]"}},
			status: store.BotActive},
		{name: "empty name is asked again", lang: "ko", msgs: []msg{{"문의", "성함"}, {"12345", "성함을 다시 입력해 주세요."}}, status: store.BotActive, step: 0},
		{name: "name then email with skip button", lang: "ko", msgs: []msg{{"문의", "성함"}, {"김민지", "이메일 주소를 알려 주세요. [건너뛰기|사람과 상담]"}},
			status: store.BotActive, step: 1, ans: map[string]string{"name": "김민지"}},
		{name: "bad email is asked again", lang: "en", msgs: []msg{{"hi", "name"}, {"Minji", "email"}, {"minji@", "does not look like an email address. Please try again. [Skip|Talk to a person]"}},
			status: store.BotActive, step: 1},
		{name: "email valid, order asked", lang: "ko", msgs: []msg{{"문의", ""}, {"김민지", ""}, {" Minji@Example.KR ", "주문 번호를 알려 주세요."}},
			status: store.BotActive, step: 2, ans: map[string]string{"email": "minji@example.kr"}},
		{name: "known email is not asked", lang: "ko", known: "kim@example.kr", msgs: []msg{{"문의", ""}, {"김민지", "주문 번호를 알려 주세요."}},
			status: store.BotActive, step: 2},
		{name: "optional email skipped", lang: "ko", msgs: []msg{{"문의", ""}, {"김민지", ""}, {"건너뛰기", "주문 번호"}}, status: store.BotActive, step: 2},
		{name: "bad order number", lang: "ko", msgs: []msg{{"문의", ""}, {"김민지", ""}, {"건너뛰기", ""}, {"주문번호요", "주문 번호는 영문"}}, status: store.BotActive, step: 2},
		{name: "order number then department buttons", lang: "ko", msgs: []msg{{"문의", ""}, {"김민지", ""}, {"건너뛰기", ""}, {"#HB-20261203", "어느 부서와 상담하시겠어요? [결제|배송|사람과 상담]"}},
			status: store.BotActive, step: 3, ans: map[string]string{"order": "HB-20261203"}},
		{name: "unknown department", lang: "ko", msgs: []msg{{"문의", ""}, {"김민지", ""}, {"건너뛰기", ""}, {"건너뛰기", ""}, {"환불팀", "아래 버튼 중 하나를 골라 주세요. [결제|배송|사람과 상담]"}},
			status: store.BotActive, step: 3},
		{name: "department by label in hours routes and hands off", lang: "ko", msgs: []msg{{"문의", ""}, {"김민지", ""}, {"건너뛰기", ""}, {"건너뛰기", ""}, {"배송", "상담원에게 연결해 드릴게요."}},
			status: store.BotHandedOff, step: 4, team: 8, ans: map[string]string{"department": "배송"}},
		{name: "department by english label and number", lang: "en", msgs: []msg{{"hi", ""}, {"Minji", ""}, {"skip", ""}, {"skip", ""}, {"1", "Connecting you with a person"}},
			status: store.BotHandedOff, step: 4, team: 7, ans: map[string]string{"department": "Billing"}},
		{name: "handoff typed at any step", lang: "ko", msgs: []msg{{"문의", ""}, {"사람과 상담할래요", "상담원에게 연결해 드릴게요."}}, status: store.BotHandedOff, step: 0},
		{name: "handoff button in english", lang: "en", msgs: []msg{{"hi", ""}, {"Minji", ""}, {"Talk to a person", "Connecting you"}}, status: store.BotHandedOff, step: 1},
		{name: "quiet after handoff", lang: "ko", msgs: []msg{{"문의", ""}, {"상담원 연결", ""}, {"김민지", ""}}, status: store.BotHandedOff},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := testFlow()
			st := &store.BotState{}
			env := envAt(t, c.lang, "10:00")
			env.KnownEmail = c.known
			var turn botTurn
			for i, m := range c.msgs {
				turn = botAdvance(f, st, m.text, env)
				if env.KnownName == "" && turn.Name != "" {
					env.KnownName = turn.Name
				}
				got := texts(turn)
				if m.want != "" && !strings.Contains(got, m.want) {
					t.Fatalf("message %d %q: replies %q, want %q", i, m.text, got, m.want)
				}
				if m.want == "" && i == len(c.msgs)-1 && c.status == store.BotHandedOff && got != "" {
					t.Fatalf("bot spoke after handoff: %q", got)
				}
			}
			if st.Status != c.status || (c.step != 0 && st.Step != c.step) {
				t.Fatalf("state = %s step %d, want %s step %d", st.Status, st.Step, c.status, c.step)
			}
			if turn.TeamID != c.team {
				t.Fatalf("team = %d, want %d", turn.TeamID, c.team)
			}
			for k, v := range c.ans {
				if st.Answers.String(k) != v {
					t.Fatalf("answer %s = %q, want %q", k, st.Answers.String(k), v)
				}
			}
		})
	}
}

// TestBotOfficeHours: a department outside its team's hours (Asia/Seoul,
// injected clock) says so and asks for an email; with an email known it
// says where the answer will go.
func TestBotOfficeHours(t *testing.T) {
	flow := &store.BotFlow{Steps: store.BotSteps{{Kind: store.BotStepDepartment, Options: []store.BotOption{{LabelKo: "결제", LabelEn: "Billing", TeamID: 7}}}}}
	cases := []struct {
		name, lang, at, known string
		want                  []string // replies after choosing, then after the email
		status                string
	}{
		{name: "in hours", lang: "ko", at: "17:59", want: []string{"상담원에게 연결해 드릴게요."}, status: store.BotHandedOff},
		{name: "after hours asks for an email", lang: "ko", at: "18:00", want: []string{"지금은 상담 시간이 아닙니다 — 이메일을 남겨주세요.", "감사합니다. 상담 시간이 되면 이메일로 답변 드릴게요."},
			status: store.BotHandedOff},
		{name: "before hours in english", lang: "en", at: "08:30", want: []string{"outside business hours right now — please leave your email", "We will reply by email"},
			status: store.BotHandedOff},
		{name: "after hours with a known email", lang: "ko", at: "23:00", known: "kim@example.kr",
			want: []string{"kim@example.kr(으)로 답변 드릴게요. [] / 상담원에게 연결해 드릴게요."}, status: store.BotHandedOff},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := &store.BotState{}
			env := envAt(t, c.lang, c.at)
			env.KnownEmail = c.known
			botAdvance(flow, st, "결제 문의", env)
			turn := botAdvance(flow, st, "결제", env)
			if got := texts(turn); !strings.Contains(got, c.want[0]) {
				t.Fatalf("after choosing: %q, want %q", got, c.want[0])
			}
			if turn.TeamID != 7 {
				t.Fatalf("team %d, want 7 (routed even after hours)", turn.TeamID)
			}
			if len(c.want) > 1 {
				if st.Status != store.BotAwaitEmail {
					t.Fatalf("status %s, want %s", st.Status, store.BotAwaitEmail)
				}
				if got := texts(botAdvance(flow, st, "not an email", env)); !strings.Contains(got, "email") && !strings.Contains(got, "이메일") {
					t.Fatalf("bad email answer: %q", got)
				}
				turn = botAdvance(flow, st, "lee@example.com", env)
				if got := texts(turn); !strings.Contains(got, c.want[1]) || turn.Email != "lee@example.com" || !turn.Handoff {
					t.Fatalf("after email: %q (email %q, handoff %v)", got, turn.Email, turn.Handoff)
				}
			}
			if st.Status != c.status {
				t.Fatalf("status %s, want %s", st.Status, c.status)
			}
		})
	}
}

func TestWantsPerson(t *testing.T) {
	for text, want := range map[string]bool{"사람과 상담": true, "사람 과상담 원해요": true, "상담원 연결해주세요": true, "Talk to a person": true, "talk to a HUMAN please": true,
		"human": true, "사람": true, "배송이 늦어요": false, "my agent id is 3": false, "": false, "결제": false} {
		if got := wantsPerson(text); got != want {
			t.Errorf("wantsPerson(%q) = %v, want %v", text, got, want)
		}
	}
}
