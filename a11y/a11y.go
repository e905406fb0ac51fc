// Package a11y is Hanbox's accessibility check for the Chromium tests: a
// small in-repo script (check.js) that the tests inject into a page over
// the DevTools protocol. It fails on images without alt, form controls
// without an accessible label, buttons and links without a name,
// duplicate ids and text below WCAG AA contrast (4.5:1, 3:1 for large
// text). It is a subset of what axe-core checks, kept here so the tests
// need nothing from outside the repository.
package a11y

import (
	"context"
	_ "embed"
	"fmt"
	"strings"

	"github.com/chromedp/chromedp"
)

//go:embed check.js
var script string

// Violation is one finding: the rule, a short description of the element
// and details (the contrast ratio, the duplicated id).
type Violation struct {
	Rule   string `json:"rule"`
	Node   string `json:"node"`
	Detail string `json:"detail"`
}

func (v Violation) String() string {
	if v.Detail == "" {
		return v.Rule + ": " + v.Node
	}
	return v.Rule + ": " + v.Node + ": " + v.Detail
}

// Check runs the check in the current page of ctx (a chromedp context)
// over the document, or over the node rootExpr evaluates to (a shadow
// root, for the chat widget); "" means the document.
func Check(ctx context.Context, rootExpr string) ([]Violation, error) {
	if rootExpr == "" {
		rootExpr = "document"
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]Violation](script+"("+rootExpr+")"))
	if err != nil {
		return nil, fmt.Errorf("a11y: run check: %w", err)
	}
	return out, nil
}

// Report formats violations one a line, for a test failure.
func Report(vs []Violation) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString("  " + v.String() + "\n")
	}
	return b.String()
}
