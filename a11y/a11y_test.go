package a11y

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// fixture has one problem of each kind, and their fixed twins.
const fixture = `<!doctype html><html lang="en"><head><title>a11y</title>
<style>.pale{color:#aaa;background:#fff} .ok{color:#333} .big{font-size:30px;color:#888}</style></head><body>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="">
<input id="q" type="text"> <label>Name <input type="text"></label>
<button type="button"></button> <button type="button" aria-label="Close">×</button>
<a href="/x"></a> <a href="/y">Read</a>
<p id="dup" class="ok">one</p><p id="dup" class="ok">two</p>
<p class="pale">too pale</p><p class="big">large text passes at 3:1</p>
<p hidden class="pale">hidden text is not checked</p>
<button type="button" disabled class="pale">disabled is exempt</button>
</body></html>`

func TestCheckFinds(t *testing.T) {
	exe := ""
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is required in CI")
		}
		t.Skip("chromium not installed")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(fixture))
	}))
	defer srv.Close()
	actx, cancel := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-dev-shm-usage", true))
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatal(err)
	}
	vs, err := Check(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, v := range vs {
		rules = append(rules, v.Rule+" "+v.Node)
	}
	sort.Strings(rules)
	got := strings.Join(rules, "\n")
	want := strings.Join([]string{
		"button-name button",
		`color-contrast p.pale "too pale"`,
		"duplicate-id p#dup.ok \"two\"",
		"image-alt img",
		"label input#q",
		"link-name a",
	}, "\n")
	if got != want {
		t.Fatalf("found:\n%s\nwant:\n%s\n%s", got, want, Report(vs))
	}
}
