package inbox

import (
	"fmt"
	"regexp"
	"time"

	"github.com/hanbox/hanbox/store"
)

// DefaultTimeZone is a team's time zone unless set.
const DefaultTimeZone = "Asia/Seoul"

var (
	hhmm     = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$`)
	weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
)

// HoursLocation is the time zone of h (DefaultTimeZone when unset).
func HoursLocation(h store.BusinessHours) (*time.Location, error) {
	tz := h.TimeZone
	if tz == "" {
		tz = DefaultTimeZone
	}
	return time.LoadLocation(tz)
}

// ValidateHours checks business hours: a known time zone, days "mon".."sun",
// spans "HH:MM" with the start before the end ("24:00" may end one), dates
// YYYY-MM-DD, and at most 1,000 holidays.
func ValidateHours(h store.BusinessHours) error {
	if _, err := HoursLocation(h); err != nil {
		return invalidAs("bad_time_zone", map[string]any{"value": h.TimeZone}, "%q is not a time zone", h.TimeZone)
	}
	for day, spans := range h.Weekly {
		known := false
		for _, d := range weekdays {
			known = known || d == day
		}
		if !known {
			return invalidAs("bad_hours", map[string]any{"value": day}, "unknown day %q", day)
		}
		if len(spans) > 10 {
			return invalidAs("bad_hours", map[string]any{"value": day}, "too many spans on %s", day)
		}
		for _, sp := range spans {
			if !hhmm.MatchString(sp[0]) || !hhmm.MatchString(sp[1]) || sp[0] >= sp[1] || sp[0] == "24:00" {
				return invalidAs("bad_hours", map[string]any{"value": sp[0] + "-" + sp[1]}, "bad span %s-%s on %s", sp[0], sp[1], day)
			}
		}
	}
	if len(h.Holidays) > 1000 {
		return invalidAs("bad_holiday", map[string]any{"value": len(h.Holidays)}, "too many holidays")
	}
	for _, d := range h.Holidays {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return invalidAs("bad_holiday", map[string]any{"value": d}, "%q is not a date (YYYY-MM-DD)", d)
		}
	}
	return nil
}

// HoursState says whether business hours are open at a moment and, when
// closed, when they next open (nil: never within two weeks, or no hours).
type HoursState struct {
	Open     bool
	NextOpen *time.Time
}

// OpenAt reports whether h is open at now. A team without weekly hours is
// always open. A holiday closes its whole date in the team's time zone;
// spans that end at 24:00 and begin at 00:00 the next day make one
// opening across midnight.
func OpenAt(h store.BusinessHours, now time.Time) HoursState {
	if len(h.Weekly) == 0 {
		return HoursState{Open: true}
	}
	loc, err := HoursLocation(h)
	if err != nil {
		loc, _ = time.LoadLocation(DefaultTimeZone)
	}
	holiday := map[string]bool{}
	for _, d := range h.Holidays {
		holiday[d] = true
	}
	local := now.In(loc)
	for d := 0; d < 15; d++ {
		day := time.Date(local.Year(), local.Month(), local.Day()+d, 0, 0, 0, 0, loc)
		if holiday[day.Format(time.DateOnly)] {
			continue
		}
		for _, sp := range h.Weekly[weekdays[day.Weekday()]] {
			from, to := clock(day, sp[0]), clock(day, sp[1])
			if d == 0 && !local.Before(from) && local.Before(to) {
				return HoursState{Open: true}
			}
			if from.After(local) {
				next := from.UTC()
				return HoursState{NextOpen: &next}
			}
		}
	}
	return HoursState{}
}

// clock is day at "HH:MM" in day's location ("24:00" is the next midnight).
func clock(day time.Time, s string) time.Time {
	var h, m int
	fmt.Sscanf(s, "%d:%d", &h, &m)
	return time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, day.Location())
}
