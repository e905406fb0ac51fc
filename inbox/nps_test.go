package inbox_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestNPSRoundDue: rounds are calendar days in the contact's zone, at the
// same wall-clock time, across month ends, leap days, day boundaries that
// differ from UTC's, and daylight saving.
func TestNPSRoundDue(t *testing.T) {
	utc := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	cases := []struct {
		name  string
		first time.Time
		zone  string
		days  int
		local string // the due time in the zone
		utc   time.Time
	}{
		{"Jan 31 + 30 in Seoul", utc(2026, 1, 31, 1, 0), "Asia/Seoul", 30, "2026-03-02 10:00", utc(2026, 3, 2, 1, 0)},
		{"Seoul's Feb 1 is UTC's Jan 31", utc(2026, 1, 31, 20, 0), "Asia/Seoul", 30, "2026-03-03 05:00", utc(2026, 3, 2, 20, 0)},
		{"same instant in UTC", utc(2026, 1, 31, 20, 0), "UTC", 30, "2026-03-02 20:00", utc(2026, 3, 2, 20, 0)},
		{"Los Angeles", utc(2026, 1, 31, 20, 0), "America/Los_Angeles", 30, "2026-03-02 12:00", utc(2026, 3, 2, 20, 0)},
		{"across the DST change keeps 09:00", utc(2026, 3, 1, 14, 0), "America/New_York", 30, "2026-03-31 09:00", utc(2026, 3, 31, 13, 0)},
		{"into a leap day", utc(2027, 12, 31, 3, 0), "Asia/Seoul", 60, "2028-02-29 12:00", utc(2028, 2, 29, 3, 0)},
		{"Aug 31 + 90", utc(2026, 8, 31, 3, 0), "Asia/Seoul", 90, "2026-11-29 12:00", utc(2026, 11, 29, 3, 0)},
		{"Oct 31 + 180 past midnight", utc(2026, 10, 31, 15, 30), "Asia/Seoul", 180, "2027-04-30 00:30", utc(2027, 4, 29, 15, 30)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			loc := zone(t, c.zone)
			// As round 0 (FirstDays) and as a repeat after a first round at day 0.
			for r, plan := range []struct {
				first   int
				repeats []int
			}{{c.days, nil}, {0, []int{c.days}}} {
				due, ok := inbox.NPSRoundDue(c.first, loc, plan.first, plan.repeats, r)
				if !ok || due.Format("2006-01-02 15:04") != c.local || !due.Equal(c.utc) {
					t.Errorf("round %d: %v %v, want %s (%v)", r, due, ok, c.local, c.utc)
				}
			}
		})
	}
	if _, ok := inbox.NPSRoundDue(utc(2026, 1, 1, 0, 0), time.UTC, 7, []int{30, 60}, 3); ok {
		t.Error("a round past the list is due")
	}
	// The latest round due: the 30/60/90/180 preset, first round 7 days in.
	first := utc(2026, 1, 31, 1, 0)
	seoul := zone(t, "Asia/Seoul")
	for _, c := range []struct {
		at    time.Time
		round int
		ok    bool
	}{
		{utc(2026, 2, 6, 0, 0), 0, false}, // before day 7
		{utc(2026, 2, 7, 1, 0), 0, true},  // day 7 exactly
		{utc(2026, 3, 9, 1, 0), 1, true},  // day 37 = 7 + 30
		{utc(2026, 4, 8, 0, 59), 1, true}, // a minute before day 67
		{utc(2026, 8, 30, 1, 0), 4, true}, // day 211 = 7 + 180 (+24 h horizon not applied here)
		{utc(2030, 1, 1, 0, 0), 4, true},  // after the last round: still the last
	} {
		r, _, ok := inbox.NPSLatestRound(first, seoul, 7, inbox.NPSPresetRepeats, c.at)
		if r != c.round || ok != c.ok {
			t.Errorf("at %v: round %d %v, want %d %v", c.at, r, ok, c.round, c.ok)
		}
	}
}

func TestQuietUntil(t *testing.T) {
	seoul := zone(t, "Asia/Seoul")
	kst := func(d, h, m int) time.Time { return time.Date(2026, 1, d, h, m, 0, 0, seoul) }
	for _, c := range []struct {
		at         time.Time
		start, end string
		until      time.Time // zero: not quiet
	}{
		{kst(31, 22, 30), "21:00", "09:00", time.Date(2026, 2, 1, 9, 0, 0, 0, seoul)}, // across a month end
		{kst(31, 8, 59), "21:00", "09:00", kst(31, 9, 0)},
		{kst(31, 9, 0), "21:00", "09:00", time.Time{}},
		{kst(31, 21, 0), "21:00", "09:00", time.Date(2026, 2, 1, 9, 0, 0, 0, seoul)},
		{kst(31, 12, 0), "21:00", "09:00", time.Time{}},
		{kst(31, 12, 30), "12:00", "13:00", kst(31, 13, 0)},
		{kst(31, 12, 30), "", "", time.Time{}},
		{time.Date(2026, 1, 31, 13, 30, 0, 0, time.UTC), "21:00", "09:00", time.Date(2026, 2, 1, 9, 0, 0, 0, seoul)}, // 22:30 in Seoul
	} {
		until, quiet := inbox.QuietUntil(c.at, seoul, c.start, c.end)
		if quiet != !c.until.IsZero() || (quiet && !until.Equal(c.until)) {
			t.Errorf("%v %s–%s: %v %v, want %v", c.at, c.start, c.end, until, quiet, c.until)
		}
	}
}

// npsEnv is an inbox with an email channel, contacts whose first
// conversation is at a chosen time, and a scheduler on a test clock driven
// by hand.
type npsEnv struct {
	t     *testing.T
	st    *store.Store
	svc   *inbox.Service
	ch    store.Channel
	sched *jobs.Scheduler
	nps   *inbox.NPS
	ctx   context.Context
	mu    sync.Mutex
	clock time.Time
}

func newNPSEnv(t *testing.T, st *store.Store, at time.Time) *npsEnv {
	t.Helper()
	e := &npsEnv{t: t, st: st, ctx: t.Context(), clock: at}
	e.svc = inbox.New(st, inbox.Options{})
	e.ch = store.Channel{Kind: "email", Name: "mail", PublicKey: inbox.NewPublicID(), Enabled: true}
	if err := st.DB.Create(&e.ch).Error; err != nil {
		t.Fatal(err)
	}
	e.sched = jobs.New(st, jobs.Options{Now: e.now})
	e.nps = e.svc.EnableNPS(e.sched)
	return e
}

func (e *npsEnv) now() time.Time  { e.mu.Lock(); defer e.mu.Unlock(); return e.clock }
func (e *npsEnv) set(t time.Time) { e.mu.Lock(); e.clock = t; e.mu.Unlock() }

// contact makes a contact with an address whose first conversation began at first.
func (e *npsEnv) contact(addr string, first time.Time) int64 {
	e.t.Helper()
	r, err := e.svc.Ingest(e.ctx, &inbox.Inbound{ChannelID: e.ch.ID, ExternalID: "m-" + addr, ThreadKeys: []string{"t-" + addr},
		OwnKeys: []string{"t-" + addr}, Contact: inbox.ContactRef{Kind: inbox.IdentityEmail, ID: addr, Verified: true, Name: addr}, Text: "문의"})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.DB.Model(&store.Ticket{}).Where("id = ?", r.TicketID).Update("created_at", first).Error; err != nil {
		e.t.Fatal(err)
	}
	var tk store.Ticket
	if err := e.st.DB.Take(&tk, r.TicketID).Error; err != nil {
		e.t.Fatal(err)
	}
	return tk.ContactID
}

func (e *npsEnv) runDue() {
	e.t.Helper()
	for range 10 { // a planner run schedules sends that are due at once
		n, err := e.sched.RunDue(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func (e *npsEnv) surveys(contactID int64) []store.Survey {
	e.t.Helper()
	out, err := e.svc.Surveys(e.ctx, store.SurveyFilter{Kind: store.SurveyNPS, ContactID: contactID})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *npsEnv) count(model any, where string, args ...any) int64 {
	e.t.Helper()
	var n int64
	if err := e.st.DB.Model(model).Where(where, args...).Count(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestNPSRounds: a definition's planner asks each contact of its audience
// once per round, by email, and honours opt-outs, the audience tag, the NPS
// frequency cap and quiet hours in the contact's time zone; answers score
// 0–10 and NPS is promoters minus detractors.
func TestNPSRounds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		seoul := zone(t, "Asia/Seoul")
		first := time.Date(2026, 1, 31, 10, 0, 0, 0, seoul) // a month end
		// Day 30 at noon in Seoul: round 0 (FirstDays 30) is due.
		e := newNPSEnv(t, st, time.Date(2026, 3, 2, 12, 0, 0, 0, seoul).UTC())
		a := e.contact("a@customer.test", first)
		b := e.contact("b@customer.test", first)
		opted := e.contact("c@customer.test", first)
		late := e.contact("d@customer.test", first.AddDate(0, 0, 20)) // not due yet
		if err := e.svc.OptOut(e.ctx, opted, inbox.TopicSurveys, "link"); err != nil {
			t.Fatal(err)
		}
		def, err := e.nps.Create(e.ctx, inbox.NPSSurveyInput{Name: "분기 NPS", Enabled: true, QuestionKo: "추천하시겠어요?",
			WhyKo: "이유는요?", FirstDays: 30, RepeatDays: []int{60}, ByEmail: true})
		if err != nil {
			t.Fatal(err)
		}
		if def.CapAnyDays != 30 || def.CapNPSDays != 90 || def.QuietStart != "21:00" || def.TimeZone != "Asia/Seoul" {
			t.Fatalf("defaults: %+v", def)
		}
		e.runDue()
		for _, c := range []int64{a, b} {
			svs := e.surveys(c)
			if len(svs) != 1 || *svs[0].NPSRound != 0 || svs[0].MessageID == nil {
				t.Fatalf("contact %d: %+v", c, svs)
			}
			if n := e.count(&store.Outbox{}, "message_id = ?", *svs[0].MessageID); n != 1 {
				t.Fatalf("contact %d: %d outbox rows", c, n)
			}
		}
		if len(e.surveys(opted)) != 0 || len(e.surveys(late)) != 0 {
			t.Fatal("an opted-out or not-yet-due contact was asked")
		}
		// Planning again (and running due jobs) adds nothing.
		st1, err := e.nps.Plan(e.ctx, def, e.now())
		if err != nil || st1.Scheduled != 0 || st1.Contacts != 3 {
			t.Fatalf("replan: %+v %v", st1, err)
		}
		e.runDue()
		if n := e.count(&store.Survey{}, "kind = ?", store.SurveyNPS); n != 2 {
			t.Fatalf("%d surveys after replanning, want 2", n)
		}

		// Answer: 0–10 on the signed link; 11 is refused; NPS counts. (The
		// window runs on the real clock, and the test's is in the past.)
		if err := st.DB.Model(&store.Survey{}).Where("1 = 1").Update("expires_at", time.Now().Add(time.Hour)).Error; err != nil {
			t.Fatal(err)
		}
		sa := e.surveys(a)[0]
		u, err := e.svc.SurveyURL(e.ctx, &sa)
		if err != nil {
			t.Fatal(err)
		}
		tok := u[strings.LastIndex(u, "/s/")+3:]
		acc, err := e.svc.OpenSurvey(e.ctx, tok)
		if err != nil || acc.Min != 0 || acc.Scale != 10 || acc.Question != "추천하시겠어요?" || acc.Why != "이유는요?" {
			t.Fatalf("open: %+v %v", acc, err)
		}
		if _, err := e.svc.AnswerSurvey(e.ctx, tok, 11, ""); err == nil {
			t.Fatal("11 accepted")
		}
		if _, err := e.svc.AnswerSurvey(e.ctx, tok, 0, "비싸요"); err != nil {
			t.Fatal(err)
		}
		sb := e.surveys(b)[0]
		ub, _ := e.svc.SurveyURL(e.ctx, &sb)
		if _, err := e.svc.AnswerSurvey(e.ctx, ub[strings.LastIndex(ub, "/s/")+3:], 10, ""); err != nil {
			t.Fatal(err)
		}
		// A detractor's answer is low (for the low-rating rules); a promoter's is not.
		var answered []store.Event
		st.DB.Where("type = ?", inbox.EventSurveyAnswered).Order("id").Find(&answered)
		if len(answered) != 2 || !strings.Contains(answered[0].Payload, `"low":true`) || strings.Contains(answered[1].Payload, `"low":true`) {
			t.Fatalf("survey.answered events: %+v", answered)
		}
		score, err := e.svc.NPSScore(e.ctx, store.SurveyFilter{NPSSurveyID: def.ID})
		if err != nil || score.Answers != 2 || score.Promoters != 1 || score.Detractors != 1 || score.Score() != 0 {
			t.Fatalf("nps %+v %v", score, err)
		}

		// Round 1 (day 90): the NPS cap (90 days since the first request)
		// postpones it to May 31, 12:00 Seoul.
		e.set(time.Date(2026, 5, 1, 12, 0, 0, 0, seoul).UTC()) // day 90 (Jan 31 + 90 = May 1)
		if _, err := e.nps.Plan(e.ctx, def, e.now()); err != nil {
			t.Fatal(err)
		}
		e.runDue()
		if len(e.surveys(a)) != 1 {
			t.Fatal("round 1 sent inside the 90-day NPS cap")
		}
		j, err := e.sched.Get(e.ctx, inbox.JobNPSSend, fmt.Sprintf("survey:%d:contact:%d:round:1", def.ID, a))
		if err != nil {
			t.Fatal(err)
		}
		if want := sa.RequestedAt.AddDate(0, 0, 90); j.Status != store.JobPending || !j.DueAt.Equal(want) {
			t.Fatalf("capped job: %s due %v, want pending at %v", j.Status, j.DueAt, want)
		}
		// At the cap's end it is 23:00 in Seoul: quiet until 09:00.
		e.set(time.Date(2026, 5, 31, 23, 0, 0, 0, seoul).UTC())
		if err := st.DB.Model(&store.Job{}).Where("id = ?", j.ID).Update("due_at", e.now()).Error; err != nil {
			t.Fatal(err)
		}
		e.runDue()
		j, _ = e.sched.Get(e.ctx, inbox.JobNPSSend, j.Key)
		if want := time.Date(2026, 6, 1, 9, 0, 0, 0, seoul); len(e.surveys(a)) != 1 || !j.DueAt.Equal(want) {
			t.Fatalf("quiet hours: due %v, want %v", j.DueAt, want)
		}
		e.set(time.Date(2026, 6, 1, 9, 0, 0, 0, seoul).UTC())
		e.runDue()
		if svs := e.surveys(a); len(svs) != 2 || *svs[0].NPSRound != 1 {
			t.Fatalf("round 1 after quiet hours: %+v", svs)
		}

		// A tag audience: only contacts with a VIP ticket.
		vipC := e.contact("vip@customer.test", e.now().AddDate(0, 0, -1))
		var tv store.Ticket
		st.DB.Where("contact_id = ?", vipC).Take(&tv)
		if err := st.DB.Create(&store.TicketTag{TicketID: tv.ID, Tag: "VIP"}).Error; err != nil {
			t.Fatal(err)
		}
		vip, err := e.nps.Create(e.ctx, inbox.NPSSurveyInput{Name: "VIP", Enabled: true, AudienceTag: "vip", ByEmail: true})
		if err != nil {
			t.Fatal(err)
		}
		if ps, err := e.nps.Plan(e.ctx, vip, e.now()); err != nil || ps.Contacts != 1 {
			t.Fatalf("VIP audience: %+v %v", ps, err)
		}
		e.runDue()
		if n := e.count(&store.Survey{}, "nps_survey_id = ? AND contact_id = ?", vip.ID, vipC); n != 1 {
			t.Fatalf("VIP contact asked %d times", n)
		}
		if n := e.count(&store.Survey{}, "nps_survey_id = ? AND contact_id <> ?", vip.ID, vipC); n != 0 {
			t.Fatalf("%d non-VIP contacts asked", n)
		}
		if n := e.count(&store.Survey{}, "contact_id = ?", opted); n != 0 {
			t.Fatalf("the contact who opted out was asked %d times", n)
		}
	})
}

// TestNPSTwoSchedulers: two schedulers run the same send round at once;
// each contact is asked once.
func TestNPSTwoSchedulers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		seoul := zone(t, "Asia/Seoul")
		first := time.Date(2026, 1, 31, 10, 0, 0, 0, seoul)
		e := newNPSEnv(t, st, time.Date(2026, 3, 2, 12, 0, 0, 0, seoul).UTC())
		const contacts = 40
		for i := range contacts {
			e.contact(fmt.Sprintf("c%d@customer.test", i), first)
		}
		def, err := e.nps.Create(e.ctx, inbox.NPSSurveyInput{Name: "NPS", Enabled: true, FirstDays: 30, ByEmail: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.nps.Plan(e.ctx, def, e.now()); err != nil {
			t.Fatal(err)
		}
		other := jobs.New(st, jobs.Options{Now: e.now})
		e.svc.EnableNPS(other)
		var wg sync.WaitGroup
		for _, s := range []*jobs.Scheduler{e.sched, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 50 {
					n, err := s.RunDue(e.ctx)
					if err != nil {
						t.Error(err)
						return
					}
					if n == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
		e.runDue()
		var per []struct {
			ContactID int64
			N         int64
		}
		st.DB.Model(&store.Survey{}).Select("contact_id, COUNT(*) AS n").Where("kind = ?", store.SurveyNPS).Group("contact_id").Scan(&per)
		if len(per) != contacts {
			t.Fatalf("%d contacts asked, want %d", len(per), contacts)
		}
		for _, p := range per {
			if p.N != 1 {
				t.Fatalf("contact %d asked %d times", p.ContactID, p.N)
			}
		}
		if n := e.count(&store.Outbox{}, "1 = 1"); n != contacts {
			t.Fatalf("%d outbox rows, want %d", n, contacts)
		}
	})
}

// TestNPSKilledDuringSendRound runs a send round in a child process and
// kills it (SIGKILL) while one send's transaction is open and others are
// claimed; a new scheduler after the leases end asks every contact once.
func TestNPSKilledDuringSendRound(t *testing.T) {
	if os.Getenv("HANBOX_NPS_CHILD") != "" {
		npsCrashChild(t)
		return
	}
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			cfg := store.Config{DataDir: t.TempDir()}
			if d == store.Postgres {
				cfg.DatabaseURL = storetest.PostgresDSN(t)
			}
			st, err := store.Open(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			seoul := zone(t, "Asia/Seoul")
			at := time.Date(2026, 3, 2, 12, 0, 0, 0, seoul).UTC()
			e := newNPSEnv(t, st, at)
			const contacts = 12
			for i := range contacts {
				e.contact(fmt.Sprintf("c%d@customer.test", i), time.Date(2026, 1, 31, 10, 0, 0, 0, seoul))
			}
			def, err := e.nps.Create(e.ctx, inbox.NPSSurveyInput{Name: "NPS", Enabled: true, FirstDays: 30, ByEmail: true})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.nps.Plan(e.ctx, def, at); err != nil {
				t.Fatal(err)
			}

			cmd := exec.Command(os.Args[0], "-test.run=^TestNPSKilledDuringSendRound$")
			cmd.Env = append(os.Environ(), "HANBOX_NPS_CHILD=1", "HANBOX_NPS_DIR="+cfg.DataDir, "HANBOX_NPS_DSN="+cfg.DatabaseURL,
				"HANBOX_NPS_AT="+at.Format(time.RFC3339Nano))
			out, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(out)
			sent, mid := 0, false
			for sc.Scan() {
				switch {
				case strings.HasPrefix(sc.Text(), "SENT"):
					sent++
				case sc.Text() == "MID":
					mid = true
				}
				if mid {
					break
				}
			}
			if !mid {
				cmd.Wait()
				t.Fatal("the child never reached the fifth send")
			}
			if err := cmd.Process.Kill(); err != nil { // SIGKILL mid-transaction
				t.Fatal(err)
			}
			cmd.Wait()
			before := e.count(&store.Survey{}, "kind = ?", store.SurveyNPS)
			if before < int64(sent) || before >= contacts {
				t.Fatalf("%d surveys committed before the kill (%d reported sent)", before, sent)
			}
			// The restart: leases of the dead process end after a minute.
			e.set(at.Add(2 * time.Minute))
			e.runDue()
			var per []struct {
				ContactID int64
				N         int64
			}
			st.DB.Model(&store.Survey{}).Select("contact_id, COUNT(*) AS n").Where("kind = ?", store.SurveyNPS).Group("contact_id").Scan(&per)
			if len(per) != contacts {
				t.Fatalf("%d contacts asked after the restart, want %d", len(per), contacts)
			}
			for _, p := range per {
				if p.N != 1 {
					t.Fatalf("contact %d asked %d times", p.ContactID, p.N)
				}
			}
			if n := e.count(&store.Outbox{}, "1 = 1"); n != contacts {
				t.Fatalf("%d outbox rows, want %d", n, contacts)
			}
			if n := e.count(&store.Job{}, "kind = ? AND status <> ?", inbox.JobNPSSend, store.JobDone); n != 0 {
				t.Fatalf("%d send jobs not done", n)
			}
			t.Logf("killed after %d sends (%d committed); restart asked the other %d", sent, before, contacts-before)
		})
	}
}

// npsCrashChild runs the send round with two workers, reports each
// committed send, and at the fifth send stops inside its transaction.
func npsCrashChild(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: os.Getenv("HANBOX_NPS_DIR"), DatabaseURL: os.Getenv("HANBOX_NPS_DSN")})
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.Parse(time.RFC3339Nano, os.Getenv("HANBOX_NPS_AT"))
	if err != nil {
		t.Fatal(err)
	}
	svc := inbox.New(st, inbox.Options{})
	sched := jobs.New(st, jobs.Options{Now: func() time.Time { return at }, Workers: 2})
	n := svc.EnableNPS(sched)
	var mu sync.Mutex
	sends := 0
	inbox.SetNPSHook(n, func(stage string, contactID int64) {
		mu.Lock()
		if stage == "sent" {
			fmt.Printf("SENT %d\n", contactID)
			mu.Unlock()
			return
		}
		sends++
		k := sends
		mu.Unlock()
		if k == 5 {
			fmt.Println("MID")
			select {} // hold the transaction open until killed
		}
	})
	for {
		if _, err := sched.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
}
