// Package report computes what a support lead reads: conversation volume,
// response and resolution times, messages per channel, CSAT, backlog and an
// arrivals heatmap, per day, week or month in a time zone, broken down by
// channel, team, agent, tag or priority, with the previous period beside it.
//
// Ticket figures are read from per-ticket facts (facts.go): one narrow
// row per ticket and one per resolution or reopening, each with the
// ticket's breakdown values and the delays the times report needs, keyed
// by quarter hours since the epoch and covered by indexes, so a range is
// read from index pages as integers. The store is asked for counts per
// hour (15 minutes in zones with half-hour offsets), or for times the
// delays of the range, and the slots are folded into local days, weeks and
// months here, so any time zone works without time zone support in
// SQLite. The facts are recomputed per ticket (never incremented) by the
// durable consumer StatusConsumer, which also records every status change
// (status history is not in the tables, and events are pruned after a
// week). Messages are ten times as many and are rolled up per channel and
// hour (see rollup.go). docs/BENCHMARKS.md has the measurements.
package report

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// Report names.
const (
	Volume   = "volume"   // created, resolved, reopened
	Times    = "times"    // first response and resolution time, median and p90
	Messages = "messages" // messages in and out
	CSAT     = "csat"     // answers, positive answers, score
	NPS      = "nps"      // answers, promoters, detractors, NPS
	SLA      = "sla"      // SLA targets met and breached, attainment
	Backlog  = "backlog"  // unresolved tickets at the end of each period
	// SelfService: help visits that ended self-served, conversations the
	// answer bot took, and those it handed to a person.
	SelfService = "self_service"
	Heatmap     = "heatmap" // arrivals by weekday × hour
)

// Names lists every report, in the order screens show them.
var Names = []string{Volume, Times, Messages, CSAT, NPS, SLA, SelfService, Backlog, Heatmap}

// Periods and breakdowns.
const (
	Day   = "day"
	Week  = "week" // weeks start on Monday
	Month = "month"

	ByNone     = ""
	ByChannel  = "channel"
	ByTeam     = "team"
	ByAgent    = "agent"
	ByTag      = "tag"
	ByPriority = "priority"
)

// Breakdowns lists the accepted By values.
var Breakdowns = []string{ByNone, ByChannel, ByTeam, ByAgent, ByTag, ByPriority}

// Columns are the measures of each report, in the order of Group values.
var Columns = map[string][]string{
	Volume:   {"created", "resolved", "reopened"},
	Times:    {"first_responses", "first_response_median", "first_response_p90", "resolutions", "resolution_median", "resolution_p90"},
	Messages: {"inbound", "outbound"},
	CSAT:     {"answers", "positive", "score"},
	NPS:      {"answers", "promoters", "detractors", "nps"},
	SLA: {"first_response_met", "first_response_breached", "first_response_attainment",
		"resolution_met", "resolution_breached", "resolution_attainment"},
	SelfService: {"self_served", "bot_conversations", "bot_handoffs"},
	Backlog:     {"open"},
	Heatmap:     {"arrivals"},
}

// DefaultTimeZone is used when a query names none.
const DefaultTimeZone = "Asia/Seoul"

// MaxBuckets bounds how many periods one query may span.
const MaxBuckets = 400

// Query selects a report. From and To are local dates (their clock is
// ignored) in Loc; To is included, so From = To is one day.
type Query struct {
	Report string
	From   time.Time
	To     time.Time
	Period string
	By     string
	Loc    *time.Location
	// Lang names groups ("ko" or "en").
	Lang string
}

// Value is one figure; OK is false when there is nothing to measure (a
// median of no responses), and it is null in JSON.
type Value struct {
	N  float64
	OK bool
}

// MarshalJSON implements json.Marshaler.
func (v Value) MarshalJSON() ([]byte, error) {
	if !v.OK {
		return []byte("null"), nil
	}
	return json.Marshal(v.N)
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *Value) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*v = Value{}
		return nil
	}
	v.OK = true
	return json.Unmarshal(b, &v.N)
}

func num(n float64) Value { return Value{N: n, OK: true} }

// Group is one breakdown value's figures: Points[i] are the Columns for
// Buckets[i], Total over the whole range and Previous over the range just
// before it (same number of days).
type Group struct {
	Key      string    `json:"key"`
	Label    string    `json:"label"`
	Points   [][]Value `json:"points"`
	Total    []Value   `json:"total"`
	Previous []Value   `json:"previous"`
}

// Result is a computed report. For the heatmap, Cells[weekday][hour] counts
// arrivals (Monday first) and Groups is empty.
type Result struct {
	Report       string        `json:"report"`
	From         string        `json:"from"`
	To           string        `json:"to"`
	PreviousFrom string        `json:"previous_from"`
	PreviousTo   string        `json:"previous_to"`
	Period       string        `json:"period"`
	By           string        `json:"by"`
	TimeZone     string        `json:"time_zone"`
	Columns      []string      `json:"columns"`
	Buckets      []string      `json:"buckets"`
	Groups       []Group       `json:"groups"`
	Cells        *[7][24]int64 `json:"cells,omitempty"`
	// Starts are the buckets' first instants (Buckets are their local dates).
	Starts []time.Time `json:"-"`
}

// Normalize checks q and fills its defaults: period day, Asia/Seoul, and
// From/To at local midnight.
func (q *Query) Normalize() error {
	if !slices.Contains(Names, q.Report) {
		return fmt.Errorf("report: unknown report %q", q.Report)
	}
	if q.Period == "" {
		q.Period = Day
	}
	if q.Period != Day && q.Period != Week && q.Period != Month {
		return fmt.Errorf("report: unknown period %q", q.Period)
	}
	if !slices.Contains(Breakdowns, q.By) {
		return fmt.Errorf("report: unknown breakdown %q", q.By)
	}
	if q.Loc == nil {
		loc, err := time.LoadLocation(DefaultTimeZone)
		if err != nil {
			return fmt.Errorf("report: time zone: %w", err)
		}
		q.Loc = loc
	}
	q.From = localDate(q.From, q.Loc)
	q.To = localDate(q.To, q.Loc)
	if q.To.Before(q.From) {
		return fmt.Errorf("report: range ends before it starts")
	}
	if len(BucketStarts(q.From, q.To.AddDate(0, 0, 1), q.Period)) > MaxBuckets+1 {
		return fmt.Errorf("report: range too long for period %s (at most %d)", q.Period, MaxBuckets)
	}
	return nil
}

// localDate is t's calendar date at midnight in loc (t's own fields taken
// as the date).
func localDate(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// periodStart is the start of the period holding local midnight t.
func periodStart(t time.Time, period string) time.Time {
	switch period {
	case Week:
		wd := (int(t.Weekday()) + 6) % 7 // Monday 0
		return t.AddDate(0, 0, -wd)
	case Month:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location())
	}
	return t
}

// BucketStarts returns the starts of the periods covering [from, end) — the
// first clipped to from — followed by end, so bucket i is
// [starts[i], starts[i+1]).
func BucketStarts(from, end time.Time, period string) []time.Time {
	out := []time.Time{from}
	for t := periodStart(from, period); ; {
		switch period {
		case Week:
			t = t.AddDate(0, 0, 7)
		case Month:
			t = t.AddDate(0, 1, 0)
		default:
			t = t.AddDate(0, 0, 1)
		}
		if !t.Before(end) {
			break
		}
		out = append(out, t)
		if len(out) > MaxBuckets+1 {
			break
		}
	}
	return append(out, end)
}

// bucketOf is the index of the bucket holding t, or -1 outside them.
func bucketOf(starts []time.Time, t time.Time) int {
	i := sort.Search(len(starts), func(i int) bool { return starts[i].After(t) }) - 1
	if i < 0 || i >= len(starts)-1 {
		return -1
	}
	return i
}

// Percentile is the nearest-rank p-quantile (0 < p ≤ 1) of sorted values.
func Percentile(sorted []float64, p float64) Value {
	if len(sorted) == 0 {
		return Value{}
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return num(sorted[max(i, 0)])
}

// Score is the CSAT score: positive answers (4–5 of 5) per answer × 100.
func Score(answers, positive int64) Value {
	return NPSScore(answers, positive, 0)
}

// NPSScore is promoters (9–10) minus detractors (0–6) as a share of all
// answers, × 100 (-100 to 100); no answers: no value.
func NPSScore(answers, promoters, detractors int64) Value {
	if answers == 0 {
		return Value{}
	}
	return num(float64(promoters-detractors) * 100 / float64(answers))
}
