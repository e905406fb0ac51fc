package inbox

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/store"
)

// UnmergeContact undoes the standing merge of contact from (the latest one
// recorded in contact_merges): the identities and tickets it had when it was
// merged go back to it, with its own messages in those tickets; so do the
// events and page views first recorded for it (or for contacts merged into
// it before), wherever later merges took them; its attribute values come
// back as they were, and the counters it brought are subtracted from the
// contact that holds them now. Contacts merged into from before stay merged
// into it. Tickets and values that began on the other contact after the
// merge stay there. Merges made before merges were recorded cannot be
// undone (ErrInvalid, code "no_merge_record").
func (s *Service) UnmergeContact(ctx context.Context, from int64) error {
	var evs []Event
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		src, err := loadContact(tx, from)
		if err != nil {
			return err
		}
		if src.MergedInto == nil {
			return invalidAs("not_merged", map[string]any{"contact": from}, "contact %d is not merged", from)
		}
		m, err := store.LastMergeTx(tx, from)
		if errors.Is(err, store.ErrNotFound) {
			return invalidAs("no_merge_record", map[string]any{"contact": from}, "contact %d was merged before merges were recorded and cannot be unmerged", from)
		} else if err != nil {
			return err
		}
		holder := *src.MergedInto
		family, err := store.MergeFamilyTx(tx, from)
		if err != nil {
			return err
		}
		snap := m.Snapshot
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"UPDATE contacts SET merged_into = NULL WHERE id = ?", []any{from}},
			{"UPDATE contacts SET merged_into = ? WHERE id IN ? AND id <> ?", []any{from, family, from}},
			{"UPDATE identities SET contact_id = ? WHERE id IN ?", []any{from, append(snap.Identities, 0)}},
			{"UPDATE tickets SET contact_id = ? WHERE id IN ?", []any{from, append(snap.Tickets, 0)}},
			{"UPDATE messages SET author_id = ? WHERE author_type = ? AND author_id IN ? AND ticket_id IN ?",
				[]any{from, store.AuthorContact, []int64{m.IntoID, holder}, append(snap.Tickets, 0)}},
		} {
			if err := tx.Exec(q.sql, q.args...).Error; err != nil {
				return fmt.Errorf("unmerge contact: %w", err)
			}
		}
		if err := store.UnmergeProfileTx(tx, m, family, holder, now()); err != nil {
			return err
		}
		evs = []Event{
			{Type: EventContactUpdated, ContactID: from, Contact: &ContactChanges{UnmergedFrom: holder}},
			{Type: EventContactUpdated, ContactID: holder, Contact: &ContactChanges{Unmerged: from}},
		}
		return s.recordEvents(tx, evs) // events helper: durable record
	})
	if err != nil {
		return fmt.Errorf("inbox: unmerge contact %d: %w", from, err)
	}
	s.publish(evs...)
	return nil
}
