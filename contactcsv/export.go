package contactcsv

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hanbox/hanbox/store"
)

// BOM starts every CSV Hanbox writes, so spreadsheet programs (Excel in
// Korean) read it as UTF-8.
const BOM = "\ufeff"

// exportPage is how many contacts an export reads at a time.
const exportPage = 500

// Exporter is what a contact export needs of the store.
type Exporter interface {
	ContactsPage(ctx context.Context, f store.ContactExportFilter, before int64, limit int) ([]store.Contact, error)
	AttributesOf(ctx context.Context, ids []int64) (map[int64][]store.ContactAttribute, error)
	ContactTagsOf(ctx context.Context, ids []int64) (map[int64][]string, error)
}

// WriteContacts writes the contacts f selects (newest first, at most limit;
// 0: all) as CSV with a BOM: id, email, name, tags, then a column per
// attribute key in defs' order (locale and time zone from the contact row),
// created_at. The header uses the keys, so the file imports back as it is.
// Contacts are read exportPage at a time; it returns how many it wrote.
func WriteContacts(ctx context.Context, w io.Writer, st Exporter, defs []store.AttributeDef, f store.ContactExportFilter, limit int) (int, error) {
	if _, err := io.WriteString(w, BOM); err != nil {
		return 0, err
	}
	cw := csv.NewWriter(w)
	header := []string{"id", "email", "name", "tags"}
	for _, d := range defs {
		header = append(header, d.Key)
	}
	header = append(header, "created_at")
	if err := cw.Write(header); err != nil {
		return 0, err
	}
	n := 0
	var before int64
	rec := make([]string, len(header))
	for limit <= 0 || n < limit {
		page := exportPage
		if limit > 0 {
			page = min(page, limit-n)
		}
		cs, err := st.ContactsPage(ctx, f, before, page)
		if err != nil {
			return n, err
		}
		if len(cs) == 0 {
			break
		}
		ids := make([]int64, len(cs))
		for i, c := range cs {
			ids[i] = c.ID
		}
		attrs, err := st.AttributesOf(ctx, ids)
		if err != nil {
			return n, err
		}
		tags, err := st.ContactTagsOf(ctx, ids)
		if err != nil {
			return n, err
		}
		for _, c := range cs {
			byKey := map[string]store.ContactAttribute{}
			for _, a := range attrs[c.ID] {
				byKey[a.Key] = a
			}
			rec = rec[:0]
			rec = append(rec, strconv.FormatInt(c.ID, 10), Safe(c.Email), Safe(c.Name), Safe(strings.Join(tags[c.ID], ", ")))
			for _, d := range defs {
				switch d.Key {
				case store.AttrLocale:
					rec = append(rec, Safe(c.Locale))
				case store.AttrTimeZone:
					rec = append(rec, Safe(c.TimeZone))
				default:
					rec = append(rec, Safe(formatValue(byKey[d.Key].Value())))
				}
			}
			rec = append(rec, c.CreatedAt.UTC().Format(time.RFC3339))
			if err := cw.Write(rec); err != nil {
				return n, err
			}
			n++
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return n, err
		}
		before = cs[len(cs)-1].ID
		if len(cs) < page {
			break
		}
	}
	cw.Flush()
	return n, cw.Error()
}

func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	}
	return ""
}

// Safe keeps a value from being read as a formula by a spreadsheet (CSV
// injection): one starting with = + - @ tab or CR gets a leading quote,
// which an import takes off again.
func Safe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
