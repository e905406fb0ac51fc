package api

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hanbox/hanbox/audit"
	"github.com/hanbox/hanbox/contactcsv"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// importStore is what a CSV import writes through: contacts are looked up
// in the store, and each batch is written by the inbox, which records the
// batch's contact.updated events in the same transaction.
type importStore struct {
	*store.Store
	in *inbox.Service
}

func (s importStore) ApplyImport(ctx context.Context, rows []store.ImportRow) error {
	return s.in.ImportContacts(ctx, rows)
}

// DefaultImportMaxBytes bounds an import's upload when
// Options.ImportMaxBytes is 0.
const DefaultImportMaxBytes = 64 << 20

// importResult is an import's answer; it summarizes itself for the audit
// entry (counts, not the rows).
type importResult struct{ *contactcsv.Result }

func (r importResult) AuditSummary() map[string]any {
	return map[string]any{"dry_run": r.DryRun, "encoding": r.Encoding, "rows": r.Rows, "created": r.Created,
		"updated": r.Updated, "merged": r.Merged, "rejected": r.Rejected}
}

// importBody returns the CSV of an import request: the body itself
// (text/csv or any other type), or the part named "file" of a
// multipart/form-data body, read as it streams in.
func importBody(w http.ResponseWriter, r *http.Request, limit int64) (io.Reader, error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return r.Body, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errf(http.StatusBadRequest, "bad_body", "the multipart body cannot be read")
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, errf(http.StatusBadRequest, "no_file", "the form has no part named file")
		}
		if err != nil {
			return nil, errf(http.StatusBadRequest, "bad_body", "the multipart body cannot be read")
		}
		if p.FormName() == "file" {
			return p, nil
		}
	}
}

func (a *API) importContacts(w http.ResponseWriter, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	opt := contactcsv.Options{Encoding: q.Get("encoding"), MaxRows: a.ImportMaxRows}
	opt.DryRun, _ = strconv.ParseBool(q.Get("dry_run"))
	if m, ok := q["mapping"]; ok {
		opt.Mapping = strings.Split(strings.Join(m, ","), ",")
	}
	if p := q.Get("preview"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 200 {
			return 0, nil, errf(http.StatusBadRequest, "bad_preview", "preview must be 1 to 200 rows")
		}
		opt.PreviewRows = n
	}
	limit := a.ImportMaxBytes
	if limit <= 0 {
		limit = DefaultImportMaxBytes
	}
	body, err := importBody(w, r, limit)
	if err != nil {
		return 0, nil, err
	}
	defs, err := a.Inbox.AttributeDefs(r.Context())
	if err != nil {
		return 0, nil, err
	}
	res, err := contactcsv.Import(r.Context(), importStore{a.Store, a.Inbox}, defs, body, opt)
	var mbe *http.MaxBytesError
	var fe *contactcsv.FileError
	switch {
	case errors.As(err, &mbe):
		a.recordPartialImport(r, res)
		return 0, nil, errf(http.StatusRequestEntityTooLarge, "too_large", "the file is larger than %d MiB", limit>>20).With("limit", limit)
	case errors.As(err, &fe):
		a.recordPartialImport(r, res)
		e := errf(http.StatusUnprocessableEntity, fe.Code, "%s", fe.Reason)
		for k, v := range fe.Params {
			e = e.With(k, v)
		}
		return 0, nil, e
	case err != nil:
		return 0, nil, err
	}
	return http.StatusOK, importResult{res}, nil
}

// recordPartialImport audits an import that failed after writing some
// batches (the route table audits only successes).
func (a *API) recordPartialImport(r *http.Request, res *contactcsv.Result) {
	if res == nil || res.DryRun || res.Created+res.Updated+res.Merged == 0 {
		return
	}
	a.Audit.Record(r, audit.Entry{Action: "contacts.import", TargetType: "contacts",
		Changes: map[string]any{"query": r.URL.Query(), "result": importResult{res}.AuditSummary(), "partial": true}})
}

func (a *API) exportContacts(w http.ResponseWriter, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	f := store.ContactExportFilter{Query: q.Get("q"), Tag: q.Get("tag")}
	if len(f.Query) > 500 {
		return 0, nil, errf(http.StatusBadRequest, "bad_query", "q is too long")
	}
	limit, err := exportLimit(r)
	if err != nil {
		return 0, nil, err
	}
	defs, err := a.Inbox.AttributeDefs(r.Context())
	if err != nil {
		return 0, nil, err
	}
	csvHeaders(w, "contacts.csv")
	if _, err := contactcsv.WriteContacts(r.Context(), w, a.Store, defs, f, limit); err != nil {
		// The status is sent: cut the file short so it is not taken for whole.
		a.log.Error("api: export contacts", "err", err)
		panic(http.ErrAbortHandler)
	}
	return 0, nil, nil
}

func exportLimit(r *http.Request) (int, error) {
	l := r.URL.Query().Get("limit")
	if l == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(l)
	if err != nil || n <= 0 {
		return 0, errf(http.StatusBadRequest, "bad_limit", "limit must be a positive number")
	}
	return n, nil
}

// exportLang is the language of names in an export (team names): lang=en,
// else Korean.
func exportLang(r *http.Request) string {
	if r.URL.Query().Get("lang") == "en" {
		return "en"
	}
	return "ko"
}

func csvHeaders(w http.ResponseWriter, name string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// exportTickets streams the tickets the list filters select (visibility
// included) as CSV, page by page through the list's keyset cursor.
func (a *API) exportTickets(w http.ResponseWriter, r *http.Request) (int, any, error) {
	f, err := a.filterFrom(r)
	if err != nil {
		return 0, nil, err
	}
	total, err := exportLimit(r)
	if err != nil {
		return 0, nil, err
	}
	agents, chans, teams, err := a.ticketLookups(r)
	if err != nil {
		return 0, nil, err
	}
	csvHeaders(w, "tickets.csv")
	_, _ = io.WriteString(w, contactcsv.BOM)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"number", "public_id", "subject", "status", "priority", "channel", "team", "assignee",
		"contact_id", "contact_name", "contact_email", "tags", "messages", "created_at", "first_response_at", "last_message_at"})
	n := 0
	for {
		f.Limit = 200
		if total > 0 {
			f.Limit = min(200, total-n)
		}
		page, err := a.Store.ListTickets(r.Context(), f)
		if err != nil {
			a.log.Error("api: export tickets", "err", err)
			panic(http.ErrAbortHandler)
		}
		for i := range page.Items {
			t := &page.Items[i]
			ch, team, assignee, first := "", "", "", ""
			if c := chans[t.ChannelID]; c != nil {
				ch = c.Name
			}
			if t.TeamID != nil && teams[*t.TeamID] != nil {
				team = teams[*t.TeamID].Name(exportLang(r))
			}
			if t.AssigneeID != nil && agents[*t.AssigneeID] != nil {
				assignee = agents[*t.AssigneeID].Email
			}
			if t.FirstResponseAt != nil {
				first = t.FirstResponseAt.UTC().Format(time.RFC3339)
			}
			var cname, cemail string
			if t.Contact != nil {
				cname, cemail = t.Contact.Name, t.Contact.Email
			}
			tags := make([]string, 0, len(t.Tags))
			for _, tg := range t.Tags {
				tags = append(tags, tg.Tag)
			}
			_ = cw.Write([]string{strconv.FormatInt(t.Number(), 10), t.PublicID, csvSafe(t.Subject), t.Status, t.Priority, csvSafe(ch), csvSafe(team),
				assignee, strconv.FormatInt(t.ContactID, 10), csvSafe(cname), csvSafe(cemail), csvSafe(strings.Join(tags, ", ")),
				strconv.Itoa(t.MessageCount), t.CreatedAt.UTC().Format(time.RFC3339), first, t.LastMessageAt.UTC().Format(time.RFC3339)})
			n++
		}
		cw.Flush()
		if page.NextCursor == "" || (total > 0 && n >= total) {
			break
		}
		f.Cursor = page.NextCursor
	}
	return 0, nil, nil
}

// contactIOSchemas document the import and export endpoints.
func contactIOSchemas() map[string]any {
	str := map[string]any{"type": "string"}
	i := map[string]any{"type": "integer"}
	col := map[string]any{"type": "object", "properties": map[string]any{"index": i, "header": str,
		"target": map[string]any{"type": "string", "description": "email, name, tags, attr:KEY, or empty (skipped)"}}}
	rej := map[string]any{"type": "object", "properties": map[string]any{"line": i, "email": str,
		"code":   map[string]any{"type": "string", "description": "missing_email, bad_email, bad_value, attribute_type, too_long, bad_record, bad_text, too_many_tags"},
		"reason": str, "params": map[string]any{"type": "object"}}}
	prev := map[string]any{"type": "object", "properties": map[string]any{"line": i, "email": str, "name": str,
		"attributes": map[string]any{"type": "object", "additionalProperties": str}, "tags": map[string]any{"type": "array", "items": str},
		"action": map[string]any{"type": "string", "enum": []any{"create", "update", "merge", "reject"}}, "reason": str, "code": str}}
	return map[string]any{
		"ContactImportResult": map[string]any{"type": "object", "description": "What an import did (or, with dry_run, would do). " +
			"rows = created + updated + merged + rejected; merged rows repeat an address earlier in the file and were folded into that contact.",
			"properties": map[string]any{"dry_run": map[string]any{"type": "boolean"}, "encoding": map[string]any{"type": "string", "enum": []any{"utf-8", "cp949", "utf-16"}},
				"delimiter": str, "columns": map[string]any{"type": "array", "items": col}, "rows": i, "created": i, "updated": i, "merged": i, "rejected": i,
				"rejected_rows": map[string]any{"type": "array", "items": rej, "description": "the first 1000"},
				"preview":       map[string]any{"type": "array", "items": prev}, "max_rows": i}},
	}
}

// rawBodies document the request bodies that are not JSON, by "METHOD path".
var rawBodies = map[string]any{
	"PUT /agents/me/avatar": map[string]any{"required": true, "content": map[string]any{
		"image/png":  map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}},
		"image/jpeg": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}},
		"image/gif":  map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}},
	}},
	"POST /contacts/import": map[string]any{"required": true, "content": map[string]any{
		"text/csv": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}},
		"multipart/form-data": map[string]any{"schema": map[string]any{"type": "object",
			"properties": map[string]any{"file": map[string]any{"type": "string", "format": "binary"}}}},
	}},
}

var importParams = []any{
	queryParam("dry_run", "true: read and check the whole file, write nothing (the preview)"),
	queryParam("encoding", "auto (default: BOM, else UTF-8 if the start is valid UTF-8, else CP949), utf-8, cp949 (euc-kr), utf-16"),
	queryParam("mapping", "the target of each column in order, comma-separated: email, name, tags, attr:KEY, or - to skip (default: by header, English or Korean, or an attribute's key or label)"),
	queryParam("preview", "how many rows the preview shows (default 20, at most 200)"),
}

var contactExportParams = []any{queryParam("q", "as for GET /contacts"), queryParam("tag", "a tag of the contact or of one of its tickets"),
	queryParam("limit", "at most this many rows (default all)")}

var ticketExportParams = []any{queryParam("status", "as for GET /tickets"), queryParam("assignee", "me, unassigned or an agent id"),
	queryParam("team", "mine or a team id"), queryParam("channel", "a channel id"), queryParam("tag", "a tag"), queryParam("q", "full-text search"),
	queryParam("sort", "recent or due"), queryParam("lang", "ko (default) or en: the language of team names"), queryParam("limit", "at most this many rows (default all)")}
