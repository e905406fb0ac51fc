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
// 메시지-----"); from there, everything after it in document order moves
// into the fold. A mail that is nothing but quote, or has no quote, is
// returned unchanged. The HTML was sanitized at ingest; the label is added
// as a text node.
func foldQuotedHTML(body, label string) string {
	root := &html.Node{Type: html.ElementNode, DataAtom: atom.Body, Data: "body"}
	nodes, err := html.ParseFragment(strings.NewReader(body), root)
	if err != nil || len(nodes) == 0 {
		return body
	}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	at, shown := quoteAnchor(root)
	if at == nil || !shown {
		return body
	}
	parent := at.Parent
	sum := &html.Node{Type: html.ElementNode, DataAtom: atom.Summary, Data: "summary"}
	sum.AppendChild(&html.Node{Type: html.TextNode, Data: label})
	det := &html.Node{Type: html.ElementNode, DataAtom: atom.Details, Data: "details",
		Attr: []html.Attribute{{Key: "class", Val: "hb-quoted"}}}
	det.AppendChild(sum)
	parent.InsertBefore(det, at)
	// The anchor and everything after it in document order: its following
	// siblings, then those of each ancestor up to the body.
	moveInto(det, at)
	for p := parent; p != root; p = p.Parent {
		moveInto(det, p.NextSibling)
	}
	var b strings.Builder
	for n := root.FirstChild; n != nil; n = n.NextSibling {
		if err := html.Render(&b, n); err != nil {
			return body
		}
	}
	return b.String()
}

// moveInto moves n and its following siblings to the end of dst.
func moveInto(dst, n *html.Node) {
	for n != nil {
		next := n.NextSibling
		n.Parent.RemoveChild(n)
		dst.AppendChild(n)
		n = next
	}
}

// quoteAnchor is the node the fold starts at, or nil, found in one walk in
// document order; shown reports whether visible text or an image came
// before it (a mail that opens with its quote is shown whole).
func quoteAnchor(root *html.Node) (anchor *html.Node, shown bool) {
	var walk func(n *html.Node) bool // true: the anchor is found
	walk = func(n *html.Node) bool {
		switch n.Type {
		case html.ElementNode:
			if n.DataAtom == atom.Blockquote || isReplyHeader(n) {
				anchor = n
				return true
			}
			if n.DataAtom == atom.Img {
				shown = true
			}
		case html.TextNode:
			if strings.TrimSpace(n.Data) == "" {
				break
			}
			if plaintext.QuoteHeadAt(n.Data) {
				anchor = blockOf(n, root)
				return true
			}
			shown = true
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if walk(c) {
				return true
			}
		}
		return false
	}
	walk(root)
	return anchor, shown
}

// isReplyHeader reports an Outlook reply header (its ids survive sanitizing).
func isReplyHeader(n *html.Node) bool {
	for _, a := range n.Attr {
		if a.Key == "id" && (strings.EqualFold(a.Val, "divRplyFwdMsg") || strings.EqualFold(a.Val, "appendonsend")) {
			return true
		}
	}
	return false
}

// blockOf is where a fold that begins at text node n starts: the
// attribution line's own block (<div>, <p>) when n opens it, else n.
func blockOf(n, root *html.Node) *html.Node {
	for cur := n; cur.Parent != nil && cur.Parent != root && opens(cur); cur = cur.Parent {
		switch cur.Parent.DataAtom {
		case atom.Div, atom.P, atom.Table, atom.Section, atom.Article:
			return cur.Parent
		}
	}
	return n
}

// opens reports whether nothing visible precedes n among its siblings.
func opens(n *html.Node) bool {
	for s := n.PrevSibling; s != nil; s = s.PrevSibling {
		if s.Type == html.TextNode && strings.TrimSpace(s.Data) == "" {
			continue
		}
		if s.Type == html.ElementNode && s.DataAtom == atom.Br {
			continue
		}
		return false
	}
	return true
}
