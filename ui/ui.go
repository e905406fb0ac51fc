// Package ui is the agent web inbox: server-rendered html/template pages
// enhanced by small plain JavaScript modules, all embedded in the binary.
// Pages read through the store and inbox service; every change an agent
// makes goes through the JSON API under /api/v1 (with the session's CSRF
// token), and live updates arrive over the API's server-sent event stream.
//
// One handler per file, named by its action; every route is in routes.go.
package ui

import (
	"embed"
	"log/slog"
	"net/http"

	"github.com/hanbox/hanbox/server"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// ContentSecurityPolicy is sent with every page: no inline script or style,
// nothing from other origins, no framing of our pages.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"frame-src 'self' blob: data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// handler holds what the UI's handlers need.
type handler struct {
	s      *server.Server
	log    *slog.Logger
	assets *assets
	pages  *pages
}

// Mount adds the web inbox's routes to mux. It has the server.Mounter type.
func Mount(mux *http.ServeMux, s *server.Server) {
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handler{s: s, log: log.With("component", "ui"), assets: defaultAssets, pages: defaultPages}
	h.routes(mux)
}

var _ server.Mounter = Mount
