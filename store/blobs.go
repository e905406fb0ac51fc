package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Attachment bytes are stored content-addressed: the file for SHA-256
// "abcdef..." lives at <data>/attachments/ab/abcdef.... Writing the same bytes
// twice is a no-op, which makes retried ingests cheap and safe.

func (s *Store) blobPath(sum string) string {
	return filepath.Join(s.DataDir, "attachments", sum[:2], sum)
}

// BlobSum returns the name data is stored under: its hex SHA-256.
func BlobSum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// validSum reports whether sum can name a blob (64 hex digits), so no
// caller-supplied name ever reaches the file system.
func validSum(sum string) bool {
	if len(sum) != 64 {
		return false
	}
	_, err := hex.DecodeString(sum)
	return err == nil
}

// PutBlob stores data and returns its hex SHA-256. Bytes already stored are
// not written again, but their file's modification time is refreshed: upload
// collection (CollectUploads) keeps a file written or re-written lately, so
// a message being stored with the same bytes never loses them.
func (s *Store) PutBlob(data []byte) (string, error) {
	sum := BlobSum(data)
	path := s.blobPath(sum)
	if _, err := os.Stat(path); err == nil {
		now := time.Now()
		switch err := os.Chtimes(path, now, now); {
		case err == nil:
			return sum, nil
		case !errors.Is(err, os.ErrNotExist):
			return "", fmt.Errorf("store: touch blob: %w", err)
		}
		// Removed since the Stat: write it again.
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", fmt.Errorf("store: blob dir: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("store: blob temp: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", fmt.Errorf("store: write blob: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", fmt.Errorf("store: sync blob: %w", err)
	}
	tmp.Close()
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("store: place blob: %w", err)
	}
	return sum, nil
}

// OpenBlob opens stored bytes by their SHA-256; ErrNotFound when absent.
func (s *Store) OpenBlob(sum string) (io.ReadCloser, error) {
	if !validSum(sum) {
		return nil, ErrNotFound
	}
	f, err := os.Open(s.blobPath(sum))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: open blob: %w", err)
	}
	return f, nil
}
