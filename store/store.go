// Package store keeps Hanbox's data in one SQL database through gorm: SQLite
// (embedded, the default) or PostgreSQL. Both dialects run the same versioned
// migrations and the same queries, and every store test runs on both.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// ErrNotFound is returned when a requested row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a write would break a uniqueness rule.
var ErrConflict = errors.New("store: conflict")

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Config selects the database.
type Config struct {
	// DataDir holds hanbox.db (SQLite) and attachments. Required.
	DataDir string
	// DatabaseURL, when set, is a PostgreSQL DSN and SQLite is not used.
	DatabaseURL string
	// Logger receives slow-query and error logs; nil discards them.
	Logger *slog.Logger
}

// Store is the database handle. It is safe for concurrent use.
type Store struct {
	DB      *gorm.DB
	Dialect string
	DataDir string
	// DSN is the PostgreSQL connection string (empty on SQLite), for
	// components that need their own connection (LISTEN).
	DSN string

	hooks         outboxHooks
	outboxChannel string
}

// Open connects to the configured database and applies pending migrations.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("store: data dir is required")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("store: create data dir: %w", err)
	}
	gcfg := &gorm.Config{
		TranslateError: true,
		NowFunc:        func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		Logger:         logger.Discard,
		PrepareStmt:    false,
	}
	var (
		db      *gorm.DB
		err     error
		dialect string
	)
	if cfg.DatabaseURL != "" {
		dialect = Postgres
		db, err = gorm.Open(postgres.Open(cfg.DatabaseURL), gcfg)
	} else {
		dialect = SQLite
		path := filepath.Join(cfg.DataDir, "hanbox.db")
		db, err = gorm.Open(sqlite.Open(SQLiteDSN(path)), gcfg)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: pool: %w", err)
	}
	if dialect == SQLite {
		// One writer at a time is SQLite's model; a few readers alongside it.
		sqlDB.SetMaxOpenConns(8)
		sqlDB.SetMaxIdleConns(8)
	} else {
		sqlDB.SetMaxOpenConns(32)
		sqlDB.SetMaxIdleConns(16)
	}
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{DB: db, Dialect: dialect, DataDir: cfg.DataDir, DSN: cfg.DatabaseURL}
	if err := s.Migrate(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	if err := s.registerOutboxWake(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("store: outbox wake-up: %w", err)
	}
	return s, nil
}

// SQLiteDSN returns the DSN Hanbox uses for a SQLite file. The parameters apply
// to every pooled connection: WAL, a busy timeout, foreign keys, and
// BEGIN IMMEDIATE so that read-then-write transactions never fail with
// "database is locked" half-way through.
func SQLiteDSN(path string) string {
	return "file:" + path + "?_journal_mode=WAL&_busy_timeout=10000&_foreign_keys=on&_synchronous=NORMAL&_txlock=immediate&_cache_size=-20000"
}

// Close releases the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Tx runs fn in a transaction. When fn created outbox rows, the functions
// given to OnOutbox run once the transaction has committed.
func (s *Store) Tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	mark := &txMark{}
	err := s.DB.WithContext(context.WithValue(ctx, txMarkKey{}, mark)).Transaction(fn)
	if err == nil && mark.outbox.Load() {
		s.outboxWritten()
	}
	return err
}

// notFound maps gorm's record-not-found to ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// IsDuplicate reports whether err is a unique-constraint violation.
func IsDuplicate(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) || errors.Is(err, ErrConflict) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "duplicate key value")
}

// GetState reads a connector's durable value; ErrNotFound when unset.
func (s *Store) GetState(ctx context.Context, channelID int64, key string) (string, error) {
	var st ChannelState
	err := s.DB.WithContext(ctx).Where("channel_id = ? AND key = ?", channelID, key).Take(&st).Error
	if err != nil {
		return "", fmt.Errorf("store: get state %d/%s: %w", channelID, key, notFound(err))
	}
	return st.Value, nil
}

// PutState writes a connector's durable value.
func (s *Store) PutState(ctx context.Context, channelID int64, key, value string) error {
	return s.putState(s.DB.WithContext(ctx), channelID, key, value)
}

func (s *Store) putState(db *gorm.DB, channelID int64, key, value string) error {
	err := db.Exec(`INSERT INTO channel_states (channel_id, key, value, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (channel_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		channelID, key, value, time.Now().UTC()).Error
	if err != nil {
		return fmt.Errorf("store: put state %d/%s: %w", channelID, key, err)
	}
	return nil
}

// TryLock takes a cluster-wide lock named by key, for single-instance work
// such as an IMAP IDLE session or a Discord gateway session. On PostgreSQL it
// is a session advisory lock held on a dedicated connection until release is
// called or the process dies; on SQLite (one process owns the file) it always
// succeeds. ok is false when another instance holds the lock.
func (s *Store) TryLock(ctx context.Context, key string) (release func(), ok bool, err error) {
	if s.Dialect != Postgres {
		return func() {}, true, nil
	}
	sqlDB, err := s.DB.DB()
	if err != nil {
		return nil, false, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("store: lock conn: %w", err)
	}
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock(hashtext($1))", key).Scan(&got); err != nil {
		_ = conn.Close()
		return nil, false, fmt.Errorf("store: try lock %s: %w", key, err)
	}
	if !got {
		_ = conn.Close()
		return nil, false, nil
	}
	return func() {
		_, _ = conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(hashtext($1))", key)
		_ = conn.Close()
	}, true, nil
}
