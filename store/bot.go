package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Bot step kinds: what a step asks for.
const (
	BotStepName       = "name"
	BotStepEmail      = "email"
	BotStepOrder      = "order"
	BotStepDepartment = "department"
)

// Bot states of a ticket.
const (
	// BotActive: the bot waits for the answer to Step.
	BotActive = "active"
	// BotAwaitEmail: outside business hours, the bot waits for an email.
	BotAwaitEmail = "await_email"
	// BotHandedOff: the customer asked for a person, or the flow ended; the
	// bot stays quiet from now on.
	BotHandedOff = "handed_off"
	// BotPending: a new ticket on a channel with an enabled flow, written
	// with the ticket so auto-assignment holds it from the start; the bot
	// has not spoken yet.
	BotPending = "pending"
)

// BotHoldSQL is the condition (on tickets) of a ticket the bot holds back
// from auto-assignment: its flow is enabled and has not handed off.
const BotHoldSQL = `EXISTS (SELECT 1 FROM bot_states b JOIN bot_flows f ON f.id = b.flow_id WHERE b.ticket_id = tickets.id AND b.status <> 'handed_off' AND f.enabled = true)`

// BotFlow is the answer bot of one widget channel, as an admin built it: a
// greeting and steps asked in order.
type BotFlow struct {
	ID         int64    `gorm:"primaryKey"`
	ChannelID  int64    `gorm:"not null;uniqueIndex:ux_bot_flow_channel"`
	Enabled    bool     `gorm:"not null;default:false"`
	GreetingKo string   `gorm:"not null;default:''"`
	GreetingEn string   `gorm:"not null;default:''"`
	Steps      BotSteps `gorm:"type:text;not null"`
	// HoldMinutes is how long the flow holds a ticket from auto-assignment
	// without a customer message before it hands off by itself.
	HoldMinutes int `gorm:"not null;default:10"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// BotStep is one question of a flow.
type BotStep struct {
	Kind     string `json:"kind"`
	Required bool   `json:"required"`
	// PromptKo and PromptEn replace the default question ("" keeps it).
	PromptKo string `json:"prompt_ko,omitempty"`
	PromptEn string `json:"prompt_en,omitempty"`
	// Options are the buttons of a department step.
	Options []BotOption `json:"options,omitempty"`
}

// BotOption is one department button: its labels and the team it files
// the ticket to.
type BotOption struct {
	LabelKo string `json:"label_ko"`
	LabelEn string `json:"label_en"`
	TeamID  int64  `json:"team_id"`
}

// Label is the option's label in lang ("ko" or "en"), falling back to the
// other.
func (o BotOption) Label(lang string) string {
	if lang == "en" && o.LabelEn != "" || o.LabelKo == "" {
		return o.LabelEn
	}
	return o.LabelKo
}

// BotSteps are a flow's steps, kept as JSON.
type BotSteps []BotStep

// Value implements driver.Valuer.
func (s BotSteps) Value() (driver.Value, error) {
	if s == nil {
		return "[]", nil
	}
	b, err := json.Marshal([]BotStep(s))
	if err != nil {
		return nil, fmt.Errorf("store: encode bot steps: %w", err)
	}
	return string(b), nil
}

// Scan implements sql.Scanner.
func (s *BotSteps) Scan(src any) error {
	*s = BotSteps{}
	b, err := jsonBytes(src, "bot steps")
	if err != nil || len(b) == 0 {
		return err
	}
	if err := json.Unmarshal(b, s); err != nil {
		return fmt.Errorf("store: decode bot steps: %w", err)
	}
	return nil
}

// BotState is the bot's progress in one ticket. LastMessageID is the last
// customer message it acted on: a message at or below it is never acted on
// again, so a replayed event or a reconnect makes the bot say nothing twice.
type BotState struct {
	TicketID      int64  `gorm:"primaryKey;autoIncrement:false"`
	FlowID        int64  `gorm:"not null"`
	Status        string `gorm:"size:16;not null"`
	Step          int    `gorm:"not null;default:0"`
	LastMessageID int64  `gorm:"not null;default:0"`
	// Answers are what the customer gave: name, email, order, department
	// (its label) and team_id.
	Answers   JSONMap `gorm:"type:text;not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// KBSelfServed is one help-center visit a visitor marked as answered.
type KBSelfServed struct {
	ID        int64  `gorm:"primaryKey"`
	ChannelID int64  `gorm:"not null;uniqueIndex:ux_kb_self_served_visit,priority:1"`
	VisitKey  string `gorm:"size:64;not null;uniqueIndex:ux_kb_self_served_visit,priority:2"`
	ArticleID int64  `gorm:"not null"`
	Locale    string `gorm:"size:35;not null;default:''"`
	CreatedAt time.Time
}

// TableName is the SQL table.
func (KBSelfServed) TableName() string { return "kb_self_served" }

// BotFlows lists every flow, by channel.
func (s *Store) BotFlows(ctx context.Context) ([]BotFlow, error) {
	var out []BotFlow
	if err := s.DB.WithContext(ctx).Order("channel_id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: bot flows: %w", err)
	}
	return out, nil
}

// BotFlow returns flow id; ErrNotFound when there is none.
func (s *Store) BotFlow(ctx context.Context, id int64) (*BotFlow, error) {
	var f BotFlow
	if err := s.DB.WithContext(ctx).Take(&f, id).Error; err != nil {
		return nil, fmt.Errorf("store: bot flow %d: %w", id, notFound(err))
	}
	return &f, nil
}

// BotFlowOf returns the flow of a channel; ErrNotFound when it has none.
func (s *Store) BotFlowOf(ctx context.Context, channelID int64) (*BotFlow, error) {
	return botFlowOf(s.DB.WithContext(ctx), channelID)
}

func botFlowOf(db *gorm.DB, channelID int64) (*BotFlow, error) {
	var f BotFlow
	if err := db.Where("channel_id = ?", channelID).Take(&f).Error; err != nil {
		return nil, fmt.Errorf("store: bot flow of channel %d: %w", channelID, notFound(err))
	}
	return &f, nil
}

// SaveBotFlow creates f (ID 0) or replaces it. A second flow for a channel
// is ErrConflict.
func (s *Store) SaveBotFlow(ctx context.Context, f *BotFlow) error {
	return s.Tx(ctx, func(tx *gorm.DB) error {
		other, err := botFlowOf(tx, f.ChannelID)
		switch {
		case err == nil && other.ID != f.ID:
			return fmt.Errorf("store: bot flow of channel %d: %w", f.ChannelID, ErrConflict)
		case err != nil && !errors.Is(err, ErrNotFound):
			return err
		}
		ts := time.Now().UTC()
		f.UpdatedAt = ts
		if f.ID == 0 {
			f.CreatedAt = ts
			if err := tx.Create(f).Error; err != nil {
				return fmt.Errorf("store: create bot flow: %w", err)
			}
			return nil
		}
		res := tx.Model(&BotFlow{}).Where("id = ?", f.ID).Updates(map[string]any{"channel_id": f.ChannelID, "enabled": f.Enabled,
			"greeting_ko": f.GreetingKo, "greeting_en": f.GreetingEn, "steps": f.Steps, "hold_minutes": f.HoldMinutes, "updated_at": ts})
		if res.Error != nil {
			return fmt.Errorf("store: update bot flow %d: %w", f.ID, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("store: bot flow %d: %w", f.ID, ErrNotFound)
		}
		return tx.Take(f, f.ID).Error
	})
}

// DeleteBotFlow removes flow id; ErrNotFound when there is none.
func (s *Store) DeleteBotFlow(ctx context.Context, id int64) error {
	res := s.DB.WithContext(ctx).Delete(&BotFlow{}, id)
	if res.Error != nil {
		return fmt.Errorf("store: delete bot flow %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: bot flow %d: %w", id, ErrNotFound)
	}
	return nil
}

// BotStateOf returns the bot's state in a ticket; ErrNotFound when the bot
// never spoke there.
func (s *Store) BotStateOf(ctx context.Context, ticketID int64) (*BotState, error) {
	var b BotState
	if err := s.DB.WithContext(ctx).Take(&b, ticketID).Error; err != nil {
		return nil, fmt.Errorf("store: bot state of ticket %d: %w", ticketID, notFound(err))
	}
	return &b, nil
}

// AddSelfServed records a self-served visit; the same (channel, visit key)
// again is a no-op. It reports whether a row was added.
func (s *Store) AddSelfServed(ctx context.Context, r *KBSelfServed) (bool, error) {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now().UTC()
	}
	res := s.DB.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(r)
	if res.Error != nil {
		return false, fmt.Errorf("store: add self-served visit: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

// SelfServedCount is the number of self-served visits per article.
type SelfServedCount struct {
	ArticleID int64 `json:"article_id"`
	Count     int64 `json:"count"`
}

// SelfServed counts self-served visits in [from, to) (zero times: no
// bound), in total and per article (most first).
func (s *Store) SelfServed(ctx context.Context, from, to time.Time) (int64, []SelfServedCount, error) {
	q := s.DB.WithContext(ctx).Model(&KBSelfServed{})
	if !from.IsZero() {
		q = q.Where("created_at >= ?", from.UTC())
	}
	if !to.IsZero() {
		q = q.Where("created_at < ?", to.UTC())
	}
	var rows []SelfServedCount
	if err := q.Select("article_id, COUNT(*) AS count").Group("article_id").Order("count DESC, article_id").Scan(&rows).Error; err != nil {
		return 0, nil, fmt.Errorf("store: count self-served visits: %w", err)
	}
	var total int64
	for _, r := range rows {
		total += r.Count
	}
	return total, rows, nil
}
