package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/hanbox/hanbox/jobs"
)

// JobPrune is the daily job that deletes audit entries past the retention.
const JobPrune = "audit.prune"

// ActionPrune records a pruning run (who: nobody; what: the cutoff and the
// number of entries deleted), so the log says when its own history went.
const ActionPrune = "audit.prune"

// DefaultRetention is how long entries are kept when the configuration
// names no period (HANBOX_AUDIT_RETENTION).
const DefaultRetention = 365 * 24 * time.Hour

// EnablePruning registers the pruning job on sched and schedules its first
// run a day from now: each run deletes the entries older than retention and
// comes back the next day (one job row for ever, like the presence sweep).
// retention <= 0 keeps every entry and schedules nothing.
func (rc *Recorder) EnablePruning(ctx context.Context, sched *jobs.Scheduler, retention time.Duration) error {
	if rc == nil || retention <= 0 {
		return nil
	}
	sched.Handle(JobPrune, func(ctx context.Context, j *jobs.Job) error {
		at := rc.now()
		if _, err := rc.Prune(ctx, at.Add(-retention)); err != nil {
			return err
		}
		return jobs.Postpone(at.Add(24 * time.Hour))
	})
	if _, err := sched.Schedule(ctx, jobs.Spec{Kind: JobPrune, Key: "daily", Due: rc.now().Add(24 * time.Hour)}); err != nil {
		return fmt.Errorf("audit: schedule pruning: %w", err)
	}
	return nil
}

// Prune deletes the entries recorded before cutoff and, when it deleted
// any, records that it did.
func (rc *Recorder) Prune(ctx context.Context, cutoff time.Time) (int64, error) {
	n, err := rc.st.DeleteAuditEntriesBefore(ctx, cutoff)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		rc.log.Info("audit entries pruned", "deleted", n, "before", cutoff)
		err = rc.Write(ctx, rc.row(Entry{Action: ActionPrune, TargetType: "audit",
			Changes: map[string]any{"deleted": n, "before": cutoff.UTC().Format(time.RFC3339)}}, "", "hanbox", nil))
	}
	return n, err
}
