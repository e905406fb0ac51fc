package inbox

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/store"
)

// SetRuleHooks installs test hooks in rule runs: before runs inside a
// rule's transaction after its actions, after once it committed.
func (s *Service) SetRuleHooks(before, after func(ruleID, eventID int64)) {
	s.ruleHooks = ruleHooks{beforeCommit: before, afterCommit: after}
}

// SetNPSHook sets the crash-test hook of n (see NPS.hook).
func SetNPSHook(n *NPS, f func(stage string, contactID int64)) { n.hook = f }

// SetCampaignHook sets the crash-test hook of m (see Campaigns.hook).
func SetCampaignHook(m *Campaigns, f func(stage string, contactID int64)) { m.hook = f }

// SetStatusAt changes a ticket's status and records its ticket.updated
// event as happening at `at`: the SLA engine takes pause edges from event
// times, so tests place them on an injected calendar.
func (s *Service) SetStatusAt(ctx context.Context, id int64, status string, at time.Time) error {
	return s.st.Tx(ctx, func(tx *gorm.DB) error {
		var t store.Ticket
		if err := tx.Take(&t, id).Error; err != nil {
			return err
		}
		if err := tx.Model(&store.Ticket{}).Where("id = ?", id).Update("status", status).Error; err != nil {
			return err
		}
		return s.recordEvents(tx, []Event{{Type: EventTicketUpdated, TicketID: id, At: at,
			Changes: &TicketChanges{Status: &Change[string]{Old: t.Status, New: status}}}})
	})
}
