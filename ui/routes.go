package ui

import "net/http"

// routes lists every route of the web inbox. Every one is checked first:
// a path or query that is not valid text is refused (see checked).
func (h *handler) routes(mux *http.ServeMux) {
	handle := func(pattern string, hd http.Handler) { mux.Handle(pattern, h.checked(hd)) }

	// Signed-out pages. The login POST is guarded by cross-origin
	// protection and a double-submit cookie, since there is no session yet.
	handle("GET /login", http.HandlerFunc(h.showLogin))
	handle("POST /login", loginProtection.Handler(http.HandlerFunc(h.submitLogin)))
	handle("GET /lang/{code}", http.HandlerFunc(h.switchLanguage))
	handle("GET /theme/{mode}", http.HandlerFunc(h.switchTheme))
	handle("GET /static/{hash}/{file...}", http.HandlerFunc(h.serveStatic))

	// Conversation pages: public, the signed link is the credential.
	handle("GET /c/{token}", http.HandlerFunc(h.showConversation))
	handle("GET /c/{token}/files/{id}", http.HandlerFunc(h.serveConversationFile))

	// Rating pages: public, the signed survey token is the credential;
	// the form post is refused cross-origin.
	handle("GET /s/{token}", http.HandlerFunc(h.showSurvey))
	handle("POST /s/{token}", loginProtection.Handler(http.HandlerFunc(h.submitSurvey)))

	// Unsubscribe pages: public, the signed token is the credential. The
	// POST is also the RFC 8058 one-click endpoint that mail providers
	// call from their servers, so it has no cross-origin guard
	// (show_unsubscribe.go).
	handle("GET /u/{token}", http.HandlerFunc(h.showUnsubscribe))
	handle("POST /u/{token}", http.HandlerFunc(h.submitUnsubscribe))

	// Campaign email tracking: a signed redirect to the link's own URL,
	// and the open image (show_campaign_link.go).
	handle("GET /r/{token}", http.HandlerFunc(h.followCampaignLink))
	handle("GET /o/{token}", http.HandlerFunc(h.showCampaignPixel))

	// The public help center (published articles only, no script).
	handle("GET /help", http.HandlerFunc(h.helpRedirect))
	handle("GET /help/{$}", http.HandlerFunc(h.helpRedirect))
	handle("GET /help/sitemap.xml", http.HandlerFunc(h.showHelpSitemap))
	handle("GET /help/files/{id}/{name}", http.HandlerFunc(h.showHelpFile))
	handle("GET /help/{locale}", http.HandlerFunc(h.showHelpHome))
	handle("GET /help/{locale}/{$}", http.HandlerFunc(h.showHelpHome))
	handle("GET /help/{locale}/{slug}", http.HandlerFunc(h.showHelpArticle))

	// Agent pages.
	handle("POST /logout", h.agent(h.logout))
	handle("GET /{$}", h.agent(h.showInbox))
	handle("GET /tickets", h.agent(h.showInbox))
	handle("GET /tickets/{id}", h.agent(h.showTicket))
	handle("GET /messages/{id}/body", h.agent(h.showMessageBody))
	handle("GET /password", h.agent(h.showPassword))
	handle("GET /kb", h.agent(h.showKB))
	handle("GET /kb/new", h.agent(h.showKBEdit))
	handle("GET /kb/{id}", h.agent(h.showKBEdit))
	handle("GET /contacts/{id}", h.agent(h.showContact))

	// Admin pages.
	handle("GET /admin", h.admin(h.redirectAdmin))
	handle("GET /admin/channels", h.admin(h.showChannels))
	handle("GET /admin/agents", h.admin(h.showAgents))
	handle("GET /admin/teams", h.admin(h.showTeams))
	handle("GET /admin/sla", h.admin(h.showSLA))
	handle("GET /admin/rules", h.admin(h.showRules))
	handle("GET /admin/bot", h.admin(h.showBot))
	handle("GET /admin/assist", h.admin(h.showAssist))
	handle("GET /admin/saved-replies", h.admin(h.showSavedReplies))
	handle("GET /admin/quarantine", h.admin(h.showQuarantine))
	handle("GET /admin/deliveries", h.admin(h.showDeliveries))
	handle("GET /admin/webhooks", h.admin(h.showWebhooks))
	handle("GET /admin/webhooks/{id}", h.admin(h.showWebhook))
	handle("GET /admin/audit", h.admin(h.showAudit))
	handle("GET /admin/attributes", h.admin(h.showAttributes))
	handle("GET /admin/segments", h.admin(h.showSegments))
	handle("GET /admin/contacts-io", h.admin(h.showContactsIO))
	handle("GET /reports", h.admin(h.showReports))
	handle("GET /admin/surveys", h.admin(h.showSurveysAdmin))
	handle("GET /admin/campaigns", h.admin(h.showCampaigns))
}
