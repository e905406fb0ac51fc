package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"os"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/store/storetest"
)

type importOut struct {
	DryRun   bool   `json:"dry_run"`
	Encoding string `json:"encoding"`
	Rows     int    `json:"rows"`
	Created  int    `json:"created"`
	Updated  int    `json:"updated"`
	Merged   int    `json:"merged"`
	Rejected int    `json:"rejected"`
	Rejects  []struct {
		Line int    `json:"line"`
		Code string `json:"code"`
	} `json:"rejected_rows"`
	Preview []struct {
		Line   int    `json:"line"`
		Action string `json:"action"`
		Name   string `json:"name"`
	} `json:"preview"`
}

func decodeImport(t *testing.T, r response, want int) importOut {
	t.Helper()
	if r.status != want {
		t.Fatalf("import: status %d, want %d: %s", r.status, want, r.body)
	}
	var out importOut
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestContactImportExportAPI: a CP949 file (as Korean Excel saves it) is
// previewed, imported through a multipart form, exported back as UTF-8 with a
// BOM, and the export imports again as updates only; tickets export with the
// list's filters; every step is in the audit log.
func TestContactImportExportAPI(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			for _, a := range []map[string]string{
				{"key": "grade", "label_ko": "등급", "type": "text"},
				{"key": "spend", "label_ko": "구매액", "type": "number"},
				{"key": "joined", "label_ko": "가입일", "type": "date"},
			} {
				e.call("POST", "/api/v1/attributes", e.admin, a, 201, nil)
			}
			cp949, err := os.ReadFile("../contactcsv/testdata/contacts_cp949.csv")
			if err != nil {
				t.Fatal(err)
			}

			pre := decodeImport(t, e.raw("POST", "/api/v1/contacts/import?dry_run=true", e.admin, "text/csv", cp949), 200)
			if !pre.DryRun || pre.Encoding != "cp949" || pre.Rows != 7 || pre.Created != 3 || pre.Merged != 1 || pre.Rejected != 3 {
				t.Fatalf("preview %+v", pre)
			}
			if pre.Preview[0].Name != "김민수" || pre.Preview[0].Action != "create" {
				t.Fatalf("preview row %+v", pre.Preview[0])
			}
			var list struct {
				Items []json.RawMessage `json:"items"`
			}
			e.call("GET", "/api/v1/contacts", e.admin, nil, 200, &list)
			if len(list.Items) != 0 {
				t.Fatalf("the preview wrote %d contacts", len(list.Items))
			}

			// The mapping can be chosen; without an email column the file is refused.
			bad := e.raw("POST", "/api/v1/contacts/import?mapping=name,-,-,-,-,-,-", e.admin, "text/csv", cp949)
			if bad.status != 422 || !strings.Contains(string(bad.body), "no_email_column") {
				t.Fatalf("no email column: %d %s", bad.status, bad.body)
			}

			var form bytes.Buffer
			mw := multipart.NewWriter(&form)
			fw, _ := mw.CreateFormFile("file", "고객.csv")
			_, _ = fw.Write(cp949)
			_ = mw.Close()
			res := decodeImport(t, e.raw("POST", "/api/v1/contacts/import?encoding=cp949", e.admin, mw.FormDataContentType(), form.Bytes()), 200)
			if res.DryRun || res.Created != 3 || res.Merged != 1 || res.Rejected != 3 || len(res.Rejects) != 3 || res.Rejects[0].Line != 3 {
				t.Fatalf("import %+v", res)
			}

			exp := e.raw("GET", "/api/v1/contacts/export.csv", e.admin, "", nil)
			if exp.status != 200 || !bytes.HasPrefix(exp.body, []byte("\ufeff")) || !strings.HasPrefix(exp.header.Get("Content-Type"), "text/csv") {
				t.Fatalf("export: %d %q", exp.status, exp.body[:min(len(exp.body), 40)])
			}
			recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(exp.body, []byte("\ufeff")))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 4 || recs[0][1] != "email" {
				t.Fatalf("export rows %q", recs)
			}
			col := map[string]int{}
			for i, h := range recs[0] {
				col[h] = i
			}
			found := false
			for _, r := range recs[1:] {
				if r[col["email"]] == "kim@example.com" {
					found = r[col["name"]] == "김민수" && r[col["grade"]] == "골드" && r[col["spend"]] == "120000" && r[col["tags"]] == "vip, 신규, 재구매"
				}
			}
			if !found {
				t.Fatalf("kim not exported as imported: %q", recs)
			}
			again := decodeImport(t, e.raw("POST", "/api/v1/contacts/import", e.admin, "text/csv", exp.body), 200)
			if again.Created != 0 || again.Updated != 3 || again.Rejected != 0 {
				t.Fatalf("re-import of the export %+v", again)
			}
			tagged := e.raw("GET", "/api/v1/contacts/export.csv?tag=vip", e.admin, "", nil)
			if n := bytes.Count(tagged.body, []byte("\n")); n != 2 {
				t.Fatalf("tag filter: %d lines: %s", n, tagged.body)
			}

			// Agents may not import or export contacts.
			e.call("POST", "/api/v1/agents", e.admin, map[string]any{"email": "agent@example.com", "name": "상담원", "role": "agent", "password": "agent password 123"}, 201, nil)
			var login struct {
				Token string `json:"token"`
			}
			e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "agent@example.com", "password": "agent password 123"}, 200, &login)
			if r := e.raw("POST", "/api/v1/contacts/import", login.Token, "text/csv", cp949); r.status != 403 {
				t.Fatalf("agent import: %d", r.status)
			}
			if r := e.raw("GET", "/api/v1/contacts/export.csv", login.Token, "", nil); r.status != 403 {
				t.Fatalf("agent export: %d", r.status)
			}

			e.apiChannel()
			e.ingest(map[string]any{"external_id": "t1", "text": "배송이 늦어요", "contact": map[string]any{"email": "kim@example.com", "name": "김민수"}})
			e.ingest(map[string]any{"external_id": "t2", "text": "=cmd|' /C calc'!A0", "contact": map[string]any{"email": "x@example.com", "name": "X"}})
			tk := e.raw("GET", "/api/v1/tickets/export.csv?status=open&q="+urlQuery("배송"), e.admin, "", nil)
			recs, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(tk.body, []byte("\ufeff")))).ReadAll()
			if err != nil || tk.status != 200 {
				t.Fatalf("tickets export %d %v %s", tk.status, err, tk.body)
			}
			if len(recs) != 2 || recs[1][10] != "kim@example.com" || recs[1][3] != "open" {
				t.Fatalf("tickets export %q", recs)
			}
			all := e.raw("GET", "/api/v1/tickets/export.csv", e.admin, "", nil)
			if !bytes.Contains(all.body, []byte("'=cmd")) {
				t.Fatalf("a formula subject is not quoted: %s", all.body)
			}

			var audit auditList
			e.call("GET", "/api/v1/audit?action=contacts.", e.admin, nil, 200, &audit)
			actions := map[string]int{}
			for _, it := range audit.Items {
				actions[it.Action]++
				if it.Action == "contacts.import" && it.Changes["result"] == nil {
					t.Fatalf("import entry without its result: %+v", it)
				}
			}
			if actions["contacts.import"] != 3 || actions["contacts.export"] != 2 {
				t.Fatalf("audit %+v", actions)
			}
			e.call("GET", "/api/v1/audit?action=tickets.export", e.admin, nil, 200, &audit)
			if len(audit.Items) != 2 {
				t.Fatalf("tickets.export entries: %d", len(audit.Items))
			}
		})
	}
}

// TestContactImportEvents: an import records one durable contact.updated
// event per contact it created or changed (in the batch's transaction),
// naming the attributes whose values changed; a dry run records none.
// Re-importing the same file changes nothing and records nothing; a file
// changing one row's grade and another's tags records two events, the
// first naming grade only.
func TestContactImportEvents(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			e.call("POST", "/api/v1/attributes", e.admin, map[string]string{"key": "grade", "label_ko": "등급", "type": "text"}, 201, nil)
			file := []byte("email,name,grade,tags\nkim@example.com,김민수,gold,vip\nlee@example.com,이영희,,\npark@example.com,박철수,silver,\"a,b\"\n")
			type ev struct {
				ContactID int64 `json:"contact_id"`
				Contact   *struct {
					Attributes []string `json:"attributes"`
				} `json:"contact"`
			}
			events := func() []ev {
				var payloads []string
				if err := e.srv.Store.DB.Raw("SELECT payload FROM events WHERE type = ? ORDER BY id", "contact.updated").Scan(&payloads).Error; err != nil {
					t.Fatal(err)
				}
				out := make([]ev, len(payloads))
				for i, p := range payloads {
					if err := json.Unmarshal([]byte(p), &out[i]); err != nil {
						t.Fatal(err)
					}
				}
				return out
			}
			if pre := decodeImport(t, e.raw("POST", "/api/v1/contacts/import?dry_run=true", e.admin, "text/csv", file), 200); pre.Created != 3 {
				t.Fatalf("preview %+v", pre)
			}
			if evs := events(); len(evs) != 0 {
				t.Fatalf("a dry run recorded %d events", len(evs))
			}
			if res := decodeImport(t, e.raw("POST", "/api/v1/contacts/import", e.admin, "text/csv", file), 200); res.Created != 3 {
				t.Fatalf("import %+v", res)
			}
			evs := events()
			if len(evs) != 3 {
				t.Fatalf("import of 3 rows recorded %d events: %+v", len(evs), evs)
			}
			ids := map[int64]bool{}
			var graded int
			for _, v := range evs {
				ids[v.ContactID] = v.ContactID > 0
				if v.Contact != nil && fmt.Sprint(v.Contact.Attributes) == "[grade]" {
					graded++
				}
			}
			if len(ids) != 3 || ids[0] || graded != 2 {
				t.Fatalf("events %+v: want 3 distinct contacts, 2 naming grade", evs)
			}
			if res := decodeImport(t, e.raw("POST", "/api/v1/contacts/import", e.admin, "text/csv", file), 200); res.Updated != 3 {
				t.Fatalf("re-import %+v", res)
			}
			if evs := events(); len(evs) != 3 {
				t.Fatalf("re-import of unchanged rows: %d events, want still 3", len(evs))
			}
			changed := []byte("email,name,grade,tags\nkim@example.com,김민수,platinum,vip\nlee@example.com,이영희,,new\npark@example.com,박철수,silver,\"b,a\"\n")
			if res := decodeImport(t, e.raw("POST", "/api/v1/contacts/import", e.admin, "text/csv", changed), 200); res.Updated != 3 {
				t.Fatalf("import of changes %+v", res)
			}
			evs = events()
			if len(evs) != 5 {
				t.Fatalf("import changing 2 of 3 rows: %d events in all, want 5: %+v", len(evs), evs)
			}
			if a, b := evs[3], evs[4]; a.ContactID != evs[0].ContactID || a.Contact == nil || fmt.Sprint(a.Contact.Attributes) != "[grade]" ||
				b.ContactID != evs[1].ContactID || b.Contact != nil {
				t.Fatalf("change events %+v %+v: want kim naming grade, then lee (a tag) naming no attribute", a, b)
			}
		})
	}
}
