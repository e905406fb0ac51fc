package api

import (
	"net/http"
	"testing"
)

// TestAuditAnswerIsAfter: writes that answer with their item (the same
// schema as their path's GET) take the answer as the audit's after state,
// so they read the item once, not twice; others read it again.
func TestAuditAnswerIsAfter(t *testing.T) {
	a := &API{}
	a.Mount(http.NewServeMux())
	byKey := map[string]route{}
	for _, rt := range a.routes() {
		byKey[rt.Method+" "+rt.Path] = rt
	}
	for key, want := range map[string]bool{
		"PATCH /channels/{id}":            true,
		"PATCH /agents/{id}":              true,
		"PATCH /teams/{id}":               true,
		"PATCH /webhooks/{id}":            true,
		"PUT /teams/{id}/members/{agent}": false, // reads GET /teams/{id}
		"DELETE /channels/{id}":           false,
	} {
		rt, ok := byKey[key]
		if !ok {
			t.Fatalf("no route %s", key)
		}
		if got := a.answerIsAfter(rt, a.snapshotPath(rt)); got != want {
			t.Errorf("%s: answer is after = %v, want %v", key, got, want)
		}
	}
	n := 0
	for _, rt := range a.routes() {
		if rt.Auth == authAdmin && a.answerIsAfter(rt, a.snapshotPath(rt)) {
			n++
		}
	}
	t.Logf("%d admin writes take their answer as the after state", n)
}
