package inbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// NPS: periodic "how likely are you to recommend us?" surveys on a 0–10
// scale with a "why?" follow-up. NPS = % promoters (9–10) − % detractors
// (0–6).
//
//   - A definition (store.NPSSurvey) names its audience (every contact, or
//     contacts with a ticket tagged AudienceTag) and its rounds: round 0 is
//     due FirstDays days after the anchor, round k RepeatDays[k-1] days
//     after round 0, counted in calendar days in the contact's time zone.
//     The anchor is the contact's first conversation (at its wall-clock
//     time, NPSRoundDue), a date attribute of the contact such as
//     signup_date, or one date for everyone (e.g. the VIP tag on
//     2027-01-15); a date's rounds are due at NPSDateHour local time
//     (NPSDateRoundDue). Every anchor needs a conversation to ask in.
//   - A planner job "nps.plan" per definition (key "survey:<id>") walks the
//     audience in pages of contacts and schedules one job "nps.send" per
//     contact, definition and round, key "survey:<id>:contact:<c>:round:<r>",
//     for the latest round due by the next planner run; then it postpones
//     itself a day. Scheduling an existing key is a no-op, so planning is
//     idempotent and a send job exists once per round.
//   - The send job, when due, asks only when the contact has not opted out,
//     is still in the audience, is outside quiet hours (else postponed to
//     the end of them) and under the frequency caps (else postponed to when
//     the cap ends). The survey row (unique per definition, contact and
//     round), the request message, its outbox row and the job's completion
//     commit in one transaction fenced by the job's lease: a crash before
//     the commit sends nothing and the job runs again; a crash after it
//     leaves a completed job and a queued message that the dispatcher
//     delivers once.
//   - The request goes by email (into the contact's latest email
//     conversation, with rating links 0–10 and List-Unsubscribe) when the
//     definition allows email and the contact has one; else into the
//     contact's latest widget conversation, where the card shows on the
//     next visit (PendingSurveys). When it allows both and goes by email,
//     a copy of the request waits in the latest widget conversation too
//     (Survey.WidgetMessageID): one survey row, so it counts once, and an
//     answer in either place closes the other (the card is no longer
//     shown; the email's page shows the answer given).

// NPS jobs.
const (
	JobNPSPlan = "nps.plan"
	JobNPSSend = "nps.send"
	// NPSScale is the top of the NPS scale (0–10).
	NPSScale = 10
	// npsPlanEvery is how often a definition's planner runs; it schedules
	// rounds due before its next run.
	npsPlanEvery = 24 * time.Hour
	// npsPlanPage is how many contacts one planner query reads.
	npsPlanPage = 2000
)

var npsDefaults = map[string]map[string]string{
	"ko": {"question": "저희를 친구나 동료에게 추천하실 가능성은 얼마나 되나요? 0(전혀 없음)부터 10(매우 높음)까지 골라 주세요.",
		"why": "그렇게 답하신 이유는 무엇인가요?", "thanks": "소중한 의견 감사합니다."},
	"en": {"question": "How likely are you to recommend us to a friend or colleague? Choose from 0 (not at all likely) to 10 (extremely likely).",
		"why": "Why did you choose that score?", "thanks": "Thank you for your feedback."},
}

// NPSTexts returns a definition's question, "why?" follow-up and thank-you
// in a locale, with defaults for empty ones. n may be nil.
func NPSTexts(n *store.NPSSurvey, locale string) (question, why, thanks string) {
	locale = surveyLocale(locale)
	if n != nil {
		if locale == "ko" {
			question, why, thanks = n.QuestionKo, n.WhyKo, n.ThanksKo
		} else {
			question, why, thanks = n.QuestionEn, n.WhyEn, n.ThanksEn
		}
	}
	d := npsDefaults[locale]
	if strings.TrimSpace(question) == "" {
		question = d["question"]
	}
	if strings.TrimSpace(why) == "" {
		why = d["why"]
	}
	if strings.TrimSpace(thanks) == "" {
		thanks = d["thanks"]
	}
	return question, why, thanks
}

// NPSRoundDays is the day offset of round r from the contact's first
// conversation (ok false past the last round).
func NPSRoundDays(firstDays int, repeats []int, r int) (int, bool) {
	switch {
	case r == 0:
		return firstDays, true
	case r > 0 && r <= len(repeats):
		return firstDays + repeats[r-1], true
	}
	return 0, false
}

// NPSRoundDue is when round r is due for a contact whose first
// conversation was at first: that many calendar days later in loc, at the
// same wall-clock time (so a day is a day across month ends and daylight
// saving changes).
func NPSRoundDue(first time.Time, loc *time.Location, firstDays int, repeats []int, r int) (time.Time, bool) {
	days, ok := NPSRoundDays(firstDays, repeats, r)
	if !ok {
		return time.Time{}, false
	}
	return first.In(loc).AddDate(0, 0, days), true
}

// NPSLatestRound is the latest round due at or before at (ok false when
// none is due yet).
func NPSLatestRound(first time.Time, loc *time.Location, firstDays int, repeats []int, at time.Time) (round int, due time.Time, ok bool) {
	return latestRound(func(r int) (time.Time, bool) { return NPSRoundDue(first, loc, firstDays, repeats, r) }, at)
}

// NPSDateHour is the local hour at which rounds counted from a date (a
// date attribute, a fixed date) are due: a date has no time of day, and
// 10:00 falls after the default quiet hours.
const NPSDateHour = 10

// NPSDateRoundDue is when round r is due for a schedule counted from a
// calendar date (its year, month and day, read in UTC as dates are
// stored): that many calendar days later, at NPSDateHour in loc.
func NPSDateRoundDue(date time.Time, loc *time.Location, firstDays int, repeats []int, r int) (time.Time, bool) {
	days, ok := NPSRoundDays(firstDays, repeats, r)
	if !ok {
		return time.Time{}, false
	}
	d := date.UTC()
	// time.Date normalises the day: January 31 + 30 is March 2.
	return time.Date(d.Year(), d.Month(), d.Day()+days, NPSDateHour, 0, 0, 0, loc), true
}

// NPSDateLatestRound is NPSLatestRound for a schedule counted from a date.
func NPSDateLatestRound(date time.Time, loc *time.Location, firstDays int, repeats []int, at time.Time) (round int, due time.Time, ok bool) {
	return latestRound(func(r int) (time.Time, bool) { return NPSDateRoundDue(date, loc, firstDays, repeats, r) }, at)
}

func latestRound(dueOf func(r int) (time.Time, bool), at time.Time) (round int, due time.Time, ok bool) {
	for r := 0; ; r++ {
		d, more := dueOf(r)
		if !more || d.After(at) {
			return round, due, ok
		}
		round, due, ok = r, d, true
	}
}

// NPSAttributeDate is the calendar date (UTC midnight) of a date
// attribute's stored value (Unix seconds): a value set as a date
// ("2026-01-31") is stored at UTC midnight and is that date; a value with
// a time of day (RFC 3339) is the date it falls on in loc, the contact's
// zone.
func NPSAttributeDate(unix int64, loc *time.Location) time.Time {
	t := time.Unix(unix, 0).UTC()
	if unix%86400 != 0 {
		t = t.In(loc)
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Schedule anchors (NPSSurveyInput.Anchor): what a survey's rounds count from.
const (
	AnchorFirstConversation = "first_conversation"
	AnchorAttribute         = "attribute"
	AnchorDate              = "date"
)

// NPSAnchors lists the schedule anchors.
func NPSAnchors() []string { return []string{AnchorFirstConversation, AnchorAttribute, AnchorDate} }

// parseClock parses "HH:MM" into minutes after midnight.
func parseClock(s string) (int, bool) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || len(m) != 2 {
		return 0, false
	}
	return hh*60 + mm, true
}

// QuietUntil reports whether t falls in the quiet hours [start, end) of loc
// (a window may wrap midnight: "21:00"–"09:00") and, if so, when they end.
// Equal or malformed bounds mean no quiet hours.
func QuietUntil(t time.Time, loc *time.Location, start, end string) (time.Time, bool) {
	s, ok1 := parseClock(start)
	e, ok2 := parseClock(end)
	if !ok1 || !ok2 || s == e {
		return time.Time{}, false
	}
	lt := t.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	in := (s < e && m >= s && m < e) || (s > e && (m >= s || m < e))
	if !in {
		return time.Time{}, false
	}
	day := lt
	if s > e && m >= s {
		day = lt.AddDate(0, 0, 1) // the window ends tomorrow morning
	}
	return time.Date(day.Year(), day.Month(), day.Day(), e/60, e%60, 0, 0, loc), true
}

// loadZone returns the named time zone, or def's, or Asia/Seoul.
func loadZone(name, def string) *time.Location {
	for _, n := range []string{name, def, DefaultTimeZone} {
		if n == "" {
			continue
		}
		if loc, err := time.LoadLocation(n); err == nil {
			return loc
		}
	}
	return time.UTC
}

// NPSSurveyInput is an admin's NPS survey definition.
type NPSSurveyInput struct {
	Name                   string
	Enabled                bool
	QuestionKo, QuestionEn string
	WhyKo, WhyEn           string
	ThanksKo, ThanksEn     string
	AudienceTag            string
	// Anchor is what the rounds count from: AnchorFirstConversation ("" too),
	// AnchorAttribute (the date attribute AnchorAttribute) or AnchorDate
	// (the date AnchorDate, "YYYY-MM-DD").
	Anchor            string
	AnchorAttribute   string
	AnchorDate        string
	FirstDays         int
	RepeatDays        []int
	ByEmail, ByWidget bool
	// Zero caps take the defaults (30 days for any survey, 90 for NPS);
	// empty quiet hours take 21:00–09:00 and the time zone Asia/Seoul.
	CapAnyDays, CapNPSDays int
	QuietStart, QuietEnd   string
	TimeZone               string
}

// NPSPresetRepeats are the default repeat days (30/60/90/180).
var NPSPresetRepeats = []int{30, 60, 90, 180}

func (in *NPSSurveyInput) row() (*store.NPSSurvey, error) {
	n := &store.NPSSurvey{Enabled: in.Enabled, ByEmail: in.ByEmail, ByWidget: in.ByWidget, FirstDays: in.FirstDays,
		CapAnyDays: in.CapAnyDays, CapNPSDays: in.CapNPSDays, QuietStart: strings.TrimSpace(in.QuietStart),
		QuietEnd: strings.TrimSpace(in.QuietEnd), TimeZone: strings.TrimSpace(in.TimeZone), AudienceTag: strings.TrimSpace(in.AudienceTag)}
	name, err := plaintext.Text(strings.TrimSpace(in.Name), 200)
	if err != nil || name == "" {
		return nil, invalidAs("nps_name", nil, "a survey needs a name (at most 200 characters)")
	}
	n.Name = name
	for _, f := range []struct {
		dst *string
		v   string
	}{{&n.QuestionKo, in.QuestionKo}, {&n.QuestionEn, in.QuestionEn}, {&n.WhyKo, in.WhyKo}, {&n.WhyEn, in.WhyEn},
		{&n.ThanksKo, in.ThanksKo}, {&n.ThanksEn, in.ThanksEn}} {
		v, err := plaintext.Text(strings.TrimSpace(f.v), 1000)
		if err != nil {
			return nil, invalidAs("survey_text", nil, "a survey text is too long or not text")
		}
		*f.dst = v
	}
	if len(n.AudienceTag) > 64 {
		return nil, invalidAs("nps_audience", nil, "the audience tag is too long")
	}
	if in.FirstDays < 0 || in.FirstDays > 3650 {
		return nil, invalidAs("nps_first_days", nil, "the first round must be 0 to 3650 days after the anchor")
	}
	n.Anchor = strings.TrimSpace(in.Anchor)
	if n.Anchor == "" {
		n.Anchor = AnchorFirstConversation
	}
	switch n.Anchor {
	case AnchorFirstConversation:
	case AnchorAttribute:
		n.AnchorAttribute = strings.TrimSpace(in.AnchorAttribute)
		if n.AnchorAttribute == "" || len(n.AnchorAttribute) > 64 {
			return nil, invalidAs("nps_anchor_attribute", nil, "choose the date attribute the rounds count from")
		}
	case AnchorDate:
		n.AnchorDate = strings.TrimSpace(in.AnchorDate)
		if _, err := time.Parse(time.DateOnly, n.AnchorDate); err != nil {
			return nil, invalidAs("nps_anchor_date", nil, "the date must be YYYY-MM-DD")
		}
	default:
		return nil, invalidAs("nps_anchor", nil, "the schedule starts at the first conversation, a date attribute or a date")
	}
	repeats := slices.Clone(in.RepeatDays)
	slices.Sort(repeats)
	repeats = slices.Compact(repeats)
	if len(repeats) > 24 || (len(repeats) > 0 && (repeats[0] <= 0 || repeats[len(repeats)-1] > 3650)) {
		return nil, invalidAs("nps_repeat_days", nil, "repeat days are 1 to 3650, at most 24 of them")
	}
	parts := make([]string, len(repeats))
	for i, d := range repeats {
		parts[i] = strconv.Itoa(d)
	}
	n.RepeatDays = strings.Join(parts, ",")
	if !n.ByEmail && !n.ByWidget {
		return nil, invalidAs("nps_channel", nil, "choose email, the widget or both")
	}
	if n.CapAnyDays == 0 {
		n.CapAnyDays = 30
	}
	if n.CapNPSDays == 0 {
		n.CapNPSDays = 90
	}
	if n.CapAnyDays < 0 || n.CapNPSDays < 0 || n.CapAnyDays > 3650 || n.CapNPSDays > 3650 {
		return nil, invalidAs("nps_cap", nil, "frequency caps are 0 to 3650 days")
	}
	if n.QuietStart == "" && n.QuietEnd == "" {
		n.QuietStart, n.QuietEnd = "21:00", "09:00"
	}
	if _, ok := parseClock(n.QuietStart); !ok {
		return nil, invalidAs("nps_quiet", nil, "quiet hours are HH:MM")
	}
	if _, ok := parseClock(n.QuietEnd); !ok {
		return nil, invalidAs("nps_quiet", nil, "quiet hours are HH:MM")
	}
	if n.TimeZone == "" {
		n.TimeZone = DefaultTimeZone
	}
	if _, err := time.LoadLocation(n.TimeZone); err != nil || len(n.TimeZone) > 64 {
		return nil, invalidAs("nps_time_zone", nil, "unknown time zone %q", n.TimeZone)
	}
	return n, nil
}

// NPS is the NPS side of a Service: definitions and the scheduler jobs.
// Make it with EnableNPS.
type NPS struct {
	s     *Service
	sched *jobs.Scheduler
	// hook, for crash tests, is called inside a send's transaction before
	// it commits ("send") and after it committed ("sent").
	hook func(stage string, contactID int64)
}

// EnableNPS registers the NPS jobs on sched. Call it once, before sched.Run.
func (s *Service) EnableNPS(sched *jobs.Scheduler) *NPS {
	n := &NPS{s: s, sched: sched}
	sched.Handle(JobNPSPlan, n.runPlan)
	sched.Handle(JobNPSSend, n.runSend)
	return n
}

func planKey(id int64) string { return "survey:" + strconv.FormatInt(id, 10) }

func sendKey(id, contactID int64, round int) string {
	return planKey(id) + ":contact:" + strconv.FormatInt(contactID, 10) + ":round:" + strconv.Itoa(round)
}

// Create stores a new definition and plans it now.
func (n *NPS) Create(ctx context.Context, in NPSSurveyInput) (*store.NPSSurvey, error) {
	row, err := in.row()
	if err != nil {
		return nil, err
	}
	if err := n.checkAnchor(ctx, row); err != nil {
		return nil, err
	}
	row.CreatedAt, row.UpdatedAt = now(), now()
	if err := n.s.st.DB.WithContext(ctx).Create(row).Error; err != nil {
		return nil, fmt.Errorf("inbox: create nps survey: %w", err)
	}
	return row, n.replan(ctx, row.ID)
}

// Update replaces a definition and plans it again now. Rounds already sent
// stay sent.
func (n *NPS) Update(ctx context.Context, id int64, in NPSSurveyInput) (*store.NPSSurvey, error) {
	row, err := in.row()
	if err != nil {
		return nil, err
	}
	if err := n.checkAnchor(ctx, row); err != nil {
		return nil, err
	}
	old, err := n.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	row.ID, row.CreatedAt, row.UpdatedAt = id, old.CreatedAt, now()
	if err := n.s.st.DB.WithContext(ctx).Select("*").Omit("deleted_at").Save(row).Error; err != nil {
		return nil, fmt.Errorf("inbox: update nps survey %d: %w", id, err)
	}
	return row, n.replan(ctx, id)
}

// checkAnchor refuses an attribute anchor that is not a date attribute.
func (n *NPS) checkAnchor(ctx context.Context, row *store.NPSSurvey) error {
	if row.Anchor != AnchorAttribute {
		return nil
	}
	typ := ""
	if d, ok := store.BuiltinAttribute(row.AnchorAttribute); ok {
		typ = d.Type
	} else if d, err := n.s.st.AttributeDefOf(ctx, row.AnchorAttribute); err == nil {
		typ = d.Type
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("inbox: nps anchor attribute: %w", err)
	}
	if typ != store.AttrDate {
		return invalidAs("nps_anchor_attribute", nil, "%q is not a date attribute", row.AnchorAttribute)
	}
	return nil
}

// Delete removes a definition: nothing more is sent for it; its answers stay.
func (n *NPS) Delete(ctx context.Context, id int64) error {
	if _, err := n.Get(ctx, id); err != nil {
		return err
	}
	ts := now()
	if err := n.s.st.DB.WithContext(ctx).Model(&store.NPSSurvey{}).Where("id = ?", id).Updates(map[string]any{"deleted_at": ts, "updated_at": ts}).Error; err != nil {
		return fmt.Errorf("inbox: delete nps survey %d: %w", id, err)
	}
	return nil
}

// Get returns a definition that is not deleted.
func (n *NPS) Get(ctx context.Context, id int64) (*store.NPSSurvey, error) {
	row, err := n.s.st.NPSSurveyByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	if row.DeletedAt != nil {
		return nil, fmt.Errorf("inbox: nps survey %d: %w", id, ErrNotFound)
	}
	return row, nil
}

// List returns the definitions.
func (n *NPS) List(ctx context.Context) ([]store.NPSSurvey, error) {
	out, err := n.s.st.NPSSurveys(ctx)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return out, nil
}

func (n *NPS) replan(ctx context.Context, id int64) error {
	if _, err := n.sched.Move(ctx, jobs.Spec{Kind: JobNPSPlan, Key: planKey(id), Due: n.sched.Now(), Payload: npsPlanJob{SurveyID: id}}); err != nil {
		return fmt.Errorf("inbox: plan nps survey %d: %w", id, err)
	}
	return nil
}

type npsPlanJob struct {
	SurveyID int64 `json:"survey_id"`
}

type npsSendJob struct {
	SurveyID  int64 `json:"survey_id"`
	ContactID int64 `json:"contact_id"`
	Round     int   `json:"round"`
}

// PlanStats describes one planner run.
type PlanStats struct {
	Contacts  int   // contacts of the audience read
	Scheduled int64 // send jobs added (the rest existed)
	Queries   int   // SQL statements the run made
}

// runPlan is the planner job: plan, then run again in a day.
func (n *NPS) runPlan(ctx context.Context, j *jobs.Job) error {
	var p npsPlanJob
	if err := j.Decode(&p); err != nil {
		return jobs.Permanent(err)
	}
	row, err := n.s.st.NPSSurveyByID(ctx, p.SurveyID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && row.DeletedAt != nil) {
		return nil // gone: the planner ends
	}
	if err != nil {
		return err
	}
	at := n.sched.Now()
	if row.Enabled {
		if _, err := n.Plan(ctx, row, at); err != nil {
			return err
		}
	}
	return jobs.Postpone(at.Add(npsPlanEvery))
}

// Plan schedules, for every contact of a definition's audience, the send
// job of its latest round due by at plus a planner period. It reads
// contacts in pages by id, and schedules each page in one transaction.
func (n *NPS) Plan(ctx context.Context, row *store.NPSSurvey, at time.Time) (PlanStats, error) {
	var st PlanStats
	horizon := at.Add(npsPlanEvery)
	repeats := row.Repeats()
	anchor := row.Anchor
	if anchor == "" {
		anchor = AnchorFirstConversation
	}
	var date time.Time
	if anchor == AnchorDate {
		var err error
		if date, err = time.Parse(time.DateOnly, row.AnchorDate); err != nil {
			return st, fmt.Errorf("nps: plan survey %d: anchor date %q: %w", row.ID, row.AnchorDate, err)
		}
	}
	db := n.s.st.DB.WithContext(ctx)
	var after int64
	for {
		// A page of the audience's contacts, then the first ticket of each
		// (ids grow with time) in that id range: both bounded and indexed.
		// A row's own created_at scans as a time on both stores; an
		// aggregate of it would not on SQLite.
		var people []struct {
			ID       int64
			TimeZone string
		}
		q := db.Table("contacts AS c").Select("c.id, c.time_zone").Where("c.id > ? AND c.merged_into IS NULL", after).
			Where("NOT EXISTS (SELECT 1 FROM contact_opt_outs AS o WHERE o.contact_id = c.id AND o.topic = ?)", TopicSurveys)
		if !row.ByWidget {
			q = q.Where("c.email <> ''")
		}
		if row.AudienceTag != "" {
			q = q.Where("EXISTS (SELECT 1 FROM tickets AS t2 JOIN ticket_tags AS tt ON tt.ticket_id = t2.id WHERE t2.contact_id = c.id AND LOWER(tt.tag) = LOWER(?))", row.AudienceTag)
		}
		if err := q.Order("c.id").Limit(npsPlanPage).Scan(&people).Error; err != nil {
			return st, fmt.Errorf("nps: plan survey %d: %w", row.ID, err)
		}
		st.Queries++
		if len(people) == 0 {
			return st, nil
		}
		lo, hi := people[0].ID, people[len(people)-1].ID
		after = hi
		var firsts []struct {
			ContactID int64
			First     time.Time
		}
		sub := db.Table("tickets").Select("contact_id, MIN(id) AS id").Where("contact_id BETWEEN ? AND ?", lo, hi).Group("contact_id")
		if err := db.Table("tickets AS t").Select("t.contact_id AS contact_id, t.created_at AS first").
			Joins("JOIN (?) AS f ON f.id = t.id", sub).Scan(&firsts).Error; err != nil {
			return st, fmt.Errorf("nps: plan survey %d: first conversations: %w", row.ID, err)
		}
		st.Queries++
		firstOf := make(map[int64]time.Time, len(firsts))
		for _, f := range firsts {
			firstOf[f.ContactID] = f.First
		}
		// An attribute anchor: the page's values of the date attribute
		// (contacts without one are not asked).
		var attrOf map[int64]int64
		if anchor == AnchorAttribute {
			var vals []struct {
				ContactID int64
				TimeValue int64
			}
			if err := db.Table("contact_attributes").Select("contact_id, time_value").
				Where("key = ? AND contact_id BETWEEN ? AND ? AND time_value IS NOT NULL", row.AnchorAttribute, lo, hi).Scan(&vals).Error; err != nil {
				return st, fmt.Errorf("nps: plan survey %d: anchor attribute: %w", row.ID, err)
			}
			st.Queries++
			attrOf = make(map[int64]int64, len(vals))
			for _, v := range vals {
				attrOf[v.ContactID] = v.TimeValue
			}
		}
		type entry struct {
			ContactID int64
			First     time.Time
			TimeZone  string
		}
		page := make([]entry, 0, len(people))
		for _, p := range people {
			// Every anchor needs a conversation to ask in.
			f, ok := firstOf[p.ID]
			if !ok {
				continue
			}
			if anchor == AnchorAttribute {
				if _, ok := attrOf[p.ID]; !ok {
					continue
				}
			}
			page = append(page, entry{ContactID: p.ID, First: f, TimeZone: p.TimeZone})
		}
		st.Contacts += len(page)
		specs := make([]jobs.Spec, 0, len(page))
		for _, c := range page {
			loc := loadZone(c.TimeZone, row.TimeZone)
			var (
				r   int
				due time.Time
				ok  bool
			)
			switch anchor {
			case AnchorAttribute:
				r, due, ok = NPSDateLatestRound(NPSAttributeDate(attrOf[c.ContactID], loc), loc, row.FirstDays, repeats, horizon)
			case AnchorDate:
				r, due, ok = NPSDateLatestRound(date, loc, row.FirstDays, repeats, horizon)
			default:
				r, due, ok = NPSLatestRound(c.First, loc, row.FirstDays, repeats, horizon)
			}
			if !ok {
				continue
			}
			specs = append(specs, jobs.Spec{Kind: JobNPSSend, Key: sendKey(row.ID, c.ContactID, r), Due: due,
				Payload: npsSendJob{SurveyID: row.ID, ContactID: c.ContactID, Round: r}})
		}
		if len(specs) > 0 {
			var added int64
			err := n.s.st.Tx(ctx, func(tx *gorm.DB) error {
				var err error
				added, err = n.sched.ScheduleManyTx(tx, specs)
				return err
			})
			if err != nil {
				return st, err
			}
			st.Scheduled += added
			st.Queries += (len(specs) + 399) / 400
		}
		if len(people) < npsPlanPage {
			return st, nil
		}
	}
}

// runSend asks one contact one round of one definition, at most once.
func (n *NPS) runSend(ctx context.Context, j *jobs.Job) error {
	var p npsSendJob
	if err := j.Decode(&p); err != nil {
		return jobs.Permanent(err)
	}
	at := n.sched.Now()
	var events []Event
	var later time.Time
	err := n.s.st.Tx(ctx, func(tx *gorm.DB) error {
		events, later = nil, time.Time{}
		var def store.NPSSurvey
		if err := tx.Take(&def, p.SurveyID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return j.Done(tx)
			}
			return err
		}
		if !def.Enabled || def.DeletedAt != nil {
			return j.Done(tx) // turned off since it was planned: a replan schedules again
		}
		var c store.Contact
		if err := tx.Take(&c, p.ContactID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return j.Done(tx)
			}
			return err
		}
		if c.MergedInto != nil {
			return j.Done(tx) // the contact it went into has its own rounds
		}
		var n64 int64
		if err := tx.Model(&store.ContactOptOut{}).Where("contact_id = ? AND topic = ?", c.ID, TopicSurveys).Count(&n64).Error; err != nil {
			return err
		}
		if n64 > 0 {
			return j.Done(tx)
		}
		if def.AudienceTag != "" {
			if err := tx.Table("tickets AS t").Joins("JOIN ticket_tags AS tt ON tt.ticket_id = t.id").
				Where("t.contact_id = ? AND LOWER(tt.tag) = LOWER(?)", c.ID, def.AudienceTag).Count(&n64).Error; err != nil {
				return err
			}
			if n64 == 0 {
				return j.Done(tx)
			}
		}
		if def.Anchor == AnchorAttribute {
			// The date the round counts from was removed since planning: no
			// schedule any more (a new value is planned afresh).
			if err := tx.Model(&store.ContactAttribute{}).Where("contact_id = ? AND key = ? AND time_value IS NOT NULL", c.ID, def.AnchorAttribute).
				Count(&n64).Error; err != nil {
				return err
			}
			if n64 == 0 {
				return j.Done(tx)
			}
		}
		if err := tx.Model(&store.Survey{}).Where("nps_survey_id = ? AND contact_id = ? AND nps_round = ?", def.ID, c.ID, p.Round).Count(&n64).Error; err != nil {
			return err
		}
		if n64 > 0 {
			return j.Done(tx) // asked already (a job whose key was cleaned, a copy)
		}
		loc := loadZone(c.TimeZone, def.TimeZone)
		if until, quiet := QuietUntil(at, loc, def.QuietStart, def.QuietEnd); quiet {
			later = until
			return nil
		}
		// Frequency caps: no survey of any kind or campaign message within
		// CapAnyDays (lastTouch), no NPS within CapNPSDays.
		if def.CapAnyDays > 0 {
			last, err := lastTouch(tx, c.ID, at.AddDate(0, 0, -def.CapAnyDays), 0)
			if err != nil {
				return err
			}
			if !last.IsZero() {
				later = last.AddDate(0, 0, def.CapAnyDays)
			}
		}
		if def.CapNPSDays > 0 {
			var last []time.Time
			if err := tx.Model(&store.Survey{}).Where("contact_id = ? AND kind = ? AND requested_at > ?", c.ID, store.SurveyNPS, at.AddDate(0, 0, -def.CapNPSDays)).
				Order("requested_at DESC").Limit(1).Pluck("requested_at", &last).Error; err != nil {
				return err
			}
			if len(last) > 0 {
				if u := last[0].AddDate(0, 0, def.CapNPSDays); u.After(later) {
					later = u
				}
			}
		}
		if !later.IsZero() {
			return nil
		}
		t, ch, kind, err := npsRoute(tx, &c, &def)
		if err != nil {
			return err
		}
		if t == nil {
			return j.Done(tx) // no conversation to ask in
		}
		locale := surveyLocale(c.Locale)
		question, _, _ := NPSTexts(&def, locale)
		sid, round := def.ID, p.Round
		sv := &store.Survey{PublicID: NewPublicID(), Kind: store.SurveyNPS, TicketID: t.ID, Round: j.ID, ContactID: c.ID,
			ChannelID: ch, AgentID: t.AssigneeID, TeamID: t.TeamID, Locale: locale, RequestedAt: at,
			ExpiresAt: at.Add(DefaultSurveyWindow), CreatedAt: at, UpdatedAt: at, NPSSurveyID: &sid, NPSRound: &round}
		if err := tx.Create(sv).Error; err != nil {
			return fmt.Errorf("nps: create survey: %w", err)
		}
		msg := &store.Message{TicketID: t.ID, Direction: store.DirOutbound, AuthorType: store.AuthorSystem, ChannelID: ch,
			Text: question, Meta: store.JSONMap{"survey": sv.PublicID, "survey_kind": store.SurveyNPS},
			DeliveryStatus: store.DeliveryQueued, CreatedAt: at}
		if err := tx.Create(msg).Error; err != nil {
			return fmt.Errorf("nps: create request message: %w", err)
		}
		if err := tx.Model(sv).Update("message_id", msg.ID).Error; err != nil {
			return err
		}
		mid := msg.ID
		if err := tx.Create(&store.Outbox{ChannelID: ch, MessageID: &mid, TicketID: t.ID, Purpose: store.PurposeReply,
			Payload: store.JSONMap{"survey_id": sv.ID}, Status: store.OutboxPending, NextAttemptAt: at}).Error; err != nil {
			return fmt.Errorf("nps: queue request: %w", err)
		}
		if err := tx.Model(&store.Ticket{}).Where("id = ?", t.ID).Updates(map[string]any{
			"message_count": gorm.Expr("message_count + 1"), "updated_at": at}).Error; err != nil {
			return err
		}
		events = []Event{{Type: EventMessageCreated, TicketID: t.ID, MessageID: msg.ID, ChannelID: ch,
			ContactID: c.ID, Message: &MessageChanges{Direction: store.DirOutbound}}}
		// By email and in the widget: the same survey also waits in the
		// contact's latest widget conversation for their next visit.
		var wt *store.Ticket
		if kind == "email" { // asked in the widget itself: no copy
			if wt, err = npsWidgetCopy(tx, &c, &def, t.ID); err != nil {
				return err
			}
		}
		if wt != nil {
			wm := &store.Message{TicketID: wt.ID, Direction: store.DirOutbound, AuthorType: store.AuthorSystem, ChannelID: wt.LastChannelID,
				Text: question, Meta: store.JSONMap{"survey": sv.PublicID, "survey_kind": store.SurveyNPS, "survey_copy": true},
				DeliveryStatus: store.DeliverySent, CreatedAt: at}
			if err := tx.Create(wm).Error; err != nil {
				return fmt.Errorf("nps: create widget copy: %w", err)
			}
			if err := tx.Model(sv).Update("widget_message_id", wm.ID).Error; err != nil {
				return err
			}
			if err := tx.Model(&store.Ticket{}).Where("id = ?", wt.ID).Updates(map[string]any{
				"message_count": gorm.Expr("message_count + 1"), "updated_at": at}).Error; err != nil {
				return err
			}
			events = append(events, Event{Type: EventMessageCreated, TicketID: wt.ID, MessageID: wm.ID, ChannelID: wt.LastChannelID,
				ContactID: c.ID, Message: &MessageChanges{Direction: store.DirOutbound}})
		}
		if err := n.s.recordEvents(tx, events); err != nil {
			return err
		}
		if n.hook != nil {
			n.hook("send", c.ID)
		}
		return j.Done(tx)
	})
	if err != nil {
		return err
	}
	if !later.IsZero() {
		return jobs.Postpone(later)
	}
	if n.hook != nil && len(events) > 0 {
		n.hook("sent", p.ContactID)
	}
	n.s.publish(events...)
	n.s.Wake()
	return nil
}

// npsRoute picks the conversation an NPS request goes into: the contact's
// latest email conversation when the definition allows email and the
// contact has an address, else the latest widget conversation when it
// allows the widget. It returns the ticket, the channel and its kind (nil:
// none).
func npsRoute(tx *gorm.DB, c *store.Contact, def *store.NPSSurvey) (*store.Ticket, int64, string, error) {
	var kinds []string
	if def.ByEmail && c.Email != "" {
		kinds = append(kinds, "email")
	}
	if def.ByWidget {
		kinds = append(kinds, "widget")
	}
	for _, kind := range kinds {
		var t store.Ticket
		err := tx.Model(&store.Ticket{}).Joins("JOIN channels ON channels.id = tickets.last_channel_id").
			Where("tickets.contact_id = ? AND tickets.merged_into IS NULL AND channels.kind = ?", c.ID, kind).
			Order("tickets.last_message_at DESC, tickets.id DESC").Select("tickets.*").Take(&t).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			continue
		}
		if err != nil {
			return nil, 0, "", fmt.Errorf("nps: route contact %d: %w", c.ID, err)
		}
		return &t, t.LastChannelID, kind, nil
	}
	return nil, 0, "", nil
}

// npsWidgetCopy returns the widget conversation that also shows an email
// NPS request (the definition asks by email and in the widget, and the
// contact has one), or nil. The copy has no outbox row: it waits for the
// visitor's next visit, and a widget send to a visitor who left would
// continue by email, asking twice.
func npsWidgetCopy(tx *gorm.DB, c *store.Contact, def *store.NPSSurvey, asked int64) (*store.Ticket, error) {
	if !def.ByEmail || !def.ByWidget {
		return nil, nil
	}
	var t store.Ticket
	err := tx.Model(&store.Ticket{}).Joins("JOIN channels ON channels.id = tickets.last_channel_id").
		Where("tickets.contact_id = ? AND tickets.merged_into IS NULL AND channels.kind = ? AND tickets.id <> ?", c.ID, "widget", asked).
		Order("tickets.last_message_at DESC, tickets.id DESC").Select("tickets.*").Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("nps: widget conversation of contact %d: %w", c.ID, err)
	}
	return &t, nil
}

// NPSScore returns the answers and score of NPS surveys matching f.
func (s *Service) NPSScore(ctx context.Context, f store.SurveyFilter) (store.NPSCounts, error) {
	c, err := s.st.NPSCounts(ctx, f)
	if err != nil {
		return c, fmt.Errorf("inbox: %w", err)
	}
	return c, nil
}
