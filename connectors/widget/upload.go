package widget

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/plaintext"
)

// uploadTTL is how long an upload ref may be attached to a message.
const uploadTTL = 6 * time.Hour

// uploadRef is the signed content of an upload ref: the blob is already in
// the store; the ref proves which visitor uploaded it.
type uploadRef struct {
	SHA256      string `json:"h"`
	Name        string `json:"n"`
	ContentType string `json:"t"`
	Size        int64  `json:"s"`
	Owner       string `json:"o"`
	Exp         int64  `json:"x"`
}

// UploadResponse answers POST /upload.
type UploadResponse struct {
	Ref         string `json:"ref"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// handleUpload takes one multipart "file", checks its size and type, stores
// it and returns a ref for the next message.
func (c *Channel) handleUpload(w http.ResponseWriter, r *http.Request) {
	cl, e := c.auth(r)
	if e != nil {
		writeErr(w, e)
		return
	}
	if ok, wait := c.uploadLimit.Allow(c.identity(cl)); !ok {
		writeErr(w, &apiError{status: http.StatusTooManyRequests, code: "rate_limited", msg: "too many uploads; wait a moment", retryAfter: wait})
		return
	}
	limit := c.settings.maxUpload()
	r.Body = http.MaxBytesReader(w, r.Body, limit+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		writeErr(w, errf(http.StatusBadRequest, "bad_upload", "expected a multipart/form-data body"))
		return
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeErr(w, errf(http.StatusRequestEntityTooLarge, "too_large", "file is larger than %d bytes", limit))
				return
			}
			writeErr(w, errf(http.StatusBadRequest, "bad_upload", "no file part"))
			return
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		data, ok, err := readAll(part, limit)
		part.Close()
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeErr(w, errf(http.StatusRequestEntityTooLarge, "too_large", "file is larger than %d bytes", limit))
				return
			}
			writeErr(w, errf(http.StatusBadRequest, "bad_upload", "could not read the file"))
			return
		}
		if !ok {
			writeErr(w, errf(http.StatusRequestEntityTooLarge, "too_large", "file is larger than %d bytes", limit))
			return
		}
		if len(data) == 0 {
			writeErr(w, errf(http.StatusUnprocessableEntity, "invalid", "file is empty"))
			return
		}
		ct := c.uploadType(part.Header.Get("Content-Type"), data)
		if ct == "" {
			writeErr(w, errf(http.StatusUnsupportedMediaType, "type_not_allowed", "this kind of file cannot be sent here"))
			return
		}
		sum, err := c.svc.PutUpload(r.Context(), inbox.Upload{ChannelID: c.ch.ID, Owner: c.identity(cl), Data: data, At: c.now()},
			c.settings.uploadQuota())
		if err != nil {
			writeErr(w, c.uploadError(cl, err))
			return
		}
		name := plaintext.Clip(filepath.Base(strings.ReplaceAll(part.FileName(), "\\", "/")), 200)
		if name == "" || name == "." || name == "/" {
			name = "file"
		}
		ref := uploadRef{SHA256: sum, Name: name, ContentType: ct, Size: int64(len(data)), Owner: c.identity(cl), Exp: c.now().Add(uploadTTL).Unix()}
		key, err := c.signingKey(r.Context())
		if err != nil {
			writeErr(w, errf(http.StatusServiceUnavailable, "unavailable", "try again shortly"))
			return
		}
		tok, err := sign(key, ref)
		if err != nil {
			writeErr(w, errf(http.StatusInternalServerError, "internal", "could not sign the upload"))
			return
		}
		writeJSON(w, http.StatusCreated, UploadResponse{Ref: tok, Name: name, ContentType: ct, Size: ref.Size})
		return
	}
}

// uploadError turns a refused upload into the visitor's answer.
func (c *Channel) uploadError(cl *claims, err error) *apiError {
	var qe *inbox.UploadQuotaError
	switch {
	case errors.As(err, &qe) && qe.Scope == "visitor":
		return errf(http.StatusTooManyRequests, "upload_quota", "you have too many files waiting to be sent; send your message or wait before uploading more")
	case errors.As(err, &qe):
		return errf(http.StatusTooManyRequests, "upload_quota", "this chat cannot take more files right now; try again later")
	case errors.Is(err, inbox.ErrDiskFull):
		return errf(http.StatusInsufficientStorage, "storage_full", "the server has no room for files right now; try again later")
	case errors.Is(err, inbox.ErrInvalid):
		return errf(http.StatusUnprocessableEntity, "invalid", "this file cannot be sent")
	}
	c.log.Error("widget: store upload", "visitor", cl.Visitor, "err", err)
	return errf(http.StatusServiceUnavailable, "unavailable", "could not store the file")
}

// collectUploads removes this channel's uploads never attached to a message
// within its grace period.
func (c *Channel) collectUploads(ctx context.Context) {
	if _, _, err := c.svc.CollectUploads(ctx, c.ch.ID, c.now().Add(-c.settings.uploadGrace())); err != nil && ctx.Err() == nil {
		c.log.Warn("widget: collect unattached uploads", "err", err)
	}
}

// uploadType returns the media type of an upload when it is allowed: the
// sniffed type must agree with the declared one (a PNG named .png, not HTML
// claiming to be an image).
func (c *Channel) uploadType(declared string, data []byte) string {
	declared, _, _ = mime.ParseMediaType(declared)
	sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(data))
	allowed := c.settings.uploadTypes()
	switch {
	case sniffed == "text/html" || sniffed == "text/xml":
		return ""
	case slices.Contains(allowed, sniffed) && (declared == "" || declared == sniffed || declared == "application/octet-stream"):
		return sniffed
	case sniffed == "application/octet-stream" && slices.Contains(allowed, declared) && !strings.HasPrefix(declared, "image/") && !strings.HasPrefix(declared, "text/"):
		// Formats the sniffer does not know (docx, zip variants): trust the
		// declared type; it is only ever served as a download.
		return declared
	case sniffed == "text/plain" && slices.Contains(allowed, "text/plain"):
		return "text/plain"
	}
	return ""
}

// resolveUploads turns a message's upload refs into attachments; sums are
// their blobs, to release from the upload quotas once the message is stored.
func (c *Channel) resolveUploads(ctx context.Context, cl *claims, refs []string) (atts []inbox.Attachment, sums []string, e *apiError) {
	if len(refs) == 0 {
		return nil, nil, nil
	}
	key, err := c.signingKey(ctx)
	if err != nil {
		return nil, nil, errf(http.StatusServiceUnavailable, "unavailable", "try again shortly")
	}
	for _, s := range refs {
		var ref uploadRef
		if !verify(key, s, &ref) || ref.Owner != c.identity(cl) {
			return nil, nil, errf(http.StatusUnprocessableEntity, "bad_upload", "an attachment is not yours or is damaged; upload it again")
		}
		if time.Unix(ref.Exp, 0).Before(c.now()) {
			return nil, nil, errf(http.StatusUnprocessableEntity, "upload_expired", "an attachment expired; upload it again")
		}
		rc, err := c.svc.OpenBlob(ref.SHA256)
		if err != nil {
			return nil, nil, errf(http.StatusUnprocessableEntity, "bad_upload", "an attachment is missing; upload it again")
		}
		data, ok, err := readAll(rc, ref.Size)
		rc.Close()
		if err != nil || !ok {
			return nil, nil, errf(http.StatusServiceUnavailable, "unavailable", "could not read an attachment")
		}
		atts = append(atts, inbox.Attachment{Name: ref.Name, ContentType: ref.ContentType, Data: data})
		sums = append(sums, ref.SHA256)
	}
	return atts, sums, nil
}

// handleAttachment serves a file of the visitor's own conversations: images
// inline, everything else as a download, never as active content.
func (c *Channel) handleAttachment(w http.ResponseWriter, r *http.Request, idStr string) {
	cl, e := c.auth(r)
	if e != nil {
		writeErr(w, e)
		return
	}
	id, err := strconv.ParseInt(idStr, 10, 64)
	if err != nil || id <= 0 {
		writeErr(w, errf(http.StatusNotFound, "not_found", "no such file"))
		return
	}
	ctx := r.Context()
	a, ok := c.ownAttachment(ctx, cl, id)
	if !ok {
		writeErr(w, errf(http.StatusNotFound, "not_found", "no such file"))
		return
	}
	rc, err := c.svc.OpenBlob(a.SHA256)
	if err != nil {
		writeErr(w, errf(http.StatusNotFound, "not_found", "file is no longer available"))
		return
	}
	defer rc.Close()
	h := w.Header()
	ct, disp := "application/octet-stream", "attachment"
	if isImage(a.ContentType) {
		ct, disp = strings.ToLower(a.ContentType), "inline"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": a.Name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	if _, err := io.Copy(w, rc); err != nil {
		c.log.Debug("widget: attachment copy", "err", err)
	}
}

// ownAttachment loads an attachment when it is on a message the session may
// see (its viewer's scope: a page's one conversation, a visitor's own chats,
// a verified customer's conversations on any channel).
func (c *Channel) ownAttachment(ctx context.Context, cl *claims, id int64) (*inbox.StoredAttachment, bool) {
	v, err := c.viewer(ctx, cl)
	if err != nil || v.contactID == 0 {
		return nil, false
	}
	a, err := c.svc.CustomerAttachment(ctx, v.scope, id)
	if err != nil {
		if !errors.Is(err, connectors.ErrNotFound) {
			c.log.Warn("widget: attachment lookup", "attachment_id", id, "err", err)
		}
		return nil, false
	}
	return a, true
}
