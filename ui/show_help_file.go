package ui

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/hanbox/hanbox/kb"
)

// showHelpFile serves an article's image or attachment, only while the
// article is public (a draft's or a hidden category's file is 404 like the
// article). The type is the sniffed one stored at upload; the response is
// sandboxed and a PDF is a download.
func (h *handler) showHelpFile(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	f, err := h.s.API.KB.PublicFile(r.Context(), id)
	if kb.IsNotFound(err) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		h.log.Error("help file", "file_id", id, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	rc, err := h.s.Store.OpenBlob(f.SHA256)
	if err != nil {
		h.log.Error("help file blob", "file_id", id, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	defer rc.Close()
	hd := w.Header()
	hd.Set("Content-Type", f.ContentType)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	hd.Set("Cache-Control", "public, max-age=300")
	if !strings.HasPrefix(f.ContentType, "image/") {
		hd.Set("Content-Disposition", "attachment")
	}
	if _, err := io.Copy(w, rc); err != nil {
		h.log.Debug("help file copy", "file_id", id, "err", err)
	}
}
