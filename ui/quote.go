package ui

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/hanbox/hanbox/plaintext"
)

// foldQuotedHTML folds the quoted history of an HTML email into a closed
// <details> element whose summary is label, so the agent reads the new part
// first and opens the rest with one click (no script: the sandboxed frame
// runs none). The fold starts at the first quote in document order: a
// <blockquote>, an Outlook reply header (id divRplyFwdMsg or appendonsend,
// which survive sanitizing), or a text that begins an attribution line ("On
// … wrote:", "… 님이 작성:", "-----Original Message-----", "-----원본
// 메시지-----"); from there, it and everything after it at the same level
// move into the fold. A mail that is nothing but quote, or has no quote, is
// returned unchanged. The HTML was sanitized at ingest; the label is added
// as a text node.
func foldQuotedHTML(body, label string) string {
	ctx := &html.Node{Type: html.ElementNode, DataAtom: atom.Body, Data: "body"}
	nodes, err := html.ParseFragment(strings.NewReader(body), ctx)
	if err != nil || len(nodes) == 0 {
		return body
	}
	root := &html.Node{Type: html.ElementNode, DataAtom: atom.Body, Data: "body"}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	at := quoteAnchor(root)
	if at == nil || !textBefore(root, at) {
		return body
	}
	parent := at.Parent
	sum := &html.Node{Type: html.ElementNode, DataAtom: atom.Summary, Data: "summary"}
	sum.AppendChild(&html.Node{Type: html.TextNode, Data: label})
	det := &html.Node{Type: html.ElementNode, DataAtom: atom.Details, Data: "details",
		Attr: []html.Attribute{{Key: "class", Val: "hb-quoted"}}}
	det.AppendChild(sum)
	parent.InsertBefore(det, at)
	for n := at; n != nil; {
		next := n.NextSibling
		parent.RemoveChild(n)
		det.AppendChild(n)
		n = next
	}
	var b strings.Builder
	for n := root.FirstChild; n != nil; n = n.NextSibling {
		if err := html.Render(&b, n); err != nil {
			return body
		}
	}
	return b.String()
}

// quoteAnchor is the node the fold starts at, or nil.
func quoteAnchor(root *html.Node) *html.Node {
	var found *html.Node
	var walk func(n *html.Node) bool
	walk = func(n *html.Node) bool {
		switch n.Type {
		case html.ElementNode:
			if n.DataAtom == atom.Blockquote {
				found = n
				return true
			}
			for _, a := range n.Attr {
				if a.Key == "id" && (strings.EqualFold(a.Val, "divRplyFwdMsg") || strings.EqualFold(a.Val, "appendonsend")) {
					found = n
					return true
				}
			}
		case html.TextNode:
			if strings.TrimSpace(n.Data) != "" && plaintext.QuoteHeadAt(n.Data) {
				found = blockOf(n, root)
				return true
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if walk(c) {
				return true
			}
		}
		return false
	}
	walk(root)
	return found
}

// blockOf is the nearest ancestor of a text node that is a block below
// root (the attribution line's own <div> or <p>), or the node itself.
func blockOf(n, root *html.Node) *html.Node {
	for p := n.Parent; p != nil && p != root; p = p.Parent {
		switch p.DataAtom {
		case atom.Div, atom.P, atom.Table, atom.Section, atom.Article:
			return p
		}
	}
	return n
}

// textBefore reports whether some visible text or an image comes before at
// in document order.
func textBefore(root, at *html.Node) bool {
	seen := false
	var walk func(n *html.Node) bool // true: reached at
	walk = func(n *html.Node) bool {
		if n == at {
			return true
		}
		if n.Type == html.TextNode && strings.TrimSpace(strings.ReplaceAll(n.Data, "\u00a0", " ")) != "" {
			seen = true
		}
		if n.Type == html.ElementNode && n.DataAtom == atom.Img {
			seen = true
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if walk(c) {
				return true
			}
		}
		return false
	}
	walk(root)
	return seen
}
