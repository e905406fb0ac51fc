package widget

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
)

//go:embed static/widget.js
var widgetJS []byte

var (
	scriptOnce sync.Once
	scriptGz   []byte
	scriptETag string
)

func prepareScript() {
	sum := sha256.Sum256(widgetJS)
	scriptETag = `"` + hex.EncodeToString(sum[:12]) + `"`
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(widgetJS)
	zw.Close()
	scriptGz = b.Bytes()
}

// ScriptHandler serves the widget script (mounted at GET /widget.js): an
// ETag from its contents, a short public cache lifetime (the URL is not
// versioned, so sites pick up new releases within minutes) and gzip when
// the browser takes it.
func ScriptHandler() http.Handler {
	scriptOnce.Do(prepareScript)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		h.Set("ETag", scriptETag)
		h.Set("Cache-Control", "public, max-age=300, stale-while-revalidate=86400")
		h.Set("Vary", "Accept-Encoding")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, scriptETag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		body := widgetJS
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			h.Set("Content-Encoding", "gzip")
			body = scriptGz
		}
		if r.Method == http.MethodHead {
			return
		}
		w.Write(body)
	})
}
