// Package storetest opens throwaway stores for tests: a temp-dir SQLite store
// always, and a PostgreSQL store in a fresh schema when HANBOX_TEST_POSTGRES
// holds a DSN.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/hanbox/hanbox/store"
)

// EnvPostgres names the variable holding a PostgreSQL DSN for tests.
const EnvPostgres = "HANBOX_TEST_POSTGRES"

// Dialects returns the dialects to test on: always SQLite, and PostgreSQL
// when HANBOX_TEST_POSTGRES is set.
func Dialects() []string {
	if os.Getenv(EnvPostgres) != "" {
		return []string{store.SQLite, store.Postgres}
	}
	return []string{store.SQLite}
}

// Each runs fn as a subtest on every dialect from Dialects.
func Each(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(d, func(t *testing.T) { fn(t, Open(t, d)) })
	}
}

// Open returns a migrated, empty store of the given dialect, removed when the
// test ends.
func Open(t testing.TB, dialect string) *store.Store {
	t.Helper()
	cfg := store.Config{DataDir: t.TempDir()}
	if dialect == store.Postgres {
		cfg.DatabaseURL = PostgresDSN(t)
	}
	st, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", dialect, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// PostgresDSN creates a fresh schema in the HANBOX_TEST_POSTGRES database,
// dropped when the test ends, and returns a DSN that uses it. It skips the
// test when the variable is unset.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvPostgres)
	if dsn == "" {
		t.Skip("HANBOX_TEST_POSTGRES not set")
	}
	out, drop, err := NewPostgresSchema()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	return out
}

// NewPostgresSchema creates a fresh schema in the HANBOX_TEST_POSTGRES
// database and returns a DSN using it and a function that drops it.
func NewPostgresSchema() (dsn string, drop func(), err error) {
	base := os.Getenv(EnvPostgres)
	if base == "" {
		return "", nil, fmt.Errorf("storetest: %s is not set", EnvPostgres)
	}
	schema := "t_" + randomHex(8)
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{})
	if err != nil {
		return "", nil, fmt.Errorf("storetest: connect postgres: %w", err)
	}
	if db, err := admin.DB(); err == nil {
		db.SetMaxOpenConns(1) // the SET below applies to the DROP's session
	}
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		return "", nil, fmt.Errorf("storetest: create schema: %w", err)
	}
	drop = func() {
		// A session the test left behind (a process killed mid-transaction
		// behind a proxy, say) would block the DROP forever, and a blocked
		// DROP holds back the snapshot horizon every durable-event consumer
		// in the cluster waits on. End this schema's sessions first, and
		// bound the DROP's wait for locks.
		admin.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ? AND pid <> pg_backend_pid()", schema)
		admin.Exec("SET lock_timeout = '30s'")
		if err := admin.Exec("DROP SCHEMA " + schema + " CASCADE").Error; err != nil {
			fmt.Fprintf(os.Stderr, "storetest: drop schema %s: %v\n", schema, err)
		}
		if db, err := admin.DB(); err == nil {
			db.Close()
		}
	}
	return withSearchPath(base, schema), drop, nil
}

// withSearchPath adds search_path to a URL or key=value DSN, and names the
// sessions after the schema (application_name) so drop can find them.
func withSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		return dsn + sep + "search_path=" + schema + "&application_name=" + schema
	}
	return fmt.Sprintf("%s search_path=%s application_name=%s", dsn, schema, schema)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
