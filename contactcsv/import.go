package contactcsv

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// Limits of an import.
const (
	// DefaultMaxRows is the row cap when Options.MaxRows is 0.
	DefaultMaxRows = 200_000
	// DefaultBatchSize is the rows written per transaction.
	DefaultBatchSize = 500
	// DefaultPreviewRows is how many rows a result shows.
	DefaultPreviewRows = 20
	// MaxRejectedShown is how many rejected rows a result lists (all are counted).
	MaxRejectedShown = 1000
	// MaxCell is the longest cell accepted, in characters.
	MaxCell = 4000
	// MaxColumns is the most columns a header may have.
	MaxColumns = 200
	// MaxTags is the most tags one row may give.
	MaxTags = 50
)

// Column targets. An attribute column's target is "attr:" + its key; "" skips
// the column.
const (
	TargetEmail = "email"
	TargetName  = "name"
	TargetTags  = "tags"
	TargetAttr  = "attr:"
)

// Options tune an import.
type Options struct {
	// Encoding is one of the Encoding constants (default auto-detect).
	Encoding string
	// Mapping gives each column's target in column order; nil maps the
	// columns by their headers (see AutoTarget). Missing entries skip.
	Mapping []string
	// DryRun reads and checks the whole file and writes nothing.
	DryRun      bool
	MaxRows     int
	BatchSize   int
	PreviewRows int
}

// Column is one column of the file and what it is imported as.
type Column struct {
	Index  int    `json:"index"`
	Header string `json:"header"`
	Target string `json:"target"`
}

// Rejection is a row left out, with why: Code is stable (missing_email,
// bad_email, bad_value, attribute_type, too_long, bad_record, bad_text,
// too_many_tags), Reason is English and Params fill a translated message.
type Rejection struct {
	Line   int            `json:"line"`
	Email  string         `json:"email,omitempty"`
	Code   string         `json:"code"`
	Reason string         `json:"reason"`
	Params map[string]any `json:"params,omitempty"`
}

// PreviewRow is one of the first rows as it would be (or was) imported.
// Action is create, update, merge (an address already earlier in the file)
// or reject.
type PreviewRow struct {
	Line       int               `json:"line"`
	Email      string            `json:"email"`
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attributes"`
	Tags       []string          `json:"tags"`
	Action     string            `json:"action"`
	Reason     string            `json:"reason,omitempty"`
	Code       string            `json:"code,omitempty"`
}

// Result reports an import (or, with DryRun, what it would do).
type Result struct {
	DryRun    bool     `json:"dry_run"`
	Encoding  string   `json:"encoding"`
	Delimiter string   `json:"delimiter"`
	Columns   []Column `json:"columns"`
	// Rows counts the data rows read (blank rows are skipped, not counted).
	Rows     int `json:"rows"`
	Created  int `json:"created"`
	Updated  int `json:"updated"`
	Merged   int `json:"merged"`
	Rejected int `json:"rejected"`
	// RejectedRows lists the first MaxRejectedShown rejections.
	RejectedRows []Rejection  `json:"rejected_rows"`
	Preview      []PreviewRow `json:"preview"`
	MaxRows      int          `json:"max_rows"`
}

// FileError is a problem with the file as a whole (no header, no email
// column, an unknown attribute in the mapping, too many rows): nothing past
// it is imported. Code is stable; Params fill a translated message.
type FileError struct {
	Code   string
	Reason string
	Params map[string]any
}

func (e *FileError) Error() string { return "contactcsv: " + e.Reason }

func fileErr(code string, params map[string]any, format string, args ...any) *FileError {
	return &FileError{Code: code, Reason: fmt.Sprintf(format, args...), Params: params}
}

// Store is what an import needs of the store.
type Store interface {
	ContactIDsByEmail(ctx context.Context, emails []string) (map[string]int64, error)
	ApplyImport(ctx context.Context, rows []store.ImportRow) error
}

var _ Store = (*store.Store)(nil)

// Import reads a CSV of contacts from r and creates or updates a contact
// per row, deduplicated by email: a row whose address a contact already has
// (verified identity first, then reply address) updates it; the rest
// create contacts. Empty cells change nothing. defs are every attribute
// definition (inbox.Service.AttributeDefs). On a *FileError the result so
// far is returned with it: with too_many_rows the batches before the cap
// were written (a dry run finds it first).
func Import(ctx context.Context, st Store, defs []store.AttributeDef, r io.Reader, opt Options) (*Result, error) {
	if opt.MaxRows <= 0 {
		opt.MaxRows = DefaultMaxRows
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultBatchSize
	}
	if opt.PreviewRows <= 0 {
		opt.PreviewRows = DefaultPreviewRows
	}
	enc, ok := NormEncoding(opt.Encoding)
	if !ok {
		return nil, fileErr("bad_encoding", map[string]any{"encoding": opt.Encoding}, "unknown encoding %q (auto, utf-8, cp949)", opt.Encoding)
	}
	dec, used, err := decoder(r, enc)
	if err != nil {
		return nil, fmt.Errorf("contactcsv: read: %w", err)
	}
	res := &Result{DryRun: opt.DryRun, Encoding: used, MaxRows: opt.MaxRows, RejectedRows: []Rejection{}, Preview: []PreviewRow{}}
	br := bufio.NewReaderSize(dec, sniffBytes)
	head, _ := br.Peek(sniffBytes)
	comma := sniffDelimiter(head)
	res.Delimiter = string(comma)
	cr := csv.NewReader(br)
	cr.Comma = comma
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return res, fileErr("empty_file", nil, "the file is empty: it needs a header row (email, name, ...)")
	}
	if err != nil {
		return res, fileErr("bad_header", nil, "the header row cannot be read: %v", err)
	}
	if len(header) > MaxColumns {
		return res, fileErr("too_many_columns", map[string]any{"max": MaxColumns}, "the file has more than %d columns", MaxColumns)
	}
	byKey := map[string]store.AttributeDef{}
	for _, d := range defs {
		byKey[d.Key] = d
	}
	cols, err := mapColumns(header, opt.Mapping, defs, byKey)
	res.Columns = cols
	if err != nil {
		return res, err
	}
	im := &importer{st: st, opt: opt, res: res, byKey: byKey, cols: cols, seen: map[string]bool{}}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return res, fmt.Errorf("contactcsv: read: %w", err)
			}
			line = pe.StartLine
		}
		if err == nil && blank(rec) {
			continue
		}
		res.Rows++
		if res.Rows > opt.MaxRows {
			res.Rows--
			if ferr := im.flush(ctx); ferr != nil {
				return res, ferr
			}
			return res, fileErr("too_many_rows", map[string]any{"max": opt.MaxRows, "imported": res.Created + res.Updated + res.Merged},
				"the file has more than %d rows; split it (rows after line %d were not read)", opt.MaxRows, line-1)
		}
		if err != nil {
			im.reject(line, "", nil, "bad_record", nil, "the row is not valid CSV: %v", errors.Unwrap(err))
			continue
		}
		if err := im.add(ctx, line, rec); err != nil {
			return res, err
		}
	}
	if err := im.flush(ctx); err != nil {
		return res, err
	}
	return res, nil
}

// sniffDelimiter picks the separator of the header line: the most frequent
// of comma, semicolon and tab (comma on a tie).
func sniffDelimiter(head []byte) rune {
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	best, n := ',', bytes.Count(head, []byte{','})
	for _, c := range []rune{';', '\t'} {
		if m := bytes.Count(head, []byte(string(c))); m > n {
			best, n = c, m
		}
	}
	return best
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// headerWords are the headers AutoTarget knows, normalized (see normHeader).
var headerWords = map[string]string{
	"email": TargetEmail, "emailaddress": TargetEmail, "mail": TargetEmail, "이메일": TargetEmail, "메일": TargetEmail,
	"이메일주소": TargetEmail, "전자우편": TargetEmail, "전자메일": TargetEmail,
	"name": TargetName, "fullname": TargetName, "이름": TargetName, "성명": TargetName, "고객명": TargetName,
	"tags": TargetTags, "tag": TargetTags, "labels": TargetTags, "태그": TargetTags,
}

func normHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	return strings.NewReplacer(" ", "", "_", "", "-", "", ".", "").Replace(h)
}

// AutoTarget guesses a column's target from its header: email, name and
// tags in English or Korean, an attribute by key or by label; "" when
// nothing fits.
func AutoTarget(header string, defs []store.AttributeDef) string {
	h := normHeader(header)
	if t, ok := headerWords[h]; ok {
		return t
	}
	for _, d := range defs {
		if d.ReadOnly {
			continue
		}
		if normHeader(d.Key) == h || (d.LabelKo != "" && normHeader(d.LabelKo) == h) || (d.LabelEn != "" && normHeader(d.LabelEn) == h) {
			return TargetAttr + d.Key
		}
	}
	return ""
}

func mapColumns(header, mapping []string, defs []store.AttributeDef, byKey map[string]store.AttributeDef) ([]Column, error) {
	cols := make([]Column, len(header))
	used := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if !utf8.ValidString(h) {
			h = strings.ToValidUTF8(h, "\ufffd")
		}
		t := ""
		if mapping == nil {
			t = AutoTarget(h, defs)
		} else if i < len(mapping) {
			t = strings.TrimSpace(mapping[i])
		}
		if t == "-" {
			t = ""
		}
		cols[i] = Column{Index: i, Header: h, Target: t}
		switch {
		case t == "":
			continue
		case t == TargetEmail || t == TargetName || t == TargetTags:
		case strings.HasPrefix(t, TargetAttr):
			key := strings.TrimPrefix(t, TargetAttr)
			d, ok := byKey[key]
			if !ok {
				return cols, fileErr("unknown_attribute", map[string]any{"key": key}, "unknown attribute %q (define it first)", key)
			}
			if d.ReadOnly {
				return cols, fileErr("read_only_attribute", map[string]any{"key": key}, "attribute %q is kept by Hanbox and cannot be imported", key)
			}
		default:
			return cols, fileErr("bad_target", map[string]any{"target": t}, "column %d: unknown target %q (email, name, tags, attr:KEY or empty)", i+1, t)
		}
		if j, dup := used[t]; dup {
			return cols, fileErr("duplicate_target", map[string]any{"target": t}, "columns %d and %d are both imported as %s", j+1, i+1, t)
		}
		used[t] = i
	}
	if _, ok := used[TargetEmail]; !ok {
		return cols, fileErr("no_email_column", nil, "no column is the email address: name one \"email\" or \"이메일\", or choose it")
	}
	return cols, nil
}

// importer holds one import's state.
type importer struct {
	st    Store
	opt   Options
	res   *Result
	byKey map[string]store.AttributeDef
	cols  []Column
	// seen holds the addresses of the rows so far (duplicates in the file).
	seen  map[string]bool
	batch []pending
}

type pending struct {
	row     store.ImportRow
	line    int
	preview int // index in res.Preview, or -1
	merged  bool
}

func (im *importer) reject(line int, email string, rec []string, code string, params map[string]any, format string, args ...any) {
	rj := Rejection{Line: line, Email: email, Code: code, Reason: fmt.Sprintf(format, args...), Params: params}
	im.res.Rejected++
	if len(im.res.RejectedRows) < MaxRejectedShown {
		im.res.RejectedRows = append(im.res.RejectedRows, rj)
	}
	if len(im.res.Preview) < im.opt.PreviewRows {
		p := im.previewOf(line, rec)
		p.Email, p.Action, p.Reason, p.Code = email, "reject", rj.Reason, code
		im.res.Preview = append(im.res.Preview, p)
	}
}

// previewOf shows a record's mapped cells as they are in the file.
func (im *importer) previewOf(line int, rec []string) PreviewRow {
	p := PreviewRow{Line: line, Attributes: map[string]string{}, Tags: []string{}}
	for _, c := range im.cols {
		if c.Index >= len(rec) || c.Target == "" {
			continue
		}
		v := strings.ToValidUTF8(plaintext.Clip(strings.TrimSpace(rec[c.Index]), 200), "\ufffd")
		switch {
		case c.Target == TargetEmail:
			p.Email = v
		case c.Target == TargetName:
			p.Name = v
		case c.Target == TargetTags:
			p.Tags = splitTags(v)
		default:
			if v != "" {
				p.Attributes[strings.TrimPrefix(c.Target, TargetAttr)] = v
			}
		}
	}
	return p
}

func splitTags(s string) []string {
	var out []string
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '|' }) {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// unformula undoes the quote that a CSV export puts before a value a
// spreadsheet would take for a formula ('=..., '+..., '-..., '@...).
func unformula(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@", rune(s[1])) {
		return s[1:]
	}
	return s
}

// add checks one record and queues it for the batch.
func (im *importer) add(ctx context.Context, line int, rec []string) error {
	var row store.ImportRow
	var email string
	for _, c := range im.cols {
		if c.Target == TargetEmail && c.Index < len(rec) {
			email = strings.ToLower(strings.TrimSpace(rec[c.Index]))
		}
	}
	shown := strings.ToValidUTF8(plaintext.Clip(email, 320), "\ufffd")
	for i, cell := range rec {
		if !utf8.ValidString(cell) {
			im.reject(line, shown, rec, "bad_text", map[string]any{"column": i + 1},
				"column %d is not valid text in %s (choose the file's encoding: CP949 for Korean Excel)", i+1, im.res.Encoding)
			return nil
		}
		if utf8.RuneCountInString(cell) > MaxCell {
			im.reject(line, shown, rec, "too_long", map[string]any{"column": i + 1, "max": MaxCell}, "column %d is longer than %d characters", i+1, MaxCell)
			return nil
		}
	}
	if email == "" {
		im.reject(line, "", rec, "missing_email", nil, "the email address is empty")
		return nil
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 320 || strings.IndexFunc(email, func(r rune) bool { return r < ' ' }) >= 0 {
		im.reject(line, shown, rec, "bad_email", map[string]any{"email": shown}, "%q is not an email address", shown)
		return nil
	}
	row.Email = email
	for _, c := range im.cols {
		if c.Target == "" || c.Target == TargetEmail || c.Index >= len(rec) {
			continue
		}
		v := unformula(strings.TrimSpace(rec[c.Index]))
		if v == "" {
			continue
		}
		switch {
		case c.Target == TargetName:
			name, err := plaintext.Line(v, 255)
			if err != nil {
				im.reject(line, email, rec, "bad_value", map[string]any{"column": c.Header}, "the name is not one line of at most 255 characters")
				return nil
			}
			row.Name = name
		case c.Target == TargetTags:
			for _, t := range splitTags(v) {
				if utf8.RuneCountInString(t) > 64 || strings.IndexFunc(t, func(r rune) bool { return r < ' ' }) >= 0 {
					im.reject(line, email, rec, "bad_value", map[string]any{"column": c.Header}, "tag %q is longer than 64 characters or holds control characters", plaintext.Clip(t, 80))
					return nil
				}
				if !contains(row.Tags, t) {
					row.Tags = append(row.Tags, t)
				}
			}
			if len(row.Tags) > MaxTags {
				im.reject(line, email, rec, "too_many_tags", map[string]any{"max": MaxTags}, "more than %d tags", MaxTags)
				return nil
			}
		default:
			d := im.byKey[strings.TrimPrefix(c.Target, TargetAttr)]
			a, err := inbox.TypedAttribute(d, cellValue(d.Type, v))
			if err != nil {
				code, params := "bad_value", map[string]any{"key": d.Key, "column": c.Header}
				var ie *inbox.InvalidError
				if errors.As(err, &ie) {
					if ie.Code != "invalid" {
						code = ie.Code
					}
					for k, pv := range ie.Params {
						params[k] = pv
					}
					params["value"] = plaintext.Clip(v, 80)
					im.reject(line, email, rec, code, params, "column %q: %s", c.Header, ie.Reason)
					return nil
				}
				return err
			}
			row.Attrs = append(row.Attrs, a)
		}
	}
	p := pending{row: row, line: line, preview: -1, merged: im.seen[email]}
	im.seen[email] = true
	if len(im.res.Preview) < im.opt.PreviewRows {
		pv := im.previewOf(line, rec)
		pv.Email, pv.Name, pv.Tags = email, row.Name, append([]string{}, row.Tags...)
		p.preview = len(im.res.Preview)
		im.res.Preview = append(im.res.Preview, pv)
	}
	// A repeated address in the batch folds into the earlier row: later
	// cells win, tags add up.
	for i := range im.batch {
		if b := &im.batch[i]; b.row.Email == email {
			mergeInto(&b.row, row)
			im.res.Merged++
			if p.preview >= 0 {
				im.res.Preview[p.preview].Action = "merge"
			}
			return nil
		}
	}
	im.batch = append(im.batch, p)
	if len(im.batch) >= im.opt.BatchSize {
		return im.flush(ctx)
	}
	return nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// cellValue turns a spreadsheet's spelling of a value into what
// inbox.TypedAttribute reads: yes/no and 예/아니오 booleans, dates with
// slashes or dots.
func cellValue(typ, v string) string {
	switch typ {
	case store.AttrBoolean:
		switch strings.ToLower(v) {
		case "true", "yes", "y", "on", "1", "예", "네", "o", "동의":
			return "true"
		case "false", "no", "n", "off", "0", "아니오", "아니요", "x", "미동의":
			return "false"
		}
	case store.AttrDate:
		if len(v) == 10 && (v[4] == '/' || v[4] == '.') && v[7] == v[4] {
			return v[:4] + "-" + v[5:7] + "-" + v[8:]
		}
	}
	return v
}

func mergeInto(dst *store.ImportRow, src store.ImportRow) {
	if src.Name != "" {
		dst.Name = src.Name
	}
	for _, a := range src.Attrs {
		replaced := false
		for i := range dst.Attrs {
			if dst.Attrs[i].Key == a.Key {
				dst.Attrs[i], replaced = a, true
			}
		}
		if !replaced {
			dst.Attrs = append(dst.Attrs, a)
		}
	}
	for _, t := range src.Tags {
		if !contains(dst.Tags, t) {
			dst.Tags = append(dst.Tags, t)
		}
	}
}

// flush decides create or update for the batch and, unless a dry run,
// writes it.
func (im *importer) flush(ctx context.Context) error {
	if len(im.batch) == 0 {
		return nil
	}
	emails := make([]string, len(im.batch))
	for i, b := range im.batch {
		emails[i] = b.row.Email
	}
	ids, err := im.st.ContactIDsByEmail(ctx, emails)
	if err != nil {
		return err
	}
	rows := make([]store.ImportRow, len(im.batch))
	for i, b := range im.batch {
		rows[i] = b.row
		rows[i].ContactID = ids[b.row.Email]
		action := "create"
		switch {
		case b.merged:
			// Seen in an earlier batch: a dry run has not created it.
			action = "merge"
			im.res.Merged++
		case rows[i].ContactID != 0:
			action = "update"
			im.res.Updated++
		default:
			im.res.Created++
		}
		if b.preview >= 0 && im.res.Preview[b.preview].Action == "" {
			im.res.Preview[b.preview].Action = action
		}
	}
	im.batch = im.batch[:0]
	if im.opt.DryRun {
		return nil
	}
	if err := im.st.ApplyImport(ctx, rows); err != nil {
		return fmt.Errorf("contactcsv: %w", err)
	}
	return nil
}
