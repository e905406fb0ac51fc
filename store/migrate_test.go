package store_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// openV1 returns a store opened (and so upgraded to HEAD) over a database
// that the first release (schema version 3) created and filled: the SQLite
// file it wrote, or its pg_dump replayed into a fresh PostgreSQL schema.
func openV1(t *testing.T, dialect string) *store.Store {
	t.Helper()
	return openV1With(t, dialect, "")
}

// openV1With is openV1 with extra SQL run on the first release's schema
// before the upgrade (table names unqualified).
func openV1With(t *testing.T, dialect, extra string) *store.Store {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	copyTree(t, "testdata/v1/attachments", filepath.Join(dir, "attachments"))
	cfg := store.Config{DataDir: dir}
	if dialect == store.SQLite {
		copyFile(t, "testdata/v1/hanbox.db", filepath.Join(dir, "hanbox.db"))
		if extra != "" {
			raw, err := gorm.Open(sqlite.Open(filepath.Join(dir, "hanbox.db")), &gorm.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if err := raw.Exec(extra).Error; err != nil {
				t.Fatal(err)
			}
			if db, err := raw.DB(); err == nil {
				db.Close()
			}
		}
	} else {
		cfg.DatabaseURL = storetest.PostgresDSN(t)
		schema := regexp.MustCompile(`search_path=(\w+)`).FindStringSubmatch(cfg.DatabaseURL)[1]
		dump, err := os.ReadFile("testdata/v1/postgres.sql")
		if err != nil {
			t.Fatal(err)
		}
		script := strings.ReplaceAll(string(dump), "CREATE SCHEMA hanbox_v1;", "")
		script = strings.ReplaceAll(script, "hanbox_v1", schema)
		raw, err := gorm.Open(postgres.Open(cfg.DatabaseURL), &gorm.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if err := raw.Exec(script).Error; err != nil {
			t.Fatalf("replay v1 dump: %v", err)
		}
		if extra != "" {
			if err := raw.Exec("SET search_path TO " + schema + "; " + extra).Error; err != nil {
				t.Fatal(err)
			}
		}
		if db, err := raw.DB(); err == nil {
			db.Close()
		}
	}
	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open v1 database: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestUpgradeFromFirstRelease(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			st := openV1(t, d)
			if v, err := st.AppliedVersion(ctx); err != nil || v != store.SchemaVersion() {
				t.Fatalf("applied version = %d, %v; want %d", v, err, store.SchemaVersion())
			}
			var tk store.Ticket
			if err := st.DB.Preload("Tags").Preload("Contact").Take(&tk).Error; err != nil {
				t.Fatal(err)
			}
			if tk.Subject != "배송 문의" || tk.Number() != 1001 || len(tk.Tags) != 2 || tk.Contact.Name != "김민수" {
				t.Fatalf("ticket after upgrade = %+v", tk)
			}
			var msgs []store.Message
			if err := st.DB.Preload("Attachments").Where("ticket_id = ?", tk.ID).Order("id").Find(&msgs).Error; err != nil {
				t.Fatal(err)
			}
			var dirs []string
			for _, m := range msgs {
				dirs = append(dirs, m.Direction)
			}
			if got := strings.Join(dirs, ","); got != "inbound,inbound,outbound,note,system" {
				t.Fatalf("messages = %s", got)
			}
			if msgs[0].Text != "주문번호 A-1234 배송이 아직 안 왔어요" || len(msgs[0].Attachments) != 1 {
				t.Fatalf("first message = %+v", msgs[0])
			}
			rc, err := st.OpenBlob(msgs[0].Attachments[0].SHA256)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(rc)
			rc.Close()
			if string(body) != "receipt" {
				t.Fatalf("attachment = %q", body)
			}
			var ag store.Agent
			if err := st.DB.Where("email = ?", "admin@example.com").Take(&ag).Error; err != nil {
				t.Fatal(err)
			}
			if !auth.CheckPassword(ag.PasswordHash, "v1-fixture-password") {
				t.Fatal("agent password no longer verifies")
			}
			var ch store.Channel
			if err := st.DB.Take(&ch).Error; err != nil || ch.Settings["webhook_url"] != "http://127.0.0.1:9/hook" {
				t.Fatalf("channel = %+v, %v", ch, err)
			}
			if v, err := st.GetState(ctx, ch.ID, "cursor"); err != nil || v != "42" {
				t.Fatalf("state = %q, %v", v, err)
			}
			var q store.Quarantine
			if err := st.DB.Take(&q).Error; err != nil || string(q.Raw) != "junk\x00raw" {
				t.Fatalf("quarantine = %+v, %v", q, err)
			}
			page, err := st.ListTickets(ctx, store.TicketFilter{Query: "배송"})
			if err != nil || len(page.Items) != 1 {
				t.Fatalf("search after upgrade: %d items, %v", len(page.Items), err)
			}
			// New rows get fresh ids (the sequences survived the upgrade).
			c := store.Contact{Name: "new"}
			if err := st.DB.Create(&c).Error; err != nil || c.ID <= 1 {
				t.Fatalf("create after upgrade: id %d, %v", c.ID, err)
			}
		})
	}
}

// TestFreshSchemaEqualsUpgraded: a database created by this binary and one
// created by the first release and then upgraded have the same tables,
// columns, types, defaults, indexes and constraints.
func TestFreshSchemaEqualsUpgraded(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			fresh, err := storetest.Open(t, d).Catalog(ctx)
			if err != nil {
				t.Fatal(err)
			}
			v1 := openV1(t, d)
			upgraded, err := v1.Catalog(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if fresh != upgraded {
				t.Fatalf("schemas differ:\n%s", lineDiff(fresh, upgraded))
			}
			if !strings.Contains(fresh, "tickets") || strings.Count(fresh, "\n") < 100 {
				t.Fatalf("catalog looks empty:\n%s", fresh)
			}
			// The comparison sees a one-column difference.
			if err := v1.DB.Exec("ALTER TABLE tickets ADD COLUMN probe INTEGER").Error; err != nil {
				t.Fatal(err)
			}
			if changed, _ := v1.Catalog(ctx); changed == fresh || !strings.Contains(lineDiff(fresh, changed), "probe") {
				t.Fatal("catalog did not notice an added column")
			}
		})
	}
}

// TestMigrateIsIdempotent: running the migrations again changes nothing.
func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		before, err := st.Catalog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		after, _ := st.Catalog(ctx)
		if before != after {
			t.Fatalf("second migrate changed the schema:\n%s", lineDiff(before, after))
		}
	})
}

func lineDiff(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for l := range ma {
		if !mb[l] {
			out = append(out, "- "+l)
		}
	}
	for l := range mb {
		if !ma[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o640); err != nil {
		t.Fatal(err)
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		copyFile(t, p, filepath.Join(to, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFreeTextTeamsBecomeTeams: the routing migration turns the free-text
// team of earlier tickets into team rows (one per trimmed name) and files
// each ticket to its team by id.
func TestFreeTextTeamsBecomeTeams(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			st := openV1With(t, d, "UPDATE tickets SET team = ' 결제팀 '")
			var teams []store.Team
			if err := st.DB.Find(&teams).Error; err != nil {
				t.Fatal(err)
			}
			if len(teams) != 1 || teams[0].NameKo != "결제팀" || teams[0].NameEn != "결제팀" || teams[0].AutoAssign {
				t.Fatalf("teams = %+v", teams)
			}
			var tks []store.Ticket
			st.DB.Find(&tks)
			for _, tk := range tks {
				if tk.TeamID == nil || *tk.TeamID != teams[0].ID {
					t.Fatalf("ticket %d filed to %v, want %d", tk.ID, tk.TeamID, teams[0].ID)
				}
			}
			var ag store.Agent
			if err := st.DB.Take(&ag).Error; err != nil || ag.ChatCap != 3 || ag.Availability != "offline" {
				t.Fatalf("agent after upgrade = %+v, %v", ag, err)
			}
		})
	}
}
