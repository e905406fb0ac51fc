package store

import "strings"

// SetSearchLimits changes the search window and PostgreSQL's recent span for
// a test and returns a function that restores them.
func SetSearchLimits(window int, span int64) (restore func()) {
	w, sp := SearchWindow, recentSpan
	SearchWindow, recentSpan = window, span
	return func() { SearchWindow, recentSpan = w, sp }
}

// SetSearchWalk changes how many tickets a search walks (multiples of the
// page size plus one; none: the index answers every search) and returns a
// function that restores them.
func SetSearchWalk(steps ...int) (restore func()) {
	old := walkSteps
	walkSteps = steps
	return func() { walkSteps = old }
}

// ReplayMigration runs the data statements (not ALTER or CREATE) of the
// migration named name (its file name without number and dialect, spaces for
// underscores) again on s, for tests of data migrations over rows written
// after the schema was current.
func ReplayMigration(s *Store, name string) error {
	for _, m := range migrations {
		if m.Name != name {
			continue
		}
		for _, stmt := range m.SQL[s.Dialect] {
			if up := strings.ToUpper(stmt); strings.HasPrefix(up, "ALTER ") || strings.HasPrefix(up, "CREATE ") {
				continue
			}
			if err := s.DB.Exec(stmt).Error; err != nil {
				return err
			}
		}
		return nil
	}
	return ErrNotFound
}
