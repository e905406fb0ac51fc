package connectors_test

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// Connectors know nothing about SQL (issue 11 item 2): no connector package
// imports the store, gorm or database/sql. They read and write through the
// inbox's doors (Deps) and keep their own state through State and Locker.
// Two packages are the exceptions by design: this one, whose Runtime reads
// channel rows and implements State and Locker over the store, and
// conntest, the test kit that builds a whole core.
func TestConnectorsDoNotImportTheStore(t *testing.T) {
	const module = "github.com/hanbox/hanbox/"
	exempt := map[string]string{
		".":        "the runtime implements State and Locker over the store",
		"conntest": "the test kit opens a store for connector tests",
	}
	forbidden := func(imp string) bool {
		return imp == module+"store" || strings.HasPrefix(imp, module+"store/") ||
			strings.HasPrefix(imp, "gorm.io/") || imp == "database/sql"
	}
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if d.Name() == "testdata" || d.Name() == "static" {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(path, 0)
		if err != nil {
			if _, ok := err.(*build.NoGoError); ok {
				return nil
			}
			return err
		}
		checked++
		if _, ok := exempt[filepath.ToSlash(path)]; ok {
			return nil
		}
		for _, imp := range pkg.Imports { // non-test files only
			if forbidden(imp) {
				t.Errorf("connectors/%s imports %s: use the inbox's doors (connectors.Deps) instead", filepath.ToSlash(path), imp)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 7 {
		t.Fatalf("checked only %d packages; is the test running in connectors/?", checked)
	}
}
