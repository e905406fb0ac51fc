package ui

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/hanbox/hanbox/api"
	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/web"
)

// auditRow is one audit entry as the viewer shows it.
type auditRow struct {
	store.AuditEntry
	Label   string // the action in the reader's language, or its code
	Actor   string // the actor's name, or the email a failed sign-in tried
	Changes string // indented JSON
	// Diff is what a write changed, field by field (from the entry's
	// before and after), in field order.
	Diff []auditChange
}

// auditChange is one changed field: its dotted name and its values as
// compact JSON ("" when absent on that side).
type auditChange struct{ Field, Before, After string }

// auditDiff reads the before/after maps the API records.
func auditDiff(c store.JSONMap) []auditChange {
	b, _ := c["before"].(map[string]any)
	a, _ := c["after"].(map[string]any)
	fields := map[string]bool{}
	for k := range b {
		fields[k] = true
	}
	for k := range a {
		fields[k] = true
	}
	show := func(m map[string]any, k string) string {
		v, ok := m[k]
		if !ok {
			return ""
		}
		if s, isStr := v.(string); isStr {
			return s
		}
		j, _ := json.Marshal(v)
		return string(j)
	}
	var out []auditChange
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		out = append(out, auditChange{Field: k, Before: show(b, k), After: show(a, k)})
	}
	return out
}

type auditData struct {
	Rows    []auditRow
	Agents  []store.Agent
	Actions []auditAction
	Query   url.Values
	// Export is the CSV link of the same filters; Older pages back.
	Export, Older string
	Error         string
}

type auditAction struct{ Code, Label string }

const auditPage = 200

// showAudit is the audit log viewer: filters by actor, action and date
// range (a GET form), the entries newest first, and the CSV export of the
// same selection.
func (h *handler) showAudit(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	pg := h.newPage(r, p, "audit", "admin.audit")
	q := r.URL.Query()
	d := auditData{Query: q}
	f, err := api.AuditFilter(q)
	if err != nil {
		d.Error = pg.tr.Error(web.FromError(err))
		f = store.AuditFilter{}
	}
	f.Limit = auditPage
	ctx := r.Context()
	entries, err := h.s.Store.AuditEntries(ctx, f)
	if err != nil {
		h.fail(w, r, p, "list audit entries", err)
		return
	}
	if d.Agents, err = h.s.Store.ListAgents(ctx); err != nil {
		h.fail(w, r, p, "list agents", err)
		return
	}
	names := map[int64]string{}
	for _, a := range d.Agents {
		names[a.ID] = a.Name
	}
	label := func(action string) string {
		if s, ok := pg.tr.lookup("auditaction." + action); ok {
			return s
		}
		return action
	}
	for _, e := range entries {
		row := auditRow{AuditEntry: e, Label: label(e.Action), Actor: e.ActorEmail}
		if e.ActorID != nil && names[*e.ActorID] != "" {
			row.Actor = names[*e.ActorID]
		}
		row.Diff = auditDiff(e.Changes)
		if len(e.Changes) > 0 {
			b, _ := json.MarshalIndent(e.Changes, "", "  ")
			row.Changes = string(b)
		}
		d.Rows = append(d.Rows, row)
	}
	actions, err := h.s.Store.AuditActions(ctx)
	if err != nil {
		h.fail(w, r, p, "list audit actions", err)
		return
	}
	for _, a := range actions {
		d.Actions = append(d.Actions, auditAction{Code: a, Label: label(a)})
	}
	export := url.Values{}
	for _, k := range []string{"actor", "action", "from", "to"} {
		if v := q.Get(k); v != "" {
			export.Set(k, v)
		}
	}
	d.Export = "/api/v1/audit/export.csv"
	if len(export) > 0 {
		d.Export += "?" + export.Encode()
	}
	if len(entries) == auditPage {
		export.Set("before", strconv.FormatInt(entries[len(entries)-1].ID, 10))
		d.Older = "/admin/audit?" + export.Encode()
	}
	pg.Data = d
	h.render(w, r, "audit", pg)
}
