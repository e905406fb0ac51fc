package inbox_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// TestBusinessHoursSeoul: weekday hours in Asia/Seoul (the default time
// zone), a Friday night shift across midnight and Christmas as a holiday,
// asked with UTC times.
func TestBusinessHoursSeoul(t *testing.T) {
	day := [][2]string{{"09:00", "18:00"}}
	h := store.BusinessHours{Weekly: map[string][][2]string{
		"mon": day, "tue": day, "wed": day, "thu": day,
		"fri": {{"09:00", "18:00"}, {"22:00", "24:00"}},
		"sat": {{"00:00", "02:00"}},
	}, Holidays: []string{"2026-12-25"}}
	if err := inbox.ValidateHours(h); err != nil {
		t.Fatal(err)
	}
	kst := func(s string) time.Time {
		loc, _ := time.LoadLocation("Asia/Seoul")
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	for _, c := range []struct {
		at   string
		open bool
		next string
	}{
		{"2026-12-24 10:00", true, ""},                  // Thursday, 01:00 UTC
		{"2026-12-24 08:59", false, "2026-12-24 09:00"}, // before opening
		{"2026-12-24 18:00", false, "2026-12-26 00:00"}, // closing; Friday is Christmas, the night shift's Saturday part is not
		{"2026-12-25 10:00", false, "2026-12-26 00:00"}, // holiday
		{"2026-12-25 23:00", false, "2026-12-26 00:00"}, // the holiday's night shift is off too
		{"2026-12-26 01:30", true, ""},                  // past midnight on Saturday
		{"2026-12-26 02:00", false, "2026-12-28 09:00"}, // Sunday closed, Monday next
		{"2026-12-18 23:30", true, ""},                  // an ordinary Friday night
		{"2026-12-19 00:00", true, ""},                  // midnight itself
	} {
		got := inbox.OpenAt(h, kst(c.at))
		if got.Open != c.open {
			t.Errorf("%s KST: open = %v, want %v", c.at, got.Open, c.open)
		}
		if c.next == "" && got.NextOpen != nil || c.next != "" && (got.NextOpen == nil || !got.NextOpen.Equal(kst(c.next))) {
			t.Errorf("%s KST: next open = %v, want %s KST", c.at, got.NextOpen, c.next)
		}
	}
	if st := inbox.OpenAt(store.BusinessHours{}, time.Now()); !st.Open {
		t.Fatal("no hours should mean always open")
	}
	// Another time zone moves the same hours.
	h.TimeZone = "UTC"
	if inbox.OpenAt(h, kst("2026-12-24 10:00")).Open {
		t.Fatal("10:00 KST is 01:00 UTC: closed in UTC hours")
	}
}

func TestBusinessHoursValidation(t *testing.T) {
	for name, h := range map[string]store.BusinessHours{
		"zone":      {TimeZone: "Mars/Olympus"},
		"day":       {Weekly: map[string][][2]string{"someday": {{"09:00", "10:00"}}}},
		"reversed":  {Weekly: map[string][][2]string{"mon": {{"18:00", "09:00"}}}},
		"format":    {Weekly: map[string][][2]string{"mon": {{"9:00", "18:00"}}}},
		"start 24":  {Weekly: map[string][][2]string{"mon": {{"24:00", "24:00"}}}},
		"holiday":   {Holidays: []string{"12/25"}},
		"hour 25":   {Weekly: map[string][][2]string{"mon": {{"09:00", "25:00"}}}},
		"empty ok?": {Weekly: map[string][][2]string{"mon": {{"", ""}}}},
	} {
		if err := inbox.ValidateHours(h); !errors.Is(err, inbox.ErrInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}
