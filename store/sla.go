package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SLA targets.
const (
	SLAFirstResponse = "first_response"
	SLAResolution    = "resolution"
)

// SLAPolicy sets first-response and resolution targets, counted in business
// minutes of the ticket's team, for tickets of a priority and/or a team. An
// empty Priority or a nil TeamID matches any; a zero target is none. The
// warning comes WarnMinutes before a due time when set, else when
// WarnPercent of the target has passed.
type SLAPolicy struct {
	ID                   int64  `gorm:"primaryKey"`
	Name                 string `gorm:"size:255;not null"`
	Priority             string `gorm:"size:16;not null;default:''"`
	TeamID               *int64
	FirstResponseMinutes int64 `gorm:"not null;default:0"`
	ResolutionMinutes    int64 `gorm:"not null;default:0"`
	WarnPercent          int64 `gorm:"not null"` // no gorm default: 0 is a value
	WarnMinutes          int64 `gorm:"not null;default:0"`
	Enabled              bool  `gorm:"not null"`
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// TableName keeps the table name short of gorm's "s_l_a_policies".
func (SLAPolicy) TableName() string { return "sla_policies" }

// Specificity orders policies that match one ticket: priority and team
// (3) before team alone (2), priority alone (1) and any ticket (0).
func (p *SLAPolicy) Specificity() int {
	n := 0
	if p.TeamID != nil {
		n += 2
	}
	if p.Priority != "" {
		n++
	}
	return n
}

// Matches reports whether p applies to a ticket of priority and team
// (teamID nil: none).
func (p *SLAPolicy) Matches(priority string, teamID *int64) bool {
	if !p.Enabled || (p.Priority != "" && p.Priority != priority) {
		return false
	}
	return p.TeamID == nil || (teamID != nil && *teamID == *p.TeamID)
}

// ListSLAPolicies returns every policy by id.
func (s *Store) ListSLAPolicies(ctx context.Context) ([]SLAPolicy, error) {
	return listSLAPolicies(s.DB.WithContext(ctx))
}

func listSLAPolicies(db *gorm.DB) ([]SLAPolicy, error) {
	var out []SLAPolicy
	if err := db.Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list sla policies: %w", err)
	}
	return out, nil
}

// MatchSLAPolicy returns the enabled policy that applies to a ticket of
// priority and team inside db (a transaction or not): the most specific
// (see Specificity), the oldest among equals; nil when none does.
func MatchSLAPolicy(db *gorm.DB, priority string, teamID *int64) (*SLAPolicy, error) {
	all, err := listSLAPolicies(db.Where("enabled = ?", true))
	if err != nil {
		return nil, err
	}
	var best *SLAPolicy
	for i := range all {
		p := &all[i]
		if p.Matches(priority, teamID) && (best == nil || p.Specificity() > best.Specificity()) {
			best = p
		}
	}
	return best, nil
}

// GetSLAPolicy returns one policy; ErrNotFound when it does not exist.
func (s *Store) GetSLAPolicy(ctx context.Context, id int64) (*SLAPolicy, error) {
	var p SLAPolicy
	if err := s.DB.WithContext(ctx).Take(&p, id).Error; err != nil {
		return nil, fmt.Errorf("store: sla policy %d: %w", id, notFound(err))
	}
	return &p, nil
}

// SaveSLAPolicy creates p (ID 0) or replaces the stored policy of p.ID
// (ErrNotFound when it does not exist).
func (s *Store) SaveSLAPolicy(ctx context.Context, p *SLAPolicy) error {
	return SaveSLAPolicyTx(s.DB.WithContext(ctx), p)
}

// SaveSLAPolicyTx is SaveSLAPolicy inside db (a transaction).
func SaveSLAPolicyTx(db *gorm.DB, p *SLAPolicy) error {
	ts := time.Now().UTC().Truncate(time.Microsecond)
	p.UpdatedAt = ts
	if p.ID == 0 {
		p.CreatedAt = ts
		if err := db.Create(p).Error; err != nil {
			return fmt.Errorf("store: create sla policy: %w", err)
		}
		return nil
	}
	res := db.Model(&SLAPolicy{}).Where("id = ?", p.ID).Updates(map[string]any{
		"name": p.Name, "priority": p.Priority, "team_id": p.TeamID, "first_response_minutes": p.FirstResponseMinutes,
		"resolution_minutes": p.ResolutionMinutes, "warn_percent": p.WarnPercent, "warn_minutes": p.WarnMinutes,
		"enabled": p.Enabled, "updated_at": ts,
	})
	if res.Error != nil {
		return fmt.Errorf("store: update sla policy %d: %w", p.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: update sla policy %d: %w", p.ID, ErrNotFound)
	}
	return db.Take(p, p.ID).Error
}

// DeleteSLAPolicy removes a policy. Tickets it was applied to keep their
// due times until they next change (inbox.Service.DeleteSLAPolicy also
// recomputes the running SLAs).
func (s *Store) DeleteSLAPolicy(ctx context.Context, id int64) error {
	return DeleteSLAPolicyTx(s.DB.WithContext(ctx), id)
}

// DeleteSLAPolicyTx is DeleteSLAPolicy inside db (a transaction).
func DeleteSLAPolicyTx(db *gorm.DB, id int64) error {
	res := db.Delete(&SLAPolicy{}, id)
	if res.Error != nil {
		return fmt.Errorf("store: delete sla policy %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: delete sla policy %d: %w", id, ErrNotFound)
	}
	return nil
}

// SLAPause is one finished pause of a ticket's SLA clocks, [From, To).
type SLAPause struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// SLAPauses are a ticket's finished SLA pauses, oldest first, kept in a
// JSON text column.
type SLAPauses []SLAPause

// Value implements driver.Valuer.
func (p SLAPauses) Value() (driver.Value, error) {
	if len(p) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal([]SLAPause(p))
	if err != nil {
		return nil, fmt.Errorf("store: encode sla pauses: %w", err)
	}
	return string(b), nil
}

// Scan implements sql.Scanner.
func (p *SLAPauses) Scan(src any) error {
	b, err := jsonBytes(src, "sla pauses")
	if err != nil {
		return err
	}
	var out SLAPauses
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			return fmt.Errorf("store: decode sla pauses: %w", err)
		}
	}
	*p = out
	return nil
}
