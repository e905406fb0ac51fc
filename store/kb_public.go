package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// HelpSettings is the help center's category restriction (row id 1).
type HelpSettings struct {
	ID         int64 `gorm:"primaryKey"`
	Restricted bool  `gorm:"not null;default:false"`
	// Categories are the public categories, newline-separated.
	Categories string `gorm:"not null;default:''"`
	UpdatedAt  time.Time
}

// TableName implements gorm's tabler.
func (HelpSettings) TableName() string { return "help_settings" }

// List returns the public categories.
func (h HelpSettings) List() []string {
	out := []string{}
	for _, c := range strings.Split(h.Categories, "\n") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// HelpSettingsOf returns the restriction (none on a fresh store).
func (s *Store) HelpSettingsOf(ctx context.Context) (HelpSettings, error) {
	var h HelpSettings
	err := s.DB.WithContext(ctx).Take(&h, 1).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return HelpSettings{ID: 1}, nil
	}
	if err != nil {
		return h, fmt.Errorf("store: help settings: %w", err)
	}
	return h, nil
}

// SaveHelpSettings writes the restriction (row 1).
func (s *Store) SaveHelpSettings(ctx context.Context, h *HelpSettings) error {
	h.ID = 1
	err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}},
		DoUpdates: clause.AssignmentColumns([]string{"restricted", "categories", "updated_at"})}).Create(h).Error
	if err != nil {
		return fmt.Errorf("store: save help settings: %w", err)
	}
	return nil
}

// KBCategories lists the distinct categories of articles, sorted.
func (s *Store) KBCategories(ctx context.Context) ([]string, error) {
	var out []string
	if err := s.DB.WithContext(ctx).Model(&KBArticle{}).Distinct("category").Order("category").Pluck("category", &out).Error; err != nil {
		return nil, fmt.Errorf("store: kb categories: %w", err)
	}
	return out, nil
}

// KBFile is an image or attachment of an article; its bytes are the blob
// SHA256.
type KBFile struct {
	ID          int64  `gorm:"primaryKey"`
	ArticleID   int64  `gorm:"not null;index:ix_kb_files_article"`
	SHA256      string `gorm:"column:sha256;size:64;not null"`
	Name        string `gorm:"not null"`
	ContentType string `gorm:"not null"`
	Size        int64  `gorm:"not null"`
	CreatedAt   time.Time
}

// TableName implements gorm's tabler.
func (KBFile) TableName() string { return "kb_files" }

// CreateKBFile stores f's row (its blob is written already).
func (s *Store) CreateKBFile(ctx context.Context, f *KBFile) error {
	if err := s.DB.WithContext(ctx).Create(f).Error; err != nil {
		return fmt.Errorf("store: create kb file: %w", err)
	}
	return nil
}

// GetKBFile returns file id (ErrNotFound when there is none).
func (s *Store) GetKBFile(ctx context.Context, id int64) (*KBFile, error) {
	var f KBFile
	if err := s.DB.WithContext(ctx).Take(&f, id).Error; err != nil {
		return nil, fmt.Errorf("store: kb file %d: %w", id, notFound(err))
	}
	return &f, nil
}

// KBFiles lists an article's files, oldest first.
func (s *Store) KBFiles(ctx context.Context, articleID int64) ([]KBFile, error) {
	var out []KBFile
	if err := s.DB.WithContext(ctx).Where("article_id = ?", articleID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: kb files of %d: %w", articleID, err)
	}
	return out, nil
}

// KBBlobGrace: a file's blob written or re-written this recently is kept
// when its row goes (bytes being stored again by an ingest or an upload
// whose row is not committed yet must not vanish under it); it is
// collected once the grace has passed (CollectBlob, from a durable job).
const KBBlobGrace = 10 * time.Minute

// DeleteKBFile deletes file id of article articleID (ErrNotFound when the
// article has no such file) and its blob when nothing else refers to it.
// inTx, when set, runs in the row's transaction with the blob's sum, so
// the caller can schedule the blob's later collection atomically with the
// delete. It returns when a blob kept for being recent may be collected
// (zero: removed, or still referenced).
func (s *Store) DeleteKBFile(ctx context.Context, articleID, id int64, inTx func(tx *gorm.DB, sums []string) error) (time.Time, error) {
	var f KBFile
	err := s.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ? AND article_id = ?", id, articleID).Take(&f).Error; err != nil {
			return notFound(err)
		}
		if err := tx.Delete(&KBFile{}, f.ID).Error; err != nil {
			return err
		}
		if inTx != nil {
			return inTx(tx, []string{f.SHA256})
		}
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("store: delete kb file %d: %w", id, err)
	}
	return s.CollectBlob(ctx, f.SHA256, time.Now())
}

// CollectBlob removes blob sum when no attachment, upload, article file or
// agent avatar refers to it, under the blob's lock as upload collection
// does. A blob
// written or re-written within KBBlobGrace before now is kept: the answer
// is then when it may go (zero when it was removed, is gone already, or is
// still referenced).
func (s *Store) CollectBlob(ctx context.Context, sum string, now time.Time) (time.Time, error) {
	if !validSum(sum) {
		return time.Time{}, nil
	}
	var later time.Time
	err := s.Tx(ctx, func(tx *gorm.DB) error {
		later = time.Time{}
		if err := s.xactLock(tx, "blob:"+sum); err != nil {
			return err
		}
		for _, m := range []any{&Attachment{}, &Upload{}, &KBFile{}} {
			var n int64
			if err := tx.Model(m).Where("sha256 = ?", sum).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
		}
		var avatars int64
		if err := tx.Model(&Agent{}).Where("avatar_sum = ?", sum).Count(&avatars).Error; err != nil || avatars > 0 {
			return err
		}
		path := s.blobPath(sum)
		fi, err := os.Stat(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil
		case err != nil:
			return fmt.Errorf("stat blob: %w", err)
		case now.Sub(fi.ModTime()) < KBBlobGrace:
			// Rounded up to the second: a clock truncated below the file
			// system's precision must not find it recent again.
			later = fi.ModTime().Add(KBBlobGrace).Truncate(time.Second).Add(time.Second)
			return nil
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove blob: %w", err)
		}
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("store: collect blob %s: %w", sum, err)
	}
	return later, nil
}
