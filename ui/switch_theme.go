package ui

import (
	"net/http"
	"time"
)

// ThemeCookie holds the agent's colour theme: light or dark; absent means
// the system's (prefers-color-scheme).
const ThemeCookie = "hanbox_theme"

// switchTheme stores the chosen theme (light, dark, or system to follow
// the operating system) in a cookie and goes back. The page renders it as
// <html data-theme>, so there is no flash and no script is needed.
func (h *handler) switchTheme(w http.ResponseWriter, r *http.Request) {
	c := &http.Cookie{Name: ThemeCookie, Path: "/", SameSite: http.SameSiteLaxMode, HttpOnly: true}
	switch mode := r.PathValue("mode"); mode {
	case "light", "dark":
		c.Value, c.Expires = mode, time.Now().Add(365*24*time.Hour)
	case "system":
		c.MaxAge = -1
	default:
		http.NotFound(w, r)
		return
	}
	http.SetCookie(w, c)
	http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
}

// theme is the request's theme cookie: "light", "dark" or "" (system).
func theme(r *http.Request) string {
	if c, err := r.Cookie(ThemeCookie); err == nil && (c.Value == "light" || c.Value == "dark") {
		return c.Value
	}
	return ""
}
