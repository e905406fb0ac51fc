package ui

import (
	"errors"
	"net/http"

	"github.com/hanbox/hanbox/inbox"
)

// The unsubscribe page: GET /u/{token} asks to confirm (a GET never
// unsubscribes: mail scanners fetch links); POST /u/{token} unsubscribes.
// Public, no login: the signed token names one contact and one topic
// (inbox/optouts.go). The same POST is the RFC 8058 one-click endpoint a
// mail client calls with the body "List-Unsubscribe=One-Click", from its
// own servers, without cookies or an Origin; so this POST is not guarded
// against cross-origin posts — the token is the whole credential, and all
// it can do is stop mail to its own contact.

// unsubTopicKeys name the opt-out topics.
var unsubTopicKeys = map[string]string{inbox.TopicSurveys: "unsub.topic.surveys", inbox.TopicMarketing: "unsub.topic.marketing"}

type unsubData struct {
	Action  string
	Topic   string // the topic's name, translated
	Done    bool   // unsubscribed (now or before)
	Problem string
}

func (h *handler) showUnsubscribe(w http.ResponseWriter, r *http.Request) {
	h.unsubscribe(w, r, false)
}

func (h *handler) submitUnsubscribe(w http.ResponseWriter, r *http.Request) {
	h.unsubscribe(w, r, true)
}

func (h *handler) unsubscribe(w http.ResponseWriter, r *http.Request, post bool) {
	ctx := r.Context()
	tok := r.PathValue("token")
	var u *inbox.Unsubscription
	var err error
	oneClick := false
	if post {
		r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
		oneClick = r.PostFormValue("List-Unsubscribe") == "One-Click"
		source := "link"
		if oneClick {
			source = "one-click"
		}
		u, err = h.s.Inbox.Unsubscribe(ctx, tok, source)
	} else {
		u, err = h.s.Inbox.OpenUnsubscribe(ctx, tok)
	}
	if oneClick {
		// A mail client, not a person: a short answer.
		w.Header().Set("Cache-Control", "no-store")
		switch {
		case err == nil:
			w.WriteHeader(http.StatusOK)
		case errors.Is(err, inbox.ErrNotFound):
			w.WriteHeader(http.StatusNotFound)
		default:
			h.log.Error("one-click unsubscribe", "err", err)
			w.WriteHeader(http.StatusInternalServerError)
		}
		return
	}
	lang := language(r)
	if _, noCookie := r.Cookie(LangCookie); noCookie != nil && r.Header.Get("Accept-Language") == "" && u != nil {
		lang = u.Locale
	}
	tr := translatorFor(lang)
	pg := &publicPage{tr: tr, Lang: tr.lang, Theme: theme(r), Title: tr.T("unsub.title"), Path: r.URL.RequestURI(), Unsub: &unsubData{Action: "/u/" + tok}}
	status := http.StatusOK
	switch {
	case errors.Is(err, inbox.ErrNotFound):
		status, pg.Unsub.Problem = http.StatusNotFound, tr.T("unsub.notFound")
	case err != nil:
		h.log.Error("unsubscribe page", "err", err)
		status, pg.Unsub.Problem = http.StatusInternalServerError, tr.T("common.error")
	default:
		pg.Unsub.Topic = tr.T(unsubTopicKeys[u.Topic])
		pg.Unsub.Done = u.OptedOut
	}
	w.Header().Set("Cache-Control", "no-store")
	h.renderPublic(w, pg, status)
}
