package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"gorm.io/gorm"
)

// Upload is a file a visitor uploaded ahead of the message that will carry
// it. The row reserves the visitor's and the channel's quota; it is deleted
// when the file is attached to a message, or collected (with the file, when
// nothing else refers to it) once it is older than the channel's grace
// period. Rows are durable, so collection survives restarts.
type Upload struct {
	ID        int64     `gorm:"primaryKey"`
	ChannelID int64     `gorm:"not null;index:ix_upload_owner,priority:1"`
	Owner     string    `gorm:"size:320;not null;index:ix_upload_owner,priority:2"`
	SHA256    string    `gorm:"size:64;not null;index:ix_upload_sha256"`
	Size      int64     `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null;index:ix_upload_created"`
}

// UploadQuota bounds the unattached uploads of one owner and of one channel.
// A zero field means no bound.
type UploadQuota struct {
	OwnerFiles   int64
	OwnerBytes   int64
	ChannelFiles int64
	ChannelBytes int64
}

// QuotaError is returned when an upload would exceed a quota.
type QuotaError struct {
	// Scope is "visitor" or "channel"; Limit is "files" or "bytes".
	Scope, Limit string
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("store: upload quota of the %s exceeded (%s)", e.Scope, e.Limit)
}

// ReserveUpload records u (CreatedAt must be set) when the unattached uploads
// of its owner and channel stay within q with it. The check and the insert
// are serialized per channel (SQLite's single writer; an advisory lock on
// PostgreSQL), so concurrent uploads cannot overshoot the quota. Reserve
// before writing the file: a fresh row keeps collection away from a blob
// being written (see CollectUploads).
func (s *Store) ReserveUpload(ctx context.Context, u *Upload, q UploadQuota) error {
	err := s.Tx(ctx, func(tx *gorm.DB) error {
		if err := s.xactLock(tx, fmt.Sprintf("uploads:%d", u.ChannelID)); err != nil {
			return err
		}
		type sum struct {
			N     int64
			Bytes int64
		}
		var owner, channel sum
		if err := tx.Model(&Upload{}).Select("COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes").
			Where("channel_id = ? AND owner = ?", u.ChannelID, u.Owner).Scan(&owner).Error; err != nil {
			return err
		}
		if err := tx.Model(&Upload{}).Select("COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes").
			Where("channel_id = ?", u.ChannelID).Scan(&channel).Error; err != nil {
			return err
		}
		switch {
		case q.OwnerFiles > 0 && owner.N+1 > q.OwnerFiles:
			return &QuotaError{Scope: "visitor", Limit: "files"}
		case q.OwnerBytes > 0 && owner.Bytes+u.Size > q.OwnerBytes:
			return &QuotaError{Scope: "visitor", Limit: "bytes"}
		case q.ChannelFiles > 0 && channel.N+1 > q.ChannelFiles:
			return &QuotaError{Scope: "channel", Limit: "files"}
		case q.ChannelBytes > 0 && channel.Bytes+u.Size > q.ChannelBytes:
			return &QuotaError{Scope: "channel", Limit: "bytes"}
		}
		return tx.Create(u).Error
	})
	if err != nil {
		var qe *QuotaError
		if errors.As(err, &qe) {
			return err
		}
		return fmt.Errorf("store: reserve upload: %w", err)
	}
	return nil
}

// ReleaseUploads deletes the upload rows of owner on a channel for the given
// blobs: they are on a message now (or their upload failed), and no longer
// count against a quota.
func (s *Store) ReleaseUploads(ctx context.Context, channelID int64, owner string, sums []string) error {
	if len(sums) == 0 {
		return nil
	}
	err := s.DB.WithContext(ctx).Where("channel_id = ? AND owner = ? AND sha256 IN ?", channelID, owner, sums).
		Delete(&Upload{}).Error
	if err != nil {
		return fmt.Errorf("store: release uploads: %w", err)
	}
	return nil
}

// CollectUploads deletes the upload rows of a channel created before cutoff and the file
// of each whose bytes nothing else refers to: no attachment (of any message,
// on any channel) and no other upload row. A file modified after cutoff is
// kept, with its row, for a later round: PutBlob refreshes the time of a file
// it finds already stored, so bytes just stored again by an ingest are never
// removed under it. Each row is handled in its own transaction under its
// blob's lock. It returns the number of files removed and their bytes.
func (s *Store) CollectUploads(ctx context.Context, channelID int64, cutoff time.Time) (files int, bytes int64, err error) {
	var after int64
	for {
		var rows []Upload
		if err := s.DB.WithContext(ctx).Where("channel_id = ? AND created_at < ? AND id > ?", channelID, cutoff, after).Order("id").Limit(500).Find(&rows).Error; err != nil {
			return files, bytes, fmt.Errorf("store: expired uploads: %w", err)
		}
		if len(rows) == 0 {
			return files, bytes, nil
		}
		for _, u := range rows {
			after = u.ID
			removed, err := s.collectUpload(ctx, u, cutoff)
			if err != nil {
				return files, bytes, fmt.Errorf("store: collect upload %d: %w", u.ID, err)
			}
			if removed {
				files++
				bytes += u.Size
			}
		}
	}
}

func (s *Store) collectUpload(ctx context.Context, u Upload, cutoff time.Time) (removed bool, err error) {
	err = s.Tx(ctx, func(tx *gorm.DB) error {
		removed = false
		if err := s.xactLock(tx, "blob:"+u.SHA256); err != nil {
			return err
		}
		var others, refs int64
		if err := tx.Model(&Upload{}).Where("sha256 = ? AND id <> ?", u.SHA256, u.ID).Count(&others).Error; err != nil {
			return err
		}
		if err := tx.Model(&Attachment{}).Where("sha256 = ?", u.SHA256).Count(&refs).Error; err != nil {
			return err
		}
		var kbRefs int64
		if err := tx.Model(&KBFile{}).Where("sha256 = ?", u.SHA256).Count(&kbRefs).Error; err != nil {
			return err
		}
		refs += kbRefs
		// An agent's avatar is public: the same bytes uploaded and never
		// sent must not take the avatar's file with them.
		var avatars int64
		if err := tx.Model(&Agent{}).Where("avatar_sum = ?", u.SHA256).Count(&avatars).Error; err != nil {
			return err
		}
		refs += avatars
		if others == 0 && refs == 0 && validSum(u.SHA256) {
			path := s.blobPath(u.SHA256)
			fi, err := os.Stat(path)
			switch {
			case err == nil && fi.ModTime().After(cutoff):
				return nil // stored again lately: keep file and row for now
			case err == nil:
				if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
					return fmt.Errorf("remove blob: %w", err)
				}
				removed = true
			case !errors.Is(err, os.ErrNotExist):
				return fmt.Errorf("stat blob: %w", err)
			}
		}
		return tx.Delete(&Upload{}, u.ID).Error
	})
	return removed, err
}

// xactLock takes a lock named key until tx ends: an advisory transaction
// lock on PostgreSQL; on SQLite, where BEGIN IMMEDIATE already serializes
// writers, nothing.
func (s *Store) xactLock(tx *gorm.DB, key string) error {
	if s.Dialect != Postgres {
		return nil
	}
	if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtext(?))", key).Error; err != nil {
		return fmt.Errorf("store: lock %s: %w", key, err)
	}
	return nil
}
