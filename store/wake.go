package store

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"
)

// Outbox wake-ups. A transaction that creates outbox rows wakes the
// dispatchers once it has committed: in this process through the functions
// given to OnOutbox (called right after the commit returns), and on
// PostgreSQL in every process through a NOTIFY on OutboxChannel sent inside
// the transaction, which PostgreSQL delivers only if and when it commits. A
// wake-up is only a hint that shortens the wait: dispatchers still poll, so
// a lost one delays a delivery but never loses it.

// outboxTable is the table whose inserts wake dispatchers.
const outboxTable = "outboxes"

// outboxChannelBase is the NOTIFY channel of outbox wake-ups in the public
// schema; other schemas get their own (see NotifyChannel).
const outboxChannelBase = "hanbox_outbox"

// txMark records, for one Store.Tx, whether it created outbox rows.
type txMark struct {
	outbox   atomic.Bool
	notified atomic.Bool
}

type txMarkKey struct{}

type outboxHooks struct {
	mu  sync.Mutex
	fns []func()
}

// OnOutbox registers fn to be called after every committed write of new
// outbox rows through this Store (the dispatcher's wake-up). fn must not
// block.
func (s *Store) OnOutbox(fn func()) {
	s.hooks.mu.Lock()
	s.hooks.fns = append(s.hooks.fns, fn)
	s.hooks.mu.Unlock()
}

// OutboxChannel is the PostgreSQL NOTIFY channel that carries outbox
// wake-ups between instances sharing this database and schema (empty on
// SQLite).
func (s *Store) OutboxChannel() string { return s.outboxChannel }

func (s *Store) outboxWritten() {
	s.hooks.mu.Lock()
	fns := s.hooks.fns
	s.hooks.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// NotifyChannel names a NOTIFY channel of base for a schema: notifications
// are per database, so two installations in two schemas of one database
// must not hear each other.
func NotifyChannel(base, schema string) string {
	if schema == "" || schema == "public" {
		return base
	}
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return '_'
	}, schema)
	return (base + "_" + clean)[:min(63, len(base)+1+len(clean))]
}

// registerOutboxWake installs the create callback that notices outbox rows.
func (s *Store) registerOutboxWake(ctx context.Context) error {
	if s.Dialect == Postgres {
		var schema string
		if err := s.DB.WithContext(ctx).Raw("SELECT current_schema()").Row().Scan(&schema); err != nil {
			return err
		}
		s.outboxChannel = NotifyChannel(outboxChannelBase, schema)
	}
	return s.DB.Callback().Create().After("gorm:commit_or_rollback_transaction").Register("hanbox:outbox_wake", s.afterCreate)
}

func (s *Store) afterCreate(db *gorm.DB) {
	if db.Error != nil || db.RowsAffected == 0 || db.Statement.Table != outboxTable {
		return
	}
	mark, _ := db.Statement.Context.Value(txMarkKey{}).(*txMark)
	if mark != nil {
		mark.outbox.Store(true)
	}
	if s.outboxChannel != "" && (mark == nil || !mark.notified.Swap(true)) {
		// Inside the transaction: delivered to listeners at commit, not before.
		err := db.Session(&gorm.Session{NewDB: true}).Exec("SELECT pg_notify(?, '')", s.outboxChannel).Error
		if err != nil {
			_ = db.AddError(err)
			return
		}
	}
	if mark == nil {
		if _, inTx := db.Statement.ConnPool.(gorm.TxCommitter); !inTx {
			s.outboxWritten() // gorm's own transaction has committed
		}
		// In a transaction not opened by Tx the commit cannot be seen from
		// here: on PostgreSQL the NOTIFY wakes this process too; on SQLite
		// the dispatcher's poll finds the rows.
	}
}
