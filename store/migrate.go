package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Migrations are SQL files in migrations/, named NNNN_name.sql (both
// dialects) or NNNN_name.sqlite.sql and NNNN_name.postgres.sql (one each).
// Each version runs in its own transaction and is recorded in
// schema_migrations. A released file is never edited or renumbered: a change
// to the schema is a new file, and the gorm models follow the files, never the
// other way round (migration 1 is the frozen DDL of the first release, so a
// column added to a model later does not exist twice on a fresh install).
//
// A version may also have a Go step (goSteps) for data changes SQL cannot
// express; it runs after the version's SQL, in the same transaction.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one versioned schema step.
type migration struct {
	Version int
	Name    string
	// SQL holds the statements per dialect.
	SQL map[string][]string
	Go  func(tx *gorm.DB, dialect string) error
}

// goSteps are Go functions run with the migration of the same version.
var goSteps = map[int]func(tx *gorm.DB, dialect string) error{}

// schemaMigrationsDDL creates the bookkeeping table exactly as the first
// release did (it came from gorm's AutoMigrate then).
var schemaMigrationsDDL = map[string]string{
	SQLite:   "CREATE TABLE IF NOT EXISTS `schema_migrations` (`version` integer,`name` text,`applied_at` datetime,PRIMARY KEY (`version`))",
	Postgres: `CREATE TABLE IF NOT EXISTS "schema_migrations" ("version" bigint,"name" text,"applied_at" timestamptz,PRIMARY KEY ("version"))`,
}

// migrationLockKey is the PostgreSQL advisory lock that serializes instances
// migrating the same database.
const migrationLockKey = 727274

var migrations = mustLoadMigrations(migrationFiles)

// mustLoadMigrations parses the embedded files; a malformed name or a version
// that lacks one dialect is a programming error caught by every test run.
func mustLoadMigrations(fsys fs.FS) []migration {
	ms, err := loadMigrations(fsys)
	if err != nil {
		panic(err)
	}
	return ms
}

func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	byVersion := map[int]*migration{}
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".sql")
		dialects := []string{SQLite, Postgres}
		if d := path.Ext(base); d == "."+SQLite || d == "."+Postgres {
			dialects = []string{d[1:]}
			base = strings.TrimSuffix(base, d)
		}
		num, title, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration file %s: want NNNN_name[.dialect].sql", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		m := byVersion[v]
		if m == nil {
			m = &migration{Version: v, Name: strings.ReplaceAll(title, "_", " "), SQL: map[string][]string{}}
			byVersion[v] = m
		}
		for _, d := range dialects {
			if _, dup := m.SQL[d]; dup {
				return nil, fmt.Errorf("store: migration %d has two %s files", v, d)
			}
			m.SQL[d] = splitStatements(string(b))
		}
	}
	out := make([]migration, 0, len(byVersion))
	for _, m := range byVersion {
		if len(m.SQL) != 2 {
			return nil, fmt.Errorf("store: migration %d (%s) must cover both sqlite and postgres", m.Version, m.Name)
		}
		m.Go = goSteps[m.Version]
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("store: migration versions must be 1..n without gaps; found %d at position %d", m.Version, i+1)
		}
	}
	return out, nil
}

// splitStatements splits a migration file into statements: lines starting
// with "--" are comments, and a statement ends with ";" at the end of a line.
func splitStatements(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			stmt := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")
			out = append(out, stmt)
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// schemaMigration records an applied migration.
type schemaMigration struct {
	Version   int `gorm:"primaryKey;autoIncrement:false"`
	Name      string
	AppliedAt time.Time
}

func (schemaMigration) TableName() string { return "schema_migrations" }

// SchemaVersion is the newest migration this binary knows.
func SchemaVersion() int { return migrations[len(migrations)-1].Version }

// Migrate applies pending migrations in order. On PostgreSQL an advisory lock
// keeps two instances starting together from racing.
func (s *Store) Migrate(ctx context.Context) error {
	return s.migrateTo(ctx, SchemaVersion())
}

// migrateTo applies pending migrations up to and including version target.
func (s *Store) migrateTo(ctx context.Context, target int) error {
	db := s.DB.WithContext(ctx)
	lock := func(tx *gorm.DB) error {
		if s.Dialect != Postgres {
			return nil
		}
		return tx.Exec("SELECT pg_advisory_xact_lock(?)", migrationLockKey).Error
	}
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := lock(tx); err != nil {
			return err
		}
		return tx.Exec(schemaMigrationsDDL[s.Dialect]).Error
	})
	if err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	for _, m := range migrations {
		if m.Version > target {
			break
		}
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := lock(tx); err != nil {
				return err
			}
			var n int64
			if err := tx.Model(&schemaMigration{}).Where("version = ?", m.Version).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range m.SQL[s.Dialect] {
				if err := tx.Exec(stmt).Error; err != nil {
					return fmt.Errorf("%.80s: %w", stmt, err)
				}
			}
			if m.Go != nil {
				if err := m.Go(tx, s.Dialect); err != nil {
					return err
				}
			}
			return tx.Create(&schemaMigration{Version: m.Version, Name: m.Name, AppliedAt: time.Now().UTC()}).Error
		})
		if err != nil {
			return fmt.Errorf("store: migration %d (%s): %w", m.Version, m.Name, err)
		}
	}
	return nil
}

// AppliedVersion returns the newest applied migration version.
func (s *Store) AppliedVersion(ctx context.Context) (int, error) {
	var v int
	err := s.DB.WithContext(ctx).Model(&schemaMigration{}).Select("COALESCE(MAX(version), 0)").Scan(&v).Error
	return v, err
}
