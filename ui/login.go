package ui

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/hanbox/hanbox/audit"
	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/web"
)

// loginCSRFCookie carries the double-submit token of the login form.
const loginCSRFCookie = "hanbox_login_csrf"

// loginProtection refuses cross-origin form posts (Sec-Fetch-Site / Origin).
var loginProtection = http.NewCrossOriginProtection()

type loginData struct {
	Email string
	Next  string
	Error string
	Token string
}

func (h *handler) showLogin(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if auth.From(r.Context()) != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	h.renderLogin(w, r, &loginData{Next: next}, 0)
}

func (h *handler) renderLogin(w http.ResponseWriter, r *http.Request, d *loginData, status int) {
	tok, _ := auth.NewToken()
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: tok, Path: "/login", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https", MaxAge: 3600})
	d.Token = tok
	pg := h.newPage(r, nil, "login", "login.title")
	pg.Data = d
	pg.Status = status
	h.render(w, r, "login", pg)
}

func (h *handler) submitLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, nil, "login form", web.New(http.StatusBadRequest, "bad_form", "the form could not be read"))
		return
	}
	d := &loginData{Next: localPath(r.PostFormValue("next"))}
	tr := translatorFor(language(r))
	c, err := r.Cookie(loginCSRFCookie)
	form := r.PostFormValue("csrf_token")
	if err != nil || form == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) != 1 {
		d.Error = tr.T("login.expired")
		h.renderLogin(w, r, d, http.StatusForbidden)
		return
	}
	// The same checks as the API's: a text email of at most 320
	// characters, a password that is text (NUL allowed: it is only hashed).
	var f web.Fields
	email := f.Line("email", r.PostFormValue("email"), 320)
	password := r.PostFormValue("password")
	if !utf8.ValidString(password) {
		f.Text("password", password, 0)
	}
	if e := web.FromError(f.Err()); e != nil {
		if utf8.ValidString(r.PostFormValue("email")) {
			d.Email = r.PostFormValue("email")
		}
		d.Error = tr.Error(e)
		h.renderLogin(w, r, d, e.Status)
		return
	}
	d.Email = email
	tok, ag, err := h.s.Auth.Login(r.Context(), email, password, web.ClientIP(r))
	if err != nil {
		e := web.FromError(err)
		h.s.Audit.Record(r, audit.Entry{Action: audit.ActionLoginFailed, ActorEmail: email, Changes: map[string]any{"reason": e.Code}})
		if e.Status >= 500 {
			h.log.Error("login", "err", err)
		}
		switch {
		case errors.Is(err, auth.ErrRateLimited):
			d.Error = tr.T("login.limited")
		case errors.Is(err, auth.ErrBadCredentials):
			d.Error = tr.T("login.failed")
		default:
			d.Error = tr.Error(e)
		}
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter/time.Second)))
		}
		h.renderLogin(w, r, d, e.Status)
		return
	}
	h.s.Audit.Record(r, audit.Entry{Action: audit.ActionLogin, ActorID: ag.ID, ActorEmail: ag.Email, TargetType: "agents", TargetID: ag.ID})
	auth.SetCookie(w, r, tok)
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: "", Path: "/login", HttpOnly: true, MaxAge: -1})
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}
