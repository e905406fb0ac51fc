package inbox

import (
	"context"
	"fmt"
	"time"

	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
)

// Presence-derived availability: an online agent who has had no web inbox
// open (no event stream, on any instance) for PresenceOptions.Idle becomes
// away, so auto-assignment stops giving them tickets nobody is there to
// answer. Open streams record the agent as seen (TouchPresence) when they
// open and at every keep-alive, in the store, so every instance's streams
// count. One durable job ("presence.sweep", a single row that postpones
// itself) looks every PresenceOptions.Every, on one instance at a time.
// Coming back does not set the agent online again: that stays the agent's
// own choice (the status menu).

// JobPresenceSweep is the kind of the presence sweep job.
const JobPresenceSweep = "presence.sweep"

// presenceWrite is how stale seen_at may get before a touch writes it again.
const presenceWrite = 30 * time.Second

// PresenceOptions tune presence-derived availability.
type PresenceOptions struct {
	// Idle is how long an online agent may have no screen open before
	// becoming away (default 10m).
	Idle time.Duration
	// Every is how often the sweep looks (default 1m).
	Every time.Duration
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
}

// TouchPresence records that agent agentID has a web inbox open at at. It
// writes at most every 30 seconds per agent.
func (s *Service) TouchPresence(ctx context.Context, agentID int64, at time.Time) error {
	at = at.UTC().Truncate(time.Microsecond)
	err := s.st.DB.WithContext(ctx).Model(&store.Agent{}).
		Where("id = ? AND (seen_at IS NULL OR seen_at < ?)", agentID, at.Add(-presenceWrite)).
		Update("seen_at", at).Error
	if err != nil {
		return fmt.Errorf("inbox: touch presence of agent %d: %w", agentID, err)
	}
	return nil
}

// AwayIdle sets away every active online agent not seen, and not changed to
// online, within idle before at; it returns how many it changed. Each
// change is an ordinary availability change (an agent.updated event).
func (s *Service) AwayIdle(ctx context.Context, idle time.Duration, at time.Time) (int, error) {
	cutoff := at.UTC().Add(-idle)
	idleAt := func(a *store.Agent) bool {
		return a.Active && a.Availability == AvailabilityOnline && (a.SeenAt == nil || a.SeenAt.Before(cutoff)) &&
			(a.AvailabilityAt == nil || a.AvailabilityAt.Before(cutoff))
	}
	var ids []int64
	err := s.st.DB.WithContext(ctx).Model(&store.Agent{}).
		Where("active = ? AND availability = ? AND (seen_at IS NULL OR seen_at < ?) AND (availability_at IS NULL OR availability_at < ?)",
			true, AvailabilityOnline, cutoff, cutoff).Order("id").Pluck("id", &ids).Error
	if err != nil {
		return 0, fmt.Errorf("inbox: idle agents: %w", err)
	}
	n := 0
	for _, id := range ids {
		changed := false
		_, err := s.changeAgent(ctx, id, func(a *store.Agent, up map[string]any, ch *AgentChanges) {
			if !idleAt(a) {
				return // a screen opened (or the agent chose) since
			}
			up["availability"], up["availability_at"] = AvailabilityAway, now()
			ch.Availability = &Change[string]{Old: a.Availability, New: AvailabilityAway}
			changed = true
		})
		if err != nil {
			return n, err
		}
		if changed {
			n++
		}
	}
	return n, nil
}

// EnablePresence registers the presence sweep on sched and schedules it
// (once for all instances). Call it before sched.Run.
func (s *Service) EnablePresence(ctx context.Context, sched *jobs.Scheduler, opts PresenceOptions) error {
	if opts.Idle <= 0 {
		opts.Idle = 10 * time.Minute
	}
	if opts.Every <= 0 {
		opts.Every = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	sched.Handle(JobPresenceSweep, func(ctx context.Context, j *jobs.Job) error {
		at := opts.Now()
		if n, err := s.AwayIdle(ctx, opts.Idle, at); err != nil {
			s.log.Warn("presence: sweep", "err", err)
		} else if n > 0 {
			s.log.Info("presence: agents away after no open screen", "agents", n, "idle", opts.Idle)
		}
		// One row for ever: the job comes back instead of finishing.
		return jobs.Postpone(at.Add(opts.Every))
	})
	if _, err := sched.Schedule(ctx, jobs.Spec{Kind: JobPresenceSweep, Key: "sweep", Due: opts.Now().Add(opts.Every)}); err != nil {
		return fmt.Errorf("inbox: schedule presence sweep: %w", err)
	}
	return nil
}
