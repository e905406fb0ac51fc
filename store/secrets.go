package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// ServerSecret is a server-wide secret (a signing key), made once by
// whichever instance needs it first and then shared by every instance and
// restart.
type ServerSecret struct {
	Name      string `gorm:"primaryKey;size:64"`
	Value     string `gorm:"not null"` // base64url of the key bytes
	CreatedAt time.Time
}

// Secret returns the secret called name, creating it with size random bytes
// the first time. Instances racing to create it all end up with the one
// that was stored first.
func (s *Store) Secret(ctx context.Context, name string, size int) ([]byte, error) {
	db := s.DB.WithContext(ctx)
	fresh := make([]byte, size)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("store: secret %s: %w", name, err)
	}
	if err := db.Exec(`INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
		name, base64.RawURLEncoding.EncodeToString(fresh), time.Now().UTC()).Error; err != nil {
		return nil, fmt.Errorf("store: create secret %s: %w", name, err)
	}
	var row ServerSecret
	if err := db.Where("name = ?", name).Take(&row).Error; err != nil {
		return nil, fmt.Errorf("store: read secret %s: %w", name, notFound(err))
	}
	key, err := base64.RawURLEncoding.DecodeString(row.Value)
	if err != nil || len(key) < size {
		return nil, errors.New("store: secret " + name + " is malformed")
	}
	return key, nil
}
