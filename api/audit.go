package api

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hanbox/hanbox/audit"
	"github.com/hanbox/hanbox/store"
)

// auditRoutes are the routes audited besides every admin write (authAdmin
// and not GET), by "METHOD path" as in the route table, with the action
// they record ("" derives it from the path, see routeAction). Add a route
// here when it is not an admin write but must be in the audit log (an
// export, a credential change).
var auditRoutes = map[string]string{
	"POST /auth/password":      audit.ActionPasswordChange,
	"POST /auth/logout":        audit.ActionLogout,
	"POST /tokens":             "tokens.create",
	"DELETE /tokens/{id}":      "tokens.delete",
	"GET /surveys/export.csv":  "surveys.export",
	"GET /audit/export.csv":    "audit.export",
	"POST /contacts/import":    "contacts.import",
	"GET /contacts/export.csv": "contacts.export",
	"GET /tickets/export.csv":  "tickets.export",
}

// audited says whether a route is recorded in the audit log, and as what.
func (a *API) audited(rt route) (bool, string) {
	if a.Audit == nil {
		return false, ""
	}
	if action, ok := auditRoutes[rt.Method+" "+rt.Path]; ok {
		if action == "" {
			action = routeAction(rt.Method, rt.Path)
		}
		return true, action
	}
	if rt.Auth == authAdmin && rt.Method != http.MethodGet {
		return true, routeAction(rt.Method, rt.Path)
	}
	return false, ""
}

// routeAction names the action of a route from its path and method: the
// literal segments joined by dots, plus create (POST to a collection),
// update (PATCH), set (PUT) or delete (DELETE). A POST to a named action
// under an item is the action itself: POST /channels/{id}/token is
// "channels.token", POST /webhooks/{id}/test "webhooks.test".
func routeAction(method, path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var words []string
	params := 0
	lastParam := false
	for _, s := range segs {
		if strings.HasPrefix(s, "{") {
			params++
			lastParam = true
			continue
		}
		words = append(words, strings.TrimSuffix(s, ".csv"))
		lastParam = false
	}
	base := strings.Join(words, ".")
	switch method {
	case http.MethodPost:
		if params == 0 || lastParam {
			return base + ".create"
		}
		return base
	case http.MethodPatch:
		return base + ".update"
	case http.MethodPut:
		return base + ".set"
	case http.MethodDelete:
		return base + ".delete"
	}
	return base
}

// recordRoute writes the audit entry of a route that succeeded: the target
// is the path's first parameter, or the id of what a create returned; the
// changes are the request body (secrets redacted) and the query.
// auditDiff is what a write changed: the item read before and after it
// (redacted JSON values; after is nil for a delete).
type auditDiff struct{ before, after any }

func (a *API) recordRoute(r *http.Request, rt route, action string, reqBody []byte, result any, diff *auditDiff) {
	e := audit.Entry{Action: action, TargetType: strings.Split(strings.Trim(rt.Path, "/"), "/")[0]}
	if m := pathParam.FindStringSubmatch(rt.Path); m != nil {
		e.TargetID = r.PathValue(m[1])
	} else if id := resultID(result); id != "" {
		e.TargetID = id
	}
	changes := map[string]any{}
	if len(reqBody) > 0 {
		redact := audit.Redact
		if strings.Contains(rt.Path, "password") {
			// Credentials under plain names ("current", "new").
			redact = audit.RedactStrings
		}
		if req := redact(json.RawMessage(reqBody)); req != nil {
			changes["request"] = req
		} else {
			changes["request_bytes"] = len(reqBody)
		}
	}
	if q := r.URL.Query(); len(q) > 0 {
		changes["query"] = audit.Redact(q)
	}
	if rt.Method+" "+rt.Path == "PATCH /agents/{id}" {
		if req, _ := changes["request"].(map[string]any); req != nil && req["password"] == audit.Redacted {
			e.Action = audit.ActionPasswordReset
		}
	}
	if s, ok := result.(interface{ AuditSummary() map[string]any }); ok {
		changes["result"] = s.AuditSummary()
	}
	if diff != nil {
		b, af := diffSnapshots(diff.before, diff.after)
		if len(b)+len(af) > 0 {
			changes["before"], changes["after"] = b, af
		}
	}
	if reqBody == nil && r.ContentLength > 0 {
		changes["request_bytes"] = r.ContentLength
	}
	e.Changes = changes
	a.Audit.Record(r, e)
}

// resultID is the id of a created thing in a handler's answer: its "id",
// or the "id" of its one nested object ({"channel": {"id": 3}, "token": …}).
func resultID(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	if id, ok := m["id"]; ok {
		return strings.Trim(string(id), `"`)
	}
	for _, raw := range m {
		var inner map[string]json.RawMessage
		if json.Unmarshal(raw, &inner) == nil {
			if id, ok := inner["id"]; ok {
				return strings.Trim(string(id), `"`)
			}
		}
	}
	return ""
}

// timeParam reads an RFC 3339 time or a YYYY-MM-DD date (the start of that
// day in Asia/Seoul) from the query.
func timeParam(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		t, err = time.ParseInLocation(time.DateOnly, v, seoul)
	}
	if err != nil {
		return time.Time{}, errf(http.StatusBadRequest, "bad_query", "%s must be RFC 3339 or YYYY-MM-DD", name).With("field", name)
	}
	return t, nil
}

// AuditFilter reads the audit filters from a query: actor (agent id),
// action (exact, or a prefix ending in "."), from and to (RFC 3339 or
// YYYY-MM-DD; a date in to includes that whole day), before, limit.
func AuditFilter(q url.Values) (store.AuditFilter, error) {
	var f store.AuditFilter
	var err error
	if v := q.Get("actor"); v != "" {
		if f.ActorID, err = strconv.ParseInt(v, 10, 64); err != nil || f.ActorID <= 0 {
			return f, errf(http.StatusBadRequest, "bad_query", "actor must be an agent id").With("field", "actor")
		}
	}
	f.Action = strings.TrimSpace(q.Get("action"))
	if f.From, err = timeParam(q, "from"); err != nil {
		return f, err
	}
	if f.To, err = timeParam(q, "to"); err != nil {
		return f, err
	}
	if v := q.Get("to"); len(v) == len(time.DateOnly) && !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1)
	}
	if v := q.Get("before"); v != "" {
		if f.Before, err = strconv.ParseInt(v, 10, 64); err != nil {
			return f, errf(http.StatusBadRequest, "bad_query", "before must be an entry id").With("field", "before")
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 5000 {
			return f, errf(http.StatusBadRequest, "bad_query", "limit must be 1..5000").With("field", "limit")
		}
		f.Limit = n
	}
	return f, nil
}

// AuditEntryView is an audit entry on the wire.
type AuditEntryView struct {
	ID         int64          `json:"id"`
	At         time.Time      `json:"at"`
	ActorID    *int64         `json:"actor_id"`
	ActorEmail string         `json:"actor_email"`
	Action     string         `json:"action"`
	TargetType string         `json:"target_type"`
	TargetID   string         `json:"target_id"`
	RemoteIP   string         `json:"remote_ip"`
	UserAgent  string         `json:"user_agent"`
	Changes    map[string]any `json:"changes"`
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request) (int, any, error) {
	f, err := AuditFilter(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	rows, err := a.Store.AuditEntries(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	items := make([]AuditEntryView, 0, len(rows))
	for _, e := range rows {
		items = append(items, AuditEntryView{ID: e.ID, At: e.At, ActorID: e.ActorID, ActorEmail: e.ActorEmail, Action: e.Action,
			TargetType: e.TargetType, TargetID: e.TargetID, RemoteIP: e.RemoteIP, UserAgent: e.UserAgent, Changes: e.Changes})
	}
	actions, err := a.Store.AuditActions(r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"items": items, "actions": actions}, nil
}

func (a *API) exportAudit(w http.ResponseWriter, r *http.Request) (int, any, error) {
	f, err := AuditFilter(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	if f.Limit == 0 {
		f.Limit = 5000
	}
	rows, err := a.Store.AuditEntries(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="audit.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	WriteAuditCSV(w, rows)
	return 0, nil, nil
}

// WriteAuditCSV writes entries as CSV with a UTF-8 byte order mark (so
// spreadsheet programs read Korean as UTF-8); text cells that a spreadsheet
// would run as a formula are escaped.
func WriteAuditCSV(w interface{ Write([]byte) (int, error) }, rows []store.AuditEntry) {
	_, _ = w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "at", "actor_id", "actor_email", "action", "target_type", "target_id", "remote_ip", "user_agent", "changes"})
	for _, e := range rows {
		actor := ""
		if e.ActorID != nil {
			actor = strconv.FormatInt(*e.ActorID, 10)
		}
		changes, _ := json.Marshal(e.Changes)
		_ = cw.Write([]string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339), actor, csvSafe(e.ActorEmail), e.Action,
			e.TargetType, csvSafe(e.TargetID), e.RemoteIP, csvSafe(e.UserAgent), csvSafe(string(changes))})
	}
	cw.Flush()
}

// auditSchemas document the audit endpoints.
func auditSchemas() map[string]any {
	str := map[string]any{"type": "string"}
	i := map[string]any{"type": "integer"}
	entry := map[string]any{"type": "object", "properties": map[string]any{"id": i, "at": map[string]any{"type": "string", "format": "date-time"},
		"actor_id": i, "actor_email": str,
		"action":      map[string]any{"type": "string", "description": "auth.login, auth.login_failed, auth.logout, auth.password_change, agents.password_reset, tokens.create, surveys.export, or <resource>.create|update|set|delete|<action> for every admin write"},
		"target_type": str, "target_id": str, "remote_ip": str, "user_agent": str,
		"changes": map[string]any{"type": "object", "description": "the request (secrets shown as [redacted]) and query"}}}
	return map[string]any{
		"AuditEntry": entry,
		"AuditList": map[string]any{"type": "object", "properties": map[string]any{
			"items":   map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/AuditEntry"}},
			"actions": map[string]any{"type": "array", "items": str, "description": "every action recorded so far, for a filter"}}},
	}
}
