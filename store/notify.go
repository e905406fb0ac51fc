package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MarkRead records that agent opened ticket at at: the ticket is read for
// the agent until a newer customer message arrives.
func (s *Store) MarkRead(ctx context.Context, agentID, ticketID int64, at time.Time) error {
	err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "agent_id"}, {Name: "ticket_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"read_at"}),
	}).Create(&TicketRead{AgentID: agentID, TicketID: ticketID, ReadAt: at.UTC()}).Error
	if err != nil {
		return fmt.Errorf("store: mark ticket %d read: %w", ticketID, err)
	}
	return nil
}

// Unread reports which of tickets are unread for agent: the customer wrote
// (LastCustomerAt) after the agent last opened the ticket, or the agent
// never opened it. One primary-key lookup per listed ticket.
func (s *Store) Unread(ctx context.Context, agentID int64, tickets []Ticket) (map[int64]bool, error) {
	out := map[int64]bool{}
	ids := make([]int64, 0, len(tickets))
	for _, t := range tickets {
		if t.LastCustomerAt != nil {
			ids = append(ids, t.ID)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	var marks []TicketRead
	if err := s.DB.WithContext(ctx).Where("agent_id = ? AND ticket_id IN ?", agentID, ids).Find(&marks).Error; err != nil {
		return nil, fmt.Errorf("store: read marks: %w", err)
	}
	read := make(map[int64]time.Time, len(marks))
	for _, m := range marks {
		read[m.TicketID] = m.ReadAt
	}
	for _, t := range tickets {
		if t.LastCustomerAt == nil {
			continue
		}
		at, ok := read[t.ID]
		out[t.ID] = !ok || at.Before(*t.LastCustomerAt)
	}
	return out, nil
}

// CreateMentionsTx stores the mentions of note msg inside tx.
func CreateMentionsTx(tx *gorm.DB, msg *Message, agents []int64) error {
	if len(agents) == 0 {
		return nil
	}
	rows := make([]Mention, 0, len(agents))
	for _, a := range agents {
		rows = append(rows, Mention{MessageID: msg.ID, AgentID: a, TicketID: msg.TicketID, AuthorID: msg.AuthorID, CreatedAt: msg.CreatedAt})
	}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error; err != nil {
		return fmt.Errorf("store: create mentions: %w", err)
	}
	return nil
}

// MentionsOf returns the agents mentioned in message id.
func (s *Store) MentionsOf(ctx context.Context, messageID int64) ([]int64, error) {
	var ids []int64
	if err := s.DB.WithContext(ctx).Model(&Mention{}).Where("message_id = ?", messageID).Order("agent_id").Pluck("agent_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("store: mentions of %d: %w", messageID, err)
	}
	return ids, nil
}

// ActiveAgentIDs returns those of ids naming active agents, in order.
func ActiveAgentIDs(tx *gorm.DB, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []int64
	if err := tx.Model(&Agent{}).Where("id IN ? AND active", ids).Order("id").Pluck("id", &out).Error; err != nil {
		return nil, fmt.Errorf("store: active agents: %w", err)
	}
	return out, nil
}

// MentionableAgentIDs returns those of ids naming active agents who may see
// ticket ticketID (admins, or VisibleTo for the agent), in order: a note
// cannot tell an agent about a ticket they cannot open.
func MentionableAgentIDs(tx *gorm.DB, ticketID int64, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []int64
	if err := mentionable(tx.Model(&Agent{}), ticketID).Where("id IN ?", ids).
		Order("id").Pluck("id", &out).Error; err != nil {
		return nil, fmt.Errorf("store: mentionable agents of ticket %d: %w", ticketID, err)
	}
	return out, nil
}

// mentionable narrows q (over agents) to the active agents who may see
// ticketID: admins, and the others the team rules let see it. The
// composer's @ picker lists exactly these (MentionableAgents) and a note's
// mentions are filtered by the same rule (MentionableAgentIDs).
func mentionable(q *gorm.DB, ticketID int64) *gorm.DB {
	return q.Where("active").
		Where("(role = ? OR EXISTS (SELECT 1 FROM tickets WHERE tickets.id = ? AND "+agentVisibleTo+"))", RoleAdmin, ticketID)
}

// MentionableAgents lists the agents a note on ticketID may mention, by name.
func (s *Store) MentionableAgents(ctx context.Context, ticketID int64) ([]Agent, error) {
	var out []Agent
	if err := mentionable(s.DB.WithContext(ctx).Model(&Agent{}), ticketID).Order("name, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: mentionable agents of ticket %d: %w", ticketID, err)
	}
	return out, nil
}

// agentVisibleTo is VisibleTo for the agent of the enclosing agents row.
var agentVisibleTo = strings.Replace(VisibleTo, "agent_id = ?", "agent_id = agents.id", 1)

// TeamIDsOf returns the teams agent is a member of.
func (s *Store) TeamIDsOf(ctx context.Context, agentID int64) ([]int64, error) {
	var ids []int64
	if err := s.DB.WithContext(ctx).Table("team_members").Where("agent_id = ?", agentID).Order("team_id").Pluck("team_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("store: teams of agent %d: %w", agentID, err)
	}
	return ids, nil
}

// AgentProfile is what an agent changes about themself; nil fields stay.
type AgentProfile struct {
	Name          *string
	Locale        *string
	Signature     *string
	SignatureMode *string
	NotifyDesktop *bool
	NotifySound   *bool
	NotifyOn      *string
	// AvatarSum is the blob of a new avatar ("" removes it).
	AvatarSum *string
}

// UpdateAgentProfile applies p to agent id and returns the agent.
func (s *Store) UpdateAgentProfile(ctx context.Context, id int64, p AgentProfile) (*Agent, error) {
	up := map[string]any{}
	set := func(col string, v any, ok bool) {
		if ok {
			up[col] = v
		}
	}
	if p.Name != nil {
		set("name", *p.Name, true)
	}
	if p.Locale != nil {
		set("locale", *p.Locale, true)
	}
	if p.Signature != nil {
		set("signature", *p.Signature, true)
	}
	if p.SignatureMode != nil {
		set("signature_mode", *p.SignatureMode, true)
	}
	if p.NotifyDesktop != nil {
		set("notify_desktop", *p.NotifyDesktop, true)
	}
	if p.NotifySound != nil {
		set("notify_sound", *p.NotifySound, true)
	}
	if p.NotifyOn != nil {
		set("notify_on", *p.NotifyOn, true)
	}
	if p.AvatarSum != nil {
		set("avatar_sum", *p.AvatarSum, true)
	}
	db := s.DB.WithContext(ctx)
	if len(up) > 0 {
		up["updated_at"] = time.Now().UTC()
		res := db.Model(&Agent{}).Where("id = ?", id).Updates(up)
		if res.Error != nil {
			return nil, fmt.Errorf("store: update agent %d: %w", id, res.Error)
		}
	}
	var a Agent
	if err := db.First(&a, id).Error; err != nil {
		return nil, fmt.Errorf("store: agent %d: %w", id, notFound(err))
	}
	return &a, nil
}

// IsAvatar reports whether sum is some agent's avatar: only those blobs are
// served without a session (GET /api/v1/avatars/{sum}).
func (s *Store) IsAvatar(ctx context.Context, sum string) (bool, error) {
	if !validSum(sum) {
		return false, nil
	}
	var n int64
	if err := s.DB.WithContext(ctx).Model(&Agent{}).Where("avatar_sum = ?", sum).Count(&n).Error; err != nil {
		return false, fmt.Errorf("store: is avatar: %w", err)
	}
	return n > 0, nil
}
