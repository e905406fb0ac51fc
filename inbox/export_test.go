package inbox

// SetRuleHooks installs test hooks in rule runs: before runs inside a
// rule's transaction after its actions, after once it committed.
func (s *Service) SetRuleHooks(before, after func(ruleID, eventID int64)) {
	s.ruleHooks = ruleHooks{beforeCommit: before, afterCommit: after}
}
