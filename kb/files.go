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
// message, upload or other article holds the same bytes.
func (s *Service) DeleteFile(ctx context.Context, articleID, id int64) error {
	return s.st.DeleteKBFile(ctx, articleID, id)
}
