package inbox

// SetRuleHooks installs test hooks in rule runs: before runs inside a
// rule's transaction after its actions, after once it committed.
func (s *Service) SetRuleHooks(before, after func(ruleID, eventID int64)) {
	s.ruleHooks = ruleHooks{beforeCommit: before, afterCommit: after}
}

// SetNPSHook sets the crash-test hook of n (see NPS.hook).
func SetNPSHook(n *NPS, f func(stage string, contactID int64)) { n.hook = f }

// SetCampaignHook sets the crash-test hook of m (see Campaigns.hook).
func SetCampaignHook(m *Campaigns, f func(stage string, contactID int64)) { m.hook = f }
