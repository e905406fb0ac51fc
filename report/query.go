package report

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// ErrBadQuery marks a query the caller got wrong (an unknown report,
// period, breakdown or time zone, a malformed or reversed date range).
var ErrBadQuery = errors.New("bad report query")

// DefaultDays is the length of the range when a query gives no dates:
// the last 30 days up to today.
const DefaultDays = 30

// ParseQuery reads a report query from URL parameters: from and to
// (YYYY-MM-DD, both included; default the last 30 days to today), period
// (day, week, month), by (channel, team, agent, tag, priority), tz (an IANA
// name, default Asia/Seoul). now is the clock's time for the defaults.
func ParseQuery(name string, v url.Values, now time.Time) (Query, error) {
	q := Query{Report: name, Period: v.Get("period"), By: v.Get("by"), Lang: v.Get("lang")}
	tz := v.Get("tz")
	if tz == "" {
		tz = DefaultTimeZone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "Local" {
		return q, fmt.Errorf("%w: unknown time zone %q", ErrBadQuery, tz)
	}
	q.Loc = loc
	today := now.In(loc)
	q.To = today
	if s := v.Get("to"); s != "" {
		if q.To, err = time.Parse(time.DateOnly, s); err != nil {
			return q, fmt.Errorf("%w: to must be YYYY-MM-DD", ErrBadQuery)
		}
	}
	q.From = q.To.AddDate(0, 0, -(DefaultDays - 1))
	if s := v.Get("from"); s != "" {
		if q.From, err = time.Parse(time.DateOnly, s); err != nil {
			return q, fmt.Errorf("%w: from must be YYYY-MM-DD", ErrBadQuery)
		}
	}
	if err := q.Normalize(); err != nil {
		return q, fmt.Errorf("%w: %w", ErrBadQuery, err)
	}
	return q, nil
}
