package ui

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"
)

func TestCatalogComplete(t *testing.T) {
	for lang, m := range catalog {
		for k := range catalog["en"] {
			if m[k] == "" {
				t.Errorf("%s: missing %q", lang, k)
			}
		}
		for k := range m {
			if _, ok := catalog["en"][k]; !ok {
				t.Errorf("%s: %q is not in the English catalogue", lang, k)
			}
		}
	}
}

func TestTemplatesParse(t *testing.T) {
	if _, err := parsePages(templateFS); err != nil {
		t.Fatal(err)
	}
	broken := fstest.MapFS{
		"templates/layout.html": {Data: []byte(`{{define "layout"}}{{template "content" .}}{{end}}`)},
	}
	for _, n := range pageNames {
		broken["templates/"+n+".html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}{{.Tr "x"}}{{end}}`)}
	}
	broken["templates/inbox.html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}{{if}}{{end}}`)}
	if _, err := parsePages(broken); err == nil {
		t.Fatal("a broken template parsed")
	}
}

func TestLanguage(t *testing.T) {
	cases := []struct{ header, cookie, want string }{
		{"", "", "en"},
		{"ko-KR,ko;q=0.9", "", "ko"},
		{"fr-FR, ko;q=0.5", "", "ko"},
		{"en-US", "", "en"},
		{"ko", "en", "en"},
		{"en", "ko", "ko"},
		{"ko;q=0", "", "en"},
		{"en", "xx", "en"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		if c.header != "" {
			r.Header.Set("Accept-Language", c.header)
		}
		if c.cookie != "" {
			r.AddCookie(&http.Cookie{Name: LangCookie, Value: c.cookie})
		}
		if got := language(r); got != c.want {
			t.Errorf("Accept-Language %q cookie %q: %s, want %s", c.header, c.cookie, got, c.want)
		}
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{"": "/", "/tickets?view=mine": "/tickets?view=mine", "//evil.com": "/",
		"https://evil.com": "/", "/\\evil.com": "/", "tickets": "/"} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}
