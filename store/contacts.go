package store

import (
	"context"
	"fmt"
	"strings"
)

// SearchContacts returns up to limit contacts (not merged away), newest
// first, whose name, email or any identity contains q, case-insensitively;
// every contact when q is empty. q is matched literally: % and _ in it are
// not wildcards. A viewer (an agent's id; 0 for admins) sees only the
// contacts ContactVisibleTo lets them.
func (s *Store) SearchContacts(ctx context.Context, q string, limit int, viewer int64) ([]Contact, error) {
	db := s.DB.WithContext(ctx).Model(&Contact{}).Where("merged_into IS NULL")
	if viewer != 0 {
		db = db.Where(ContactVisibleTo, viewer)
	}
	if q = strings.TrimSpace(q); q != "" {
		like := "%" + EscapeLike(strings.ToLower(q)) + "%"
		db = db.Where(`LOWER(name) LIKE ? ESCAPE '\' OR LOWER(email) LIKE ? ESCAPE '\' OR id IN (SELECT contact_id FROM identities WHERE LOWER(value) LIKE ? ESCAPE '\')`,
			like, like, like)
	}
	var out []Contact
	if err := db.Preload("Identities").Order("id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: search contacts: %w", err)
	}
	return out, nil
}

// EscapeLike escapes the LIKE wildcards % and _ (and the escape character
// \ itself) so s matches literally in a pattern written with ESCAPE '\'.
func EscapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
