package ui

import (
	"net/http"
	"time"
)

// switchLanguage stores the chosen UI language in a cookie and goes back.
func (h *handler) switchLanguage(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if _, ok := catalog[code]; !ok {
		http.NotFound(w, r)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: code, Path: "/", SameSite: http.SameSiteLaxMode, HttpOnly: true,
		Expires: time.Now().Add(365 * 24 * time.Hour)})
	http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
}
