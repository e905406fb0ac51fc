package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// TeamJSON is a team (department) with its members and default channels.
type TeamJSON struct {
	ID         int64  `json:"id"`
	NameKo     string `json:"name_ko"`
	NameEn     string `json:"name_en"`
	AutoAssign bool   `json:"auto_assign"`
	// ChatCap, when set, replaces the members' own caps in this team.
	ChatCap    *int `json:"chat_cap"`
	CountEmail bool `json:"count_email"`
	// Restricted: the team's tickets are seen only by its members and admins.
	Restricted bool         `json:"restricted"`
	ChannelIDs []int64      `json:"channel_ids"`
	Members    []*AgentJSON `json:"members"`
	// Waiting is how many open tickets of the team have no owner yet.
	Waiting int64 `json:"waiting"`
	// BusinessHours (time zone, weekly spans, holidays); no weekly spans
	// means always open. OpenNow and NextOpen are computed from them.
	BusinessHours store.BusinessHours `json:"business_hours"`
	OpenNow       bool                `json:"open_now"`
	NextOpen      *time.Time          `json:"next_open,omitempty"`
	CreatedAt     time.Time           `json:"created_at"`
}

// TeamBody creates (POST) or changes (PATCH) a team; absent fields are
// left alone on PATCH. chat_cap 0 or null removes the team's own cap.
type TeamBody struct {
	NameKo     *string  `json:"name_ko"`
	NameEn     *string  `json:"name_en"`
	AutoAssign *bool    `json:"auto_assign"`
	ChatCap    *int     `json:"chat_cap"`
	CountEmail *bool    `json:"count_email"`
	Restricted *bool    `json:"restricted"`
	ChannelIDs *[]int64 `json:"channel_ids"`
	MemberIDs  *[]int64 `json:"member_ids"`
	// BusinessHours replaces the team's hours: {"time_zone": "Asia/Seoul",
	// "weekly": {"mon": [["09:00","18:00"]]}, "holidays": ["2026-12-25"]}.
	BusinessHours *store.BusinessHours `json:"business_hours"`
}

// AvailabilityBody sets the signed-in agent's availability.
type AvailabilityBody struct {
	Availability string `json:"availability"`
}

func teamJSON(t *store.TeamInfo, agents map[int64]*store.Agent) TeamJSON {
	out := TeamJSON{ID: t.ID, NameKo: t.NameKo, NameEn: t.NameEn, AutoAssign: t.AutoAssign, ChatCap: t.ChatCap,
		CountEmail: t.CountEmail, Restricted: t.Restricted, ChannelIDs: t.ChannelIDs, Members: []*AgentJSON{}, Waiting: t.Waiting, CreatedAt: t.CreatedAt,
		BusinessHours: t.Hours}
	if out.BusinessHours.TimeZone == "" {
		out.BusinessHours.TimeZone = inbox.DefaultTimeZone
	}
	if out.BusinessHours.Weekly == nil {
		out.BusinessHours.Weekly = map[string][][2]string{}
	}
	if out.BusinessHours.Holidays == nil {
		out.BusinessHours.Holidays = []string{}
	}
	st := inbox.OpenAt(t.Hours, time.Now())
	out.OpenNow, out.NextOpen = st.Open, st.NextOpen
	for _, id := range t.MemberIDs {
		if a := agents[id]; a != nil {
			out.Members = append(out.Members, agentJSON(a))
		}
	}
	return out
}

func (b *TeamBody) input() inbox.TeamInput {
	in := inbox.TeamInput{NameKo: b.NameKo, NameEn: b.NameEn, AutoAssign: b.AutoAssign, ChatCap: b.ChatCap,
		CountEmail: b.CountEmail, Restricted: b.Restricted, ChannelIDs: b.ChannelIDs, MemberIDs: b.MemberIDs, Hours: b.BusinessHours}
	return in
}

func (a *API) listTeams(w http.ResponseWriter, r *http.Request) (int, any, error) {
	teams, err := a.Store.ListTeams(r.Context())
	if err != nil {
		return 0, nil, err
	}
	agents, _, err := a.lookups(r)
	if err != nil {
		return 0, nil, err
	}
	items := make([]TeamJSON, 0, len(teams))
	for i := range teams {
		items = append(items, teamJSON(&teams[i], agents))
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

func (a *API) teamResult(r *http.Request, status int, id int64) (int, any, error) {
	t, err := a.Store.GetTeam(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	agents, _, err := a.lookups(r)
	if err != nil {
		return 0, nil, err
	}
	return status, teamJSON(t, agents), nil
}

func (a *API) getTeam(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	return a.teamResult(r, http.StatusOK, id)
}

func (a *API) createTeam(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b TeamBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	t, err := a.Inbox.CreateTeam(r.Context(), principal(r).Agent.ID, b.input())
	if err != nil {
		return 0, nil, err
	}
	return a.teamResult(r, http.StatusCreated, t.ID)
}

func (a *API) patchTeam(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var b TeamBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	if _, err := a.Inbox.UpdateTeam(r.Context(), principal(r).Agent.ID, id, b.input()); err != nil {
		return 0, nil, err
	}
	return a.teamResult(r, http.StatusOK, id)
}

func (a *API) deleteTeam(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.Inbox.DeleteTeam(r.Context(), principal(r).Agent.ID, id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

func memberParams(r *http.Request) (int64, int64, error) {
	team, err := pathID(r)
	if err != nil {
		return 0, 0, err
	}
	agent, err := strconv.ParseInt(r.PathValue("agent"), 10, 64)
	if err != nil || agent <= 0 {
		return 0, 0, errf(http.StatusBadRequest, "bad_id", "agent must be an agent id")
	}
	return team, agent, nil
}

func (a *API) addTeamMember(w http.ResponseWriter, r *http.Request) (int, any, error) {
	team, agent, err := memberParams(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.Inbox.AddTeamMember(r.Context(), principal(r).Agent.ID, team, agent); err != nil {
		return 0, nil, err
	}
	return a.teamResult(r, http.StatusOK, team)
}

func (a *API) removeTeamMember(w http.ResponseWriter, r *http.Request) (int, any, error) {
	team, agent, err := memberParams(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.Inbox.RemoveTeamMember(r.Context(), principal(r).Agent.ID, team, agent); err != nil {
		return 0, nil, err
	}
	return a.teamResult(r, http.StatusOK, team)
}

func (a *API) setAvailability(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b AvailabilityBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	ag, err := a.Inbox.SetAvailability(r.Context(), principal(r).Agent.ID, b.Availability)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, agentJSON(ag), nil
}

// viewer is the agent whose team visibility limits what r may see: 0 for
// admins, who see everything.
func viewer(r *http.Request) int64 {
	p := principal(r)
	if p == nil || p.Agent.Role == store.RoleAdmin {
		return 0
	}
	return p.Agent.ID
}

// checkContactVisible answers 404 for a contact the requesting agent may
// not see (every ticket of it in restricted teams they are not in), as if
// it did not exist.
func (a *API) checkContactVisible(r *http.Request, contactID int64) error {
	v := viewer(r)
	if v == 0 {
		return nil
	}
	ok, err := a.Store.CanSeeContact(r.Context(), v, contactID)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("api: contact %d: %w", contactID, store.ErrNotFound)
	}
	return nil
}

// checkVisible answers 404 for a ticket the requesting agent may not see
// (a restricted team's ticket, for an agent outside the team), as if it did
// not exist.
func (a *API) checkVisible(r *http.Request, ticketID int64) error {
	v := viewer(r)
	if v == 0 {
		return nil
	}
	ok, err := a.Store.CanSee(r.Context(), v, ticketID)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("api: ticket %d: %w", ticketID, store.ErrNotFound)
	}
	return nil
}
