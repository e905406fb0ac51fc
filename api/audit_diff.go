package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"

	"github.com/hanbox/hanbox/audit"
)

// What an admin write changed: before the handler runs, the route's item is
// read through its own GET route (the same path, or the nearest shorter
// path with a GET: PUT /teams/{id}/members/{agent} reads GET /teams/{id}),
// and again after it succeeds (unless the write answers with the same
// schema as that GET on its own path: then its answer is the item after,
// and one read is saved); the audit entry keeps the fields that
// differ, flattened to dotted names ("channel.name"), secrets redacted by
// audit.Redact before anything is compared or stored. A create has no
// before and a delete no after.

// snapshotFields are left out of a before/after comparison: they change on
// every write.
var snapshotFields = map[string]bool{"updated_at": true, "version": true}

// snapshotPath is the GET path that reads the item rt writes, or "".
func (a *API) snapshotPath(rt route) string {
	if rt.Method == http.MethodGet || a.gets == nil || !strings.Contains(rt.Path, "{") {
		return ""
	}
	p := rt.Path
	for strings.Contains(p, "{") {
		if _, ok := a.gets[p]; ok {
			return p
		}
		i := strings.LastIndex(p, "/")
		if i <= 0 {
			break
		}
		p = p[:i]
	}
	return ""
}

// answerIsAfter says whether rt's answer is the item snap reads, after the
// change: rt writes snap's own path (not a delete) and answers with the
// schema snap's GET answers with.
func (a *API) answerIsAfter(rt route, snap string) bool {
	return snap == rt.Path && rt.Method != http.MethodDelete && rt.Result != "" && rt.Result == a.getResults[snap]
}

// snapshot reads path for r (as a GET, no body, no query) and returns its
// answer as redacted JSON values; nil when it cannot be read (a 404 after a
// delete, say).
func (a *API) snapshot(r *http.Request, path string) any {
	h := a.gets[path]
	if h == nil {
		return nil
	}
	r2 := r.Clone(r.Context())
	r2.Method, r2.Body, r2.ContentLength = http.MethodGet, http.NoBody, 0
	r2.URL.RawQuery = ""
	status, body, err := h(discard{}, r2)
	if err != nil || status == 0 || status >= 300 {
		return nil
	}
	return auditValue(body)
}

// auditValue is a handler's answer as redacted JSON values (nil if it
// cannot be encoded).
func auditValue(body any) any {
	b, err := json.Marshal(body)
	if err != nil {
		return nil
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	return audit.Redact(v)
}

// discard is a ResponseWriter for a snapshot's GET handler (it answers by
// value; anything it writes itself is dropped).
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// flatten writes v's leaves into out under dotted names; lists are leaves.
func flatten(prefix string, v any, out map[string]any) {
	m, ok := v.(map[string]any)
	if !ok || len(prefix) > 200 {
		out[prefix] = v
		return
	}
	for k, x := range m {
		if snapshotFields[k] {
			continue
		}
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		flatten(name, x, out)
	}
}

// diffSnapshots returns the fields whose values differ between before and
// after, each side keyed by the field's dotted name.
func diffSnapshots(before, after any) (map[string]any, map[string]any) {
	b, af := map[string]any{}, map[string]any{}
	if before != nil {
		flatten("", before, b)
	}
	if after != nil {
		flatten("", after, af)
	}
	ob, oa := map[string]any{}, map[string]any{}
	for k, v := range b {
		if w, ok := af[k]; !ok || !reflect.DeepEqual(v, w) {
			ob[k] = v
			if ok {
				oa[k] = w
			}
		}
	}
	for k, w := range af {
		if _, ok := b[k]; !ok {
			oa[k] = w
		}
	}
	return ob, oa
}
