package all_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/connectors"
	_ "github.com/hanbox/hanbox/connectors/all"
)

// Every built-in kind describes itself completely: the admin form and the
// API are built from the description alone (issue 11 item 3), so a setting
// left out could not be set, and a secret left out could not be entered.
func TestEveryKindDescribesItsSettings(t *testing.T) {
	kinds := connectors.Kinds()
	if len(kinds) < 5 {
		t.Fatalf("kinds %v: connectors/all registers too few", kinds)
	}
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			d, ok := connectors.Describe(kind)
			if !ok {
				t.Fatalf("kind %q does not implement connectors.Describer", kind)
			}
			if d.Kind != kind {
				t.Errorf("description kind %q", d.Kind)
			}
			if d.Settings == nil {
				t.Errorf("description has no Settings (the struct its settings decode into)")
			}
			if err := d.Check(); err != nil {
				t.Errorf("description:\n%v", err)
			}
		})
	}
}

// The secrets a connector reads (ch.Secret("name") in its source) are the
// secrets it describes.
func TestEveryReadSecretIsDescribed(t *testing.T) {
	src, err := os.ReadFile("all.go")
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "all.go", src, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		dir := filepath.Join("..", filepath.Base(path))
		kind, secrets := scanPackage(t, dir)
		if kind == "" {
			t.Errorf("%s: no Kind constant", dir)
			continue
		}
		d, ok := connectors.Describe(kind)
		if !ok {
			t.Errorf("%s: kind %q has no description", dir, kind)
			continue
		}
		described := d.Secrets()
		for _, s := range secrets {
			if !slices.Contains(described, s) {
				t.Errorf("%s reads secret %q but does not describe it", kind, s)
			}
		}
		for _, s := range described {
			if !slices.Contains(secrets, s) {
				t.Errorf("%s describes secret %q but never reads it", kind, s)
			}
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("checked %d packages", checked)
	}
}

// scanPackage returns the Kind constant of the package in dir and the
// names its non-test files pass to Secret.
func scanPackage(t *testing.T, dir string) (kind string, secrets []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				for i, id := range n.Names {
					if id.Name == "Kind" && i < len(n.Values) {
						if lit, ok := n.Values[i].(*ast.BasicLit); ok {
							kind, _ = strconv.Unquote(lit.Value)
						}
					}
				}
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "Secret" || len(n.Args) != 1 {
					return true
				}
				if lit, ok := n.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, _ := strconv.Unquote(lit.Value)
					secrets = append(secrets, s)
				}
			}
			return true
		})
	}
	return kind, secrets
}
