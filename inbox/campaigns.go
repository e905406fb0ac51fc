package inbox

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// Campaigns: life-cycle messages to contacts, by email or in the widget.
//
//   - A campaign (store.Campaign) names its audience (a segment or every
//     contact), its channel, its trigger and ko/en content with
//     placeholders ({{contact.name}}, {{contact.name|고객}}, any attribute).
//   - Triggers become send jobs on the durable scheduler, key
//     "campaign:<id>:contact:<c>:round:<r>": an event trigger from the
//     durable event consumer when the event is recorded (due after its
//     delay); milestone, schedule and inactivity triggers from a planner job
//     per campaign ("campaign.plan", hourly) that pages the audience in SQL,
//     and for milestone and schedule also from the consumer when the
//     contact's attributes change. Page and onboarding triggers are
//     evaluated when the contact opens the widget (PendingCampaigns).
//   - The send job checks, in one transaction fenced by its lease: the
//     campaign is on, the contact is still in the audience, consent
//     (marketing opt-out; the consent attribute when required), the stop
//     event and the goal event (neither happened since the trigger), quiet
//     hours in the contact's time zone (email; postponed to their end) and
//     the frequency cap shared with surveys (postponed to its end). Then the
//     campaign_sends row (unique per campaign, contact and round), the
//     outbox row (email) and the job's completion commit together: a crash
//     before sends nothing, a crash after leaves one queued mail.
//   - Email goes outside any ticket (outbox purpose campaign) with its own
//     Message-ID and List-Unsubscribe; the reply opens a ticket that the
//     consumer links back to the send (replied, reply_ticket_id).
//   - A widget message waits for the contact's next visit; shown counts as
//     seen, and a dismissed or clicked one never shows again.

// Campaign jobs and consumer.
const (
	JobCampaignPlan      = "campaign.plan"
	JobCampaignSend      = "campaign.send"
	CampaignConsumerName = "campaigns"
	// campaignPlanEvery is how often a campaign's planner runs.
	campaignPlanEvery = time.Hour
	campaignPlanPage  = 2000
	// campaignGoalWindow: a goal event counts for sends this recent.
	campaignGoalWindow = 30 * 24 * time.Hour
	// roundOnce is the round of a trigger that fires once per contact.
	roundOnce = "once"
)

// CampaignInput is an admin's campaign.
type CampaignInput struct {
	Name           string
	Enabled        bool
	Channel        string
	ChannelID      int64
	SegmentID      *int64
	TriggerKind    string
	Trigger        store.TriggerConfig
	GoalEvent      string
	SubjectKo      string
	SubjectEn      string
	BodyKo         string
	BodyEn         string
	RequireConsent bool
	// TrackOpens adds the open-tracking image to the campaign's emails.
	TrackOpens bool
	// CapDays 0 means no cap; empty quiet hours take 21:00–09:00 and the
	// time zone Asia/Seoul.
	CapDays              int
	QuietStart, QuietEnd string
	TimeZone             string
}

func (m *Campaigns) row(ctx context.Context, in CampaignInput) (*store.Campaign, error) {
	c := &store.Campaign{Enabled: in.Enabled, Channel: in.Channel, ChannelID: in.ChannelID, SegmentID: in.SegmentID,
		TriggerKind: in.TriggerKind, TriggerConfig: in.Trigger, GoalEvent: strings.TrimSpace(in.GoalEvent),
		RequireConsent: in.RequireConsent, TrackOpens: in.TrackOpens && in.Channel == store.CampaignEmail, CapDays: in.CapDays, QuietStart: strings.TrimSpace(in.QuietStart),
		QuietEnd: strings.TrimSpace(in.QuietEnd), TimeZone: strings.TrimSpace(in.TimeZone)}
	name, err := plaintext.Text(strings.TrimSpace(in.Name), 200)
	if err != nil || name == "" {
		return nil, invalidAs("campaign_name", nil, "a campaign needs a name (at most 200 characters)")
	}
	c.Name = name
	if c.Channel != store.CampaignEmail && c.Channel != store.CampaignWidget {
		return nil, invalidAs("campaign_channel", nil, "the channel is email or widget")
	}
	if c.Channel == store.CampaignWidget {
		c.ChannelID = 0
	}
	if c.ChannelID != 0 {
		var ch store.Channel
		if err := m.s.st.DB.WithContext(ctx).Take(&ch, c.ChannelID).Error; err != nil || ch.Kind != "email" {
			return nil, invalidAs("campaign_email_channel", nil, "channel %d is not an email channel", c.ChannelID)
		}
	}
	if c.SegmentID != nil {
		if *c.SegmentID == 0 {
			c.SegmentID = nil
		} else if _, err := m.s.st.SegmentOf(ctx, *c.SegmentID); err != nil {
			return nil, invalidAs("campaign_segment", nil, "segment %d does not exist", *c.SegmentID)
		}
	}
	t := &c.TriggerConfig
	t.Event, t.StopEvent = strings.TrimSpace(t.Event), strings.TrimSpace(t.StopEvent)
	t.Attribute, t.DateAttribute = strings.TrimSpace(t.Attribute), strings.TrimSpace(t.DateAttribute)
	t.At, t.URLPattern = strings.TrimSpace(t.At), strings.TrimSpace(t.URLPattern)
	if len(t.URLPattern) > 500 {
		return nil, invalidAs("campaign_url_pattern", nil, "the page pattern is too long")
	}
	switch c.TriggerKind {
	case store.TriggerEvent:
		if !eventNameRe.MatchString(t.Event) {
			return nil, invalidAs("campaign_event", nil, "an event trigger needs the event's name")
		}
		if t.StopEvent != "" && !eventNameRe.MatchString(t.StopEvent) {
			return nil, invalidAs("campaign_event", nil, "the stop event is not an event name")
		}
		if t.DelayMinutes < 0 || t.DelayMinutes > 60*24*90 {
			return nil, invalidAs("campaign_delay", nil, "the delay is 0 to 129600 minutes (90 days)")
		}
	case store.TriggerMilestone:
		d, ok := m.attrType(ctx, t.Attribute)
		if !ok || d != store.AttrNumber {
			return nil, invalidAs("campaign_attribute", nil, "a milestone needs a number attribute or counter")
		}
		if t.Reach <= 0 {
			return nil, invalidAs("campaign_value", nil, "a milestone needs a value above 0")
		}
	case store.TriggerSchedule:
		if t.At != "" {
			if _, err := store.ParseDate(t.At); err != nil {
				return nil, invalidAs("campaign_at", nil, "the date is YYYY-MM-DD or RFC 3339")
			}
			t.DateAttribute, t.Days = "", nil
			break
		}
		d, ok := m.attrType(ctx, t.DateAttribute)
		if !ok || d != store.AttrDate {
			return nil, invalidAs("campaign_attribute", nil, "a schedule needs a date attribute or a fixed date")
		}
		days := slices.Clone(t.Days)
		slices.Sort(days)
		days = slices.Compact(days)
		if len(days) == 0 || len(days) > 24 || days[0] < 0 || days[len(days)-1] > 3650 {
			return nil, invalidAs("campaign_days", nil, "days after the date are 0 to 3650, one to 24 of them")
		}
		t.Days = days
	case store.TriggerInactivity:
		if t.InactiveDays < 1 || t.InactiveDays > 3650 {
			return nil, invalidAs("campaign_inactive_days", nil, "inactivity is 1 to 3650 days")
		}
	case store.TriggerOnboarding, store.TriggerPage:
		if c.Channel != store.CampaignWidget {
			return nil, invalidAs("campaign_channel", nil, "onboarding and page messages are shown in the widget")
		}
		if c.TriggerKind == store.TriggerPage && t.URLPattern == "" {
			return nil, invalidAs("campaign_url_pattern", nil, "a page trigger needs a URL pattern")
		}
	default:
		return nil, invalidAs("campaign_trigger", nil, "unknown trigger %q", c.TriggerKind)
	}
	// Only the fields of the kind are kept.
	keep := store.TriggerConfig{URLPattern: t.URLPattern, OfficeHoursOnly: t.OfficeHoursOnly}
	if c.TriggerKind == store.TriggerPage {
		if t.MinSeconds < 0 || t.MinSeconds > 3600 {
			return nil, invalidAs("campaign_min_seconds", nil, "the time on page is 0 to 3600 seconds")
		}
		keep.MinSeconds = t.MinSeconds
	}
	switch c.TriggerKind {
	case store.TriggerEvent:
		keep.Event, keep.DelayMinutes, keep.StopEvent, keep.Repeat = t.Event, t.DelayMinutes, t.StopEvent, t.Repeat
	case store.TriggerMilestone:
		keep.Attribute, keep.Reach = t.Attribute, t.Reach
	case store.TriggerSchedule:
		keep.DateAttribute, keep.Days, keep.At = t.DateAttribute, t.Days, t.At
	case store.TriggerInactivity:
		keep.InactiveDays = t.InactiveDays
	}
	c.TriggerConfig = keep
	if c.GoalEvent != "" && !eventNameRe.MatchString(c.GoalEvent) {
		return nil, invalidAs("campaign_goal", nil, "the goal is an event name")
	}
	for _, f := range []struct {
		dst *string
		v   string
		max int
	}{{&c.SubjectKo, in.SubjectKo, 300}, {&c.SubjectEn, in.SubjectEn, 300}, {&c.BodyKo, in.BodyKo, 10000}, {&c.BodyEn, in.BodyEn, 10000}} {
		v, err := plaintext.Text(strings.TrimSpace(f.v), f.max)
		if err != nil {
			return nil, invalidAs("campaign_text", nil, "a message text is too long or not text")
		}
		*f.dst = v
	}
	if c.BodyKo == "" && c.BodyEn == "" {
		return nil, invalidAs("campaign_body", nil, "write the message in Korean, English or both")
	}
	if c.Channel == store.CampaignEmail && c.SubjectKo == "" && c.SubjectEn == "" {
		return nil, invalidAs("campaign_subject", nil, "an email needs a subject")
	}
	if c.CapDays < 0 || c.CapDays > 3650 {
		return nil, invalidAs("campaign_cap", nil, "the frequency cap is 0 to 3650 days")
	}
	if c.QuietStart == "" && c.QuietEnd == "" {
		c.QuietStart, c.QuietEnd = "21:00", "09:00"
	}
	_, ok1 := parseClock(c.QuietStart)
	_, ok2 := parseClock(c.QuietEnd)
	if !ok1 || !ok2 {
		return nil, invalidAs("campaign_quiet", nil, "quiet hours are HH:MM")
	}
	if c.TimeZone == "" {
		c.TimeZone = DefaultTimeZone
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil || len(c.TimeZone) > 64 {
		return nil, invalidAs("campaign_time_zone", nil, "unknown time zone %q", c.TimeZone)
	}
	return c, nil
}

// attrType is the type of a built-in or custom attribute key.
func (m *Campaigns) attrType(ctx context.Context, key string) (string, bool) {
	if key == "" {
		return "", false
	}
	if d, ok := store.BuiltinAttribute(key); ok {
		return d.Type, true
	}
	d, err := m.s.st.AttributeDefOf(ctx, key)
	if err != nil {
		return "", false
	}
	return d.Type, true
}

// Campaigns is the campaign side of a Service. Make it with
// EnableCampaigns.
type Campaigns struct {
	s     *Service
	sched *jobs.Scheduler
	// hook, for crash tests, is called inside a send's transaction before
	// it commits ("send") and after it committed ("sent").
	hook func(stage string, contactID int64)
}

// EnableCampaigns registers the campaign jobs on sched and adds the
// campaign consumer. Call it once, before RunConsumers and sched.Run.
func (s *Service) EnableCampaigns(ctx context.Context, sched *jobs.Scheduler) (*Campaigns, error) {
	m := &Campaigns{s: s, sched: sched}
	sched.Handle(JobCampaignPlan, m.runPlan)
	sched.Handle(JobCampaignSend, m.runSend)
	err := s.AddConsumer(ctx, Consumer{Name: CampaignConsumerName,
		Types: []string{EventContactUpdated, EventMessageCreated}, Handle: m.handle})
	if err != nil {
		return nil, err
	}
	s.campaigns = m
	return m, nil
}

func campaignPlanKey(id int64) string { return "campaign:" + strconv.FormatInt(id, 10) }

func campaignSendKey(id, contactID int64, round string) string {
	return campaignPlanKey(id) + ":contact:" + strconv.FormatInt(contactID, 10) + ":round:" + round
}

type campaignPlanJob struct {
	CampaignID int64 `json:"campaign_id"`
}

type campaignSendJob struct {
	CampaignID int64      `json:"campaign_id"`
	ContactID  int64      `json:"contact_id"`
	Round      string     `json:"round"`
	TriggerAt  *time.Time `json:"trigger_at,omitempty"`
}

// Create stores a new campaign and plans it now.
func (m *Campaigns) Create(ctx context.Context, in CampaignInput) (*store.Campaign, error) {
	row, err := m.row(ctx, in)
	if err != nil {
		return nil, err
	}
	row.CreatedAt = m.sched.Now() // the scheduler's clock decides what is due
	row.UpdatedAt = row.CreatedAt
	if err := m.s.st.DB.WithContext(ctx).Create(row).Error; err != nil {
		return nil, fmt.Errorf("inbox: create campaign: %w", err)
	}
	return row, m.replan(ctx, row)
}

// Update replaces a campaign and plans it again now. Messages already sent
// stay sent (and are not sent again for the same round).
func (m *Campaigns) Update(ctx context.Context, id int64, in CampaignInput) (*store.Campaign, error) {
	old, err := m.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	row, err := m.row(ctx, in)
	if err != nil {
		return nil, err
	}
	row.ID, row.CreatedAt, row.UpdatedAt = id, old.CreatedAt, m.sched.Now()
	if err := m.s.st.DB.WithContext(ctx).Select("*").Omit("deleted_at").Save(row).Error; err != nil {
		return nil, fmt.Errorf("inbox: update campaign %d: %w", id, err)
	}
	return row, m.replan(ctx, row)
}

// Delete removes a campaign: nothing more is sent for it; its sends and
// statistics stay.
func (m *Campaigns) Delete(ctx context.Context, id int64) error {
	if _, err := m.Get(ctx, id); err != nil {
		return err
	}
	ts := now()
	if err := m.s.st.DB.WithContext(ctx).Model(&store.Campaign{}).Where("id = ?", id).
		Updates(map[string]any{"deleted_at": ts, "updated_at": ts, "enabled": false}).Error; err != nil {
		return fmt.Errorf("inbox: delete campaign %d: %w", id, err)
	}
	return nil
}

// Get returns a campaign that is not deleted.
func (m *Campaigns) Get(ctx context.Context, id int64) (*store.Campaign, error) {
	row, err := m.s.st.CampaignByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	if row.DeletedAt != nil {
		return nil, fmt.Errorf("inbox: campaign %d: %w", id, ErrNotFound)
	}
	return row, nil
}

// List returns the campaigns.
func (m *Campaigns) List(ctx context.Context) ([]store.Campaign, error) {
	out, err := m.s.st.Campaigns(ctx)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return out, nil
}

// Stats counts a campaign's sends.
func (m *Campaigns) Stats(ctx context.Context, id int64) (store.CampaignStats, error) {
	st, err := m.s.st.CampaignStatsOf(ctx, id)
	if err != nil {
		return st, fmt.Errorf("inbox: %w", err)
	}
	return st, nil
}

// planned reports whether a trigger kind is planned by the hourly planner.
func planned(kind string) bool {
	return kind == store.TriggerMilestone || kind == store.TriggerSchedule || kind == store.TriggerInactivity
}

func (m *Campaigns) replan(ctx context.Context, row *store.Campaign) error {
	if !planned(row.TriggerKind) {
		return nil
	}
	if _, err := m.sched.Move(ctx, jobs.Spec{Kind: JobCampaignPlan, Key: campaignPlanKey(row.ID), Due: m.sched.Now(),
		Payload: campaignPlanJob{CampaignID: row.ID}}); err != nil {
		return fmt.Errorf("inbox: plan campaign %d: %w", row.ID, err)
	}
	return nil
}

// runPlan is the planner job: plan, then again in an hour.
func (m *Campaigns) runPlan(ctx context.Context, j *jobs.Job) error {
	var p campaignPlanJob
	if err := j.Decode(&p); err != nil {
		return jobs.Permanent(err)
	}
	row, err := m.s.st.CampaignByID(ctx, p.CampaignID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (row.DeletedAt != nil || !planned(row.TriggerKind))) {
		return nil
	}
	if err != nil {
		return err
	}
	at := m.sched.Now()
	if row.Enabled {
		if _, err := m.Plan(ctx, row, at, 0); err != nil {
			return err
		}
	}
	return jobs.Postpone(at.Add(campaignPlanEvery))
}

// audienceWhere is the SQL condition (over contacts c) of a campaign's
// audience and consent, without the trigger.
func (m *Campaigns) audienceWhere(ctx context.Context, row *store.Campaign, at time.Time) (string, []any, error) {
	where, args := "c.merged_into IS NULL", []any{}
	if row.SegmentID != nil {
		sg, err := m.s.st.SegmentOf(ctx, *row.SegmentID)
		if errors.Is(err, store.ErrNotFound) {
			return "1 = 0", nil, nil // the segment is gone: nobody
		}
		if err != nil {
			return "", nil, err
		}
		w, a, err := m.s.st.SegmentWhere(ctx, sg.Definition, at)
		if err != nil {
			return "", nil, err
		}
		where, args = w, a
	}
	where += " AND NOT EXISTS (SELECT 1 FROM contact_opt_outs o WHERE o.contact_id = c.id AND o.topic = ?)"
	args = append(args, TopicMarketing)
	consent := consentKey(row.Channel)
	if row.RequireConsent {
		where += " AND EXISTS (SELECT 1 FROM contact_attributes ca WHERE ca.contact_id = c.id AND ca.key = ? AND ca.bool_value = ?)"
	} else {
		where += " AND NOT EXISTS (SELECT 1 FROM contact_attributes ca WHERE ca.contact_id = c.id AND ca.key = ? AND ca.bool_value = ?)"
	}
	args = append(args, consent, row.RequireConsent)
	if row.Channel == store.CampaignEmail {
		where += " AND c.email <> ''"
	}
	return where, args, nil
}

func consentKey(channel string) string {
	if channel == store.CampaignWidget {
		return store.AttrProactiveChat
	}
	return store.AttrEmailMarketing
}

// CampaignPlanStats describes one planner run.
type CampaignPlanStats struct {
	Contacts  int   // contacts whose trigger holds
	Scheduled int64 // send jobs added (the rest existed)
}

// Plan schedules the send jobs of a milestone, schedule or inactivity
// campaign for the contacts of its audience whose trigger holds by at (and
// the next planner run), in pages of contacts by id. contactID > 0 plans
// that one contact (its attributes changed).
func (m *Campaigns) Plan(ctx context.Context, row *store.Campaign, at time.Time, contactID int64) (CampaignPlanStats, error) {
	var st CampaignPlanStats
	if !planned(row.TriggerKind) || !row.Enabled || row.DeletedAt != nil {
		return st, nil
	}
	where, args, err := m.audienceWhere(ctx, row, at)
	if err != nil {
		return st, err
	}
	t := row.TriggerConfig
	horizon := at.Add(campaignPlanEvery)
	campLoc := loadZone(row.TimeZone, "")
	sel := "c.id, c.time_zone, 0 AS val"
	join := ""
	var jargs []any
	switch row.TriggerKind {
	case store.TriggerMilestone:
		where += " AND EXISTS (SELECT 1 FROM contact_attributes m WHERE m.contact_id = c.id AND m.key = ? AND m.num_value >= ?)"
		args = append(args, t.Attribute, t.Reach)
	case store.TriggerInactivity:
		sel = "c.id, c.time_zone, v.time_value AS val"
		join = " JOIN contact_attributes v ON v.contact_id = c.id AND v.key = ? AND v.time_value < ?"
		jargs = []any{store.AttrLastSeen, at.Unix() - int64(t.InactiveDays)*86400}
	case store.TriggerSchedule:
		if t.At == "" {
			sel = "c.id, c.time_zone, v.time_value AS val"
			join = " JOIN contact_attributes v ON v.contact_id = c.id AND v.key = ? AND v.time_value IS NOT NULL"
			jargs = []any{t.DateAttribute}
		} else if fixedDue(t.At, campLoc).After(horizon) {
			return st, nil
		}
	}
	if contactID > 0 {
		where += " AND c.id = ?"
		args = append(args, contactID)
	}
	db := m.s.st.DB.WithContext(ctx)
	var after int64
	for {
		var people []struct {
			ID       int64
			TimeZone string
			Val      int64
		}
		q := "SELECT " + sel + " FROM contacts c" + join + " WHERE c.id > ? AND " + where + " ORDER BY c.id LIMIT ?"
		all := append(append(append([]any{}, jargs...), after), args...)
		if err := db.Raw(q, append(all, campaignPlanPage)...).Scan(&people).Error; err != nil {
			return st, fmt.Errorf("campaign: plan %d: %w", row.ID, err)
		}
		if len(people) == 0 {
			return st, nil
		}
		after = people[len(people)-1].ID
		specs := make([]jobs.Spec, 0, len(people))
		for _, p := range people {
			loc := loadZone(p.TimeZone, row.TimeZone)
			add := func(round string, due time.Time) {
				specs = append(specs, jobs.Spec{Kind: JobCampaignSend, Key: campaignSendKey(row.ID, p.ID, round), Due: due,
					Payload: campaignSendJob{CampaignID: row.ID, ContactID: p.ID, Round: round}})
			}
			switch {
			case row.TriggerKind == store.TriggerMilestone:
				add(roundOnce, at)
			case row.TriggerKind == store.TriggerInactivity:
				// One message per absence: coming back and leaving again
				// is a new round.
				add("away:"+strconv.FormatInt(p.Val, 10), at)
			case t.At != "":
				add("at:"+t.At, fixedDue(t.At, campLoc))
			default:
				base := time.Unix(p.Val, 0).In(loc)
				for _, d := range t.Days {
					due := base.AddDate(0, 0, d)
					// No backfill: rounds that fell due before the campaign
					// existed (a day's grace) are not sent now.
					if due.After(horizon) || due.Before(row.CreatedAt.Add(-24*time.Hour)) {
						continue
					}
					add("d"+strconv.Itoa(d)+":"+strconv.FormatInt(p.Val, 10), due)
				}
			}
		}
		st.Contacts += len(people)
		if len(specs) > 0 {
			err := m.s.st.Tx(ctx, func(tx *gorm.DB) error {
				n, err := m.sched.ScheduleManyTx(tx, specs)
				st.Scheduled += n
				return err
			})
			if err != nil {
				return st, err
			}
		}
		if len(people) < campaignPlanPage {
			return st, nil
		}
	}
}

// fixedDue is a fixed schedule date: an RFC 3339 time, or a date at 10:00
// in loc.
func fixedDue(at string, loc *time.Location) time.Time {
	if t, err := time.Parse(time.RFC3339, at); err == nil {
		return t
	}
	d, _ := store.ParseDate(at)
	return time.Date(d.Year(), d.Month(), d.Day(), 10, 0, 0, 0, loc)
}

// handle is the campaign consumer: event triggers, goals, milestones and
// replies to campaign mail.
func (m *Campaigns) handle(ctx context.Context, ev Event) error {
	switch {
	case ev.Type == EventContactUpdated && ev.Contact != nil && ev.Contact.EventID > 0:
		return m.onEvent(ctx, ev.ContactID, ev.Contact.EventID)
	case ev.Type == EventContactUpdated && ev.Contact != nil && len(ev.Contact.Attributes) > 0:
		return m.onAttributes(ctx, ev.ContactID)
	case ev.Type == EventMessageCreated && ev.Message != nil && ev.Message.Direction == store.DirInbound:
		if err := m.onReply(ctx, ev); err != nil {
			return err
		}
		return m.onAttributes(ctx, ev.ContactID) // the message counters moved
	}
	return nil
}

func (m *Campaigns) enabled(ctx context.Context, kinds ...string) ([]store.Campaign, error) {
	var out []store.Campaign
	if err := m.s.st.DB.WithContext(ctx).Where("enabled = ? AND deleted_at IS NULL AND trigger_kind IN ?", true, kinds).
		Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("campaign: list: %w", err)
	}
	return out, nil
}

// onEvent schedules the event campaigns an event triggers and counts the
// goal of recent sends it reaches.
func (m *Campaigns) onEvent(ctx context.Context, contactID, eventID int64) error {
	var e store.ContactEvent
	if err := m.s.st.DB.WithContext(ctx).Take(&e, eventID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		return err
	}
	db := m.s.st.DB.WithContext(ctx)
	if err := db.Exec(`UPDATE campaign_sends SET goal_at = ?, updated_at = ? WHERE contact_id = ? AND goal_at IS NULL
		AND created_at <= ? AND created_at >= ? AND campaign_id IN (SELECT id FROM campaigns WHERE goal_event = ?)`,
		e.At, now(), e.ContactID, e.At, e.At.Add(-campaignGoalWindow), e.Name).Error; err != nil {
		return fmt.Errorf("campaign: goal: %w", err)
	}
	list, err := m.enabled(ctx, store.TriggerEvent)
	if err != nil {
		return err
	}
	for _, c := range list {
		if c.TriggerConfig.Event != e.Name {
			continue
		}
		round := roundOnce
		if c.TriggerConfig.Repeat {
			round = "event:" + strconv.FormatInt(e.ID, 10)
		}
		at := e.At
		if _, err := m.sched.Schedule(ctx, jobs.Spec{Kind: JobCampaignSend, Key: campaignSendKey(c.ID, e.ContactID, round),
			Due:     e.At.Add(time.Duration(c.TriggerConfig.DelayMinutes) * time.Minute),
			Payload: campaignSendJob{CampaignID: c.ID, ContactID: e.ContactID, Round: round, TriggerAt: &at}}); err != nil {
			return err
		}
	}
	return nil
}

// onAttributes plans the milestone and schedule campaigns of one contact.
func (m *Campaigns) onAttributes(ctx context.Context, contactID int64) error {
	if contactID == 0 {
		return nil
	}
	list, err := m.enabled(ctx, store.TriggerMilestone, store.TriggerSchedule)
	if err != nil {
		return err
	}
	for i := range list {
		if _, err := m.Plan(ctx, &list[i], m.sched.Now(), contactID); err != nil {
			return err
		}
	}
	return nil
}

// onReply links a customer's email answering a campaign mail to its send:
// replied, and the ticket the answer opened.
func (m *Campaigns) onReply(ctx context.Context, ev Event) error {
	var msg store.Message
	if err := m.s.st.DB.WithContext(ctx).Select("id", "ticket_id", "meta", "created_at").Take(&msg, ev.MessageID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		return err
	}
	var ids []string
	if v := msg.Meta.String("in_reply_to"); v != "" {
		ids = append(ids, v)
	}
	if refs, ok := msg.Meta["references"].([]any); ok {
		for _, r := range refs {
			if s, ok := r.(string); ok {
				ids = append(ids, s)
			}
		}
	}
	var camp []string
	for _, id := range ids {
		id = strings.Trim(strings.TrimSpace(id), "<>")
		if strings.HasPrefix(id, "hanbox.campaign.") {
			camp = append(camp, id)
		}
	}
	if len(camp) == 0 {
		return nil
	}
	err := m.s.st.DB.WithContext(ctx).Model(&store.CampaignSend{}).
		Where("email_message_id IN ? AND replied_at IS NULL", camp).
		Updates(map[string]any{"replied_at": msg.CreatedAt, "reply_ticket_id": msg.TicketID, "updated_at": now()}).Error
	if err != nil {
		return fmt.Errorf("campaign: link reply: %w", err)
	}
	return nil
}

// eligible checks, in tx, that contact c is in campaign cp's audience and
// has given (or not refused) consent.
func (m *Campaigns) eligible(ctx context.Context, tx *gorm.DB, cp *store.Campaign, c *store.Contact, at time.Time) (bool, error) {
	where, args, err := m.audienceWhere(ctx, cp, at)
	if err != nil {
		return false, err
	}
	var n int64
	if err := tx.Raw("SELECT COUNT(*) FROM contacts c WHERE c.id = ? AND "+where, append([]any{c.ID}, args...)...).Scan(&n).Error; err != nil {
		return false, fmt.Errorf("campaign: audience of %d: %w", cp.ID, err)
	}
	return n > 0, nil
}

// capUntil is when contact c may next get a campaign message (zero: now):
// CapDays after their latest campaign message or survey request.
func capUntil(tx *gorm.DB, contactID int64, days int, at time.Time) (time.Time, error) {
	if days <= 0 {
		return time.Time{}, nil
	}
	last, err := lastTouch(tx, contactID, at.AddDate(0, 0, -days), 0)
	if err != nil || last.IsZero() {
		return time.Time{}, err
	}
	return last.AddDate(0, 0, days), nil
}

// lastTouch is the frequency cap every proactive message shares (campaign
// messages, NPS and CSAT surveys): when contact contactID was last sent a
// campaign message (queued or delivered, not failed) or asked a survey
// after since (zero: not since).
// exceptCSATTicket, when not 0, leaves out that ticket's own CSAT requests
// (a ticket resolved again is asked again).
func lastTouch(tx *gorm.DB, contactID int64, since time.Time, exceptCSATTicket int64) (time.Time, error) {
	var a, b []time.Time
	// A message that failed for good (no email channel, the mail server
	// refused it) never reached the contact: it is no touch. A queued one
	// is on its way and counts.
	if err := tx.Model(&store.CampaignSend{}).Where("contact_id = ? AND created_at > ? AND status <> ?", contactID, since, store.SendFailed).
		Order("created_at DESC").Limit(1).Pluck("created_at", &a).Error; err != nil {
		return time.Time{}, fmt.Errorf("inbox: last contact touch: %w", err)
	}
	q := tx.Model(&store.Survey{}).Where("contact_id = ? AND requested_at > ?", contactID, since)
	if exceptCSATTicket != 0 {
		q = q.Where("NOT (kind = ? AND ticket_id = ?)", store.SurveyCSAT, exceptCSATTicket)
	}
	if err := q.Order("requested_at DESC").Limit(1).Pluck("requested_at", &b).Error; err != nil {
		return time.Time{}, fmt.Errorf("inbox: last contact touch: %w", err)
	}
	var last time.Time
	for _, ts := range append(a, b...) {
		if ts.After(last) {
			last = ts
		}
	}
	return last, nil
}

// happenedSince reports whether contact did event name at or after since.
func happenedSince(tx *gorm.DB, contactID int64, name string, since time.Time) (bool, error) {
	var n int64
	err := tx.Model(&store.ContactEvent{}).Where("contact_id = ? AND name = ? AND at >= ?", contactID, name, since).Count(&n).Error
	return n > 0, err
}

// runSend sends one campaign message to one contact for one round, at most
// once.
func (m *Campaigns) runSend(ctx context.Context, j *jobs.Job) error {
	var p campaignSendJob
	if err := j.Decode(&p); err != nil {
		return jobs.Permanent(err)
	}
	at := m.sched.Now()
	var later time.Time
	queued, created := false, false
	err := m.s.st.Tx(ctx, func(tx *gorm.DB) error {
		later, queued, created = time.Time{}, false, false
		var cp store.Campaign
		if err := tx.Take(&cp, p.CampaignID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return j.Done(tx)
			}
			return err
		}
		if !cp.Enabled || cp.DeletedAt != nil {
			return j.Done(tx)
		}
		var c store.Contact
		if err := tx.Take(&c, p.ContactID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return j.Done(tx)
			}
			return err
		}
		if c.MergedInto != nil {
			return j.Done(tx)
		}
		var n int64
		if err := tx.Model(&store.CampaignSend{}).Where("campaign_id = ? AND contact_id = ? AND round_key = ?", cp.ID, c.ID, p.Round).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return j.Done(tx) // sent already (a copy of the job, a key cleaned)
		}
		ok, err := m.eligible(ctx, tx, &cp, &c, at)
		if err != nil {
			return err
		}
		if !ok {
			return j.Done(tx)
		}
		if p.TriggerAt != nil {
			// Stop conditions: the stop event or the goal happened since
			// the trigger ("cart_added, not order_paid within 1 h").
			for _, ev := range []string{cp.TriggerConfig.StopEvent, cp.GoalEvent} {
				if ev == "" {
					continue
				}
				hit, err := happenedSince(tx, c.ID, ev, *p.TriggerAt)
				if err != nil {
					return err
				}
				if hit {
					return j.Done(tx)
				}
			}
		}
		if cp.Channel == store.CampaignEmail {
			loc := loadZone(c.TimeZone, cp.TimeZone)
			if until, quiet := QuietUntil(at, loc, cp.QuietStart, cp.QuietEnd); quiet {
				later = until
				return nil
			}
		}
		if later, err = capUntil(tx, c.ID, cp.CapDays, at); err != nil || !later.IsZero() {
			return err
		}
		send := &store.CampaignSend{PublicID: NewPublicID(), CampaignID: cp.ID, ContactID: c.ID, RoundKey: p.Round,
			Channel: cp.Channel, Status: store.SendQueued, Locale: surveyLocale(c.Locale), TriggerAt: p.TriggerAt,
			CreatedAt: at, UpdatedAt: at}
		if cp.Channel == store.CampaignEmail {
			ch, err := campaignEmailChannel(tx, cp.ChannelID)
			if err != nil {
				return err
			}
			send.ChannelID = ch
			if ch == 0 {
				send.Status, send.LastError = store.SendFailed, "no enabled email channel"
			}
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(send)
		if res.Error != nil {
			return fmt.Errorf("campaign: create send: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return j.Done(tx)
		}
		created = true
		if send.Channel == store.CampaignEmail && send.ChannelID != 0 {
			if err := tx.Create(&store.Outbox{ChannelID: send.ChannelID, TicketID: 0, Purpose: store.PurposeCampaign,
				Payload: store.JSONMap{"campaign_send_id": send.ID}, Status: store.OutboxPending, NextAttemptAt: at}).Error; err != nil {
				return fmt.Errorf("campaign: queue mail: %w", err)
			}
			queued = true
		}
		if m.hook != nil {
			m.hook("send", c.ID)
		}
		return j.Done(tx)
	})
	if err != nil {
		return err
	}
	if !later.IsZero() {
		return jobs.Postpone(later)
	}
	if m.hook != nil && created {
		m.hook("sent", p.ContactID)
	}
	if queued {
		m.s.Wake()
	}
	return nil
}

// campaignEmailChannel is the email channel a campaign mails on: id when
// set and enabled, else the first enabled email channel (0: none).
func campaignEmailChannel(tx *gorm.DB, id int64) (int64, error) {
	var ids []int64
	q := tx.Model(&store.Channel{}).Where("kind = ? AND enabled = ?", "email", true)
	if id != 0 {
		q = q.Where("id = ?", id)
	}
	if err := q.Order("id").Limit(1).Pluck("id", &ids).Error; err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}

var placeholderRe = regexp.MustCompile(`\{\{\s*contact\.([a-zA-Z0-9_]+)\s*(?:\|([^}]*))?\}\}`)

// RenderCampaignText fills a campaign text's placeholders:
// {{contact.name}}, {{contact.email}} and {{contact.<attribute>}}, each
// with an optional fallback after a bar ({{contact.name|고객}}). An empty
// name without a fallback takes defName (the service's contact fallback).
func RenderCampaignText(text string, c *store.Contact, attrs map[string]any, defName string) string {
	return placeholderRe.ReplaceAllStringFunc(text, func(s string) string {
		sm := placeholderRe.FindStringSubmatch(s)
		key, fb := sm[1], strings.TrimSpace(sm[2])
		v := ""
		switch key {
		case "name":
			v = strings.TrimSpace(plaintext.StripBidi(c.Name))
			if fb == "" {
				fb = defName
			}
		case "email":
			v = c.Email
		default:
			switch a := attrs[key].(type) {
			case string:
				v = a
			case float64:
				v = strconv.FormatFloat(a, 'f', -1, 64)
			case bool:
				v = strconv.FormatBool(a)
			case time.Time:
				v = a.Format(time.DateOnly)
			}
		}
		if v == "" {
			return fb
		}
		return v
	})
}

// campaignContent picks the locale's subject and body, falling back to the
// other language's when empty.
func campaignContent(cp *store.Campaign, locale string) (subject, body string) {
	subject, body = cp.SubjectKo, cp.BodyKo
	if locale == "en" {
		subject, body = cp.SubjectEn, cp.BodyEn
	}
	if body == "" {
		if locale == "en" {
			subject, body = cp.SubjectKo, cp.BodyKo
		} else {
			subject, body = cp.SubjectEn, cp.BodyEn
		}
	}
	if subject == "" {
		subject = cmpOr(cp.SubjectKo, cp.SubjectEn)
	}
	return subject, body
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// CampaignPreview renders a campaign's content for a contact (or a sample
// contact when c is nil) in a locale: what the admin form previews.
func (s *Service) CampaignPreview(ctx context.Context, in CampaignInput, c *store.Contact, locale string) (subject, body string) {
	cp := &store.Campaign{SubjectKo: in.SubjectKo, SubjectEn: in.SubjectEn, BodyKo: in.BodyKo, BodyEn: in.BodyEn}
	if c == nil {
		c = &store.Contact{}
	}
	attrs := map[string]any{}
	if c.ID != 0 {
		if p, err := s.ContactProfile(ctx, c.ID, 0); err == nil {
			attrs = p.AttributeValues()
		}
	}
	subject, body = campaignContent(cp, surveyLocale(locale))
	return RenderCampaignText(subject, c, attrs, s.contactFallback), RenderCampaignText(body, c, attrs, s.contactFallback)
}

// CampaignUnsubscribeLabel is the unsubscribe link's text in a campaign
// email.
func CampaignUnsubscribeLabel(locale string) string {
	if surveyLocale(locale) == "en" {
		return "Unsubscribe from these emails"
	}
	return "이런 메일 받지 않기 (수신 거부)"
}

// CampaignMessage is a campaign email for its connector.
type CampaignMessage struct {
	// SendID is the send's public id: the email's Message-ID names it, so
	// the customer's reply is linked back.
	SendID         string
	Subject        string
	Locale         string
	UnsubscribeURL string
	// Links maps each link of Text (CampaignLinks) to its tracked URL: the
	// email shows the link and points it at the tracked one.
	Links map[string]string
	// OpenURL is the open-tracking image ("": the campaign does not track
	// opens).
	OpenURL string
}

// buildCampaignOutbound builds the delivery of a campaign email.
func (s *Service) buildCampaignOutbound(ctx context.Context, row store.Outbox) (*Outbound, error) {
	id := row.Payload.Int("campaign_send_id")
	db := s.st.DB.WithContext(ctx)
	var send store.CampaignSend
	if err := db.Take(&send, id).Error; err != nil {
		return nil, Permanent(fmt.Errorf("campaign send %d: %w", id, err))
	}
	var cp store.Campaign
	if err := db.Take(&cp, send.CampaignID).Error; err != nil {
		return nil, Permanent(fmt.Errorf("campaign %d: %w", send.CampaignID, err))
	}
	var c store.Contact
	if err := db.Take(&c, send.ContactID).Error; err != nil {
		return nil, Permanent(fmt.Errorf("campaign contact %d: %w", send.ContactID, err))
	}
	if c.Email == "" {
		return nil, Permanent(errors.New("the contact has no email address"))
	}
	attrs := map[string]any{}
	if p, err := s.ContactProfile(ctx, c.ID, 0); err == nil {
		attrs = p.AttributeValues()
	}
	subject, body := campaignContent(&cp, send.Locale)
	u, err := s.UnsubscribeURL(ctx, c.ID, TopicMarketing)
	if err != nil {
		return nil, err
	}
	text := RenderCampaignText(body, &c, attrs, s.contactFallback)
	links, open, err := s.campaignTracking(ctx, send.PublicID, text, cp.TrackOpens)
	if err != nil {
		return nil, err
	}
	return &Outbound{OutboxID: row.ID, Attempt: row.Attempts + 1, ChannelID: row.ChannelID,
		Contact: PersonRef{ID: c.ID, Name: c.Name, Email: c.Email},
		Text:    text,
		Campaign: &CampaignMessage{SendID: send.PublicID, Subject: RenderCampaignText(subject, &c, attrs, s.contactFallback),
			Locale: send.Locale, UnsubscribeURL: u, Links: links, OpenURL: open}}, nil
}

// campaignSent records a campaign email the mail server accepted.
func campaignSent(tx *gorm.DB, row store.Outbox, ref ExternalRef) error {
	ts := now()
	return tx.Model(&store.CampaignSend{}).Where("id = ?", row.Payload.Int("campaign_send_id")).
		Updates(map[string]any{"status": store.SendDelivered, "delivered_at": ts, "email_message_id": ref.ID, "last_error": "", "updated_at": ts}).Error
}

// campaignFailed records a campaign email that failed for good.
func campaignFailed(tx *gorm.DB, row store.Outbox, msg string) error {
	return tx.Model(&store.CampaignSend{}).Where("id = ?", row.Payload.Int("campaign_send_id")).
		Updates(map[string]any{"status": store.SendFailed, "last_error": msg, "updated_at": now()}).Error
}

// campaignUnsubscribed counts an unsubscribe from marketing against the
// contact's latest campaign email.
func campaignUnsubscribed(tx *gorm.DB, contactID int64) error {
	var ids []int64
	if err := tx.Model(&store.CampaignSend{}).Where("contact_id = ? AND channel = ? AND unsubscribed_at IS NULL", contactID, store.CampaignEmail).
		Order("id DESC").Limit(1).Pluck("id", &ids).Error; err != nil || len(ids) == 0 {
		return err
	}
	ts := now()
	return tx.Model(&store.CampaignSend{}).Where("id = ?", ids[0]).Updates(map[string]any{"unsubscribed_at": ts, "updated_at": ts}).Error
}

// CampaignCard is a widget campaign message waiting for a contact: shown
// on the pages its pattern matches ("" every page).
type CampaignCard struct {
	// ID is the send's public id, or "c<campaign id>" for a page or
	// onboarding message not shown yet (its send is made when it is).
	ID              string `json:"id"`
	Text            string `json:"text"`
	URLPattern      string `json:"url_pattern,omitempty"`
	OfficeHoursOnly bool   `json:"office_hours_only,omitempty"`
	// MinSeconds: show it once the visitor has been on the page this long
	// (the widget times it from the page's load).
	MinSeconds int `json:"min_seconds,omitempty"`
}

// onboardingDays: an onboarding message is for contacts first seen this
// recently.
const onboardingDays = 7

// PendingCampaigns lists the widget messages for a contact's visit:
// messages sent to the widget and neither dismissed nor clicked (an
// onboarding message: nor seen; it greets once), and the
// page and onboarding messages the contact may get (audience, consent,
// frequency cap) and never saw. Listing marks the sent ones delivered.
// The text is in lang, the language the widget shows ("" takes the
// contact's locale), or in the other language when lang's variant is
// empty.
func (s *Service) PendingCampaigns(ctx context.Context, contactID int64, lang string) ([]CampaignCard, error) {
	m := s.campaigns
	if m == nil || contactID == 0 {
		return nil, nil
	}
	db := s.st.DB.WithContext(ctx)
	var c store.Contact
	if err := db.Take(&c, contactID).Error; err != nil {
		return nil, notFound(err)
	}
	var profile map[string]any
	if p, err := s.ContactProfile(ctx, c.ID, 0); err == nil {
		profile = p.AttributeValues()
	}
	locale := surveyLocale(c.Locale)
	if lang != "" {
		locale = surveyLocale(lang)
	}
	var out []CampaignCard
	var sends []store.CampaignSend
	if err := db.Where("contact_id = ? AND channel = ? AND status <> ? AND dismissed_at IS NULL AND clicked_at IS NULL",
		c.ID, store.CampaignWidget, store.SendFailed).Order("id").Limit(20).Find(&sends).Error; err != nil {
		return nil, fmt.Errorf("inbox: pending campaigns: %w", err)
	}
	byID := map[int64]*store.Campaign{}
	list, err := m.enabled(ctx, store.TriggerKinds()...)
	if err != nil {
		return nil, err
	}
	for i := range list {
		byID[list[i].ID] = &list[i]
	}
	have := map[int64]bool{}
	var undelivered []int64
	for _, sd := range sends {
		have[sd.CampaignID] = true
		cp := byID[sd.CampaignID]
		if cp == nil || cp.Channel != store.CampaignWidget {
			continue
		}
		if cp.TriggerKind == store.TriggerOnboarding && sd.SeenAt != nil {
			continue // a greeting for the first visit: shown once
		}
		_, body := campaignContent(cp, locale)
		out = append(out, CampaignCard{ID: sd.PublicID, Text: RenderCampaignText(body, &c, profile, s.contactFallback),
			URLPattern: cp.TriggerConfig.URLPattern, OfficeHoursOnly: cp.TriggerConfig.OfficeHoursOnly})
		if sd.DeliveredAt == nil {
			undelivered = append(undelivered, sd.ID)
		}
	}
	if len(undelivered) > 0 {
		ts := now()
		if err := db.Model(&store.CampaignSend{}).Where("id IN ? AND delivered_at IS NULL", undelivered).
			Updates(map[string]any{"delivered_at": ts, "status": store.SendDelivered, "updated_at": ts}).Error; err != nil {
			return nil, fmt.Errorf("inbox: pending campaigns: %w", err)
		}
	}
	at := m.sched.Now()
	var capped *bool
	for i := range list {
		cp := &list[i]
		if cp.Channel != store.CampaignWidget || (cp.TriggerKind != store.TriggerPage && cp.TriggerKind != store.TriggerOnboarding) {
			continue
		}
		var n int64
		if err := db.Model(&store.CampaignSend{}).Where("campaign_id = ? AND contact_id = ?", cp.ID, c.ID).Count(&n).Error; err != nil {
			return nil, err
		}
		if n > 0 || have[cp.ID] {
			continue // shown before: a dismissed one never again
		}
		if cp.TriggerKind == store.TriggerOnboarding {
			if fs, ok := profile[store.AttrFirstSeen].(time.Time); ok && at.Sub(fs) > onboardingDays*24*time.Hour {
				continue
			}
		}
		ok, err := m.eligible(ctx, db, cp, &c, at)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if cp.CapDays > 0 {
			if capped == nil {
				until, err := capUntil(db, c.ID, cp.CapDays, at)
				if err != nil {
					return nil, err
				}
				v := !until.IsZero()
				capped = &v
			}
			if *capped {
				continue
			}
		}
		_, body := campaignContent(cp, locale)
		out = append(out, CampaignCard{ID: "c" + strconv.FormatInt(cp.ID, 10), Text: RenderCampaignText(body, &c, profile, s.contactFallback),
			URLPattern: cp.TriggerConfig.URLPattern, OfficeHoursOnly: cp.TriggerConfig.OfficeHoursOnly, MinSeconds: cp.TriggerConfig.MinSeconds})
	}
	return out, nil
}

// Widget campaign actions.
const (
	CampaignSeen    = "seen"
	CampaignClick   = "click"
	CampaignDismiss = "dismiss"
)

// CampaignActionInput is what a contact did with a widget message.
type CampaignActionInput struct {
	CardID string // CampaignCard.ID
	Action string // CampaignSeen, CampaignClick, CampaignDismiss
	// SecondsOnPage is how long the visitor had been on the page when the
	// message showed (the widget's timer): a page message with a time on
	// page is not counted seen earlier.
	SecondsOnPage int
}

// ErrTooEarly is returned by CampaignAction for a page message reported
// seen before its time on page. It is an ErrInvalid.
var ErrTooEarly = fmt.Errorf("inbox: the message is not due on this page yet: %w", ErrInvalid)

// CampaignAction records what a contact did with a widget message: seen
// (shown), click or dismiss (neither shows it again). A page or onboarding
// card ("c<id>") gets its send row now, once; a page card with a time on
// page only when the visitor was on the page that long (ErrTooEarly).
func (s *Service) CampaignAction(ctx context.Context, contactID int64, in CampaignActionInput) error {
	cardID, action := in.CardID, in.Action
	if action != CampaignSeen && action != CampaignClick && action != CampaignDismiss {
		return invalid("unknown action %q", action)
	}
	ts := now()
	return s.st.Tx(ctx, func(tx *gorm.DB) error {
		var send store.CampaignSend
		if rest, ok := strings.CutPrefix(cardID, "c"); ok && isDigits(rest) {
			id, _ := strconv.ParseInt(rest, 10, 64)
			var cp store.Campaign
			if err := tx.Take(&cp, id).Error; err != nil {
				return notFound(err)
			}
			if cp.Channel != store.CampaignWidget || (cp.TriggerKind != store.TriggerPage && cp.TriggerKind != store.TriggerOnboarding) ||
				!cp.Enabled || cp.DeletedAt != nil || s.campaigns == nil {
				return ErrNotFound
			}
			var c store.Contact
			if err := tx.Take(&c, contactID).Error; err != nil {
				return notFound(err)
			}
			if ok, err := s.campaigns.eligible(ctx, tx, &cp, &c, s.campaigns.sched.Now()); err != nil || !ok {
				if err != nil {
					return err
				}
				return ErrNotFound // not for this contact: no send row
			}
			if cp.TriggerKind == store.TriggerPage && action == CampaignSeen && in.SecondsOnPage < cp.TriggerConfig.MinSeconds {
				return ErrTooEarly
			}
			row := store.CampaignSend{PublicID: NewPublicID(), CampaignID: cp.ID, ContactID: contactID, RoundKey: roundOnce,
				Channel: store.CampaignWidget, Status: store.SendDelivered, DeliveredAt: &ts, CreatedAt: ts, UpdatedAt: ts}
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
				return err
			}
			if err := tx.Where("campaign_id = ? AND contact_id = ? AND round_key = ?", cp.ID, contactID, roundOnce).Take(&send).Error; err != nil {
				return notFound(err)
			}
		} else if err := tx.Where("public_id = ? AND contact_id = ?", cardID, contactID).Take(&send).Error; err != nil {
			return notFound(err)
		}
		up := map[string]any{"updated_at": ts}
		if send.SeenAt == nil {
			up["seen_at"] = ts
		}
		if send.DeliveredAt == nil {
			up["delivered_at"], up["status"] = ts, store.SendDelivered
		}
		switch {
		case action == CampaignClick && send.ClickedAt == nil:
			up["clicked_at"] = ts
		case action == CampaignDismiss && send.DismissedAt == nil:
			up["dismissed_at"] = ts
		}
		return tx.Model(&store.CampaignSend{}).Where("id = ?", send.ID).Updates(up).Error
	})
}

// OnboardsVisitors reports whether an onboarding message is on: then a
// widget visitor without a contact gets one on their first visit
// (VisitorContact), so the message can greet them.
func (s *Service) OnboardsVisitors(ctx context.Context) (bool, error) {
	if s.campaigns == nil {
		return false, nil
	}
	var n int64
	if err := s.st.DB.WithContext(ctx).Model(&store.Campaign{}).Where("enabled = ? AND deleted_at IS NULL AND trigger_kind = ? AND channel = ?",
		true, store.TriggerOnboarding, store.CampaignWidget).Limit(1).Count(&n).Error; err != nil {
		return false, fmt.Errorf("inbox: onboarding campaigns: %w", err)
	}
	return n > 0, nil
}

// VisitorContact finds or creates the contact of a widget visitor who has
// not written yet, the way their first message would (same identity rule,
// same locks), without a ticket or message: a brand-new visitor's first
// visit can then be greeted by onboarding, once (the send row's unique
// key). Only widget identities.
func (s *Service) VisitorContact(ctx context.Context, ref ContactRef) (int64, error) {
	if ref.Kind != IdentityWidget {
		return 0, invalid("only a widget visitor gets a contact on a visit")
	}
	id, err := s.contactWithoutMessage(ctx, ref)
	if err != nil {
		return 0, fmt.Errorf("inbox: visitor contact: %w", err)
	}
	return id, nil
}

// contactWithoutMessage finds or creates the contact of ref the way its
// first message would (same identity rule, same locks, merges recorded as
// durable contact.updated events), without a ticket or message.
func (s *Service) contactWithoutMessage(ctx context.Context, ref ContactRef) (int64, error) {
	snd, err := normSender(ref)
	if err != nil {
		return 0, err
	}
	var contact *store.Contact
	var evs []Event
	err = s.st.Tx(ctx, func(tx *gorm.DB) error {
		if err := s.lockKeys(tx, snd.lockKeys()...); err != nil {
			return err
		}
		c, merged, err := s.resolveContact(tx, snd)
		if err != nil {
			return err
		}
		contact = c
		for _, id := range merged {
			evs = append(evs, Event{Type: EventContactUpdated, ContactID: c.ID, Contact: &ContactChanges{MergedFrom: id}})
		}
		return s.recordEvents(tx, evs)
	})
	if err != nil {
		return 0, err
	}
	s.publish(evs...)
	return contact.ID, nil
}
