package inbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// MaxChatCap bounds caps (an agent's or a team's).
const MaxChatCap = 50

// TeamInput creates or changes a team. On a change nil fields are left
// alone; on creation both names are required (one may copy the other).
type TeamInput struct {
	NameKo     *string
	NameEn     *string
	AutoAssign *bool
	// ChatCap: pointer to 0 removes the team's own cap (members' caps apply).
	ChatCap    *int
	CountEmail *bool
	// Restricted limits the team's tickets to its members (and admins).
	Restricted *bool
	// ChannelIDs, when set, is the full list of channels whose default
	// team this is (a channel moves here from any other team).
	ChannelIDs *[]int64
	// MemberIDs, when set, is the full list of members.
	MemberIDs *[]int64
	// Hours, when set, replaces the business hours (empty weekly hours:
	// always open).
	Hours *store.BusinessHours
}

func cleanTeamName(field string, v *string) (string, error) {
	name := strings.TrimSpace(plaintext.Scrub(*v))
	if name == "" {
		return "", invalidAs("team_name", map[string]any{"field": field}, "%s is required", field)
	}
	return plaintext.Clip(name, 255), nil
}

// CreateTeam adds a team on behalf of admin actorID.
func (s *Service) CreateTeam(ctx context.Context, actorID int64, in TeamInput) (*store.Team, error) {
	if in.NameKo == nil && in.NameEn == nil {
		return nil, invalidAs("team_name", map[string]any{"field": "name_ko"}, "a team needs a name")
	}
	if in.NameKo == nil {
		in.NameKo = in.NameEn
	}
	if in.NameEn == nil {
		in.NameEn = in.NameKo
	}
	t := &store.Team{}
	if err := s.applyTeam(ctx, actorID, t, in, true); err != nil {
		return nil, err
	}
	return t, nil
}

// UpdateTeam changes team id on behalf of admin actorID.
func (s *Service) UpdateTeam(ctx context.Context, actorID, id int64, in TeamInput) (*store.Team, error) {
	t := &store.Team{ID: id}
	if err := s.applyTeam(ctx, actorID, t, in, false); err != nil {
		return nil, err
	}
	return t, nil
}

func (s *Service) applyTeam(ctx context.Context, actorID int64, t *store.Team, in TeamInput, create bool) error {
	var err error
	var nameKo, nameEn string
	if in.NameKo != nil {
		if nameKo, err = cleanTeamName("name_ko", in.NameKo); err != nil {
			return err
		}
	}
	if in.NameEn != nil {
		if nameEn, err = cleanTeamName("name_en", in.NameEn); err != nil {
			return err
		}
	}
	if in.ChatCap != nil && (*in.ChatCap < 0 || *in.ChatCap > MaxChatCap) {
		return invalidAs("bad_cap", map[string]any{"max": MaxChatCap}, "a cap is between 1 and %d", MaxChatCap)
	}
	if in.Hours != nil {
		if err := ValidateHours(*in.Hours); err != nil {
			return err
		}
		if in.Hours.TimeZone == "" {
			in.Hours.TimeZone = DefaultTimeZone
		}
	}
	var evs []Event
	err = s.st.Tx(ctx, func(tx *gorm.DB) error {
		ts := now()
		if create {
			t.CreatedAt = ts
		} else if err := tx.Take(t, t.ID).Error; err != nil {
			return fmt.Errorf("load team %d: %w", t.ID, notFound(err))
		}
		if in.NameKo != nil {
			t.NameKo = nameKo
		}
		if in.NameEn != nil {
			t.NameEn = nameEn
		}
		if in.AutoAssign != nil {
			t.AutoAssign = *in.AutoAssign
		}
		if in.CountEmail != nil {
			t.CountEmail = *in.CountEmail
		}
		if in.Restricted != nil {
			t.Restricted = *in.Restricted
		}
		if in.ChatCap != nil {
			if *in.ChatCap == 0 {
				t.ChatCap = nil
			} else {
				c := *in.ChatCap
				t.ChatCap = &c
			}
		}
		if in.Hours != nil {
			t.Hours = *in.Hours
		}
		t.UpdatedAt = ts
		// Save writes every column, booleans set to false included.
		if err := tx.Save(t).Error; err != nil {
			return fmt.Errorf("save team: %w", err)
		}
		if in.ChannelIDs != nil {
			if err := setTeamChannels(tx, t.ID, *in.ChannelIDs); err != nil {
				return err
			}
		}
		if in.MemberIDs != nil {
			if err := setTeamMembers(tx, t.ID, *in.MemberIDs, ts); err != nil {
				return err
			}
		}
		evs = []Event{{Type: EventTeamUpdated, TeamID: t.ID, AgentID: actorID}}
		return s.recordEvents(tx, evs)
	})
	if err != nil {
		return fmt.Errorf("inbox: save team: %w", err)
	}
	s.publish(evs...)
	return nil
}

func setTeamChannels(tx *gorm.DB, teamID int64, ids []int64) error {
	ids = uniqueIDs(ids)
	var n int64
	if len(ids) > 0 {
		if err := tx.Model(&store.Channel{}).Where("id IN ?", ids).Count(&n).Error; err != nil {
			return err
		}
	}
	if int(n) != len(ids) {
		return invalidAs("no_channel", nil, "a channel in the list does not exist")
	}
	if err := tx.Where("team_id = ?", teamID).Delete(&store.ChannelTeam{}).Error; err != nil {
		return err
	}
	for _, id := range ids {
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "channel_id"}}, DoUpdates: clause.AssignmentColumns([]string{"team_id"})}).
			Create(&store.ChannelTeam{ChannelID: id, TeamID: teamID}).Error; err != nil {
			return fmt.Errorf("set default team of channel %d: %w", id, err)
		}
	}
	return nil
}

func setTeamMembers(tx *gorm.DB, teamID int64, ids []int64, ts any) error {
	ids = uniqueIDs(ids)
	var n int64
	if len(ids) > 0 {
		if err := tx.Model(&store.Agent{}).Where("id IN ?", ids).Count(&n).Error; err != nil {
			return err
		}
	}
	if int(n) != len(ids) {
		return invalidAs("no_agent", nil, "an agent in the list does not exist")
	}
	if err := tx.Where("team_id = ?", teamID).Delete(&store.TeamMember{}).Error; err != nil {
		return err
	}
	for _, id := range ids {
		if err := tx.Exec("INSERT INTO team_members (team_id, agent_id, created_at) VALUES (?, ?, ?)", teamID, id, ts).Error; err != nil {
			return fmt.Errorf("add member %d: %w", id, err)
		}
	}
	return nil
}

func uniqueIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// AddTeamMember puts agent agentID in team teamID (no-op when already in).
func (s *Service) AddTeamMember(ctx context.Context, actorID, teamID, agentID int64) error {
	return s.changeMembers(ctx, actorID, teamID, func(tx *gorm.DB) error {
		var a store.Agent
		if err := tx.Take(&a, agentID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return invalidAs("no_agent", map[string]any{"id": agentID}, "no agent %d", agentID)
			}
			return err
		}
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&store.TeamMember{TeamID: teamID, AgentID: agentID, CreatedAt: now()}).Error
	})
}

// RemoveTeamMember takes agent agentID out of team teamID; the agent's
// tickets stay theirs.
func (s *Service) RemoveTeamMember(ctx context.Context, actorID, teamID, agentID int64) error {
	return s.changeMembers(ctx, actorID, teamID, func(tx *gorm.DB) error {
		return tx.Where("team_id = ? AND agent_id = ?", teamID, agentID).Delete(&store.TeamMember{}).Error
	})
}

func (s *Service) changeMembers(ctx context.Context, actorID, teamID int64, fn func(tx *gorm.DB) error) error {
	var evs []Event
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		var t store.Team
		if err := tx.Take(&t, teamID).Error; err != nil {
			return fmt.Errorf("load team %d: %w", teamID, notFound(err))
		}
		if err := fn(tx); err != nil {
			return err
		}
		evs = []Event{{Type: EventTeamUpdated, TeamID: teamID, AgentID: actorID}}
		return s.recordEvents(tx, evs)
	})
	if err != nil {
		return fmt.Errorf("inbox: team %d members: %w", teamID, err)
	}
	s.publish(evs...)
	return nil
}

// DeleteTeam removes a team: its tickets keep their assignees and are no
// longer filed to a team; its channels no longer have a default team.
func (s *Service) DeleteTeam(ctx context.Context, actorID, id int64) error {
	var evs []Event
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		res := tx.Delete(&store.Team{}, id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("team %d: %w", id, ErrNotFound)
		}
		for _, q := range []string{"DELETE FROM team_members WHERE team_id = ?", "DELETE FROM channel_teams WHERE team_id = ?",
			"UPDATE tickets SET team_id = NULL, version = version + 1 WHERE team_id = ?"} {
			if err := tx.Exec(q, id).Error; err != nil {
				return err
			}
		}
		evs = []Event{{Type: EventTeamUpdated, TeamID: id, AgentID: actorID}}
		return s.recordEvents(tx, evs)
	})
	if err != nil {
		return fmt.Errorf("inbox: delete team %d: %w", id, err)
	}
	s.publish(evs...)
	return nil
}

// teamName is the name events and summaries use for a team: its English
// name, else its Korean one; "" for none.
func teamName(tx *gorm.DB, id *int64) string {
	if id == nil {
		return ""
	}
	var t store.Team
	if tx.Select("id", "name_ko", "name_en").Take(&t, *id).Error != nil {
		return ""
	}
	return t.Name("en")
}

// TeamByName finds a team by its Korean or English name (case-insensitive
// for the English one), for callers that still name teams by text.
func (s *Service) TeamByName(ctx context.Context, name string) (*store.Team, error) {
	name = strings.TrimSpace(name)
	var t store.Team
	err := s.st.DB.WithContext(ctx).Where("name_ko = ? OR LOWER(name_en) = LOWER(?)", name, name).Order("id").Take(&t).Error
	if err != nil {
		return nil, fmt.Errorf("inbox: team %q: %w", name, notFound(err))
	}
	return &t, nil
}
