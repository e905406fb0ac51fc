package ui

import "net/http"

// routes lists every route of the web inbox.
func (h *handler) routes(mux *http.ServeMux) {
	// Signed-out pages. The login POST is guarded by cross-origin
	// protection and a double-submit cookie, since there is no session yet.
	mux.HandleFunc("GET /login", h.showLogin)
	mux.Handle("POST /login", loginProtection.Handler(http.HandlerFunc(h.submitLogin)))
	mux.HandleFunc("GET /lang/{code}", h.switchLanguage)
	mux.HandleFunc("GET /static/{hash}/{file...}", h.serveStatic)

	// Agent pages.
	mux.Handle("POST /logout", h.agent(h.logout))
	mux.Handle("GET /{$}", h.agent(h.showInbox))
	mux.Handle("GET /tickets", h.agent(h.showInbox))
	mux.Handle("GET /tickets/{id}", h.agent(h.showTicket))
	mux.Handle("GET /messages/{id}/body", h.agent(h.showMessageBody))
	mux.Handle("GET /password", h.agent(h.showPassword))

	// Admin pages.
	mux.Handle("GET /admin", h.admin(h.redirectAdmin))
	mux.Handle("GET /admin/channels", h.admin(h.showChannels))
	mux.Handle("GET /admin/agents", h.admin(h.showAgents))
	mux.Handle("GET /admin/saved-replies", h.admin(h.showSavedReplies))
	mux.Handle("GET /admin/quarantine", h.admin(h.showQuarantine))
	mux.Handle("GET /admin/deliveries", h.admin(h.showDeliveries))
}
