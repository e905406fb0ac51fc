package report

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// The messages report is the one that outgrows queries: a year has ten
// times as many messages as tickets, and grouping every message of a range
// costs about 2 µs a row on SQLite (see docs/BENCHMARKS.md). So messages
// are also counted per channel, direction and UTC hour in
// report_message_hours, kept exact like this: the durable consumer
// MessageConsumer marks the hour of each new message dirty (an upsert, so
// a replayed event is harmless), and before a report reads the hours it
// counts every dirty hour again from messages. Recounting instead of
// incrementing makes the rollup idempotent and repairs it whatever
// happened before. Breakdowns by ticket (team, agent, tag, priority) and
// zones with half-hour offsets still count messages directly.

// MessageConsumerName names the durable consumer of new messages.
const MessageConsumerName = "report.messages"

type dirtyHour struct {
	Hour      int64
	ChannelID int64
	EventID   int64
}

func (dirtyHour) TableName() string { return "report_dirty_hours" }

type messageHour struct {
	Hour      int64  `gorm:"primaryKey;autoIncrement:false"`
	ChannelID int64  `gorm:"primaryKey;autoIncrement:false"`
	Direction string `gorm:"primaryKey"`
	N         int64
}

func (messageHour) TableName() string { return "report_message_hours" }

// MessageConsumer marks the hour of every new message for a recount.
func MessageConsumer(st *store.Store) inbox.Consumer {
	return inbox.Consumer{Name: MessageConsumerName, Types: []string{inbox.EventMessageCreated}, Handle: func(ctx context.Context, e inbox.Event) error {
		if e.MessageID == 0 {
			return nil
		}
		var m store.Message
		err := st.DB.WithContext(ctx).Select("id", "channel_id", "created_at").Take(&m, e.MessageID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("report: message %d: %w", e.MessageID, err)
		}
		return markDirty(st.DB.WithContext(ctx), m.CreatedAt, m.ChannelID, e.ID)
	}}
}

func markDirty(db *gorm.DB, at time.Time, channelID, eventID int64) error {
	d := dirtyHour{Hour: at.Unix() / 3600, ChannelID: channelID, EventID: eventID}
	err := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "hour"}, {Name: "channel_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"event_id"})}).Create(&d).Error
	if err != nil {
		return fmt.Errorf("report: mark hour %d of channel %d: %w", d.Hour, channelID, err)
	}
	return nil
}

// refreshMessageHours counts every dirty hour again. Each hour is taken by
// deleting its mark in the recount's transaction: a concurrent refresh
// finds nothing to delete and leaves it, and a message committed after the
// count marks the hour again.
func (s *Service) refreshMessageHours(ctx context.Context) error {
	const batch = 1000
	for {
		var dirty []dirtyHour
		if err := s.st.DB.WithContext(ctx).Order("hour, channel_id").Limit(batch).Find(&dirty).Error; err != nil {
			return fmt.Errorf("report: dirty hours: %w", err)
		}
		for _, d := range dirty {
			err := s.st.Tx(ctx, func(tx *gorm.DB) error {
				res := tx.Where("hour = ? AND channel_id = ? AND event_id = ?", d.Hour, d.ChannelID, d.EventID).Delete(&dirtyHour{})
				if res.Error != nil || res.RowsAffected == 0 {
					return res.Error
				}
				return recountHour(tx, d.Hour, d.ChannelID)
			})
			if err != nil {
				return fmt.Errorf("report: recount hour %d of channel %d: %w", d.Hour, d.ChannelID, err)
			}
		}
		if len(dirty) < batch {
			return nil
		}
	}
}

func recountHour(tx *gorm.DB, hour, channelID int64) error {
	from := time.Unix(hour*3600, 0).UTC()
	var rows []struct {
		Direction string
		N         int64
	}
	if err := tx.Raw(`SELECT direction, COUNT(*) AS n FROM messages WHERE created_at >= ? AND created_at < ? AND channel_id = ? AND direction IN ?
		GROUP BY direction`, from, from.Add(time.Hour), channelID, []string{store.DirInbound, store.DirOutbound}).Scan(&rows).Error; err != nil {
		return err
	}
	if err := tx.Where("hour = ? AND channel_id = ?", hour, channelID).Delete(&messageHour{}).Error; err != nil {
		return err
	}
	for _, r := range rows {
		if err := tx.Create(&messageHour{Hour: hour, ChannelID: channelID, Direction: r.Direction, N: r.N}).Error; err != nil {
			return err
		}
	}
	return nil
}

// RebuildMessageHours counts every hour again from messages (for data
// written around the inbox, as tests and imports do).
func (s *Service) RebuildMessageHours(ctx context.Context) error {
	hour := "CAST(strftime('%s', substr(created_at, 1, 19)) AS INTEGER) / 3600"
	if s.st.Dialect == store.Postgres {
		hour = "CAST(FLOOR(EXTRACT(EPOCH FROM created_at) / 3600) AS BIGINT)"
	}
	return s.st.Tx(ctx, func(tx *gorm.DB) error {
		for _, q := range []string{"DELETE FROM report_dirty_hours", "DELETE FROM report_message_hours",
			`INSERT INTO report_message_hours (hour, channel_id, direction, n) SELECT ` + hour + `, channel_id, direction, COUNT(*) FROM messages
			WHERE direction IN ('inbound', 'outbound') GROUP BY 1, 2, 3`} {
			if err := tx.Exec(q).Error; err != nil {
				return fmt.Errorf("report: rebuild message hours: %w", err)
			}
		}
		return nil
	})
}

// messagesFromHours fills the messages report from the hourly rollup.
func (s *Service) messagesFromHours(ctx context.Context, db *gorm.DB, by string, g *grid) error {
	if err := s.refreshMessageHours(ctx); err != nil {
		return err
	}
	from, to := g.span()
	var rows []messageHour
	if err := db.Where("hour >= ? AND hour < ?", from.Unix()/3600, to.Unix()/3600).Find(&rows).Error; err != nil {
		return fmt.Errorf("message hours: %w", err)
	}
	for _, r := range rows {
		b := bucketOf(g.starts, time.Unix(r.Hour*3600, 0))
		if b < 0 {
			continue
		}
		key := ""
		if by == ByChannel {
			key = fmt.Sprint(r.ChannelID)
		}
		col := 0
		if r.Direction == store.DirOutbound {
			col = 1
		}
		g.at(key, b).n[col] += float64(r.N)
	}
	return nil
}
