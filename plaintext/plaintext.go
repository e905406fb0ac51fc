// Package plaintext holds Hanbox's text handling: cutting text to a size
// without splitting a character, and turning HTML into readable plain text
// (for search, previews, chat channels that show no HTML, and the text part
// of outgoing mail). HTML is read with golang.org/x/net/html, so every entity
// is decoded and no regular expression guesses at tags. Line and Text check
// and normalise what agents send (names, free text) the same way for both
// stores; Scrub makes inbound text storable.
package plaintext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Clip cuts s to at most n bytes without splitting a UTF-8 character.
func Clip(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Shorten cuts s to at most n characters, ending a cut with "…" (which counts
// as one of the n).
func Shorten(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// FromHTML renders an HTML document or fragment as plain text: text of
// script, style, head and template elements is dropped; block elements and
// <br> break lines; whitespace collapses as a browser would (except inside
// <pre>); entities are decoded; images show their alt text; runs of blank
// lines shrink to one. Malformed HTML gives the best text the tokenizer finds.
func FromHTML(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	w := &writer{}
	skip := 0 // depth inside elements whose text is not content
	pre := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return w.String()
		case html.TextToken:
			if skip > 0 {
				continue
			}
			w.text(string(z.Text()), pre > 0)
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			switch {
			case hidden[a]:
				if tt == html.StartTagToken {
					skip++
				}
			case a == atom.Br:
				w.newline()
			case a == atom.Img && hasAttr:
				for {
					k, v, more := z.TagAttr()
					if string(k) == "alt" && strings.TrimSpace(string(v)) != "" {
						w.text("["+strings.TrimSpace(string(v))+"]", false)
					}
					if !more {
						break
					}
				}
			case a == atom.Pre:
				w.block()
				pre++
			case a == atom.Li:
				w.newline()
				w.text("• ", true)
			case a == atom.Td || a == atom.Th:
				w.space()
			case block[a]:
				w.block()
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case hidden[a]:
				if skip > 0 {
					skip--
				}
			case a == atom.Pre:
				if pre > 0 {
					pre--
				}
				w.block()
			case block[a]:
				w.block()
			case a == atom.Li:
				w.newline()
			}
		}
	}
}

var hidden = map[atom.Atom]bool{atom.Script: true, atom.Style: true, atom.Head: true, atom.Template: true, atom.Noscript: true, atom.Title: true}

var block = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Tr: true, atom.Table: true, atom.Ul: true, atom.Ol: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Blockquote: true, atom.Section: true, atom.Article: true, atom.Header: true, atom.Footer: true,
	atom.Hr: true, atom.Dl: true, atom.Dt: true, atom.Dd: true, atom.Address: true, atom.Center: true,
}

// writer builds the text. Line breaks and spaces are pending until the
// next visible character, so the output never starts or ends with either and
// whitespace never doubles.
type writer struct {
	b   strings.Builder
	sep int  // line breaks pending: 1 for a new line, 2 for a blank line
	gap bool // a collapsed space is pending
}

func (w *writer) text(s string, pre bool) {
	for _, r := range s {
		switch {
		case pre && r == '\n':
			w.newline()
		case pre && r == '\r':
		case !pre && unicode.IsSpace(r):
			w.space()
		default:
			w.char(r)
		}
	}
}

func (w *writer) char(r rune) {
	switch {
	case w.sep > 0:
		w.b.WriteString(strings.Repeat("\n", w.sep))
		w.sep = 0
	case w.gap:
		w.b.WriteByte(' ')
	}
	w.gap = false
	w.b.WriteRune(r)
}

func (w *writer) space() {
	if w.b.Len() > 0 && w.sep == 0 {
		w.gap = true
	}
}

// newline ends the line (a <br>).
func (w *writer) newline() { w.brk(1) }

// block ends the line and leaves a blank line before more text.
func (w *writer) block() { w.brk(2) }

func (w *writer) brk(n int) {
	w.gap = false
	if w.b.Len() > 0 && w.sep < n {
		w.sep = n
	}
}

func (w *writer) String() string { return w.b.String() }
