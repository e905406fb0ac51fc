package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migration is one versioned schema step. Each runs in its own transaction and
// is recorded in schema_migrations; versions are never renumbered or edited
// once released: a change to the schema is a new migration.
type migration struct {
	Version int
	Name    string
	Up      func(tx *gorm.DB, dialect string) error
}

// schemaMigration records an applied migration.
type schemaMigration struct {
	Version   int `gorm:"primaryKey;autoIncrement:false"`
	Name      string
	AppliedAt time.Time
}

func (schemaMigration) TableName() string { return "schema_migrations" }

var migrations = []migration{
	{1, "core tables", func(tx *gorm.DB, _ string) error {
		return tx.Migrator().CreateTable(
			&Contact{}, &Identity{}, &Agent{}, &Session{}, &Channel{}, &Ticket{},
			&TicketTag{}, &ThreadKey{}, &Message{}, &Attachment{}, &ChannelState{},
			&Outbox{}, &Quarantine{}, &SavedReply{},
		)
	}},
	{2, "search index", func(tx *gorm.DB, dialect string) error {
		if dialect == Postgres {
			for _, q := range []string{
				`CREATE TABLE search_docs (id BIGINT PRIMARY KEY, ticket_id BIGINT NOT NULL, tsv TSVECTOR NOT NULL)`,
				`CREATE INDEX ix_search_docs_tsv ON search_docs USING GIN (tsv)`,
				`CREATE INDEX ix_search_docs_ticket ON search_docs (ticket_id)`,
			} {
				if err := tx.Exec(q).Error; err != nil {
					return err
				}
			}
			return nil
		}
		// FTS4 is compiled into the bundled SQLite; FTS5 would need a build tag.
		return tx.Exec(`CREATE VIRTUAL TABLE search_docs USING fts4(ticket_id, body, notindexed=ticket_id, tokenize=simple)`).Error
	}},
	{3, "list indexes", func(tx *gorm.DB, _ string) error {
		for _, q := range []string{
			`CREATE INDEX ix_ticket_assignee_last ON tickets (assignee_id, status, last_message_at)`,
			`CREATE INDEX ix_ticket_channel_last ON tickets (channel_id, last_message_at)`,
			`CREATE INDEX ix_ticket_last ON tickets (last_message_at, id)`,
			`CREATE INDEX ix_outbox_message ON outboxes (message_id, status)`,
		} {
			if err := tx.Exec(q).Error; err != nil {
				return err
			}
		}
		return nil
	}},
}

// SchemaVersion is the newest migration this binary knows.
func SchemaVersion() int { return migrations[len(migrations)-1].Version }

// Migrate applies pending migrations in order. On PostgreSQL an advisory lock
// keeps two instances starting together from racing.
func (s *Store) Migrate(ctx context.Context) error {
	db := s.DB.WithContext(ctx)
	if err := db.Migrator().AutoMigrate(&schemaMigration{}); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	for _, m := range migrations {
		err := db.Transaction(func(tx *gorm.DB) error {
			if s.Dialect == Postgres {
				if err := tx.Exec("SELECT pg_advisory_xact_lock(727274)").Error; err != nil {
					return err
				}
			}
			var n int64
			if err := tx.Model(&schemaMigration{}).Where("version = ?", m.Version).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if err := m.Up(tx, s.Dialect); err != nil {
				return err
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
