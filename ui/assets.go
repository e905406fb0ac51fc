package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"sort"
)

// assets serves the embedded static files under one checksum directory
// (/static/{hash}/app.js): a change to any file changes every URL, so the
// files can be cached for a year, and relative module imports still work.
type assets struct {
	fs   fs.FS
	hash string
}

var defaultAssets = mustAssets()

func mustAssets() *assets {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	var names []string
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := fs.ReadFile(sub, n)
		if err != nil {
			panic(err)
		}
		h.Write([]byte(n))
		h.Write([]byte{0})
		h.Write(b)
	}
	return &assets{fs: sub, hash: hex.EncodeToString(h.Sum(nil))[:16]}
}

// URL returns the checksum URL of a static file.
func (a *assets) URL(name string) string { return "/static/" + a.hash + "/" + name }

var contentTypes = map[string]string{
	".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml",
	".png": "image/png", ".ico": "image/x-icon",
}

func (h *handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := path.Clean(r.PathValue("file"))
	b, err := fs.ReadFile(h.assets.fs, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if ct, ok := contentTypes[path.Ext(name)]; ok {
		w.Header().Set("Content-Type", ct)
	}
	if r.PathValue("hash") == h.assets.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// An old page asking for an old version gets today's file, uncached.
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b)
}
