package ui

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strings"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/web"
)

// LangCookie stores the language an agent picked.
const LangCookie = "hanbox_lang"

// languages the UI speaks; the first is the fallback.
var languages = []string{"en", "ko"}

// localeFS holds the UI strings, one JSON object per language
// (locales/<lang>.json: key → text).
//
//go:embed locales/*.json
var localeFS embed.FS

// catalog holds the UI strings per language. Keys missing in a language fall
// back to English; a key missing everywhere shows as itself (and fails the
// catalogue test).
var catalog = mustCatalog(localeFS)

func mustCatalog(fsys fs.FS) map[string]map[string]string {
	c, err := loadCatalog(fsys)
	if err != nil {
		panic(err)
	}
	return c
}

// loadCatalog reads locales/<lang>.json for every language.
func loadCatalog(fsys fs.FS) (map[string]map[string]string, error) {
	c := make(map[string]map[string]string, len(languages))
	for _, lang := range languages {
		b, err := fs.ReadFile(fsys, "locales/"+lang+".json")
		if err != nil {
			return nil, fmt.Errorf("ui: read locale %s: %w", lang, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("ui: parse locale %s: %w", lang, err)
		}
		c[lang] = m
	}
	return c, nil
}

// translator returns the strings of one language.
type translator struct {
	lang string
	m    map[string]string
}

// T returns the string for key. Channel kinds ("kind.email") are not in the
// catalogue: each kind names itself (connectors.Description), and a kind no
// connector describes (an identity kind such as "phone") shows as itself.
func (t translator) T(key string) string {
	if s, ok := t.lookup(key); ok {
		return s
	}
	if kind, ok := strings.CutPrefix(key, "kind."); ok {
		return connectors.Title(kind, t.lang)
	}
	return key
}

// Error returns the message of e in t's language: the translation of its
// reason or code with {param}s filled in (a "field" parameter names a field,
// translated as "field.<name>"); without a translation, a general sentence
// in t's language (e's English message in English).
func (t translator) Error(e *web.Error) string {
	msg, ok := t.lookup(e.Key())
	if !ok {
		if e.Status >= 500 {
			return t.T("common.error")
		}
		if t.lang != "en" {
			return t.T("error.unknown") // never English text in a Korean page
		}
		return e.Message
	}
	for k, v := range e.Params {
		val := fmt.Sprint(v)
		if k == "field" {
			if f, ok := t.lookup("field." + val); ok {
				val = f
			}
		}
		msg = strings.ReplaceAll(msg, "{"+k+"}", val)
	}
	return msg
}

func (t translator) lookup(key string) (string, bool) {
	if s, ok := t.m[key]; ok {
		return s, true
	}
	s, ok := catalog["en"][key]
	return s, ok
}

// language picks the UI language: the cookie, else the first supported
// language in Accept-Language, else English.
func language(r *http.Request) string {
	if c, err := r.Cookie(LangCookie); err == nil {
		if _, ok := catalog[c.Value]; ok {
			return c.Value
		}
	}
	// The language the agent chose on their profile, then the browser's.
	if p := auth.From(r.Context()); p != nil && p.Agent != nil {
		if _, ok := catalog[p.Agent.Locale]; ok {
			return p.Agent.Locale
		}
	}
	for part := range strings.SplitSeq(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		base, _, _ := strings.Cut(tag, "-")
		if q := strings.SplitN(part, ";", 2); len(q) == 2 && strings.TrimSpace(q[1]) == "q=0" {
			continue
		}
		if _, ok := catalog[base]; ok {
			return base
		}
	}
	return languages[0]
}

func translatorFor(lang string) translator {
	m, ok := catalog[lang]
	if !ok {
		lang, m = languages[0], catalog[languages[0]]
	}
	return translator{lang: lang, m: m}
}
