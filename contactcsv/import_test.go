package contactcsv_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/contactcsv"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// defs defines the fixtures' custom attributes and returns every definition.
func defs(t testing.TB, st *store.Store) []store.AttributeDef {
	t.Helper()
	ctx := context.Background()
	for _, d := range []store.AttributeDef{
		{Key: "grade", LabelKo: "등급", LabelEn: "Grade", Type: store.AttrText},
		{Key: "spend", LabelKo: "구매액", LabelEn: "Spend", Type: store.AttrNumber},
		{Key: "joined", LabelKo: "가입일", LabelEn: "Joined", Type: store.AttrDate},
	} {
		if err := st.CreateAttributeDef(ctx, &d); err != nil {
			t.Fatal(err)
		}
	}
	custom, err := st.AttributeDefs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return append(store.BuiltinAttributes(), custom...)
}

type contactRow struct {
	Name, Email string
	Attrs       map[string]any
	Tags        []string
}

func contactByEmail(t testing.TB, st *store.Store, email string) (contactRow, int64) {
	t.Helper()
	ctx := context.Background()
	var cs []store.Contact
	if err := st.DB.Where("email = ?", email).Find(&cs).Error; err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 {
		t.Fatalf("%d contacts with email %s, want 1", len(cs), email)
	}
	c := cs[0]
	out := contactRow{Name: c.Name, Email: c.Email, Attrs: map[string]any{}}
	attrs, err := st.ContactAttributes(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range attrs {
		out.Attrs[a.Key] = a.Value()
	}
	tags, err := st.ContactTagsOf(ctx, []int64{c.ID})
	if err != nil {
		t.Fatal(err)
	}
	out.Tags = tags[c.ID]
	return out, c.ID
}

func TestImportFixtures(t *testing.T) {
	for _, tc := range []struct {
		file, encoding, want string
	}{
		{"contacts_utf8_bom.csv", "auto", contactcsv.EncodingUTF8},
		{"contacts_utf8.csv", "auto", contactcsv.EncodingUTF8},
		{"contacts_cp949.csv", "auto", contactcsv.EncodingCP949},
		{"contacts_cp949.csv", "euc-kr", contactcsv.EncodingCP949},
	} {
		t.Run(tc.file+"/"+tc.encoding, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				ctx := context.Background()
				ds := defs(t, st)
				// park exists: the import updates it (its name is replaced, its tag added).
				park := &store.Contact{Name: "Park", Email: "park@example.com"}
				if err := st.DB.Create(park).Error; err != nil {
					t.Fatal(err)
				}
				if err := st.ApplyImport(ctx, []store.ImportRow{{ContactID: park.ID, Tags: []string{"기존"}}}); err != nil {
					t.Fatal(err)
				}
				raw, err := os.ReadFile("testdata/" + tc.file)
				if err != nil {
					t.Fatal(err)
				}

				// The dry run says what will happen and writes nothing.
				pre, err := contactcsv.Import(ctx, st, ds, bytes.NewReader(raw), contactcsv.Options{Encoding: tc.encoding, DryRun: true})
				if err != nil {
					t.Fatal(err)
				}
				if pre.Encoding != tc.want {
					t.Fatalf("encoding %s, want %s", pre.Encoding, tc.want)
				}
				wantCols := []string{"email", "name", "attr:grade", "attr:spend", "attr:email_marketing", "attr:joined", "tags"}
				for i, c := range pre.Columns {
					if c.Target != wantCols[i] {
						t.Fatalf("column %d %q → %q, want %q", i, c.Header, c.Target, wantCols[i])
					}
				}
				if pre.Columns[1].Header != "이름" {
					t.Fatalf("header %q, want 이름 (decoded)", pre.Columns[1].Header)
				}
				counts := func(r *contactcsv.Result) string {
					return fmt.Sprintf("rows=%d created=%d updated=%d merged=%d rejected=%d", r.Rows, r.Created, r.Updated, r.Merged, r.Rejected)
				}
				if got, want := counts(pre), "rows=7 created=2 updated=1 merged=1 rejected=3"; got != want {
					t.Fatalf("dry run: %s, want %s (%+v)", got, want, pre.RejectedRows)
				}
				actions := []string{}
				for _, p := range pre.Preview {
					actions = append(actions, fmt.Sprintf("%d:%s", p.Line, p.Action))
				}
				if got, want := strings.Join(actions, " "), "2:create 3:reject 4:reject 5:reject 6:update 7:merge 8:create"; got != want {
					t.Fatalf("preview %s, want %s", got, want)
				}
				var n int64
				st.DB.Model(&store.Contact{}).Count(&n)
				if n != 1 {
					t.Fatalf("dry run wrote: %d contacts", n)
				}
				rej := []string{}
				for _, r := range pre.RejectedRows {
					rej = append(rej, fmt.Sprintf("%d:%s", r.Line, r.Code))
				}
				if got, want := strings.Join(rej, " "), "3:attribute_type 4:missing_email 5:bad_email"; got != want {
					t.Fatalf("rejected %s, want %s", got, want)
				}

				res, err := contactcsv.Import(ctx, st, ds, bytes.NewReader(raw), contactcsv.Options{Encoding: tc.encoding, BatchSize: 2})
				if err != nil {
					t.Fatal(err)
				}
				if counts(res) != counts(pre) {
					t.Fatalf("import %s, dry run said %s", counts(res), counts(pre))
				}
				kim, _ := contactByEmail(t, st, "kim@example.com")
				joined := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
				if kim.Name != "김민수" || kim.Attrs["grade"] != "골드" || kim.Attrs["spend"] != 120000.0 || kim.Attrs["email_marketing"] != true ||
					!kim.Attrs["joined"].(time.Time).Equal(joined) || strings.Join(kim.Tags, ",") != "vip,신규,재구매" {
					t.Fatalf("kim %+v", kim)
				}
				parkNow, id := contactByEmail(t, st, "park@example.com")
				if id != park.ID || parkNow.Name != "박서준" || parkNow.Attrs["email_marketing"] != false || strings.Join(parkNow.Tags, ",") != "기존,휴면" {
					t.Fatalf("park %+v (id %d, want %d)", parkNow, id, park.ID)
				}
				ddom, _ := contactByEmail(t, st, "ddom@example.com")
				if ddom.Name != "똠방각하" {
					t.Fatalf("CP949-only syllable: name %q", ddom.Name)
				}
				st.DB.Model(&store.Contact{}).Count(&n)
				if n != 3 {
					t.Fatalf("%d contacts, want 3 (park, kim, ddom)", n)
				}

				// Importing again creates nothing: every address is known now.
				again, err := contactcsv.Import(ctx, st, ds, bytes.NewReader(raw), contactcsv.Options{Encoding: tc.encoding})
				if err != nil {
					t.Fatal(err)
				}
				if got, want := counts(again), "rows=7 created=0 updated=3 merged=1 rejected=3"; got != want {
					t.Fatalf("second import: %s, want %s", got, want)
				}
			})
		})
	}
}

func TestImportVerifiedIdentityWins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		// Two contacts give the address; the one who proved it is updated.
		typed := &store.Contact{Name: "typed", Email: "a@example.com"}
		owner := &store.Contact{Name: "owner", Email: "other@example.com"}
		for _, c := range []*store.Contact{typed, owner} {
			if err := st.DB.Create(c).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := st.DB.Create(&store.Identity{ContactID: owner.ID, Kind: "email", Value: "a@example.com", Verified: true}).Error; err != nil {
			t.Fatal(err)
		}
		res, err := contactcsv.Import(ctx, st, store.BuiltinAttributes(), strings.NewReader("email,name\nA@example.com,New name\n"), contactcsv.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Updated != 1 {
			t.Fatalf("%+v", res)
		}
		var got store.Contact
		st.DB.First(&got, owner.ID)
		if got.Name != "New name" {
			t.Fatalf("owner's name %q; the import updated the wrong contact", got.Name)
		}
	})
}

func TestImportFileErrors(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	ds := store.BuiltinAttributes()
	for _, tc := range []struct {
		name, csv string
		opt       contactcsv.Options
		code      string
	}{
		{"empty", "", contactcsv.Options{}, "empty_file"},
		{"no email column", "name,phone\nkim,010\n", contactcsv.Options{}, "no_email_column"},
		{"unknown attribute", "email,x\na@b.co,1\n", contactcsv.Options{Mapping: []string{"email", "attr:nope"}}, "unknown_attribute"},
		{"read-only attribute", "email,visits\na@b.co,1\n", contactcsv.Options{Mapping: []string{"email", "attr:visits"}}, "read_only_attribute"},
		{"two email columns", "email,mail\na@b.co,c@d.co\n", contactcsv.Options{}, "duplicate_target"},
		{"bad encoding", "email\n", contactcsv.Options{Encoding: "latin-9"}, "bad_encoding"},
		{"too many rows", "email\na@b.co\nb@b.co\nc@b.co\n", contactcsv.Options{MaxRows: 2, DryRun: true}, "too_many_rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := contactcsv.Import(ctx, st, ds, strings.NewReader(tc.csv), tc.opt)
			var fe *contactcsv.FileError
			if !errors.As(err, &fe) || fe.Code != tc.code {
				t.Fatalf("err %v, want file error %s", err, tc.code)
			}
		})
	}
}

func TestImportMappingAndDelimiters(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	ds := store.BuiltinAttributes()
	// Semicolons, a chosen mapping that skips a column, a formula-quoted
	// name, a blank row and a row that is not UTF-8 in a UTF-8 file.
	src := "E;Who;skip me\r\na@example.com;'=Kim;x\r\n;;\r\nb@example.com;\xb1\xe8;y\r\n"
	res, err := contactcsv.Import(ctx, st, ds, strings.NewReader(src), contactcsv.Options{Encoding: "utf-8", Mapping: []string{"email", "name", "-"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Delimiter != ";" || res.Rows != 2 || res.Created != 1 || res.Rejected != 1 || res.RejectedRows[0].Code != "bad_text" || res.RejectedRows[0].Line != 4 {
		t.Fatalf("%+v", res)
	}
	c, _ := contactByEmail(t, st, "a@example.com")
	if c.Name != "=Kim" {
		t.Fatalf("name %q: the export's formula quote was not taken off", c.Name)
	}
}
