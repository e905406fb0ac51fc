package widget

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hanbox/hanbox/inbox"
)

// Defaults of a widget channel.
const (
	DefaultGrace          = 120 * time.Second
	DefaultMaxUploadBytes = 10 << 20
	// MaxTextBytes bounds one visitor message.
	MaxTextBytes = 8 << 10
	// MaxAttachmentsPerMessage bounds the uploads one message may carry.
	MaxAttachmentsPerMessage = 5

	// Default quotas of uploads not yet on a message: per visitor, and for
	// the whole channel. An upload counts until its message is stored or it
	// is collected, DefaultUploadGraceHours after it was made.
	DefaultVisitorUploadFiles = 20
	DefaultVisitorUploadBytes = 50 << 20
	DefaultChannelUploadFiles = 2000
	DefaultChannelUploadBytes = 2 << 30
	DefaultUploadGraceHours   = 24
)

// DefaultUploadTypes are the upload types accepted when allowed_upload_types is unset.
var DefaultUploadTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}

// Settings of a widget channel.
type Settings struct {
	// AllowedOrigins are the sites that may embed the widget
	// ("https://shop.example.com", "https://*.example.com"). Empty allows only
	// Hanbox's own origin.
	AllowedOrigins []string `json:"allowed_origins"`
	// AIAnswers lets the bot answer customers with the generative-answers
	// provider (package assist), off by default.
	AIAnswers bool `json:"ai_answers"`
	// Color is the launcher and header colour (#rgb or #rrggbb).
	Color string `json:"color"`
	// Position is "right" (default) or "left".
	Position string `json:"position"`
	// Greeting is shown above the conversation: a string, or {"ko": ..., "en": ...}.
	Greeting Localized `json:"greeting"`
	// Locale is "auto" (browser language), "ko" or "en".
	Locale string `json:"locale"`
	// Theme is "auto" (default: the visitor's system, prefers-color-scheme),
	// "light" or "dark".
	Theme string `json:"theme"`
	// RequireVerified refuses visitors not identified with a valid user_hash.
	RequireVerified bool `json:"require_verified"`
	// GraceSeconds is how long a reply waits for a visitor who left before it
	// continues by email (default 120).
	GraceSeconds float64 `json:"grace_seconds"`
	// OfficeHours, when set, tell visitors when a person answers.
	OfficeHours *OfficeHours `json:"office_hours"`
	// Proactive messages are shown on matching pages after a delay.
	Proactive []Proactive `json:"proactive"`
	// MaxUploadBytes bounds one upload (default 10 MB).
	MaxUploadBytes int64 `json:"max_upload_bytes"`
	// AllowedUploadTypes are the accepted media types (default images, PDF, text).
	AllowedUploadTypes []string `json:"allowed_upload_types"`
	// Quotas of uploads not yet on a message (0 = the default): files and
	// bytes per visitor, and for the whole channel.
	VisitorUploadFiles int64 `json:"visitor_upload_files"`
	VisitorUploadBytes int64 `json:"visitor_upload_bytes"`
	ChannelUploadFiles int64 `json:"channel_upload_files"`
	ChannelUploadBytes int64 `json:"channel_upload_bytes"`
	// UploadGraceHours is how long an upload waits for its message before it
	// is deleted (default 24; at least the 6 hours an upload ref is valid).
	UploadGraceHours float64 `json:"upload_grace_hours"`
}

// Localized is a text in several languages; a plain JSON string sets it for all.
type Localized map[string]string

// UnmarshalJSON accepts a string or an object of language → text.
func (l *Localized) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*l = Localized{"": s}
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("widget: text must be a string or a language map: %w", err)
	}
	*l = m
	return nil
}

// Get returns the text for lang, falling back to English, then any.
func (l Localized) Get(lang string) string {
	for _, k := range []string{lang, "", "en", "ko"} {
		if v, ok := l[k]; ok && v != "" {
			return v
		}
	}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if l[k] != "" {
			return l[k]
		}
	}
	return ""
}

// OfficeHours are the weekly hours in which agents answer.
type OfficeHours struct {
	TimeZone string `json:"time_zone"`
	// Weekly maps "mon".."sun" to [["09:00","18:00"], ...].
	Weekly map[string][][2]string `json:"weekly"`
	// Holidays are closed dates, "2026-12-25".
	Holidays []string `json:"holidays"`
}

// Proactive is a message shown to visitors of matching pages.
type Proactive struct {
	// URLPattern matches the page path (or full URL when it has a scheme);
	// "*" matches any run of characters.
	URLPattern      string    `json:"url_pattern"`
	Message         Localized `json:"message"`
	DelaySeconds    int       `json:"delay_seconds"`
	OfficeHoursOnly bool      `json:"office_hours_only"`
}

var (
	colorRe = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
	hhmmRe  = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$`)
	days    = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
)

// Validate checks the settings.
func (s Settings) Validate() error {
	var errs []error
	for _, o := range s.AllowedOrigins {
		if _, err := parseOriginPattern(o); err != nil {
			errs = append(errs, err)
		}
	}
	if s.Color != "" && !colorRe.MatchString(s.Color) {
		errs = append(errs, fmt.Errorf("widget: color %q must be #rgb or #rrggbb", s.Color))
	}
	if s.Position != "" && s.Position != "right" && s.Position != "left" {
		errs = append(errs, fmt.Errorf("widget: position %q must be right or left", s.Position))
	}
	if s.Theme != "" && s.Theme != "auto" && s.Theme != "light" && s.Theme != "dark" {
		errs = append(errs, fmt.Errorf("widget: theme %q must be auto, light or dark", s.Theme))
	}
	if s.Locale != "" && s.Locale != "auto" && s.Locale != "ko" && s.Locale != "en" {
		errs = append(errs, fmt.Errorf("widget: locale %q must be auto, ko or en", s.Locale))
	}
	if s.GraceSeconds < 0 || s.MaxUploadBytes < 0 {
		errs = append(errs, errors.New("widget: grace_seconds and max_upload_bytes must not be negative"))
	}
	if s.VisitorUploadFiles < 0 || s.VisitorUploadBytes < 0 || s.ChannelUploadFiles < 0 || s.ChannelUploadBytes < 0 {
		errs = append(errs, errors.New("widget: upload quotas must not be negative"))
	}
	if s.UploadGraceHours != 0 && time.Duration(s.UploadGraceHours*float64(time.Hour)) < uploadTTL {
		errs = append(errs, fmt.Errorf("widget: upload_grace_hours must be at least %d (an upload may be sent that long)", int(uploadTTL/time.Hour)))
	}
	if oh := s.OfficeHours; oh != nil {
		if _, err := time.LoadLocation(oh.TimeZone); err != nil || oh.TimeZone == "" {
			errs = append(errs, fmt.Errorf("widget: office_hours.time_zone %q is not a time zone", oh.TimeZone))
		}
		for day, spans := range oh.Weekly {
			if dayIndex(day) < 0 {
				errs = append(errs, fmt.Errorf("widget: office_hours.weekly: unknown day %q", day))
			}
			for _, sp := range spans {
				if !hhmmRe.MatchString(sp[0]) || !hhmmRe.MatchString(sp[1]) || sp[0] >= sp[1] {
					errs = append(errs, fmt.Errorf("widget: office_hours.weekly.%s: bad span %v", day, sp))
				}
			}
		}
		for _, d := range oh.Holidays {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				errs = append(errs, fmt.Errorf("widget: office_hours.holidays: %q is not YYYY-MM-DD", d))
			}
		}
	}
	for i, p := range s.Proactive {
		if p.URLPattern == "" || p.Message.Get("") == "" {
			errs = append(errs, fmt.Errorf("widget: proactive[%d] needs url_pattern and message", i))
		}
		if p.DelaySeconds < 0 {
			errs = append(errs, fmt.Errorf("widget: proactive[%d].delay_seconds must not be negative", i))
		}
	}
	return errors.Join(errs...)
}

func (s Settings) grace() time.Duration {
	if s.GraceSeconds <= 0 {
		return DefaultGrace
	}
	return time.Duration(s.GraceSeconds * float64(time.Second))
}

func (s Settings) maxUpload() int64 {
	if s.MaxUploadBytes <= 0 {
		return DefaultMaxUploadBytes
	}
	return s.MaxUploadBytes
}

func (s Settings) uploadQuota() inbox.UploadQuota {
	or := func(v, def int64) int64 {
		if v <= 0 {
			return def
		}
		return v
	}
	return inbox.UploadQuota{
		OwnerFiles: or(s.VisitorUploadFiles, DefaultVisitorUploadFiles), OwnerBytes: or(s.VisitorUploadBytes, DefaultVisitorUploadBytes),
		ChannelFiles: or(s.ChannelUploadFiles, DefaultChannelUploadFiles), ChannelBytes: or(s.ChannelUploadBytes, DefaultChannelUploadBytes),
	}
}

// uploadGrace is how long an upload waits for its message before collection.
func (s Settings) uploadGrace() time.Duration {
	if s.UploadGraceHours <= 0 {
		return DefaultUploadGraceHours * time.Hour
	}
	return time.Duration(s.UploadGraceHours * float64(time.Hour))
}

func (s Settings) uploadTypes() []string {
	if len(s.AllowedUploadTypes) == 0 {
		return DefaultUploadTypes
	}
	return s.AllowedUploadTypes
}

func dayIndex(d string) int {
	for i, x := range days {
		if x == strings.ToLower(d) {
			return i
		}
	}
	return -1
}

// originPattern is one allowed origin: scheme, and a host that may start
// with "*." to allow any subdomain.
type originPattern struct {
	scheme, host string
	wildcard     bool
}

func parseOriginPattern(s string) (originPattern, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(s), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return originPattern{}, fmt.Errorf("widget: allowed origin %q must look like https://example.com", s)
	}
	p := originPattern{scheme: u.Scheme, host: strings.ToLower(u.Host)}
	if h, ok := strings.CutPrefix(p.host, "*."); ok {
		p.host, p.wildcard = h, true
	}
	return p, nil
}

func (p originPattern) match(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != p.scheme {
		return false
	}
	host := strings.ToLower(u.Host)
	if host == p.host {
		return true
	}
	return p.wildcard && strings.HasSuffix(host, "."+p.host)
}

// HoursState is the office-hours view the widget shows.
type HoursState struct {
	Enabled  bool                   `json:"enabled"`
	Open     bool                   `json:"open"`
	NextOpen *time.Time             `json:"next_open,omitempty"`
	TimeZone string                 `json:"time_zone,omitempty"`
	Weekly   map[string][][2]string `json:"weekly,omitempty"`
}

// State reports whether now falls in office hours, and when they next begin.
// Without office hours the channel is always open.
func (oh *OfficeHours) State(now time.Time) HoursState {
	if oh == nil || len(oh.Weekly) == 0 {
		return HoursState{Open: true}
	}
	loc, err := time.LoadLocation(oh.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	st := HoursState{Enabled: true, TimeZone: oh.TimeZone, Weekly: oh.Weekly}
	local := now.In(loc)
	for d := 0; d < 15; d++ {
		day := time.Date(local.Year(), local.Month(), local.Day()+d, 0, 0, 0, 0, loc)
		if oh.holiday(day) {
			continue
		}
		for _, sp := range oh.Weekly[days[day.Weekday()]] {
			from, to := at(day, sp[0]), at(day, sp[1])
			if d == 0 && !local.Before(from) && local.Before(to) {
				st.Open = true
				return st
			}
			if from.After(local) {
				next := from.UTC()
				st.NextOpen = &next
				return st
			}
		}
	}
	return st
}

func (oh *OfficeHours) holiday(day time.Time) bool {
	d := day.Format(time.DateOnly)
	for _, h := range oh.Holidays {
		if h == d {
			return true
		}
	}
	return false
}

func at(day time.Time, hhmm string) time.Time {
	var h, m int
	fmt.Sscanf(hhmm, "%d:%d", &h, &m)
	return time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, day.Location())
}
