package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// NPSSurvey is a periodic NPS survey definition: who is asked (every contact
// or those with a tagged ticket), when (rounds counted in days from the
// contact's first conversation), how (email and/or the widget), and the
// limits every send honours (frequency caps, quiet hours).
type NPSSurvey struct {
	ID         int64  `gorm:"primaryKey"`
	Name       string `gorm:"size:200;not null"`
	Enabled    bool   `gorm:"not null;default:false"`
	QuestionKo string `gorm:"not null;default:''"`
	QuestionEn string `gorm:"not null;default:''"`
	WhyKo      string `gorm:"not null;default:''"` // the "why?" follow-up
	WhyEn      string `gorm:"not null;default:''"`
	ThanksKo   string `gorm:"not null;default:''"`
	ThanksEn   string `gorm:"not null;default:''"`
	// AudienceTag limits the survey to contacts with a ticket carrying the
	// tag ("" asks every contact).
	AudienceTag string `gorm:"size:100;not null;default:''"`
	// FirstDays is N: round 0 is due N days after the contact's first
	// conversation. RepeatDays lists the later rounds, in days after round
	// 0 ("30,60,90,180"; "" for none).
	FirstDays int `gorm:"not null;default:0"`
	// Anchor is what the rounds count from: "" or "first_conversation"
	// (the contact's first ticket), "attribute" (the contact's date
	// attribute AnchorAttribute, e.g. signup_date; contacts without it are
	// not asked) or "date" (the calendar date AnchorDate, YYYY-MM-DD, the
	// same for the whole audience).
	Anchor          string `gorm:"size:32;not null;default:''"`
	AnchorAttribute string `gorm:"size:64;not null;default:''"`
	AnchorDate      string `gorm:"size:10;not null;default:''"`
	RepeatDays      string `gorm:"size:500;not null;default:''"`
	// No gorm defaults on fields whose zero value is meaningful: gorm
	// would leave a false out of the INSERT and the column default win.
	ByEmail  bool `gorm:"not null"`
	ByWidget bool `gorm:"not null"`
	// CapAnyDays: no survey of any kind to a contact more often; CapNPSDays:
	// no NPS survey more often.
	CapAnyDays int `gorm:"not null"`
	CapNPSDays int `gorm:"not null"`
	// Quiet hours "HH:MM" in the contact's time zone (TimeZone when the
	// contact has none): nothing is sent from QuietStart to QuietEnd.
	QuietStart string `gorm:"size:5;not null"`
	QuietEnd   string `gorm:"size:5;not null"`
	TimeZone   string `gorm:"size:64;not null"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
	DeletedAt  *time.Time `gorm:"index"`
}

// Repeats parses RepeatDays.
func (n *NPSSurvey) Repeats() []int {
	var out []int
	for _, f := range strings.Split(n.RepeatDays, ",") {
		if v, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// NPSSurveys lists the survey definitions that are not deleted.
func (s *Store) NPSSurveys(ctx context.Context) ([]NPSSurvey, error) {
	var out []NPSSurvey
	if err := s.DB.WithContext(ctx).Where("deleted_at IS NULL").Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: nps surveys: %w", err)
	}
	return out, nil
}

// NPSSurveyByID returns a survey definition (deleted ones too).
func (s *Store) NPSSurveyByID(ctx context.Context, id int64) (*NPSSurvey, error) {
	var n NPSSurvey
	if err := s.DB.WithContext(ctx).Take(&n, id).Error; err != nil {
		return nil, fmt.Errorf("store: nps survey %d: %w", id, notFound(err))
	}
	return &n, nil
}

// NPSCounts are the answers of NPS surveys: promoters score 9–10,
// detractors 0–6.
type NPSCounts struct {
	Answers    int64
	Promoters  int64
	Detractors int64
}

// Score is % promoters − % detractors, from −100 to 100 (0 without answers).
func (c NPSCounts) Score() float64 {
	if c.Answers == 0 {
		return 0
	}
	return float64(c.Promoters-c.Detractors) * 100 / float64(c.Answers)
}

// NPSCounts counts answered NPS surveys matching f (Kind is set to NPS).
func (s *Store) NPSCounts(ctx context.Context, f SurveyFilter) (NPSCounts, error) {
	f.Kind, f.Answered = SurveyNPS, true
	var out NPSCounts
	q := f.apply(s.DB.WithContext(ctx).Model(&Survey{})).Select(`COUNT(*) AS answers,
		COALESCE(SUM(CASE WHEN score >= 9 THEN 1 ELSE 0 END), 0) AS promoters,
		COALESCE(SUM(CASE WHEN score <= 6 THEN 1 ELSE 0 END), 0) AS detractors`)
	if err := q.Scan(&out).Error; err != nil {
		return out, fmt.Errorf("store: nps counts: %w", err)
	}
	return out, nil
}
