package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// counterKeys are the built-in counters a merge adds up and an unmerge
// subtracts again.
var counterKeys = []string{AttrVisits, AttrPagesViewed, AttrConversations, AttrMessages}

// MergeSnapshot is what a merged contact had when it was merged: its
// attribute rows and the ids of its identities and tickets.
type MergeSnapshot struct {
	Attributes []ContactAttribute `json:"attributes"`
	Identities []int64            `json:"identities"`
	Tickets    []int64            `json:"tickets"`
}

// Value implements driver.Valuer.
func (m MergeSnapshot) Value() (driver.Value, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("store: encode merge snapshot: %w", err)
	}
	return string(b), nil
}

// Scan implements sql.Scanner.
func (m *MergeSnapshot) Scan(src any) error {
	b, err := jsonBytes(src, "merge snapshot")
	if err != nil {
		return err
	}
	*m = MergeSnapshot{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, m); err != nil {
			return fmt.Errorf("store: decode merge snapshot: %w", err)
		}
	}
	return nil
}

// ContactMerge records one merge of contact FromID into IntoID; UnmergedAt
// is set when it was undone.
type ContactMerge struct {
	ID         int64
	FromID     int64
	IntoID     int64
	Snapshot   MergeSnapshot `gorm:"type:text;not null"`
	MergedAt   time.Time
	UnmergedAt *time.Time
}

// RecordMergeTx snapshots contact from before it is merged into into: call
// it before anything moves.
func RecordMergeTx(tx *gorm.DB, from, into int64, at time.Time) (*ContactMerge, error) {
	m := &ContactMerge{FromID: from, IntoID: into, MergedAt: at}
	if err := tx.Where("contact_id = ?", from).Order("key").Find(&m.Snapshot.Attributes).Error; err != nil {
		return nil, fmt.Errorf("store: snapshot attributes of contact %d: %w", from, err)
	}
	if err := tx.Model(&Identity{}).Where("contact_id = ?", from).Order("id").Pluck("id", &m.Snapshot.Identities).Error; err != nil {
		return nil, fmt.Errorf("store: snapshot identities of contact %d: %w", from, err)
	}
	if err := tx.Model(&Ticket{}).Where("contact_id = ?", from).Order("id").Pluck("id", &m.Snapshot.Tickets).Error; err != nil {
		return nil, fmt.Errorf("store: snapshot tickets of contact %d: %w", from, err)
	}
	if err := tx.Create(m).Error; err != nil {
		return nil, fmt.Errorf("store: record merge of contact %d: %w", from, err)
	}
	return m, nil
}

// LastMergeTx returns the standing (not undone) merge of contact from;
// ErrNotFound when there is none.
func LastMergeTx(tx *gorm.DB, from int64) (*ContactMerge, error) {
	var m ContactMerge
	if err := tx.Where("from_id = ? AND unmerged_at IS NULL", from).Order("id DESC").Take(&m).Error; err != nil {
		return nil, fmt.Errorf("store: merge of contact %d: %w", from, notFound(err))
	}
	return &m, nil
}

// MergeFamilyTx returns from and every contact merged into it (directly or
// through others) by standing merges.
func MergeFamilyTx(tx *gorm.DB, from int64) ([]int64, error) {
	family := []int64{from}
	seen := map[int64]bool{from: true}
	for next := family; len(next) > 0; {
		var ids []int64
		if err := tx.Model(&ContactMerge{}).Where("into_id IN ? AND unmerged_at IS NULL", next).Pluck("from_id", &ids).Error; err != nil {
			return nil, fmt.Errorf("store: merge family of contact %d: %w", from, err)
		}
		next = nil
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				family = append(family, id)
				next = append(next, id)
			}
		}
	}
	return family, nil
}

// MoveProfileTx moves a merged contact's events and page views to into, and
// its attribute values that into lacks; counters are added up. Moved rows
// remember the contact they came from (origin_contact_id), so
// UnmergeProfileTx can give them back.
func MoveProfileTx(tx *gorm.DB, from, into int64) error {
	for _, table := range []string{"contact_events", "page_views"} {
		if err := tx.Exec(`UPDATE `+table+` SET origin_contact_id = COALESCE(origin_contact_id, contact_id), contact_id = ? WHERE contact_id = ?`, into, from).Error; err != nil {
			return fmt.Errorf("store: move %s of contact %d: %w", table, from, err)
		}
	}
	if err := tx.Exec(`UPDATE contact_attributes SET num_value = num_value + (SELECT f.num_value FROM contact_attributes f WHERE f.contact_id = ? AND f.key = contact_attributes.key)
		WHERE contact_id = ? AND key IN (?) AND EXISTS (SELECT 1 FROM contact_attributes f WHERE f.contact_id = ? AND f.key = contact_attributes.key AND f.num_value IS NOT NULL)`,
		from, into, counterKeys, from).Error; err != nil {
		return fmt.Errorf("store: add counters of contact %d: %w", from, err)
	}
	if err := tx.Exec(`UPDATE contact_attributes SET origin_contact_id = COALESCE(origin_contact_id, contact_id), contact_id = ?
		WHERE contact_id = ? AND key NOT IN (SELECT key FROM contact_attributes WHERE contact_id = ?)`,
		into, from, into).Error; err != nil {
		return fmt.Errorf("store: move attributes of contact %d: %w", from, err)
	}
	if err := tx.Where("contact_id = ?", from).Delete(&ContactAttribute{}).Error; err != nil {
		return fmt.Errorf("store: drop attributes of contact %d: %w", from, err)
	}
	return nil
}

// UnmergeProfileTx undoes the profile part of merge m: the events and page
// views first recorded for a contact of family (m.FromID and the contacts
// merged into it) go back to m.FromID wherever later merges took them; the
// attribute values moved by the merge leave holder (the contact that now
// holds m.IntoID's profile: m.IntoID, or where it was merged since) and
// m.FromID gets its snapshot back; holder's counters lose what the merge
// added. Values holder set after the merge stay.
func UnmergeProfileTx(tx *gorm.DB, m *ContactMerge, family []int64, holder int64, at time.Time) error {
	from := m.FromID
	for _, table := range []string{"contact_events", "page_views"} {
		if err := tx.Exec(`UPDATE `+table+` SET contact_id = ?, origin_contact_id = CASE WHEN origin_contact_id = ? THEN NULL ELSE origin_contact_id END
			WHERE origin_contact_id IN ?`, from, from, family).Error; err != nil {
			return fmt.Errorf("store: give back %s of contact %d: %w", table, from, err)
		}
	}
	if err := tx.Where("origin_contact_id IN ? AND key NOT IN ?", family, counterKeys).Delete(&ContactAttribute{}).Error; err != nil {
		return fmt.Errorf("store: take back attributes of contact %d: %w", from, err)
	}
	for _, a := range m.Snapshot.Attributes {
		if a.Num == nil || !isCounter(a.Key) {
			continue
		}
		if err := AddCounterTx(tx, holder, a.Key, -*a.Num); err != nil {
			return err
		}
	}
	if err := tx.Where("contact_id = ?", from).Delete(&ContactAttribute{}).Error; err != nil {
		return fmt.Errorf("store: clear attributes of contact %d: %w", from, err)
	}
	for _, a := range m.Snapshot.Attributes {
		a.ContactID = from
		if err := tx.Create(&a).Error; err != nil {
			return fmt.Errorf("store: restore attribute %q of contact %d: %w", a.Key, from, err)
		}
	}
	if err := tx.Model(&ContactMerge{}).Where("id = ?", m.ID).Update("unmerged_at", at).Error; err != nil {
		return fmt.Errorf("store: mark merge %d undone: %w", m.ID, err)
	}
	return nil
}

func isCounter(key string) bool {
	for _, k := range counterKeys {
		if k == key {
			return true
		}
	}
	return false
}
