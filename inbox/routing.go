package inbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
)

// Agent availability, set by the agent (the status menu, the API).
const (
	AvailabilityOnline  = "online"
	AvailabilityAway    = "away"
	AvailabilityOffline = "offline"
)

// DefaultChatCap is an agent's concurrent-chat cap unless changed.
const DefaultChatCap = 3

// RoutingConsumer is the name of the durable consumer that auto-assigns.
const RoutingConsumer = "routing"

// ValidAvailability reports whether v is online, away or offline.
func ValidAvailability(v string) bool {
	return v == AvailabilityOnline || v == AvailabilityAway || v == AvailabilityOffline
}

// SetAvailability records agent agentID's availability. Going online lets
// auto-assignment give them waiting tickets (through the routing consumer).
func (s *Service) SetAvailability(ctx context.Context, agentID int64, v string) (*store.Agent, error) {
	if !ValidAvailability(v) {
		return nil, invalidAs("bad_availability", map[string]any{"value": v}, "availability is online, away or offline")
	}
	return s.changeAgent(ctx, agentID, func(a *store.Agent, up map[string]any, ch *AgentChanges) {
		if a.Availability != v {
			up["availability"] = v
			up["availability_at"] = now()
			ch.Availability = &Change[string]{Old: a.Availability, New: v}
		}
	})
}

// SetChatCap sets agent agentID's concurrent-chat cap (1..MaxChatCap).
// Raising it lets auto-assignment give them more waiting tickets.
func (s *Service) SetChatCap(ctx context.Context, agentID int64, c int) (*store.Agent, error) {
	if c < 1 || c > MaxChatCap {
		return nil, invalidAs("bad_cap", map[string]any{"max": MaxChatCap}, "a cap is between 1 and %d", MaxChatCap)
	}
	return s.changeAgent(ctx, agentID, func(a *store.Agent, up map[string]any, ch *AgentChanges) {
		if a.ChatCap != c {
			up["chat_cap"] = c
			ch.ChatCap = &Change[int]{Old: a.ChatCap, New: c}
		}
	})
}

func (s *Service) changeAgent(ctx context.Context, agentID int64, fn func(*store.Agent, map[string]any, *AgentChanges)) (*store.Agent, error) {
	var evs []Event
	var a store.Agent
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		evs = nil
		q := tx
		if tx.Dialector.Name() == "postgres" {
			q = tx.Clauses(forUpdate())
		}
		if err := q.Take(&a, agentID).Error; err != nil {
			return fmt.Errorf("load agent %d: %w", agentID, notFound(err))
		}
		up := map[string]any{}
		ch := &AgentChanges{}
		fn(&a, up, ch)
		if len(up) == 0 {
			return nil
		}
		up["updated_at"] = now()
		if err := tx.Model(&store.Agent{}).Where("id = ?", agentID).Updates(up).Error; err != nil {
			return fmt.Errorf("update agent: %w", err)
		}
		if err := tx.Take(&a, agentID).Error; err != nil {
			return err
		}
		evs = []Event{{Type: EventAgentUpdated, AgentID: agentID, Agent: ch}}
		return s.recordEvents(tx, evs)
	})
	if err != nil {
		return nil, fmt.Errorf("inbox: change agent %d: %w", agentID, err)
	}
	s.publish(evs...)
	return &a, nil
}

// A ticket occupies its assignee while open or pending; snoozed, resolved
// and closed tickets free capacity (the partial index
// ix_ticket_assignee_open holds exactly the occupying ones).

// DrainTeam gives team teamID's waiting tickets (open, unassigned), oldest
// arrival first, to its online members while one has room under their cap,
// and returns how many it assigned. It does nothing for a team without
// auto-assignment.
//
// Business hours: a team with weekly hours assigns only while they are
// open (Options.Now's clock); outside them its tickets wait in the queue,
// and a durable job (JobTeamOpens, one per team and opening, scheduled
// with the first ticket that waits for it) drains the queue when they
// open. A team without weekly hours is always open.
//
// Fairness: the member with the fewest open tickets that count against the
// cap is chosen; ties go to the one assigned least recently (never
// assigned first), then the lowest id.
//
// Concurrency: each assignment is one transaction that locks the team row
// (so the assigners of one team, on any instance, take turns), reads the
// queue head and the members' loads, then locks the chosen agent's row and
// counts their load again under that lock before assigning, then locks the
// ticket and checks it is still waiting (FOR UPDATE on PostgreSQL; SQLite
// transactions hold the write lock from BEGIN). Every automatic assignment
// to an agent counts and raises their load under that agent's row lock, so
// two instances, or two teams sharing a member, cannot both take the last
// slot; the ticket lock and the recheck mean a ticket is assigned once.
// Row locks were chosen over an advisory lock because they sit on the rows
// the decision reads, and over a single leased assigner because arrivals
// on every instance then drain at once, with no leader to fail over. Locking
// only the chosen agent (not every member) keeps a decision to three row
// locks. The order team → agent → ticket is the same everywhere, and
// nothing else locks an agent row while holding a ticket row, so these
// transactions cannot deadlock.
func (s *Service) DrainTeam(ctx context.Context, teamID int64) (int, error) {
	n := 0
	for ctx.Err() == nil {
		ok, again, err := s.assignNext(ctx, teamID)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		} else if !again {
			break
		}
	}
	return n, ctx.Err()
}

// assignNext assigns the oldest waiting ticket of a team, if a member has
// room; ok reports an assignment, again that the queue changed while the
// choice was made and another round must look.
func (s *Service) assignNext(ctx context.Context, teamID int64) (ok, again bool, err error) {
	var evs []Event
	err = s.st.Tx(ctx, func(tx *gorm.DB) error {
		evs, again = nil, false
		pg := tx.Dialector.Name() == "postgres"
		lock := func(q *gorm.DB) *gorm.DB {
			if pg {
				return q.Clauses(forUpdate())
			}
			return q
		}
		var team store.Team
		if err := lock(tx).Take(&team, teamID).Error; err != nil {
			return fmt.Errorf("load team %d: %w", teamID, notFound(err))
		}
		if !team.AutoAssign {
			return nil
		}
		var head []struct{ ID, LastChannelID int64 }
		queueHead := func() error {
			head = head[:0]
			// Literal conditions, the partial index ix_ticket_team_queue's own.
			// A ticket the flow bot is still talking in waits for its
			// handoff (EventBotReleased drains the team then).
			if err := tx.Raw(`SELECT id, last_channel_id FROM tickets WHERE team_id = ? AND assignee_id IS NULL AND status = 'open' AND merged_into IS NULL
				AND NOT `+store.BotHoldSQL+` ORDER BY created_at, id LIMIT 1`, teamID).Scan(&head).Error; err != nil {
				return fmt.Errorf("team queue: %w", err)
			}
			return nil
		}
		if err := queueHead(); err != nil {
			return err
		}
		if len(head) == 0 {
			return nil
		}
		if hs := OpenAt(team.Hours, s.clock()); !hs.Open {
			if hs.NextOpen != nil && s.routingSched != nil {
				spec := jobs.Spec{Kind: JobTeamOpens, Key: fmt.Sprintf("team:%d:opens:%d", teamID, hs.NextOpen.Unix()),
					Due: *hs.NextOpen, Payload: teamOpensJob{TeamID: teamID}}
				if _, err := s.routingSched.ScheduleTx(tx, spec); err != nil {
					return err
				}
			}
			return nil // closed: the ticket waits for the opening
		}
		var members []store.Agent
		if err := tx.Select("id", "name", "chat_cap", "last_assigned_at").
			Where("id IN (SELECT agent_id FROM team_members WHERE team_id = ?) AND active = ? AND availability = ?", teamID, true, AvailabilityOnline).
			Order("id").Find(&members).Error; err != nil {
			return fmt.Errorf("members: %w", err)
		}
		if len(members) == 0 {
			return nil
		}
		counts, err := channelCounts(tx, head[0].LastChannelID, team.CountEmail)
		if err != nil {
			return err
		}
		loads, err := memberLoads(tx, members, team.CountEmail)
		if err != nil {
			return err
		}
		// The choice is made on a snapshot; it holds only once the chosen
		// agent's row is locked and their load counted again under it.
		var best *store.Agent
		for len(members) > 0 {
			cand := pickAgent(members, loads, team.ChatCap, counts)
			if cand == nil {
				return nil // everyone is full: the ticket waits in the queue
			}
			var locked store.Agent
			if err := lock(tx.Select("id", "name", "active", "availability", "chat_cap")).Take(&locked, cand.ID).Error; err != nil {
				return fmt.Errorf("lock agent %d: %w", cand.ID, err)
			}
			recount, err := memberLoads(tx, []store.Agent{locked}, team.CountEmail)
			if err != nil {
				return err
			}
			locked.LastAssignedAt = cand.LastAssignedAt
			loads[cand.ID] = recount[cand.ID]
			if locked.Active && locked.Availability == AvailabilityOnline && pickAgent([]store.Agent{locked}, loads, team.ChatCap, counts) != nil {
				best = &locked
				break
			}
			id := cand.ID
			members = slices.DeleteFunc(members, func(a store.Agent) bool { return a.ID == id })
		}
		if best == nil {
			return nil
		}
		// An older ticket may have come back to the queue (unassigned,
		// reopened) while the loads were read: the room it freed is its
		// own, so oldest first means looking again.
		first := head[0].ID
		if err := queueHead(); err != nil {
			return err
		}
		if len(head) == 0 || head[0].ID != first {
			again = true
			return nil
		}
		t, err := lockTicket(tx, head[0].ID)
		if err != nil {
			return err
		}
		if t.AssigneeID != nil || t.Status != store.StatusOpen || derefID(t.TeamID) != teamID || t.MergedInto != nil {
			return nil // changed since it was read; the next round looks again
		}
		ts := now()
		if err := tx.Model(&store.Ticket{}).Where("id = ?", t.ID).Updates(map[string]any{
			"assignee_id": best.ID, "version": gorm.Expr("version + 1"), "updated_at": ts}).Error; err != nil {
			return fmt.Errorf("assign ticket: %w", err)
		}
		if err := tx.Model(&store.Agent{}).Where("id = ?", best.ID).Update("last_assigned_at", ts).Error; err != nil {
			return err
		}
		ch := &TicketChanges{Assignee: &Change[*AgentRef]{New: &AgentRef{ID: best.ID, Name: best.Name}}, AssignedBy: "auto"}
		if err := tx.Create(&store.Message{TicketID: t.ID, Direction: store.DirSystem, AuthorType: store.AuthorSystem,
			ChannelID: t.LastChannelID, Text: ch.Summary(), Meta: store.JSONMap{"changes": ch, "team_id": teamID}, CreatedAt: ts}).Error; err != nil {
			return err
		}
		evs = []Event{{Type: EventTicketUpdated, TicketID: t.ID, AgentID: best.ID, Changes: ch}}
		if err := s.queueNotifications(tx, t.ID, evs[0]); err != nil {
			return err
		}
		ok = true
		return s.recordEvents(tx, evs)
	})
	if err != nil {
		return false, false, fmt.Errorf("inbox: assign in team %d: %w", teamID, err)
	}
	s.publish(evs...)
	return ok, again, nil
}

// channelCounts reports whether a ticket whose latest customer message came
// on channel id counts against its assignee's cap.
func channelCounts(tx *gorm.DB, id int64, countEmail bool) (bool, error) {
	if countEmail {
		return true, nil
	}
	var kinds []string
	if err := tx.Model(&store.Channel{}).Where("id = ?", id).Pluck("kind", &kinds).Error; err != nil {
		return false, err
	}
	return len(kinds) == 0 || kinds[0] != "email", nil
}

// memberLoads counts each member's open tickets that count against the
// cap. It reads the partial index ix_ticket_assignee_open alone (tickets
// per agent and channel) and applies the channel kinds, a small table, here.
func memberLoads(tx *gorm.DB, members []store.Agent, countEmail bool) (map[int64]int64, error) {
	ids := make([]int64, len(members))
	for i := range members {
		ids[i] = members[i].ID
	}
	return openLoads(tx, ids, countEmail)
}

// openLoads counts open tickets per assignee (all assignees when ids is
// nil), email tickets only when countEmail.
func openLoads(tx *gorm.DB, ids []int64, countEmail bool) (map[int64]int64, error) {
	var rows []struct {
		AssigneeID    int64
		LastChannelID int64
		N             int64
	}
	q := `SELECT assignee_id, last_channel_id, COUNT(*) AS n FROM tickets
		WHERE status IN ('open', 'pending') AND merged_into IS NULL AND assignee_id IS NOT NULL`
	args := []any{}
	if ids != nil {
		q += " AND assignee_id IN ?"
		args = append(args, ids)
	}
	if err := tx.Raw(q+" GROUP BY assignee_id, last_channel_id", args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("agent loads: %w", err)
	}
	email := map[int64]bool{}
	if !countEmail {
		var chans []int64
		if err := tx.Model(&store.Channel{}).Where("kind = ?", "email").Pluck("id", &chans).Error; err != nil {
			return nil, err
		}
		for _, id := range chans {
			email[id] = true
		}
	}
	out := make(map[int64]int64, len(rows))
	for _, r := range rows {
		if !email[r.LastChannelID] {
			out[r.AssigneeID] += r.N
		}
	}
	return out, nil
}

// pickAgent chooses among online members: fewest open counted tickets,
// then least recently assigned, then lowest id. A ticket that counts goes
// only to a member under their cap (the team's cap when it has one); one
// that does not count (email in a team that does not count email) to any.
func pickAgent(members []store.Agent, loads map[int64]int64, teamCap *int, counts bool) *store.Agent {
	var cands []*store.Agent
	for i := range members {
		a := &members[i]
		limit := a.ChatCap
		if teamCap != nil {
			limit = *teamCap
		}
		if counts && loads[a.ID] >= int64(limit) {
			continue
		}
		cands = append(cands, a)
	}
	if len(cands) == 0 {
		return nil
	}
	slices.SortFunc(cands, func(x, y *store.Agent) int {
		if c := cmp.Compare(loads[x.ID], loads[y.ID]); c != 0 {
			return c
		}
		if c := cmpTime(x.LastAssignedAt, y.LastAssignedAt); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	return cands[0]
}

// cmpTime orders times with nil (never) first.
func cmpTime(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return a.Compare(*b)
}

// AgentLoads returns, for each agent with any, the number of open tickets
// on chat-like channels assigned to them (the count their cap is compared
// with in a team that does not count email).
func (s *Service) AgentLoads(ctx context.Context) (map[int64]int64, error) {
	out, err := openLoads(s.st.DB.WithContext(ctx), nil, false)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return out, nil
}

// JobTeamOpens drains a team's queue when its business hours open.
const JobTeamOpens = "routing.team_opens"

type teamOpensJob struct {
	TeamID int64 `json:"team_id"`
}

// EnableRoutingHours registers JobTeamOpens on sched, so queues that waited
// outside business hours drain when the hours open. Call it once, before
// sched.Run. (Without it, such a queue drains at the next event that
// concerns the team: an arrival, a resolution, an agent coming online.)
func (s *Service) EnableRoutingHours(sched *jobs.Scheduler) {
	s.routingSched = sched
	sched.Handle(JobTeamOpens, func(ctx context.Context, j *jobs.Job) error {
		var p teamOpensJob
		if err := j.Decode(&p); err != nil {
			return jobs.Permanent(err)
		}
		// Still closed (hours edited since): the drain schedules the next
		// opening itself.
		if _, err := s.DrainTeam(ctx, p.TeamID); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		return nil
	})
}

// Routing returns the durable consumer that runs auto-assignment: every
// change that may need an owner or free capacity (a new ticket, a status,
// assignee or team change, a team's settings or members, an agent's
// availability or cap) drains the teams concerned. Draining is idempotent,
// so an event seen twice only looks again.
func (s *Service) Routing() Consumer {
	return Consumer{
		Name:  RoutingConsumer,
		Types: []string{EventTicketCreated, EventTicketUpdated, EventTeamUpdated, EventAgentUpdated, EventBotReleased},
		Handle: func(ctx context.Context, e Event) error {
			if c := e.Changes; e.Type == EventTicketUpdated && c != nil && c.Status != nil && c.Status.New == store.StatusOpen && !occupies(c.Status.Old) {
				if _, err := s.RequeueOverCap(ctx, e.TicketID); err != nil {
					return err
				}
			}
			teams, err := s.teamsConcerned(ctx, e)
			if err != nil {
				return err
			}
			for _, id := range teams {
				if _, err := s.DrainTeam(ctx, id); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// teamsConcerned lists the teams whose queue an event may move.
func (s *Service) teamsConcerned(ctx context.Context, e Event) ([]int64, error) {
	db := s.st.DB.WithContext(ctx)
	var teams []int64
	agentTeams := func(agentID int64) error {
		var ids []int64
		if err := db.Model(&store.TeamMember{}).Where("agent_id = ?", agentID).Pluck("team_id", &ids).Error; err != nil {
			return err
		}
		teams = append(teams, ids...)
		return nil
	}
	switch e.Type {
	case EventTeamUpdated:
		teams = append(teams, e.TeamID)
	case EventBotReleased:
		if e.TicketID == 0 { // a flow turned off or removed: every team may have held tickets
			if err := db.Model(&store.Team{}).Where("auto_assign = ?", true).Pluck("id", &teams).Error; err != nil {
				return nil, err
			}
			break
		}
		var t store.Ticket
		if err := db.Select("id", "team_id").Take(&t, e.TicketID).Error; err != nil {
			if notFound(err) == ErrNotFound {
				return nil, nil
			}
			return nil, err
		}
		if t.TeamID != nil {
			teams = append(teams, *t.TeamID)
		}
	case EventAgentUpdated:
		if err := agentTeams(e.AgentID); err != nil {
			return nil, err
		}
	case EventTicketCreated, EventTicketUpdated:
		c := e.Changes
		if c != nil && c.AssignedBy != "" && len(c.Fields()) == 1 {
			return nil, nil // an automatic assignment: its drain goes on by itself
		}
		var t store.Ticket
		if err := db.Select("id", "team_id", "assignee_id").Take(&t, e.TicketID).Error; err != nil {
			if notFound(err) == ErrNotFound {
				return nil, nil
			}
			return nil, err
		}
		if t.TeamID != nil {
			teams = append(teams, *t.TeamID)
		}
		if t.AssigneeID != nil {
			if err := agentTeams(*t.AssigneeID); err != nil {
				return nil, err
			}
		}
		if c != nil && c.Assignee != nil && c.Assignee.Old != nil {
			if err := agentTeams(c.Assignee.Old.ID); err != nil {
				return nil, err
			}
		}
		if c != nil && c.TeamID != nil && c.TeamID.Old != 0 {
			teams = append(teams, c.TeamID.Old)
		}
	}
	slices.Sort(teams)
	return slices.Compact(teams), nil
}

// occupies reports whether a ticket of status counts against its
// assignee's cap.
func occupies(status string) bool { return status == store.StatusOpen || status == store.StatusPending }

// AssignedOverCap is TicketChanges.AssignedBy of a reopened ticket that went
// back to its team's queue because its assignee was over their cap.
const AssignedOverCap = "over_cap"

// RequeueOverCap puts a reopened ticket back in its team's queue when its
// assignee now holds more counted tickets than their cap (the team's cap
// when it has one), instead of piling it on them; the next drain gives it,
// as the oldest arrival, to whoever has room first. It reports whether the
// ticket was unassigned. Only teams with auto-assignment requeue, and only
// tickets that count against the cap. Locks are taken in the order the
// assigner takes them (team, agent, ticket).
func (s *Service) RequeueOverCap(ctx context.Context, ticketID int64) (bool, error) {
	var evs []Event
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		evs = nil
		lock := func(q *gorm.DB) *gorm.DB {
			if tx.Dialector.Name() == "postgres" {
				return q.Clauses(forUpdate())
			}
			return q
		}
		var t store.Ticket
		if err := tx.Select("id", "team_id", "assignee_id", "status", "last_channel_id", "merged_into").Take(&t, ticketID).Error; err != nil {
			if notFound(err) == ErrNotFound {
				return nil
			}
			return err
		}
		if t.TeamID == nil || t.AssigneeID == nil || t.Status != store.StatusOpen || t.MergedInto != nil {
			return nil
		}
		var team store.Team
		if err := lock(tx).Take(&team, *t.TeamID).Error; err != nil {
			return fmt.Errorf("load team %d: %w", *t.TeamID, notFound(err))
		}
		if !team.AutoAssign {
			return nil
		}
		counts, err := channelCounts(tx, t.LastChannelID, team.CountEmail)
		if err != nil || !counts {
			return err
		}
		var a store.Agent
		if err := lock(tx.Select("id", "name", "chat_cap")).Take(&a, *t.AssigneeID).Error; err != nil {
			return fmt.Errorf("lock agent %d: %w", *t.AssigneeID, notFound(err))
		}
		loads, err := openLoads(tx, []int64{a.ID}, team.CountEmail)
		if err != nil {
			return err
		}
		limit := a.ChatCap
		if team.ChatCap != nil {
			limit = *team.ChatCap
		}
		if loads[a.ID] <= int64(limit) {
			return nil
		}
		locked, err := lockTicket(tx, ticketID)
		if err != nil {
			return err
		}
		if locked.AssigneeID == nil || *locked.AssigneeID != a.ID || locked.Status != store.StatusOpen || derefID(locked.TeamID) != team.ID {
			return nil // changed meanwhile
		}
		ts := now()
		if err := tx.Model(&store.Ticket{}).Where("id = ?", t.ID).Updates(map[string]any{
			"assignee_id": nil, "version": gorm.Expr("version + 1"), "updated_at": ts}).Error; err != nil {
			return fmt.Errorf("requeue ticket: %w", err)
		}
		ch := &TicketChanges{Assignee: &Change[*AgentRef]{Old: &AgentRef{ID: a.ID, Name: a.Name}}, AssignedBy: AssignedOverCap}
		if err := tx.Create(&store.Message{TicketID: t.ID, Direction: store.DirSystem, AuthorType: store.AuthorSystem,
			ChannelID: locked.LastChannelID, Text: ch.Summary(), Meta: store.JSONMap{"changes": ch, "team_id": team.ID}, CreatedAt: ts}).Error; err != nil {
			return err
		}
		evs = []Event{{Type: EventTicketUpdated, TicketID: t.ID, Changes: ch}}
		if err := s.queueNotifications(tx, t.ID, evs[0]); err != nil {
			return err
		}
		return s.recordEvents(tx, evs)
	})
	if err != nil {
		return false, fmt.Errorf("inbox: requeue ticket %d: %w", ticketID, err)
	}
	s.publish(evs...)
	return len(evs) > 0, nil
}
