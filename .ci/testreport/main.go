// Command testreport summarises `go test -json` output for CI: failures with
// their output, skipped tests with their reasons, and how many tests ran on
// PostgreSQL, so a CI log shows the PostgreSQL suite really ran.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

func main() {
	out := map[string]*strings.Builder{}
	var passed, failed, skipped, pg int
	var failures, skips []string
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			b := out[key]
			if b == nil {
				b = &strings.Builder{}
				out[key] = b
			}
			if b.Len() < 64<<10 {
				b.WriteString(e.Output)
			}
		case "pass":
			if e.Test != "" {
				passed++
				if strings.Contains(e.Test, "/postgres") {
					pg++
				}
			}
		case "fail":
			if e.Test != "" {
				failed++
				failures = append(failures, key)
			} else if out[key] != nil && !strings.Contains(out[key].String(), "--- FAIL") {
				failures = append(failures, key) // build failure or panic outside a test
			}
		case "skip":
			if e.Test != "" {
				skipped++
				reason := ""
				if b := out[key]; b != nil {
					for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
						if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "--- SKIP") && !strings.HasPrefix(l, "=== ") {
							reason = l
						}
					}
				}
				skips = append(skips, key+": "+reason)
			}
		}
	}
	sort.Strings(failures)
	for _, f := range failures {
		fmt.Printf("FAIL %s\n%s\n", f, out[f])
	}
	sort.Strings(skips)
	for _, s := range skips {
		fmt.Println("SKIP", s)
	}
	fmt.Printf("PostgreSQL subtests passed: %d\n", pg)
	fmt.Printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if failed > 0 || len(failures) > 0 {
		os.Exit(1)
	}
	if os.Getenv("HANBOX_TEST_POSTGRES") != "" && pg == 0 {
		fmt.Println("HANBOX_TEST_POSTGRES was set but no PostgreSQL test ran")
		os.Exit(1)
	}
}
