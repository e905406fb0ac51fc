package ui

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func TestCatalogComplete(t *testing.T) {
	if len(catalog) != len(languages) {
		t.Fatalf("%d locales loaded for %d languages", len(catalog), len(languages))
	}
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

// TestCatalogKeysUsed checks the catalogue against the code: every key a
// template, handler or script names literally exists, and every key is
// named somewhere. Keys built at run time are covered by their prefix: a
// literal "status." (or 'error.') marks every key under it as used.
func TestCatalogKeysUsed(t *testing.T) {
	var src strings.Builder
	for _, pattern := range []string{"*.go", "templates/*.html", "static/*.js"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(b)
			src.WriteByte('\n')
		}
	}
	code := src.String()
	// Keys named in templates ({{.Tr "x.y"}}) and scripts (t('x.y')) must exist.
	for _, re := range []*regexp.Regexp{regexp.MustCompile(`Tr "([a-zA-Z0-9_.]+)"`), regexp.MustCompile(`\bt\('([a-zA-Z0-9_.]+)'\)`)} {
		for _, m := range re.FindAllStringSubmatch(code, -1) {
			if _, ok := catalog["en"][m[1]]; !ok {
				t.Errorf("%q is used but not in the catalogue", m[1])
			}
		}
	}
	prefixes := map[string]bool{}
	for _, m := range regexp.MustCompile("[\"'`]([a-z]+\\.)[\"'`]").FindAllStringSubmatch(code, -1) {
		prefixes[m[1]] = true
	}
	for k := range catalog["en"] {
		if strings.Contains(code, `"`+k+`"`) || strings.Contains(code, "'"+k+"'") {
			continue
		}
		if p, _, ok := strings.Cut(k, "."); ok && prefixes[p+"."] {
			continue
		}
		t.Errorf("%q is in the catalogue but nothing uses it", k)
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
