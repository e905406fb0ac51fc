package main

import (
	"net/http"

	"github.com/hanbox/hanbox/connectors/widget"
	"github.com/hanbox/hanbox/server"
	"github.com/hanbox/hanbox/ui"
)

// mounts lists the route sets beyond the API: the web UI and the widget script.
func mounts() []server.Mounter {
	return []server.Mounter{
		ui.Mount,
		func(mux *http.ServeMux, _ *server.Server) { mux.Handle("GET /widget.js", widget.ScriptHandler()) },
	}
}
