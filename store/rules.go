package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Rule is an automation rule: when Trigger happens and its conditions hold
// (all of them, or any with Match "any"), its actions run. Rules are
// evaluated in Position order; StopAfter ends the evaluation of one event
// after this rule acted. See inbox/rules.go.
type Rule struct {
	ID        int64  `gorm:"primaryKey"`
	Name      string `gorm:"size:200;not null"`
	Position  int    `gorm:"not null;default:0"`
	Enabled   bool   `gorm:"not null"` // no gorm default: false must be written
	StopAfter bool   `gorm:"not null;default:false"`
	Trigger   string `gorm:"column:trigger_kind;size:32;not null"`
	// TriggerHours is N of the "no customer reply for N hours" trigger.
	TriggerHours int            `gorm:"not null;default:0"`
	Match        string         `gorm:"column:match_mode;size:8;not null;default:all"`
	Conditions   RuleConditions `gorm:"type:text;not null"`
	Actions      RuleActions    `gorm:"type:text;not null"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// RuleCondition is one test on a ticket: Field ("text", "tag", ...), Op
// ("is", "is_not", "contains", "not_contains") and the Value compared.
type RuleCondition struct {
	Field string `json:"field"`
	Op    string `json:"op"`
	Value string `json:"value"`
	// Key names the contact attribute of an "attribute" condition.
	Key string `json:"key,omitempty"`
}

// RuleAction is one thing a rule does. Value is the action's argument (a
// tag, a priority, an agent or team id, hours to snooze, a saved reply id,
// a note's text, a Slack message); ChannelID names the Slack channel row
// of notify_slack; Target is the Slack channel id of notify_slack or the
// URL of webhook; Secret signs a webhook's body.
type RuleAction struct {
	Type      string `json:"type"`
	Value     string `json:"value,omitempty"`
	ChannelID int64  `json:"channel_id,omitempty"`
	Target    string `json:"target,omitempty"`
	Secret    string `json:"secret,omitempty"`
}

// RuleConditions is a JSON array column.
type RuleConditions []RuleCondition

// RuleActions is a JSON array column.
type RuleActions []RuleAction

// Value implements driver.Valuer.
func (c RuleConditions) Value() (driver.Value, error) { return jsonArray(c) }

// Scan implements sql.Scanner.
func (c *RuleConditions) Scan(src any) error {
	return scanArray(src, "rule conditions", (*[]RuleCondition)(c))
}

// Value implements driver.Valuer.
func (a RuleActions) Value() (driver.Value, error) { return jsonArray(a) }

// Scan implements sql.Scanner.
func (a *RuleActions) Scan(src any) error { return scanArray(src, "rule actions", (*[]RuleAction)(a)) }

func jsonArray[T any](v []T) (driver.Value, error) {
	if v == nil {
		return "[]", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("store: encode json: %w", err)
	}
	return string(b), nil
}

func scanArray[T any](src any, what string, dst *[]T) error {
	b, err := jsonBytes(src, what)
	if err != nil {
		return err
	}
	*dst = []T{}
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("store: decode %s: %w", what, err)
	}
	return nil
}

// RuleRun records that a rule acted on an event; (RuleID, EventID) is
// unique, so each rule acts at most once per event.
type RuleRun struct {
	RuleID    int64 `gorm:"primaryKey;autoIncrement:false"`
	EventID   int64 `gorm:"primaryKey;autoIncrement:false"`
	TicketID  int64 `gorm:"not null"`
	CreatedAt time.Time
}

// ListRules returns every rule in evaluation order.
func (s *Store) ListRules(ctx context.Context) ([]Rule, error) {
	var out []Rule
	if err := s.DB.WithContext(ctx).Order("position, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list rules: %w", err)
	}
	return out, nil
}

// GetRule returns rule id; ErrNotFound when it does not exist.
func (s *Store) GetRule(ctx context.Context, id int64) (*Rule, error) {
	var r Rule
	if err := s.DB.WithContext(ctx).Take(&r, id).Error; err != nil {
		return nil, fmt.Errorf("store: get rule %d: %w", id, notFound(err))
	}
	return &r, nil
}

// CreateRule inserts r after the last rule (its Position is set) and sets
// its id.
func (s *Store) CreateRule(ctx context.Context, r *Rule) error {
	err := s.Tx(ctx, func(tx *gorm.DB) error {
		var last int
		if err := tx.Model(&Rule{}).Select("COALESCE(MAX(position), 0)").Scan(&last).Error; err != nil {
			return err
		}
		r.Position = last + 1
		ts := time.Now().UTC()
		r.CreatedAt, r.UpdatedAt = ts, ts
		return tx.Create(r).Error
	})
	if err != nil {
		return fmt.Errorf("store: create rule: %w", err)
	}
	return nil
}

// UpdateRule saves r's fields (not its position).
func (s *Store) UpdateRule(ctx context.Context, r *Rule) error {
	r.UpdatedAt = time.Now().UTC()
	res := s.DB.WithContext(ctx).Model(&Rule{}).Where("id = ?", r.ID).Updates(map[string]any{
		"name": r.Name, "enabled": r.Enabled, "stop_after": r.StopAfter, "trigger_kind": r.Trigger, "trigger_hours": r.TriggerHours,
		"match_mode": r.Match, "conditions": r.Conditions, "actions": r.Actions, "updated_at": r.UpdatedAt})
	if res.Error != nil {
		return fmt.Errorf("store: update rule %d: %w", r.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: update rule %d: %w", r.ID, ErrNotFound)
	}
	return nil
}

// DeleteRule deletes rule id and its runs; ErrNotFound when it does not
// exist.
func (s *Store) DeleteRule(ctx context.Context, id int64) error {
	return s.Tx(ctx, func(tx *gorm.DB) error {
		res := tx.Delete(&Rule{}, id)
		if res.Error != nil {
			return fmt.Errorf("store: delete rule %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("store: delete rule %d: %w", id, ErrNotFound)
		}
		return tx.Where("rule_id = ?", id).Delete(&RuleRun{}).Error
	})
}

// ReorderRules gives the rules in ids positions 1, 2, ... in that order;
// ids must name every rule exactly once.
func (s *Store) ReorderRules(ctx context.Context, ids []int64) error {
	return s.Tx(ctx, func(tx *gorm.DB) error {
		var all []int64
		if err := tx.Model(&Rule{}).Pluck("id", &all).Error; err != nil {
			return fmt.Errorf("store: reorder rules: %w", err)
		}
		seen := map[int64]bool{}
		for _, id := range ids {
			seen[id] = true
		}
		if len(seen) != len(ids) || len(ids) != len(all) {
			return fmt.Errorf("store: reorder rules: the order must name every rule once: %w", ErrNotFound)
		}
		for _, id := range all {
			if !seen[id] {
				return fmt.Errorf("store: reorder rules: rule %d missing: %w", id, ErrNotFound)
			}
		}
		for i, id := range ids {
			if err := tx.Model(&Rule{}).Where("id = ?", id).Update("position", i+1).Error; err != nil {
				return fmt.Errorf("store: reorder rules: %w", err)
			}
		}
		return nil
	})
}

// ClaimRuleRun records in tx that rule ruleID acts on event eventID; false
// means it already did (the transaction should then do nothing).
func ClaimRuleRun(tx *gorm.DB, ruleID, eventID, ticketID int64) (bool, error) {
	res := tx.Exec("INSERT INTO rule_runs (rule_id, event_id, ticket_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
		ruleID, eventID, ticketID, time.Now().UTC())
	if res.Error != nil {
		return false, fmt.Errorf("store: rule run %d/%d: %w", ruleID, eventID, res.Error)
	}
	return res.RowsAffected == 1, nil
}
