package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// AssistSettings is the one generative-answers provider (row id 1): an
// OpenAI-compatible chat-completions server. APIKey is a secret: it leaves
// the store only towards the provider, never through the API or a page.
type AssistSettings struct {
	ID        int64  `gorm:"primaryKey"`
	Enabled   bool   `gorm:"not null;default:false"`
	BaseURL   string `gorm:"not null;default:''"`
	Model     string `gorm:"not null;default:''"`
	APIKey    string `gorm:"column:api_key;not null;default:''"`
	TimeoutMS int    `gorm:"column:timeout_ms;not null;default:15000"`
	UpdatedAt time.Time
}

// TableName implements gorm's tabler.
func (AssistSettings) TableName() string { return "assist_settings" }

// Assist answer outcomes.
const (
	// AssistAnswered: the model's answer passed validation and was posted.
	AssistAnswered = "answered"
	// AssistUnknown: the model said the articles do not answer it; the bot
	// said so and handed off.
	AssistUnknown = "unknown"
	// AssistFallback: the provider failed or its output was rejected; the
	// bot posted the suggested articles instead (or handed off without any).
	AssistFallback = "fallback"
	// AssistHandoff: the customer asked for a person, or the bot reached
	// its limit of answers in the ticket.
	AssistHandoff = "handoff"
)

// AssistAnswer is the bot's generative turn on one customer message.
type AssistAnswer struct {
	MessageID int64  `gorm:"primaryKey;autoIncrement:false"`
	TicketID  int64  `gorm:"not null;index"`
	Outcome   string `gorm:"not null"`
	Reason    string `gorm:"not null;default:''"`
	ReplyID   *int64
	// Articles are the cited article ids, comma-separated.
	Articles  string `gorm:"not null;default:''"`
	CreatedAt time.Time
}

// TableName implements gorm's tabler.
func (AssistAnswer) TableName() string { return "assist_answers" }

// ArticleIDs parses Articles.
func (a *AssistAnswer) ArticleIDs() []int64 {
	var out []int64
	for _, s := range strings.Split(a.Articles, ",") {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// JoinIDs is the Articles form of ids.
func JoinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

// AssistSettingsOf returns the provider settings; a fresh store has none
// and gets the defaults (off).
func (s *Store) AssistSettingsOf(ctx context.Context) (AssistSettings, error) {
	var a AssistSettings
	err := s.DB.WithContext(ctx).Take(&a, 1).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return AssistSettings{ID: 1, TimeoutMS: 15000}, nil
	}
	if err != nil {
		return a, fmt.Errorf("store: assist settings: %w", err)
	}
	return a, nil
}

// SaveAssistSettings writes the provider settings (row 1).
func (s *Store) SaveAssistSettings(ctx context.Context, a *AssistSettings) error {
	a.ID = 1
	err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}},
		DoUpdates: clause.AssignmentColumns([]string{"enabled", "base_url", "model", "api_key", "timeout_ms", "updated_at"})}).Create(a).Error
	if err != nil {
		return fmt.Errorf("store: save assist settings: %w", err)
	}
	return nil
}

// AssistAnswers returns the generative turns of a ticket, oldest first.
func (s *Store) AssistAnswers(ctx context.Context, ticketID int64) ([]AssistAnswer, error) {
	var out []AssistAnswer
	if err := s.DB.WithContext(ctx).Where("ticket_id = ?", ticketID).Order("message_id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: assist answers of ticket %d: %w", ticketID, err)
	}
	return out, nil
}

// AssistChannel is the answer bot's setting of one channel: the team a
// handoff of the generative answers files a ticket to when the ticket has
// no team yet (nil: none).
type AssistChannel struct {
	ChannelID     int64 `gorm:"primaryKey;autoIncrement:false"`
	HandoffTeamID *int64
	UpdatedAt     time.Time
}

// TableName implements gorm's tabler.
func (AssistChannel) TableName() string { return "assist_channels" }

// AssistChannels returns every channel's bot setting that was saved.
func (s *Store) AssistChannels(ctx context.Context) ([]AssistChannel, error) {
	var out []AssistChannel
	if err := s.DB.WithContext(ctx).Order("channel_id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: assist channels: %w", err)
	}
	return out, nil
}

// AssistChannelOf returns channel id's bot setting; a channel never saved
// has the defaults (no handoff team).
func AssistChannelOf(db *gorm.DB, channelID int64) (AssistChannel, error) {
	var out []AssistChannel
	if err := db.Where("channel_id = ?", channelID).Limit(1).Find(&out).Error; err != nil {
		return AssistChannel{}, fmt.Errorf("store: assist channel %d: %w", channelID, err)
	}
	if len(out) == 0 {
		return AssistChannel{ChannelID: channelID}, nil
	}
	return out[0], nil
}

// SaveAssistChannel writes a channel's bot setting.
func (s *Store) SaveAssistChannel(ctx context.Context, c *AssistChannel) error {
	c.UpdatedAt = time.Now().UTC().Truncate(time.Microsecond)
	err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "channel_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"handoff_team_id", "updated_at"})}).Create(c).Error
	if err != nil {
		return fmt.Errorf("store: save assist channel %d: %w", c.ChannelID, err)
	}
	return nil
}
