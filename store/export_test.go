package store

// SetSearchLimits changes the search window and PostgreSQL's recent span for
// a test and returns a function that restores them.
func SetSearchLimits(window int, span int64) (restore func()) {
	w, sp := SearchWindow, recentSpan
	SearchWindow, recentSpan = window, span
	return func() { SearchWindow, recentSpan = w, sp }
}
