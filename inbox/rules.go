package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// Automation rules: "when <trigger> if <conditions> then <actions>".
//
//   - The durable consumer RulesConsumer sees every event that can trigger a
//     rule and evaluates the enabled rules of that trigger in position
//     order. A rule whose conditions hold (all of them, or any with match
//     "any") acts; StopAfter ends the evaluation of that event. A rule sees
//     the ticket as the rules before it left it.
//   - A rule's actions on one event run in one transaction together with a
//     rule_runs row keyed (rule, event): a redelivered event (a crash, a lost
//     lease, a retry) finds the row and acts no more, and a crash before the
//     commit leaves nothing behind, so the redelivery acts once. Slack
//     notifications and webhooks are outbox rows of that transaction,
//     delivered at least once by the dispatcher.
//   - Loops: every change a rule makes records events carrying a RuleCause
//     with the chain of rules that led to it. A rule in the chain is not
//     evaluated again for such an event, and an event whose chain is
//     MaxRuleDepth long triggers nothing.
//   - Every action leaves a visible entry on the ticket's timeline naming
//     the rule (the system message of the change, the note, the reply, or a
//     system message for Slack and webhooks).
//   - "No customer reply for N hours": an agent's reply schedules a job per
//     distinct N (jobs/ scheduler) that, when due and still unanswered,
//     records a durable ticket.no_reply event; the consumer evaluates it
//     like any other.

// Rule triggers.
const (
	TriggerTicketCreated   = "ticket_created"
	TriggerCustomerMessage = "customer_message"
	TriggerAgentReply      = "agent_reply"
	TriggerTicketUpdated   = "ticket_updated"
	TriggerSLAWarning      = "sla_warning"
	TriggerSLABreached     = "sla_breached"
	TriggerNoReply         = "no_customer_reply"
	// TriggerLowRating: the customer answered a survey about the ticket
	// with a low score (CSAT 1–2 of 5, NPS 0–6: SurveyChanges.Low).
	TriggerLowRating = "low_rating"
)

// RuleTriggers lists the triggers in the order forms show them.
var RuleTriggers = []string{TriggerTicketCreated, TriggerCustomerMessage, TriggerAgentReply, TriggerTicketUpdated,
	TriggerSLAWarning, TriggerSLABreached, TriggerNoReply, TriggerLowRating}

// Rule condition fields.
const (
	CondChannel       = "channel"        // channel kind ("email") or channel id
	CondTeam          = "team"           // team id, "" for none
	CondText          = "text"           // the message's text (the latest customer message's otherwise)
	CondSubject       = "subject"        // the ticket's subject
	CondTag           = "tag"            // a tag of the ticket
	CondPriority      = "priority"       // low, normal, high, urgent
	CondEmailDomain   = "email_domain"   // the contact's email domain
	CondLanguage      = "language"       // the contact's locale ("ko", "en")
	CondBusinessHours = "business_hours" // "inside" or "outside" the team's hours
	CondPageURL       = "page_url"       // the page a widget visitor wrote from (contains)
	CondAttribute     = "attribute"      // a contact attribute (Key) has the value (Value)
)

// RuleFields lists the condition fields in the order forms show them.
var RuleFields = []string{CondChannel, CondTeam, CondText, CondSubject, CondTag, CondPriority, CondEmailDomain, CondLanguage, CondBusinessHours, CondPageURL, CondAttribute}

// Rule condition operators.
const (
	OpIs          = "is"
	OpIsNot       = "is_not"
	OpContains    = "contains"
	OpNotContains = "not_contains"
)

// RuleOps lists the operators.
var RuleOps = []string{OpIs, OpIsNot, OpContains, OpNotContains}

// Rule actions.
const (
	ActAssignTeam  = "assign_team"  // Value: team id
	ActAssignAgent = "assign_agent" // Value: agent id
	ActAddTag      = "add_tag"
	ActRemoveTag   = "remove_tag"
	ActSetPriority = "set_priority"
	ActSetStatus   = "set_status"
	ActSnooze      = "snooze"      // Value: hours
	ActSavedReply  = "saved_reply" // Value: saved reply id
	ActAddNote     = "add_note"    // Value: the note
	ActNotifySlack = "notify_slack"
	ActWebhook     = "webhook"
)

// RuleActionTypes lists the actions in the order forms show them.
var RuleActionTypes = []string{ActAssignTeam, ActAssignAgent, ActAddTag, ActRemoveTag, ActSetPriority, ActSetStatus, ActSnooze,
	ActSavedReply, ActAddNote, ActNotifySlack, ActWebhook}

// Rule consumer, job and events.
const (
	RulesConsumerName = "rules"
	JobRuleNoReply    = "rules.no_reply"
	// EventTicketNoReply: a ticket's customer has not answered an agent's
	// reply for NoReply.Hours hours.
	EventTicketNoReply = "ticket.no_reply"
	// EventRuleNotify is the event type of a rule's Slack notification.
	EventRuleNotify = "rule.notify"
	// MaxRuleDepth bounds chains of rules triggering rules.
	MaxRuleDepth = 3
	// MaxRules, MaxRuleConditions and MaxRuleActions bound a rule set.
	MaxRules          = 500
	MaxRuleConditions = 20
	MaxRuleActions    = 20
)

// ruleEventTypes maps event types to the triggers they can fire. The SLA
// event types are recorded by the SLA timers.
var ruleEventTypes = map[string]bool{
	EventTicketCreated: true, EventMessageCreated: true, EventTicketUpdated: true,
	"sla.warning": true, "sla.breached": true, EventTicketNoReply: true,
	EventSurveyAnswered: true,
}

// RuleCause names the rule whose action made a change.
type RuleCause struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Chain lists the rules that led to this change, this one last.
	Chain []int64 `json:"chain"`
}

func (c *RuleCause) ref() map[string]any { return map[string]any{"id": c.ID, "name": c.Name} }

// NoReplyChanges describes a ticket.no_reply event.
type NoReplyChanges struct {
	Hours int `json:"hours"`
	// Since is when the agent's reply that went unanswered was sent.
	Since time.Time `json:"since"`
}

// RuleFromMeta returns the rule a timeline entry's metadata names (id 0:
// none).
func RuleFromMeta(meta map[string]any) (id int64, name string) {
	m, ok := meta["rule"].(map[string]any)
	if !ok {
		return 0, ""
	}
	name, _ = m["name"].(string)
	f, _ := m["id"].(float64)
	return int64(f), name
}

// RuleInput is an admin's rule.
type RuleInput struct {
	Name         string
	Enabled      bool
	StopAfter    bool
	Trigger      string
	TriggerHours int
	Match        string
	Conditions   []store.RuleCondition
	Actions      []store.RuleAction
}

// ruleFromInput validates in into a rule.
func (s *Service) ruleFromInput(ctx context.Context, in RuleInput) (*store.Rule, error) {
	name, err := plaintext.Text(strings.TrimSpace(in.Name), 0)
	if err != nil || name == "" || utf8.RuneCountInString(name) > 200 {
		return nil, invalidAs("rule_name", nil, "a rule needs a name of at most 200 characters")
	}
	if !slices.Contains(RuleTriggers, in.Trigger) {
		return nil, invalidAs("rule_trigger", map[string]any{"value": in.Trigger}, "unknown trigger %q", in.Trigger)
	}
	if in.Trigger == TriggerNoReply {
		if in.TriggerHours < 1 || in.TriggerHours > 24*90 {
			return nil, invalidAs("rule_hours", nil, "no customer reply needs between 1 and 2160 hours")
		}
	} else {
		in.TriggerHours = 0
	}
	if in.Match == "" {
		in.Match = "all"
	}
	if in.Match != "all" && in.Match != "any" {
		return nil, invalidAs("rule_match", map[string]any{"value": in.Match}, "match is all or any")
	}
	if len(in.Conditions) > MaxRuleConditions || len(in.Actions) > MaxRuleActions {
		return nil, invalidAs("rule_size", nil, "at most %d conditions and %d actions", MaxRuleConditions, MaxRuleActions)
	}
	if len(in.Actions) == 0 {
		return nil, invalidAs("rule_no_action", nil, "a rule needs at least one action")
	}
	conds := make(store.RuleConditions, 0, len(in.Conditions))
	for _, c := range in.Conditions {
		c.Value = strings.TrimSpace(c.Value)
		if v, err := plaintext.Text(c.Value, 500); err != nil {
			return nil, invalidAs("rule_condition", map[string]any{"field": c.Field}, "a condition's value is too long or not text")
		} else {
			c.Value = v
		}
		if err := validCondition(c); err != nil {
			return nil, err
		}
		conds = append(conds, c)
	}
	acts := make(store.RuleActions, 0, len(in.Actions))
	for _, a := range in.Actions {
		a.Value, a.Target, a.Secret = strings.TrimSpace(a.Value), strings.TrimSpace(a.Target), strings.TrimSpace(a.Secret)
		for _, v := range []string{a.Value, a.Target, a.Secret} {
			if _, err := plaintext.Text(v, 10000); err != nil {
				return nil, invalidAs("rule_action", map[string]any{"type": a.Type}, "an action's value is too long or not text")
			}
		}
		if err := s.validAction(ctx, &a); err != nil {
			return nil, err
		}
		acts = append(acts, a)
	}
	return &store.Rule{Name: name, Enabled: in.Enabled, StopAfter: in.StopAfter, Trigger: in.Trigger, TriggerHours: in.TriggerHours,
		Match: in.Match, Conditions: conds, Actions: acts}, nil
}

func validCondition(c store.RuleCondition) error {
	bad := func() error {
		return invalidAs("rule_condition", map[string]any{"field": c.Field}, "condition %s %s %q is not valid", c.Field, c.Op, c.Value)
	}
	if !slices.Contains(RuleFields, c.Field) || !slices.Contains(RuleOps, c.Op) {
		return bad()
	}
	textual := c.Field == CondText || c.Field == CondSubject || c.Field == CondPageURL
	if textual != (c.Op == OpContains || c.Op == OpNotContains) {
		return bad()
	}
	switch c.Field {
	case CondText, CondSubject, CondTag, CondEmailDomain, CondLanguage, CondChannel, CondPageURL:
		if c.Value == "" {
			return bad()
		}
	case CondAttribute:
		if c.Key == "" || len(c.Key) > 64 || c.Value == "" {
			return bad()
		}
	case CondPriority:
		if !validPriority(c.Value) {
			return bad()
		}
	case CondBusinessHours:
		if c.Value != "inside" && c.Value != "outside" {
			return bad()
		}
	case CondTeam:
		if c.Value != "" {
			if _, err := strconv.ParseInt(c.Value, 10, 64); err != nil {
				return bad()
			}
		}
	}
	return nil
}

func (s *Service) validAction(ctx context.Context, a *store.RuleAction) error {
	db := s.st.DB.WithContext(ctx)
	bad := func(why string) error {
		return invalidAs("rule_action", map[string]any{"type": a.Type}, "action %s: %s", a.Type, why)
	}
	id, idErr := strconv.ParseInt(a.Value, 10, 64)
	exists := func(model any) bool {
		var n int64
		return idErr == nil && db.Model(model).Where("id = ?", id).Count(&n).Error == nil && n > 0
	}
	switch a.Type {
	case ActAssignTeam:
		if !exists(&store.Team{}) {
			return bad("no such team")
		}
	case ActAssignAgent:
		if !exists(&store.Agent{}) {
			return bad("no such agent")
		}
	case ActAddTag, ActRemoveTag:
		a.Value = strings.ToLower(a.Value)
		if a.Value == "" || utf8.RuneCountInString(a.Value) > 64 {
			return bad("a tag of 1 to 64 characters")
		}
	case ActSetPriority:
		if !validPriority(a.Value) {
			return bad("unknown priority")
		}
	case ActSetStatus:
		if !validStatus(a.Value) || a.Value == store.StatusSnoozed {
			return bad("unknown status (use snooze to snooze)")
		}
	case ActSnooze:
		if idErr != nil || id < 1 || id > 24*90 {
			return bad("snooze between 1 and 2160 hours")
		}
	case ActSavedReply:
		if !exists(&store.SavedReply{}) {
			return bad("no such saved reply")
		}
	case ActAddNote:
		if a.Value == "" {
			return bad("the note is empty")
		}
	case ActNotifySlack:
		var ch store.Channel
		if a.ChannelID == 0 || db.Take(&ch, a.ChannelID).Error != nil || ch.Kind != "slack" {
			return bad("choose a Slack channel")
		}
		if a.Value == "" {
			return bad("the message is empty")
		}
	case ActWebhook:
		u, err := url.Parse(a.Target)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return bad("an http(s) URL")
		}
		if len(a.Secret) < 16 {
			return bad("a signing secret of at least 16 characters")
		}
	default:
		return bad("unknown action")
	}
	return nil
}

// Rules lists every rule in evaluation order.
func (s *Service) Rules(ctx context.Context) ([]store.Rule, error) {
	rs, err := s.st.ListRules(ctx)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return rs, nil
}

// Rule returns rule id.
func (s *Service) Rule(ctx context.Context, id int64) (*store.Rule, error) {
	r, err := s.st.GetRule(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return r, nil
}

// CreateRule validates in and adds it after the last rule.
func (s *Service) CreateRule(ctx context.Context, in RuleInput) (*store.Rule, error) {
	r, err := s.ruleFromInput(ctx, in)
	if err != nil {
		return nil, err
	}
	var n int64
	if err := s.st.DB.WithContext(ctx).Model(&store.Rule{}).Count(&n).Error; err != nil {
		return nil, fmt.Errorf("inbox: count rules: %w", err)
	}
	if n >= MaxRules {
		return nil, invalidAs("rule_size", nil, "at most %d rules", MaxRules)
	}
	if err := s.st.CreateRule(ctx, r); err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return r, nil
}

// UpdateRule validates in and replaces rule id's fields (its position
// stays).
//
// A webhook action given without a secret keeps the secret of the rule's
// webhook action to the same URL, so forms need not show secrets again.
func (s *Service) UpdateRule(ctx context.Context, id int64, in RuleInput) (*store.Rule, error) {
	old, err := s.Rule(ctx, id)
	if err != nil {
		return nil, err
	}
	in.Actions = slices.Clone(in.Actions)
	for i, a := range in.Actions {
		if a.Type != ActWebhook || strings.TrimSpace(a.Secret) != "" {
			continue
		}
		for _, o := range old.Actions {
			if o.Type == ActWebhook && o.Target == strings.TrimSpace(a.Target) {
				in.Actions[i].Secret = o.Secret
				break
			}
		}
	}
	r, err := s.ruleFromInput(ctx, in)
	if err != nil {
		return nil, err
	}
	r.ID = id
	if err := s.st.UpdateRule(ctx, r); err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return s.Rule(ctx, id)
}

// SetRuleEnabled turns rule id on or off.
func (s *Service) SetRuleEnabled(ctx context.Context, id int64, on bool) error {
	res := s.st.DB.WithContext(ctx).Model(&store.Rule{}).Where("id = ?", id).Updates(map[string]any{"enabled": on, "updated_at": now()})
	if res.Error != nil {
		return fmt.Errorf("inbox: enable rule %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("inbox: rule %d: %w", id, ErrNotFound)
	}
	return nil
}

// DeleteRule deletes rule id.
func (s *Service) DeleteRule(ctx context.Context, id int64) error {
	if err := s.st.DeleteRule(ctx, id); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	return nil
}

// ReorderRules sets the evaluation order: ids names every rule once.
func (s *Service) ReorderRules(ctx context.Context, ids []int64) error {
	rs, err := s.st.ListRules(ctx)
	if err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	have := make([]int64, len(rs))
	for i, r := range rs {
		have[i] = r.ID
	}
	want := slices.Clone(ids)
	slices.Sort(have)
	slices.Sort(want)
	if !slices.Equal(have, want) {
		return invalidAs("rule_order", nil, "the order must name every rule exactly once")
	}
	if err := s.st.ReorderRules(ctx, ids); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	return nil
}

// MoveRule moves rule id one place up (delta -1) or down (+1).
func (s *Service) MoveRule(ctx context.Context, id int64, delta int) error {
	rs, err := s.st.ListRules(ctx)
	if err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	ids := make([]int64, len(rs))
	at := -1
	for i, r := range rs {
		ids[i] = r.ID
		if r.ID == id {
			at = i
		}
	}
	if at < 0 {
		return fmt.Errorf("inbox: rule %d: %w", id, ErrNotFound)
	}
	to := at + delta
	if to < 0 || to >= len(ids) {
		return nil
	}
	ids[at], ids[to] = ids[to], ids[at]
	return s.ReorderRules(ctx, ids)
}

// ruleFacts is what conditions test, loaded once per event.
type ruleFacts struct {
	ticket      *store.Ticket
	channelKind string
	text        string
	pageURL     string
	tags        []string
	email       string
	locale      string
	hours       store.BusinessHours
	at          time.Time

	// open is whether the team's hours are open at at, found on first use
	// (OpenAt loads the time zone).
	open *bool
	// attrs are the contact's attribute values, read from db on first use
	// (only rules with an attribute condition need them).
	db    *gorm.DB
	attrs map[string]store.ContactAttribute
	// Token streams of the text and subject, made on first use.
	textToks, subjectToks []string
	tokenized             bool
}

func (f *ruleFacts) tokens() (text, subject []string) {
	if !f.tokenized {
		f.textToks, f.subjectToks, f.tokenized = store.TokenStream(f.text), store.TokenStream(f.ticket.Subject), true
	}
	return f.textToks, f.subjectToks
}

// loadFacts reads a ticket's facts; text is the message's text when
// messageID is set, else the latest customer message's.
func (s *Service) loadFacts(db *gorm.DB, ticketID, messageID int64, at time.Time) (*ruleFacts, error) {
	var t store.Ticket
	if err := db.Preload("Contact").Preload("Tags").Take(&t, ticketID).Error; err != nil {
		return nil, fmt.Errorf("rules: load ticket %d: %w", ticketID, notFound(err))
	}
	f := &ruleFacts{ticket: &t, at: at, db: db}
	for _, tg := range t.Tags {
		f.tags = append(f.tags, tg.Tag)
	}
	if t.Contact != nil {
		f.email, f.locale = strings.ToLower(t.Contact.Email), strings.ToLower(t.Contact.Locale)
	}
	var kinds []string
	if err := db.Model(&store.Channel{}).Where("id = ?", t.LastChannelID).Pluck("kind", &kinds).Error; err != nil {
		return nil, fmt.Errorf("rules: channel: %w", err)
	}
	if len(kinds) > 0 {
		f.channelKind = kinds[0]
	}
	var ms []store.Message
	q := db.Select("id", "text", "meta").Where("ticket_id = ?", t.ID)
	if messageID > 0 {
		q = q.Where("id = ?", messageID)
	} else {
		q = q.Where("direction = ?", store.DirInbound).Order("created_at DESC, id DESC").Limit(1)
	}
	if err := q.Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("rules: message text: %w", err)
	}
	if len(ms) > 0 {
		f.text, f.pageURL = ms[0].Text, ms[0].Meta.String("page_url")
	}
	if t.TeamID != nil {
		var tm store.Team
		if err := db.Select("id", "business_hours").Take(&tm, *t.TeamID).Error; err == nil {
			f.hours = tm.Hours
		} else if !errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("rules: team: %w", err)
		}
	}
	return f, nil
}

// attributeIs reports whether the contact's attribute key has the value
// want: text equal ignoring case, numbers equal as numbers, yes/no for a
// boolean (true, yes, 예, 1 / false, no, 아니오, 0), a date as YYYY-MM-DD (UTC).
// An unset attribute, or a ticket without a contact, has no value.
func (f *ruleFacts) attributeIs(key, want string) bool {
	c := f.ticket.Contact
	if c == nil {
		return false
	}
	switch key { // the built-ins kept on the contact row
	case store.AttrLocale:
		return c.Locale != "" && strings.EqualFold(c.Locale, want)
	case store.AttrTimeZone:
		return c.TimeZone != "" && strings.EqualFold(c.TimeZone, want)
	}
	if f.attrs == nil {
		f.attrs = map[string]store.ContactAttribute{}
		var rows []store.ContactAttribute
		if err := f.db.Where("contact_id = ?", c.ID).Find(&rows).Error; err != nil {
			return false // the condition fails closed; the run's other reads report the store
		}
		for _, r := range rows {
			f.attrs[r.Key] = r
		}
	}
	a, ok := f.attrs[key]
	if !ok {
		return false
	}
	want = strings.TrimSpace(want)
	switch v := a.Value().(type) {
	case string:
		return strings.EqualFold(v, want)
	case float64:
		w, err := strconv.ParseFloat(want, 64)
		return err == nil && w == v
	case bool:
		switch strings.ToLower(want) {
		case "true", "yes", "y", "1", "예", "네":
			return v
		case "false", "no", "n", "0", "아니오", "아니요":
			return !v
		}
	case time.Time:
		return v.Format(time.DateOnly) == want
	}
	return false
}

// ruleMatches evaluates r's conditions on f (no conditions: always).
func ruleMatches(r *store.Rule, f *ruleFacts) bool {
	if len(r.Conditions) == 0 {
		return true
	}
	anyOf := r.Match == "any"
	for _, c := range r.Conditions {
		ok := condHolds(c, f)
		if anyOf && ok {
			return true
		}
		if !anyOf && !ok {
			return false
		}
	}
	return !anyOf
}

func condHolds(c store.RuleCondition, f *ruleFacts) bool {
	var is bool
	switch c.Field {
	case CondText:
		toks, _ := f.tokens()
		is = store.MatchesTokens(toks, c.Value)
	case CondSubject:
		_, toks := f.tokens()
		is = store.MatchesTokens(toks, c.Value)
	case CondPageURL:
		is = f.pageURL != "" && strings.Contains(strings.ToLower(f.pageURL), strings.ToLower(c.Value))
	case CondChannel:
		is = strings.EqualFold(c.Value, f.channelKind) || c.Value == strconv.FormatInt(f.ticket.LastChannelID, 10)
	case CondTeam:
		if c.Value == "" {
			is = f.ticket.TeamID == nil
		} else {
			is = f.ticket.TeamID != nil && c.Value == strconv.FormatInt(*f.ticket.TeamID, 10)
		}
	case CondTag:
		is = slices.Contains(f.tags, strings.ToLower(c.Value))
	case CondPriority:
		is = f.ticket.Priority == c.Value
	case CondEmailDomain:
		_, domain, ok := strings.Cut(f.email, "@")
		is = ok && strings.EqualFold(domain, strings.TrimPrefix(c.Value, "@"))
	case CondLanguage:
		v := strings.ToLower(c.Value)
		is = f.locale == v || strings.HasPrefix(f.locale, v+"-") || strings.HasPrefix(f.locale, v+"_")
	case CondAttribute:
		is = f.attributeIs(c.Key, c.Value)
	case CondBusinessHours:
		if f.open == nil {
			o := OpenAt(f.hours, f.at).Open
			f.open = &o
		}
		is = *f.open == (c.Value == "inside")
	}
	if c.Op == OpIsNot || c.Op == OpNotContains {
		return !is
	}
	return is
}

// triggerOf names the trigger an event fires ("" for none).
func triggerOf(e Event) string {
	switch e.Type {
	case EventTicketCreated:
		return TriggerTicketCreated
	case EventMessageCreated:
		if e.Message == nil {
			return ""
		}
		switch e.Message.Direction {
		case store.DirInbound:
			return TriggerCustomerMessage
		case store.DirOutbound:
			return TriggerAgentReply
		}
	case EventTicketUpdated:
		if len(e.Changes.Fields()) > 0 {
			return TriggerTicketUpdated
		}
	case "sla.warning":
		return TriggerSLAWarning
	case "sla.breached":
		return TriggerSLABreached
	case EventTicketNoReply:
		return TriggerNoReply
	case EventSurveyAnswered:
		// Rules act on tickets: an NPS answer that no ticket asked for
		// has none to act on.
		if e.Survey != nil && e.Survey.Low && e.TicketID != 0 {
			return TriggerLowRating
		}
	}
	return ""
}

// ruleHooks let tests stop a rule's run at a point (a simulated crash).
type ruleHooks struct {
	// beforeCommit runs inside a rule's transaction, after its actions.
	beforeCommit func(ruleID, eventID int64)
	// afterCommit runs after a rule's transaction committed.
	afterCommit func(ruleID, eventID int64)
}

// EnableRules adds the rules consumer and registers the no-reply job on
// sched. Call it once, before RunConsumers and sched.Run.
func (s *Service) EnableRules(ctx context.Context, sched *jobs.Scheduler) error {
	sched.Handle(JobRuleNoReply, s.runNoReplyJob)
	return s.AddConsumer(ctx, s.RulesConsumer(sched))
}

// RulesConsumer is the durable consumer that runs automation rules. sched
// (may be nil) receives the no-reply timers.
func (s *Service) RulesConsumer(sched *jobs.Scheduler) Consumer {
	types := make([]string, 0, len(ruleEventTypes))
	for t := range ruleEventTypes {
		types = append(types, t)
	}
	slices.Sort(types)
	return Consumer{Name: RulesConsumerName, Types: types, Handle: func(ctx context.Context, e Event) error {
		if e.ID <= 0 || e.TicketID == 0 {
			return nil
		}
		rules, err := s.st.ListRules(ctx)
		if err != nil {
			return err
		}
		if sched != nil && triggerOf(e) == TriggerAgentReply {
			if err := s.scheduleNoReply(ctx, sched, rules, e); err != nil {
				return err
			}
		}
		_, err = s.ApplyRules(ctx, rules, e)
		return err
	}}
}

// ApplyRules evaluates rules (in order) for event e and runs the actions
// of those that match, each rule at most once per event. It returns the
// ids of the rules that acted now.
func (s *Service) ApplyRules(ctx context.Context, rules []store.Rule, e Event) ([]int64, error) {
	trig := triggerOf(e)
	if trig == "" {
		return nil, nil
	}
	var chain []int64
	if e.Rule != nil {
		chain = e.Rule.Chain
		if len(chain) >= MaxRuleDepth {
			s.log.Warn("rules: depth limit reached", "ticket_id", e.TicketID, "event_id", e.ID, "chain", chain)
			return nil, nil
		}
	}
	var facts *ruleFacts
	var acted []int64
	for i := range rules {
		r := &rules[i]
		if !r.Enabled || r.Trigger != trig || slices.Contains(chain, r.ID) {
			continue
		}
		if trig == TriggerNoReply && (e.NoReply == nil || e.NoReply.Hours != r.TriggerHours) {
			continue
		}
		if facts == nil {
			at := e.At
			if at.IsZero() {
				at = now()
			}
			msgID := int64(0)
			if e.Type == EventMessageCreated {
				msgID = e.MessageID
			}
			var err error
			if facts, err = s.loadFacts(s.st.DB.WithContext(ctx), e.TicketID, msgID, at); err != nil {
				if errors.Is(err, ErrNotFound) {
					return nil, nil
				}
				return acted, err
			}
			if facts.ticket.MergedInto != nil {
				return nil, nil
			}
		}
		if !ruleMatches(r, facts) {
			continue
		}
		cause := &RuleCause{ID: r.ID, Name: r.Name, Chain: append(slices.Clone(chain), r.ID)}
		ran, err := s.runRule(ctx, r, e, cause)
		if errors.Is(err, ErrInvalid) {
			// The rule cannot act on this ticket (its agent was
			// deactivated, its team deleted): retrying will not help, and
			// the rules after it still run.
			s.log.Warn("rules: a rule could not act", "rule_id", r.ID, "ticket_id", e.TicketID, "event_id", e.ID, "err", err)
			continue
		}
		if err != nil {
			return acted, fmt.Errorf("rule %d: %w", r.ID, err)
		}
		if ran {
			acted = append(acted, r.ID)
			facts = nil // the next rule sees what this one changed
		}
		if r.StopAfter {
			break
		}
	}
	return acted, nil
}

// runRule runs r's actions for e in one transaction with its rule_runs
// row; false means the rule had already acted on e.
func (s *Service) runRule(ctx context.Context, r *store.Rule, e Event, cause *RuleCause) (bool, error) {
	var events []Event
	ran := false
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		events, ran = nil, false
		ok, err := store.ClaimRuleRun(tx, r.ID, e.ID, e.TicketID)
		if err != nil || !ok {
			return err
		}
		if events, err = s.ruleActionsTx(tx, r, e, cause); err != nil {
			return err
		}
		if h := s.ruleHooks.beforeCommit; h != nil {
			h(r.ID, e.ID)
		}
		ran = true
		return nil
	})
	if err != nil {
		return false, err
	}
	if h := s.ruleHooks.afterCommit; h != nil {
		h(r.ID, e.ID)
	}
	s.publish(events...)
	return ran, nil
}

// ruleActionsTx applies r's actions to e's ticket inside tx. Ticket
// changes (assignment, tags, priority, status, snooze) are one update with
// one timeline entry; the others follow in the rule's order.
func (s *Service) ruleActionsTx(tx *gorm.DB, r *store.Rule, e Event, cause *RuleCause) ([]Event, error) {
	var p TicketPatch
	changes := false
	for _, a := range r.Actions {
		id, _ := strconv.ParseInt(a.Value, 10, 64)
		switch a.Type {
		case ActAssignTeam:
			p.TeamID, changes = &id, true
		case ActAssignAgent:
			p.AssigneeID, changes = &id, true
		case ActAddTag:
			p.AddTags, changes = append(p.AddTags, a.Value), true
		case ActRemoveTag:
			p.RemoveTags, changes = append(p.RemoveTags, a.Value), true
		case ActSetPriority:
			v := a.Value
			p.Priority, changes = &v, true
		case ActSetStatus:
			v := a.Value
			p.Status, p.SnoozedUntil, changes = &v, nil, true
		case ActSnooze:
			v, until := store.StatusSnoozed, now().Add(time.Duration(id)*time.Hour)
			p.Status, p.SnoozedUntil, changes = &v, &until, true
		}
	}
	var events []Event
	if changes {
		evs, err := s.updateTicketTx(tx, e.TicketID, 0, p, cause)
		if err != nil {
			return nil, err
		}
		events = append(events, evs...)
	}
	for _, a := range r.Actions {
		switch a.Type {
		case ActAddNote:
			_, ev, err := s.noteTx(tx, NoteInput{TicketID: e.TicketID, Text: a.Value}, nil, cause)
			if err != nil {
				return nil, err
			}
			events = append(events, ev)
		case ActSavedReply:
			var sr store.SavedReply
			if err := tx.Take(&sr, a.Value).Error; err != nil {
				return nil, fmt.Errorf("saved reply %s: %w", a.Value, notFound(err))
			}
			text, err := s.savedReplyText(tx, e.TicketID, sr.Body)
			if err != nil {
				return nil, err
			}
			_, evs, err := s.replyTx(tx, ReplyInput{TicketID: e.TicketID, Text: text, rule: cause}, "", nil)
			if err != nil {
				return nil, err
			}
			events = append(events, evs...)
		case ActNotifySlack:
			ev := Event{Type: EventRuleNotify, TicketID: e.TicketID, Rule: cause, Data: map[string]any{"text": a.Value, "slack_channel": a.Target}}
			if err := tx.Create(&store.Outbox{ChannelID: a.ChannelID, TicketID: e.TicketID, Purpose: store.PurposeNotify,
				Payload: store.JSONMap{"type": EventRuleNotify, "event": ev}, Status: store.OutboxPending, NextAttemptAt: now()}).Error; err != nil {
				return nil, fmt.Errorf("queue slack notification: %w", err)
			}
			if err := s.ruleEntry(tx, e.TicketID, cause, a, "notified Slack"); err != nil {
				return nil, err
			}
		case ActWebhook:
			body, err := s.webhookBody(tx, e, cause)
			if err != nil {
				return nil, err
			}
			if err := tx.Create(&store.Outbox{TicketID: e.TicketID, Purpose: store.PurposeWebhook,
				Payload: store.JSONMap{"url": a.Target, "secret": a.Secret, "body": body}, Status: store.OutboxPending, NextAttemptAt: now()}).Error; err != nil {
				return nil, fmt.Errorf("queue webhook: %w", err)
			}
			if err := s.ruleEntry(tx, e.TicketID, cause, a, "called a webhook"); err != nil {
				return nil, err
			}
		}
	}
	return events, nil
}

// savedReplyText fills a saved reply's placeholders as the composer does:
// {{contact.name}} (or the fallback word) and {{agent.name}} (the
// ticket's assignee, if any).
func (s *Service) savedReplyText(tx *gorm.DB, ticketID int64, body string) (string, error) {
	var t store.Ticket
	if err := tx.Preload("Contact").Take(&t, ticketID).Error; err != nil {
		return "", notFound(err)
	}
	name := ""
	if t.Contact != nil {
		name = strings.TrimSpace(plaintext.StripBidi(t.Contact.Name))
	}
	if name == "" {
		name = s.contactFallback
	}
	agent := ""
	if t.AssigneeID != nil {
		agent = agentRef(tx, *t.AssigneeID).Name
	}
	return strings.NewReplacer("{{contact.name}}", name, "{{agent.name}}", agent).Replace(body), nil
}

// ruleEntry writes a timeline entry for an action that changes nothing on
// the ticket itself (a Slack notification, a webhook).
func (s *Service) ruleEntry(tx *gorm.DB, ticketID int64, cause *RuleCause, a store.RuleAction, what string) error {
	var t store.Ticket
	if err := tx.Select("id", "last_channel_id").Take(&t, ticketID).Error; err != nil {
		return notFound(err)
	}
	meta := store.JSONMap{"rule": cause.ref(), "rule_action": a.Type}
	if a.Type == ActWebhook {
		if u, err := url.Parse(a.Target); err == nil {
			meta["host"] = u.Host
		}
	}
	return tx.Create(&store.Message{TicketID: ticketID, Direction: store.DirSystem, AuthorType: store.AuthorSystem, ChannelID: t.LastChannelID,
		Text: what + " (rule '" + cause.Name + "')", Meta: meta, CreatedAt: now()}).Error
}

// WebhookPayload is the JSON body a rule's webhook posts.
type WebhookPayload struct {
	// ID is unique per rule and event: receivers deduplicate on it (a
	// delivery may be repeated).
	ID     string    `json:"id"`
	Event  string    `json:"event"`
	RuleID int64     `json:"rule_id"`
	Rule   string    `json:"rule"`
	Ticket TicketRef `json:"ticket"`
	At     time.Time `json:"at"`
}

func (s *Service) webhookBody(tx *gorm.DB, e Event, cause *RuleCause) (string, error) {
	var t store.Ticket
	if err := tx.Take(&t, e.TicketID).Error; err != nil {
		return "", notFound(err)
	}
	b, err := json.Marshal(WebhookPayload{ID: fmt.Sprintf("rule-%d-event-%d", cause.ID, e.ID), Event: e.Type, RuleID: cause.ID, Rule: cause.Name,
		Ticket: s.ticketRef(&t), At: now()})
	return string(b), err
}

// noReplyJob is the payload of a rules.no_reply job.
type noReplyJob struct {
	TicketID  int64     `json:"ticket_id"`
	MessageID int64     `json:"message_id"`
	Hours     int       `json:"hours"`
	Since     time.Time `json:"since"`
}

// scheduleNoReply starts a timer per distinct N of the enabled no-reply
// rules for the agent reply e.
func (s *Service) scheduleNoReply(ctx context.Context, sched *jobs.Scheduler, rules []store.Rule, e Event) error {
	seen := map[int]bool{}
	at := e.At
	if at.IsZero() {
		at = now()
	}
	for _, r := range rules {
		if !r.Enabled || r.Trigger != TriggerNoReply || seen[r.TriggerHours] {
			continue
		}
		seen[r.TriggerHours] = true
		key := fmt.Sprintf("ticket:%d:message:%d:hours:%d", e.TicketID, e.MessageID, r.TriggerHours)
		if _, err := sched.Schedule(ctx, jobs.Spec{Kind: JobRuleNoReply, Key: key, Due: at.Add(time.Duration(r.TriggerHours) * time.Hour),
			Payload: noReplyJob{TicketID: e.TicketID, MessageID: e.MessageID, Hours: r.TriggerHours, Since: at}}); err != nil {
			return fmt.Errorf("rules: schedule no-reply: %w", err)
		}
	}
	return nil
}

// runNoReplyJob records ticket.no_reply when the customer still has not
// answered the reply and the ticket is still open or pending.
func (s *Service) runNoReplyJob(ctx context.Context, j *jobs.Job) error {
	var p noReplyJob
	if err := j.Decode(&p); err != nil {
		return jobs.Permanent(err)
	}
	var evs []Event
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		evs = nil
		var t store.Ticket
		if err := tx.Take(&t, p.TicketID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return j.Done(tx)
			}
			return err
		}
		answered := t.LastCustomerAt != nil && t.LastCustomerAt.After(p.Since)
		if answered || t.MergedInto != nil || (t.Status != store.StatusOpen && t.Status != store.StatusPending) {
			return j.Done(tx)
		}
		evs = []Event{{Type: EventTicketNoReply, TicketID: t.ID, MessageID: p.MessageID, NoReply: &NoReplyChanges{Hours: p.Hours, Since: p.Since}}}
		if err := s.recordEvents(tx, evs); err != nil {
			return err
		}
		return j.Done(tx)
	})
	if err != nil {
		return fmt.Errorf("rules: no-reply job: %w", err)
	}
	s.publish(evs...)
	return nil
}

// RuleEffect is what one action would do to a ticket; Noop when the
// ticket is already so (the tag is there, the priority is set).
type RuleEffect struct {
	store.RuleAction
	Noop bool `json:"noop"`
}

// DryRunResult is a rule's verdict on one ticket.
type DryRunResult struct {
	TicketID int64        `json:"ticket_id"`
	Number   int64        `json:"number"`
	PublicID string       `json:"public_id"`
	Subject  string       `json:"subject"`
	Matched  bool         `json:"matched"`
	Effects  []RuleEffect `json:"effects,omitempty"`
}

// DryRunRule evaluates an unsaved rule against the n most recent tickets
// (at most 200) as if its trigger had fired on each with its latest
// customer message, and says which match and what the actions would do.
// It changes nothing.
func (s *Service) DryRunRule(ctx context.Context, in RuleInput, n int) ([]DryRunResult, error) {
	r, err := s.ruleFromInput(ctx, in)
	if err != nil {
		return nil, err
	}
	if n <= 0 || n > 200 {
		n = 50
	}
	db := s.st.DB.WithContext(ctx)
	var ids []int64
	if err := db.Model(&store.Ticket{}).Where("merged_into IS NULL").Order("id DESC").Limit(n).Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("inbox: dry run: %w", err)
	}
	out := make([]DryRunResult, 0, len(ids))
	ts := now()
	for _, id := range ids {
		f, err := s.loadFacts(db, id, 0, ts)
		if err != nil {
			return nil, fmt.Errorf("inbox: dry run: %w", err)
		}
		res := DryRunResult{TicketID: id, Number: f.ticket.Number(), PublicID: f.ticket.PublicID, Subject: f.ticket.Subject, Matched: ruleMatches(r, f)}
		if res.Matched {
			for _, a := range r.Actions {
				res.Effects = append(res.Effects, RuleEffect{RuleAction: redacted(a), Noop: actionNoop(a, f)})
			}
		}
		out = append(out, res)
	}
	return out, nil
}

// redacted is a without its secret.
func redacted(a store.RuleAction) store.RuleAction {
	a.Secret = ""
	return a
}

func actionNoop(a store.RuleAction, f *ruleFacts) bool {
	t := f.ticket
	switch a.Type {
	case ActAssignTeam:
		return t.TeamID != nil && strconv.FormatInt(*t.TeamID, 10) == a.Value
	case ActAssignAgent:
		return t.AssigneeID != nil && strconv.FormatInt(*t.AssigneeID, 10) == a.Value
	case ActAddTag:
		return slices.Contains(f.tags, a.Value)
	case ActRemoveTag:
		return !slices.Contains(f.tags, a.Value)
	case ActSetPriority:
		return t.Priority == a.Value
	case ActSetStatus:
		return t.Status == a.Value
	}
	return false
}
