package kb

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"unicode"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
)

// Article files: images (PNG, JPEG, GIF, WebP) and PDF attachments an agent
// uploads in the article editor. The type is what the bytes are
// (http.DetectContentType), never what the upload claims, so an HTML or SVG
// file cannot pass as an image and run script from Hanbox's origin. The
// help center serves a file only while its article is public (published,
// of a public category); the Markdown links it like any image, and the
// rendered HTML is sanitized as ever.

// MaxFileBytes bounds one article file.
const MaxFileBytes = 5 << 20

// fileTypes are the accepted types, by what the bytes sniff as.
var fileTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "application/pdf": true}

// FilePath is the public help-center path of a file.
func FilePath(f *store.KBFile) string {
	return "/help/files/" + strconv.FormatInt(f.ID, 10) + "/" + url.PathEscape(f.Name)
}

// AddFile stores data as a file of article id.
func (s *Service) AddFile(ctx context.Context, articleID int64, name string, data []byte) (*store.KBFile, error) {
	if _, err := s.st.GetKBArticle(ctx, articleID); err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, invalid("required", "data", "the file is empty")
	}
	if len(data) > MaxFileBytes {
		return nil, invalid("too_long", "data", "a file is at most %d bytes", MaxFileBytes)
	}
	ct := http.DetectContentType(data)
	if !fileTypes[ct] {
		return nil, invalid("file_type", "data", "only PNG, JPEG, GIF, WebP images and PDF files, not %s", ct)
	}
	sum, err := s.st.PutBlob(data)
	if err != nil {
		return nil, err
	}
	f := &store.KBFile{ArticleID: articleID, SHA256: sum, Name: fileName(name, ct), ContentType: ct, Size: int64(len(data)), CreatedAt: s.Now()}
	if err := s.st.CreateKBFile(ctx, f); err != nil {
		return nil, err
	}
	return f, nil
}

// fileName keeps letters, digits, '.', '-' and '_' of an uploaded name (any
// script), and a name that says nothing becomes "file" with its type's
// extension.
func fileName(name, ct string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	var b strings.Builder
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
		if b.Len() > 100 {
			break
		}
	}
	n := strings.Trim(b.String(), ".")
	if n == "" {
		n = "file." + strings.TrimPrefix(ct[strings.Index(ct, "/")+1:], "x-")
	}
	return n
}

// PublicFile returns file id when its article is public, else
// store.ErrNotFound.
func (s *Service) PublicFile(ctx context.Context, id int64) (*store.KBFile, error) {
	f, err := s.st.GetKBFile(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.PublicArticle(ctx, f.ArticleID); err != nil {
		return nil, fmt.Errorf("kb: file %d: %w", id, err)
	}
	return f, nil
}

// Files lists article id's files (agents).
func (s *Service) Files(ctx context.Context, articleID int64) ([]store.KBFile, error) {
	return s.st.KBFiles(ctx, articleID)
}

// DeleteFile deletes file id of article articleID and its blob when no
// message, upload or other article holds the same bytes. Bytes written in
// the last store.KBBlobGrace are kept then and collected by the durable
// JobCollectBlob once the grace has passed (with EnableBlobCollection).
func (s *Service) DeleteFile(ctx context.Context, articleID, id int64) error {
	_, err := s.st.DeleteKBFile(ctx, articleID, id, s.collectLaterTx("file:"+strconv.FormatInt(id, 10)))
	return err
}

// JobCollectBlob removes the bytes of a deleted article file (or of a
// deleted article's files) that were kept for being recent, once the grace
// has passed and nothing refers to them. One job per deletion (key
// "<file:id|article:id>:<sha256>"), scheduled in the deletion's own
// transaction, so a crash between the delete and the collection loses
// nothing.
const JobCollectBlob = "kb.collect_blob"

type collectBlobJob struct {
	SHA256 string `json:"sha256"`
}

// EnableBlobCollection registers JobCollectBlob on sched and makes every
// file deletion from then on schedule it. Call it once, before sched.Run.
func (s *Service) EnableBlobCollection(sched *jobs.Scheduler) {
	s.sched = sched
	sched.Handle(JobCollectBlob, s.runCollectBlob)
}

// collectLaterTx schedules JobCollectBlob for each blob of a deletion named
// by what (nil without a scheduler).
func (s *Service) collectLaterTx(what string) func(tx *gorm.DB, sums []string) error {
	if s.sched == nil {
		return nil
	}
	return func(tx *gorm.DB, sums []string) error {
		for _, sum := range sums {
			if _, err := s.sched.ScheduleTx(tx, jobs.Spec{Kind: JobCollectBlob, Key: what + ":" + sum,
				Due: s.sched.Now().Add(store.KBBlobGrace), Payload: collectBlobJob{SHA256: sum}}); err != nil {
				return err
			}
		}
		return nil
	}
}

func (s *Service) runCollectBlob(ctx context.Context, j *jobs.Job) error {
	var p collectBlobJob
	if err := j.Decode(&p); err != nil {
		return jobs.Permanent(err)
	}
	later, err := s.st.CollectBlob(ctx, p.SHA256, s.sched.Now())
	if err != nil {
		return err
	}
	if !later.IsZero() { // written again lately: wait out the new grace
		return jobs.Postpone(later)
	}
	return nil
}
