package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Survey kinds.
const (
	SurveyCSAT = "csat" // 1–5 after a resolved ticket
	SurveyNPS  = "nps"  // 0–10, periodic
)

// Survey is one survey request sent to a customer and its answer. For CSAT,
// Round is the id of the durable event that resolved the ticket, and
// (TicketID, Kind, Round) is unique: one request per resolution round.
type Survey struct {
	ID        int64  `gorm:"primaryKey"`
	PublicID  string `gorm:"size:32;not null;uniqueIndex:ux_survey_public_id"`
	Kind      string `gorm:"size:16;not null;uniqueIndex:ux_survey_round,priority:2;index:ix_survey_answered,priority:1"`
	TicketID  int64  `gorm:"not null;uniqueIndex:ux_survey_round,priority:1"`
	Round     int64  `gorm:"not null;uniqueIndex:ux_survey_round,priority:3"`
	ContactID int64  `gorm:"not null;index:ix_survey_contact"`
	ChannelID int64  `gorm:"not null"` // the channel the request went out on
	MessageID *int64 // the request's message in the ticket
	AgentID   *int64 // the ticket's assignee when it was resolved
	TeamID    *int64 // the ticket's team when it was asked
	Locale    string `gorm:"size:35;not null;default:''"`
	// Score is the latest answer (nil: not answered); Answers counts them.
	Score       *int
	Comment     string `gorm:"not null;default:''"`
	Answers     int    `gorm:"not null;default:0"`
	RequestedAt time.Time
	ExpiresAt   time.Time
	AnsweredAt  *time.Time `gorm:"index:ix_survey_answered,priority:2"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// NPSSurveyID and NPSRound name an NPS request's definition and round
	// (nil for CSAT); with ContactID they are unique.
	NPSSurveyID *int64 `gorm:"column:nps_survey_id"`
	NPSRound    *int   `gorm:"column:nps_round"`
	// WidgetMessageID is the widget's copy of the request (an email NPS
	// request the widget also shows on the next visit); nil when none.
	WidgetMessageID *int64
}

// SurveySetting is a channel's survey configuration for one kind. A channel
// without a row asks nothing.
type SurveySetting struct {
	ChannelID    int64  `gorm:"primaryKey;autoIncrement:false"`
	Kind         string `gorm:"primaryKey;size:16"`
	Enabled      bool   `gorm:"not null;default:false"`
	DelaySeconds int64  `gorm:"not null;default:0"`
	QuestionKo   string `gorm:"not null;default:''"`
	QuestionEn   string `gorm:"not null;default:''"`
	ThanksKo     string `gorm:"not null;default:''"`
	ThanksEn     string `gorm:"not null;default:''"`
	// Scale is the CSAT rating scale: "" or "faces", "numbers", "thumbs".
	Scale     string `gorm:"size:16;not null;default:''"`
	UpdatedAt time.Time
	// CapDays is the CSAT frequency cap: no request to a contact asked any
	// survey (CSAT or NPS) about another conversation within that many
	// days; 0 asks after every resolution.
	CapDays int `gorm:"not null"`
}

// SurveySettingOf returns the setting of a channel and kind; ErrNotFound
// when the channel has none.
func (s *Store) SurveySettingOf(ctx context.Context, channelID int64, kind string) (*SurveySetting, error) {
	var ss SurveySetting
	if err := s.DB.WithContext(ctx).Where("channel_id = ? AND kind = ?", channelID, kind).Take(&ss).Error; err != nil {
		return nil, fmt.Errorf("store: survey setting of channel %d: %w", channelID, notFound(err))
	}
	return &ss, nil
}

// SurveySettings returns every channel's settings of a kind.
func (s *Store) SurveySettings(ctx context.Context, kind string) ([]SurveySetting, error) {
	var out []SurveySetting
	if err := s.DB.WithContext(ctx).Where("kind = ?", kind).Order("channel_id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: survey settings: %w", err)
	}
	return out, nil
}

// PutSurveySetting creates or replaces a channel's setting.
func (s *Store) PutSurveySetting(ctx context.Context, ss *SurveySetting) error {
	err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "channel_id"}, {Name: "kind"}},
		DoUpdates: clause.AssignmentColumns([]string{"enabled", "delay_seconds", "question_ko", "question_en", "thanks_ko", "thanks_en", "scale", "cap_days", "updated_at"}),
	}).Create(ss).Error
	if err != nil {
		return fmt.Errorf("store: put survey setting: %w", err)
	}
	return nil
}

// SurveyByPublicID returns a survey by the public id its links carry.
func (s *Store) SurveyByPublicID(ctx context.Context, publicID string) (*Survey, error) {
	var sv Survey
	if err := s.DB.WithContext(ctx).Where("public_id = ?", publicID).Take(&sv).Error; err != nil {
		return nil, fmt.Errorf("store: survey: %w", notFound(err))
	}
	return &sv, nil
}

// SurveyFilter selects surveys; zero fields do not filter.
type SurveyFilter struct {
	Kind      string
	TicketIDs []int64
	ContactID int64
	ChannelID int64
	AgentID   int64
	// NPSSurveyID limits to one NPS definition's requests.
	NPSSurveyID int64
	// MinScore and MaxScore bound the score when set (answered only).
	MinScore, MaxScore *int
	// Answered limits to answered surveys.
	Answered bool
	// From and To bound AnsweredAt (To excluded) when set.
	From, To time.Time
	Limit    int
}

func (f SurveyFilter) apply(db *gorm.DB) *gorm.DB {
	if f.Kind != "" {
		db = db.Where("kind = ?", f.Kind)
	}
	if len(f.TicketIDs) > 0 {
		db = db.Where("ticket_id IN ?", f.TicketIDs)
	}
	if f.ContactID > 0 {
		db = db.Where("contact_id = ?", f.ContactID)
	}
	if f.ChannelID > 0 {
		db = db.Where("channel_id = ?", f.ChannelID)
	}
	if f.AgentID > 0 {
		db = db.Where("agent_id = ?", f.AgentID)
	}
	if f.NPSSurveyID > 0 {
		db = db.Where("nps_survey_id = ?", f.NPSSurveyID)
	}
	if f.MinScore != nil {
		db = db.Where("score >= ?", *f.MinScore)
	}
	if f.MaxScore != nil {
		db = db.Where("score <= ?", *f.MaxScore)
	}
	if f.Answered {
		db = db.Where("answered_at IS NOT NULL")
	}
	if !f.From.IsZero() {
		db = db.Where("answered_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		db = db.Where("answered_at < ?", f.To.UTC())
	}
	return db
}

// Surveys lists surveys matching f, newest first.
func (s *Store) Surveys(ctx context.Context, f SurveyFilter) ([]Survey, error) {
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var out []Survey
	if err := f.apply(s.DB.WithContext(ctx)).Order("requested_at DESC, id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list surveys: %w", err)
	}
	return out, nil
}

// ScoreRow is one group of CSAT answers: Key is the agent id, channel id or
// team id ("" for the whole selection or no team); Positive counts scores 4–5 of 5.
type ScoreRow struct {
	Key      string
	Answers  int64
	Positive int64
}

// CSATScores counts answered CSAT surveys matching f, grouped by "agent",
// "channel", "team" or nothing (""), biggest groups first.
func (s *Store) CSATScores(ctx context.Context, f SurveyFilter, by string) ([]ScoreRow, error) {
	col := "''"
	switch by {
	case "agent":
		col = "COALESCE(CAST(agent_id AS TEXT), '')"
	case "channel":
		col = "CAST(channel_id AS TEXT)"
	case "team":
		col = "COALESCE(CAST(team_id AS TEXT), '')"
	case "":
	default:
		return nil, fmt.Errorf("store: csat scores by %q", by)
	}
	f.Kind, f.Answered = SurveyCSAT, true
	var out []ScoreRow
	q := f.apply(s.DB.WithContext(ctx).Model(&Survey{})).
		Select(col + " AS key, COUNT(*) AS answers, COALESCE(SUM(CASE WHEN score >= 4 THEN 1 ELSE 0 END), 0) AS positive")
	if by != "" {
		q = q.Group(col).Order("answers DESC, key")
	}
	if err := q.Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("store: csat scores: %w", err)
	}
	return out, nil
}
