package report

import "time"

// SetBacklogSide makes s count backlog from the past (true) or back from
// now (false), for tests that check both give the same figures.
func SetBacklogSide(s *Service, past bool) { s.side = func(time.Time) bool { return past } }
