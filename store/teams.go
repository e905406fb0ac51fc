package store

import (
	"context"
	"fmt"
)

// TeamInfo is a team with its member ids, the channels it is the default
// team of and how many of its tickets wait for an owner.
type TeamInfo struct {
	Team
	MemberIDs  []int64
	ChannelIDs []int64
	Waiting    int64 // open, unassigned tickets of the team
}

// ListTeams returns every team by id, with members, channels and queue
// length (one query each, whatever the number of teams).
func (s *Store) ListTeams(ctx context.Context) ([]TeamInfo, error) {
	db := s.DB.WithContext(ctx)
	var teams []Team
	if err := db.Order("id").Find(&teams).Error; err != nil {
		return nil, fmt.Errorf("store: list teams: %w", err)
	}
	var members []TeamMember
	if err := db.Order("team_id, agent_id").Find(&members).Error; err != nil {
		return nil, fmt.Errorf("store: list team members: %w", err)
	}
	var chans []ChannelTeam
	if err := db.Order("channel_id").Find(&chans).Error; err != nil {
		return nil, fmt.Errorf("store: list channel teams: %w", err)
	}
	var waiting []struct {
		TeamID int64
		N      int64
	}
	if err := db.Model(&Ticket{}).Select("team_id, COUNT(*) AS n").
		Where("team_id IS NOT NULL AND assignee_id IS NULL AND status = ?", StatusOpen).Group("team_id").Scan(&waiting).Error; err != nil {
		return nil, fmt.Errorf("store: count team queues: %w", err)
	}
	out := make([]TeamInfo, len(teams))
	idx := make(map[int64]int, len(teams))
	for i, t := range teams {
		out[i] = TeamInfo{Team: t, MemberIDs: []int64{}, ChannelIDs: []int64{}}
		idx[t.ID] = i
	}
	for _, m := range members {
		if i, ok := idx[m.TeamID]; ok {
			out[i].MemberIDs = append(out[i].MemberIDs, m.AgentID)
		}
	}
	for _, c := range chans {
		if i, ok := idx[c.TeamID]; ok {
			out[i].ChannelIDs = append(out[i].ChannelIDs, c.ChannelID)
		}
	}
	for _, w := range waiting {
		if i, ok := idx[w.TeamID]; ok {
			out[i].Waiting = w.N
		}
	}
	return out, nil
}

// GetTeam returns one team with its members and channels; ErrNotFound when
// it does not exist.
func (s *Store) GetTeam(ctx context.Context, id int64) (*TeamInfo, error) {
	all, err := s.ListTeams(ctx)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].ID == id {
			return &all[i], nil
		}
	}
	return nil, fmt.Errorf("store: get team %d: %w", id, ErrNotFound)
}

// TeamsOf returns the ids of the teams agent belongs to.
func (s *Store) TeamsOf(ctx context.Context, agentID int64) ([]int64, error) {
	var ids []int64
	if err := s.DB.WithContext(ctx).Model(&TeamMember{}).Where("agent_id = ?", agentID).Order("team_id").Pluck("team_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("store: teams of agent %d: %w", agentID, err)
	}
	return ids, nil
}

// TeamQueue returns the ids of a team's waiting tickets (open, unassigned),
// oldest arrival first: the order auto-assignment takes them in.
func (s *Store) TeamQueue(ctx context.Context, teamID int64, limit int) ([]int64, error) {
	var ids []int64
	if err := s.DB.WithContext(ctx).Model(&Ticket{}).
		Where("team_id = ? AND assignee_id IS NULL AND status = ? AND merged_into IS NULL", teamID, StatusOpen).
		Order("created_at, id").Limit(limit).Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("store: queue of team %d: %w", teamID, err)
	}
	return ids, nil
}

// TeamsByID loads every team by id (a small table, like agents).
func (s *Store) TeamsByID(ctx context.Context) (map[int64]*Team, error) {
	var teams []Team
	if err := s.DB.WithContext(ctx).Find(&teams).Error; err != nil {
		return nil, fmt.Errorf("store: load teams: %w", err)
	}
	out := make(map[int64]*Team, len(teams))
	for i := range teams {
		out[teams[i].ID] = &teams[i]
	}
	return out, nil
}

// VisibleTo is the condition (one parameter: the agent's id) under which a
// ticket is visible to a non-admin agent: it has no team, its team is not
// restricted, or the agent is a member of it.
const VisibleTo = `(tickets.team_id IS NULL OR tickets.team_id NOT IN (SELECT id FROM teams WHERE restricted = true)
	OR tickets.team_id IN (SELECT team_id FROM team_members WHERE agent_id = ?))`

// CanSee reports whether agent (not an admin) may see ticket id; false for a
// ticket that does not exist.
func (s *Store) CanSee(ctx context.Context, agentID, ticketID int64) (bool, error) {
	var n int64
	if err := s.DB.WithContext(ctx).Model(&Ticket{}).Where("tickets.id = ?", ticketID).Where(VisibleTo, agentID).Count(&n).Error; err != nil {
		return false, fmt.Errorf("store: can agent %d see ticket %d: %w", agentID, ticketID, err)
	}
	return n > 0, nil
}

// ContactVisibleTo is the condition (one parameter: the agent's id) under
// which a contact is visible to a non-admin agent: it has no ticket, or at
// least one of its tickets is visible (VisibleTo). A contact whose every
// ticket belongs to restricted teams the agent is not in is hidden, and
// with it its profile, attributes and events.
const ContactVisibleTo = `(NOT EXISTS (SELECT 1 FROM tickets WHERE tickets.contact_id = contacts.id)
	OR EXISTS (SELECT 1 FROM tickets WHERE tickets.contact_id = contacts.id AND ` + VisibleTo + `))`

// CanSeeContact reports whether agent (not an admin) may see contact id;
// false for a contact that does not exist.
func (s *Store) CanSeeContact(ctx context.Context, agentID, contactID int64) (bool, error) {
	var n int64
	if err := s.DB.WithContext(ctx).Model(&Contact{}).Where("contacts.id = ?", contactID).Where(ContactVisibleTo, agentID).Count(&n).Error; err != nil {
		return false, fmt.Errorf("store: can agent %d see contact %d: %w", agentID, contactID, err)
	}
	return n > 0, nil
}

// AnyRestricted reports whether any team restricts its tickets, so callers
// can skip per-ticket checks when none does.
func (s *Store) AnyRestricted(ctx context.Context) (bool, error) {
	var n int64
	if err := s.DB.WithContext(ctx).Model(&Team{}).Where("restricted = ?", true).Count(&n).Error; err != nil {
		return false, fmt.Errorf("store: restricted teams: %w", err)
	}
	return n > 0, nil
}
