package server

import (
	"compress/gzip"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
)

// compressible are the content types worth gzipping: pages, styles,
// scripts and JSON. Images, files and the event stream are left alone (the
// stream must reach the browser as each event is written).
var compressible = map[string]bool{
	"text/html": true, "text/css": true, "text/javascript": true, "application/javascript": true,
	"application/json": true, "image/svg+xml": true, "text/plain": true,
}

// minCompress is the smallest body worth compressing; below it gzip's
// header and trailer outweigh the saving.
const minCompress = 1024

var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(io.Discard, gzip.DefaultCompression)
	return w
}}

// compress gzips responses whose type is compressible for clients that
// accept it, and marks every such response Vary: Accept-Encoding so caches
// keep the two forms apart. WebSocket upgrades, range requests and
// responses that set their own Content-Encoding pass through untouched, and
// so does text/event-stream: events are never buffered or compressed.
func compress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" || r.Header.Get("Range") != "" || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		cw := &compressWriter{ResponseWriter: w, accepts: acceptsGzip(r.Header.Get("Accept-Encoding"))}
		defer cw.close()
		next.ServeHTTP(cw, r)
	})
}

// acceptsGzip reports whether an Accept-Encoding value allows gzip (a
// q=0 refuses it).
func acceptsGzip(h string) bool {
	for part := range strings.SplitSeq(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// compressWriter decides at the first write (or WriteHeader) whether the
// response is compressed; until then nothing is sent. Small bodies written
// in one call before the handler returns are sent as they are.
type compressWriter struct {
	http.ResponseWriter
	accepts bool
	decided bool
	gz      *gzip.Writer
	status  int
	pending []byte // the first bytes, held until minCompress or the end
}

func (c *compressWriter) WriteHeader(code int) {
	if c.status != 0 {
		return // superfluous, as net/http would treat it
	}
	c.status = code
	if code < 200 || code == http.StatusNoContent || code == http.StatusNotModified || !c.eligible() {
		c.passThrough()
	}
}

// eligible reports whether the response, as its headers stand, may be
// compressed; it adds Vary for every compressible type.
func (c *compressWriter) eligible() bool {
	h := c.Header()
	if h.Get("Content-Encoding") != "" {
		return false
	}
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if !compressible[mt] {
		return false
	}
	h.Add("Vary", "Accept-Encoding")
	return c.accepts
}

// passThrough sends the header and everything from here on unchanged.
func (c *compressWriter) passThrough() {
	c.decided = true
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.ResponseWriter.WriteHeader(c.status)
}

func (c *compressWriter) startGzip() {
	c.decided = true
	h := c.Header()
	h.Set("Content-Encoding", "gzip")
	h.Del("Content-Length")
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.ResponseWriter.WriteHeader(c.status)
	c.gz = gzipPool.Get().(*gzip.Writer)
	c.gz.Reset(c.ResponseWriter)
}

func (c *compressWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		if c.Header().Get("Content-Type") == "" {
			c.Header().Set("Content-Type", http.DetectContentType(p))
		}
		c.WriteHeader(http.StatusOK)
	}
	if !c.decided {
		c.pending = append(c.pending, p...)
		if len(c.pending) >= minCompress {
			c.startGzip()
			buf := c.pending
			c.pending = nil
			if _, err := c.gz.Write(buf); err != nil {
				return 0, err
			}
		}
		return len(p), nil
	}
	if c.gz != nil {
		return c.gz.Write(p)
	}
	return c.ResponseWriter.Write(p)
}

// Flush sends what is buffered: a response still undecided goes out
// compressed if it is compressible, so a flushing handler is never held back.
func (c *compressWriter) Flush() {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	if !c.decided {
		if len(c.pending) > 0 {
			c.startGzip()
			buf := c.pending
			c.pending = nil
			_, _ = c.gz.Write(buf)
		} else {
			c.passThrough()
		}
	}
	if c.gz != nil {
		_ = c.gz.Flush()
	}
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the connection underneath.
func (c *compressWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// close finishes the response: a short body goes out uncompressed.
func (c *compressWriter) close() {
	if !c.decided {
		if c.status == 0 {
			return // the handler wrote nothing at all
		}
		c.passThrough()
		if len(c.pending) > 0 {
			_, _ = c.ResponseWriter.Write(c.pending)
		}
		return
	}
	if c.gz != nil {
		_ = c.gz.Close()
		c.gz.Reset(io.Discard)
		gzipPool.Put(c.gz)
		c.gz = nil
	}
}
