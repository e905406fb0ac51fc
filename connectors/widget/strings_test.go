package widget

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestWidgetStringsComplete: the widget's Korean texts have every key the
// English ones have, each translated (no English sentence left in Korean),
// and every server error a visitor can meet is shown by its code, not by
// the server's English message.
func TestWidgetStringsComplete(t *testing.T) {
	js := string(widgetJS)
	en, ko := js[strings.Index(js, "en: {"):strings.Index(js, "ko: {")], js[strings.Index(js, "ko: {"):strings.Index(js, "// ---- state ----")]
	pair := regexp.MustCompile(`(\w+): '((?:[^'\\]|\\.)*)'`)
	read := func(s string) map[string]string {
		m := map[string]string{}
		for _, p := range pair.FindAllStringSubmatch(s, -1) {
			m[p[1]] = p[2]
		}
		return m
	}
	enT, koT := read(en), read(ko)
	if len(enT) < 40 {
		t.Fatalf("read %d English strings: the table moved?", len(enT))
	}
	for k, v := range enT {
		kv, ok := koT[k]
		switch {
		case !ok:
			t.Errorf("Korean has no %q (%q)", k, v)
		case kv == v && regexp.MustCompile(`[a-z]{3} [a-z]{3}`).MatchString(v):
			t.Errorf("Korean %q is the English %q", k, v)
		}
	}
	for k := range koT {
		if _, ok := enT[k]; !ok {
			t.Errorf("English has no %q", k)
		}
	}
	// The upload and send errors go through errText (by code).
	for _, code := range []string{"too_large", "type_not_allowed", "upload_quota", "storage_full", "bad_upload", "upload_expired"} {
		if !strings.Contains(js, "case '"+code+"'") {
			t.Errorf("errText does not translate %s", code)
		}
	}
	if strings.Contains(js, "failMessage(id, f.message)") || strings.Contains(js, "e.message || S.t.failed") {
		t.Error("a server's English message reaches the visitor")
	}
}

// TestSnippetIsTheREADMEs: the snippet the admin page shows is the one the
// README documents, queue stub included.
func TestSnippetIsTheREADMEs(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.NewReplacer("{base_url}", "https://support.example.com", "{public_key}", "PUBLIC_KEY").Replace(snippetTemplate)
	if !strings.Contains(string(readme), "```html\n"+want+"\n```") {
		t.Fatalf("README does not show the admin snippet:\n%s", want)
	}
	if !strings.Contains(want, "Hanbox.q") {
		t.Fatal("the snippet has no queue stub")
	}
}
