package ui_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/kb"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestHelpFiles: an agent uploads an image to a draft article; the help
// center serves it only once the article is published (404 before, and
// again when its category is hidden), as the sniffed type, sandboxed; the
// article's Markdown shows it as an <img>. An HTML file named .png is
// refused, and so is a file beyond the size bound. Both stores.
func TestHelpFiles(t *testing.T) {
	var pngBuf bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{R: 255, A: 255})
	if err := png.Encode(&pngBuf, img); err != nil {
		t.Fatal(err)
	}
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			var art struct {
				ID int64 `json:"id"`
			}
			e.call("POST", "/api/v1/kb/articles", e.adminTok, map[string]any{"title": "포장 상태 확인", "body": "상자를 확인하세요.", "locale": "ko",
				"category": "배송", "status": "draft"}, http.StatusCreated, &art)
			id := strconv.FormatInt(art.ID, 10)
			var f struct {
				ID          int64  `json:"id"`
				URL         string `json:"url"`
				ContentType string `json:"content_type"`
				Markdown    string `json:"markdown"`
			}
			e.call("POST", "/api/v1/kb/articles/"+id+"/files", e.adminTok, map[string]any{"name": "../../상자 사진.png", "data": pngBuf.Bytes()}, http.StatusCreated, &f)
			path := strings.TrimPrefix(f.URL, "https://support.example.com")
			if f.ContentType != "image/png" || !strings.HasPrefix(path, "/help/files/") || !strings.Contains(f.Markdown, "!["+"상자사진.png]("+path+")") {
				t.Fatalf("uploaded %+v", f)
			}
			var ae struct {
				Error struct {
					Reason string `json:"reason"`
				} `json:"error"`
			}
			e.call("POST", "/api/v1/kb/articles/"+id+"/files", e.adminTok, map[string]any{"name": "x.png", "data": []byte("<html><script>alert(1)</script></html>")}, http.StatusUnprocessableEntity, &ae)
			e.call("POST", "/api/v1/kb/articles/"+id+"/files", e.adminTok, map[string]any{"name": "big.png", "data": append(pngBuf.Bytes(), make([]byte, 5<<20)...)}, http.StatusUnprocessableEntity, nil)
			e.call("POST", "/api/v1/kb/articles/999999/files", e.adminTok, map[string]any{"name": "x.png", "data": pngBuf.Bytes()}, http.StatusNotFound, nil)
			if res, _ := e.get(path, ""); res.StatusCode != http.StatusNotFound {
				t.Fatalf("a draft's file: %d", res.StatusCode)
			}
			e.call("PATCH", "/api/v1/kb/articles/"+id, e.adminTok, map[string]any{"status": "published", "body": "상자를 확인하세요.\n\n" + f.Markdown}, http.StatusOK, nil)
			res, body := e.get(path, "")
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" || body != pngBuf.String() ||
				!strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") || res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("published file: %d %v", res.StatusCode, res.Header)
			}
			var list struct {
				Items []struct{ ID int64 } `json:"items"`
			}
			e.call("GET", "/api/v1/kb/articles/"+id+"/files", e.adminTok, nil, http.StatusOK, &list)
			if len(list.Items) != 1 || list.Items[0].ID != f.ID {
				t.Fatalf("files %+v", list)
			}
			var a struct {
				URL string `json:"url"`
			}
			e.call("GET", "/api/v1/kb/articles/"+id, e.adminTok, nil, http.StatusOK, &a)
			if res, page := e.get(strings.TrimPrefix(a.URL, "https://support.example.com"), ""); res.StatusCode != 200 || !strings.Contains(page, `<img src="`+path+`"`) {
				t.Fatalf("article page %d: %s", res.StatusCode, page)
			}
			e.call("PUT", "/api/v1/kb/help-settings", e.adminTok, map[string]any{"restricted": true, "categories": []string{"환불"}}, http.StatusOK, nil)
			if res, _ := e.get(path, ""); res.StatusCode != http.StatusNotFound {
				t.Fatalf("a hidden category's file: %d", res.StatusCode)
			}
		})
	}
}

// TestBrowserArticleFile: in the article editor (Korean) an agent adds an
// image; its Markdown lands in the body, and once published the help
// center shows the image.
func TestBrowserArticleFile(t *testing.T) {
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, image.NewRGBA(image.Rect(0, 0, 3, 3))); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "상자.png")
	if err := os.WriteFile(file, pngBuf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, store.SQLite)
	var art struct {
		ID int64 `json:"id"`
	}
	e.call("POST", "/api/v1/kb/articles", e.adminTok, map[string]any{"title": "포장 확인", "body": "상자를 확인하세요.", "locale": "ko", "status": "draft"}, http.StatusCreated, &art)
	bctx := browser(t)
	a := newTab(t, bctx)
	a.do("Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/login"), chromedp.WaitVisible(chromedp.ID("email")))
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("editor", chromedp.Navigate(e.ts.URL+"/kb/"+strconv.FormatInt(art.ID, 10)), chromedp.WaitVisible(chromedp.ID("kb-file-btn")))
	a.ready()
	if got := a.text("#kb-file-btn"); got != "이미지·파일 추가" {
		t.Fatalf("button %q", got)
	}
	a.do("add the image", chromedp.SetUploadFiles(chromedp.ID("kb-file"), []string{file}))
	a.waitJS("markdown inserted", `document.getElementById('kb-body').value.includes('![상자.png](/help/files/')`)
	a.do("publish", chromedp.Click(chromedp.ID("kb-publish")), chromedp.WaitVisible(chromedp.ID("kb-public")))
	a.waitJS("published", `document.getElementById('kb-status')?.dataset.status === 'published'`)
	arts, err := e.srv.API.KB.List(context.Background(), store.KBFilter{})
	if err != nil || len(arts) != 1 {
		t.Fatal(err)
	}
	_, page := e.get(kb.Path(&arts[0]), "")
	i := strings.Index(page, `<img src="/help/files/`)
	if i < 0 {
		t.Fatalf("help page without the image: %s", page)
	}
	src := page[i+len(`<img src="`):]
	src = src[:strings.Index(src, `"`)]
	if res, body := e.get(src, ""); res.StatusCode != http.StatusOK || body != pngBuf.String() {
		t.Fatalf("image %s: %d", src, res.StatusCode)
	}
}

// TestBrowserArticleFileDelete: in the article editor (Korean) a file
// added through the API is listed; one uploaded in the page joins the
// list; its delete button asks first (the first click only turns it into
// the confirmation), the second click deletes it through the API and takes
// the row away; the other file stays. In English the list reads in English.
func TestBrowserArticleFileDelete(t *testing.T) {
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, image.NewRGBA(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "영수증.png")
	if err := os.WriteFile(file, pngBuf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, store.SQLite)
	var art struct {
		ID int64 `json:"id"`
	}
	e.call("POST", "/api/v1/kb/articles", e.adminTok, map[string]any{"title": "영수증 발급", "body": "영수증을 확인하세요.", "locale": "ko", "status": "draft"}, http.StatusCreated, &art)
	var first struct {
		ID int64 `json:"id"`
	}
	other := image.NewRGBA(image.Rect(0, 0, 4, 4))
	var otherBuf bytes.Buffer
	if err := png.Encode(&otherBuf, other); err != nil {
		t.Fatal(err)
	}
	aid := strconv.FormatInt(art.ID, 10)
	e.call("POST", "/api/v1/kb/articles/"+aid+"/files", e.adminTok, map[string]any{"name": "표.png", "data": otherBuf.Bytes()}, http.StatusCreated, &first)
	files := func() []string {
		t.Helper()
		var list struct {
			Items []struct {
				Name string `json:"name"`
			} `json:"items"`
		}
		e.call("GET", "/api/v1/kb/articles/"+aid+"/files", e.adminTok, nil, http.StatusOK, &list)
		var out []string
		for _, f := range list.Items {
			out = append(out, f.Name)
		}
		return out
	}

	bctx := browser(t)
	a := newTab(t, bctx)
	a.do("Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/login"), chromedp.WaitVisible(chromedp.ID("email")))
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("editor", chromedp.Navigate(e.ts.URL+"/kb/"+aid), chromedp.WaitVisible(chromedp.ID("kb-file-list")))
	a.ready()
	if got := eval[int](a, `document.querySelectorAll('#kb-file-list [data-kb-file]').length`); got != 1 {
		t.Fatalf("%d files listed, want the one added through the API", got)
	}
	a.do("add the image", chromedp.SetUploadFiles(chromedp.ID("kb-file"), []string{file}))
	a.waitJS("listed after the upload", `document.querySelectorAll('#kb-file-list [data-kb-file]').length === 2`)
	btn := `#kb-file-list li:last-child [data-kb-file-delete]`
	if got := a.text(btn); got != "파일 삭제" {
		t.Fatalf("button %q", got)
	}
	a.do("first click", chromedp.Click(chromedp.CSS(btn)))
	a.waitJS("asks to confirm", `document.querySelector('`+btn+`').dataset.confirming === 'true'`)
	if got := a.text(btn); got != "한 번 더 누르면 삭제합니다 (본문의 링크는 더 이상 열리지 않습니다)" {
		t.Fatalf("confirmation %q", got)
	}
	if got := files(); len(got) != 2 {
		t.Fatalf("deleted before the confirmation: %q", got)
	}
	a.do("confirm", chromedp.Click(chromedp.CSS(btn)))
	a.waitJS("row gone (or refused)", `document.querySelectorAll('#kb-file-list [data-kb-file]').length === 1 || !document.querySelector('#kb-form [data-error]').hidden`)
	if got := files(); len(got) != 1 || got[0] != "표.png" {
		t.Fatalf("files after the delete %q; error %q", got, a.text("#kb-form [data-error]"))
	}

	a.do("English", chromedp.Navigate(e.ts.URL+"/lang/en?next=/kb/"+aid), chromedp.WaitVisible(chromedp.ID("kb-file-list")))
	a.ready()
	if got := a.text("#kb-file-list [data-kb-file-delete]"); got != "Delete file" {
		t.Fatalf("English button %q", got)
	}
	a.do("delete the last", chromedp.Click(chromedp.CSS("#kb-file-list [data-kb-file-delete]")))
	a.waitJS("asks to confirm", `document.querySelector('#kb-file-list [data-kb-file-delete]').dataset.confirming === 'true'`)
	a.do("confirm", chromedp.Click(chromedp.CSS("#kb-file-list [data-kb-file-delete]")))
	a.waitJS("empty list shown", `!document.getElementById('kb-files-empty').hidden`)
	if got := a.text("#kb-files-empty"); got != "No images or files yet." {
		t.Fatalf("empty text %q", got)
	}
	if got := files(); len(got) != 0 {
		t.Fatalf("files left %q", got)
	}
}
