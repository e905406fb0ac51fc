package api_test

import (
	"encoding/base64"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/api"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

type kbArticle struct {
	ID     int64  `json:"id"`
	Title  string `json:"title"`
	Slug   string `json:"slug"`
	Status string `json:"status"`
	URL    string `json:"url"`
	HTML   string `json:"html"`
	Locale string `json:"locale"`
}

type kbItems struct {
	Items []struct {
		ID    int64   `json:"id"`
		Title string  `json:"title"`
		URL   string  `json:"url"`
		Score float64 `json:"score"`
	} `json:"items"`
}

func TestKBAPI(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			var a kbArticle
			e.call("POST", "/api/v1/kb/articles", e.admin, map[string]string{
				"title": "배송 기간 안내", "body": "보통 **2~3일** 걸립니다. 배송이 늦으면 문의하세요.<script>alert(1)</script>",
				"locale": "ko", "category": "배송", "status": "draft"}, 201, &a)
			if a.Status != "draft" || a.Slug != "배송-기간-안내" || strings.Contains(a.HTML, "<script") || !strings.Contains(a.HTML, "<strong>2~3일</strong>") {
				t.Fatalf("created %+v", a)
			}
			if a.URL != "https://support.example.com/help/ko/"+url.PathEscape(a.Slug) {
				t.Fatalf("url %q", a.URL)
			}
			id := strconv.FormatInt(a.ID, 10)
			// A draft is searchable by agents but never suggested.
			var hits kbItems
			e.call("GET", "/api/v1/kb/search?q="+url.QueryEscape("배송")+"&locale=ko", e.admin, nil, 200, &hits)
			if len(hits.Items) != 1 || hits.Items[0].ID != a.ID {
				t.Fatalf("search %+v", hits)
			}
			e.call("GET", "/api/v1/kb/suggest?q="+url.QueryEscape("배송이 언제 와요")+"&locale=ko", "", nil, 200, &hits)
			if len(hits.Items) != 0 {
				t.Fatalf("draft suggested %+v", hits)
			}
			e.call("PATCH", "/api/v1/kb/articles/"+id, e.admin, map[string]string{"status": "published"}, 200, &a)
			if a.Status != "published" {
				t.Fatalf("patched %+v", a)
			}
			// Public: no token needed.
			e.call("GET", "/api/v1/kb/suggest?q="+url.QueryEscape("배송이 언제 와요")+"&locale=ko&limit=3", "", nil, 200, &hits)
			if len(hits.Items) != 1 || hits.Items[0].ID != a.ID || hits.Items[0].Score <= 0 || hits.Items[0].URL != a.URL {
				t.Fatalf("suggest %+v", hits)
			}
			e.call("GET", "/api/v1/kb/articles?locale=ko", e.admin, nil, 200, &hits)
			if len(hits.Items) != 1 {
				t.Fatalf("list %+v", hits)
			}
			// Agent endpoints need a token; bad input is a 422.
			e.call("GET", "/api/v1/kb/articles/"+id, "", nil, 401, nil)
			e.call("GET", "/api/v1/kb/search?q=x", "", nil, 401, nil)
			e.call("POST", "/api/v1/kb/articles", e.admin, map[string]string{"title": "x", "locale": "fr"}, 422, nil)
			e.call("POST", "/api/v1/kb/articles", e.admin, map[string]string{"body": "no title"}, 422, nil)
			e.call("PATCH", "/api/v1/kb/articles/"+id, e.admin, map[string]string{"status": "live"}, 422, nil)
			e.call("GET", "/api/v1/kb/suggest?q=x&locale=xx", "", nil, 422, nil)
			e.call("DELETE", "/api/v1/kb/articles/"+id, e.admin, nil, 200, nil)
			e.call("GET", "/api/v1/kb/articles/"+id, e.admin, nil, 404, nil)
			e.call("DELETE", "/api/v1/kb/articles/"+id, e.admin, nil, 404, nil)

			// The OpenAPI document lists every kb endpoint.
			var doc struct {
				Paths map[string]map[string]any `json:"paths"`
			}
			e.call("GET", "/api/v1/openapi.json", "", nil, 200, &doc)
			for path, methods := range map[string][]string{
				"/kb/articles": {"post", "get"}, "/kb/articles/{id}": {"get", "patch", "delete"}, "/kb/search": {"get"}, "/kb/suggest": {"get"},
			} {
				for _, m := range methods {
					if doc.Paths[path][m] == nil {
						t.Errorf("openapi lacks %s %s", m, path)
					}
				}
			}
		})
	}
}

func TestKBSuggestIsRateLimited(t *testing.T) {
	e := newEnv(t, "sqlite")
	// The bucket refills one call a second, so count rather than assume
	// that the 61st call is refused: under load a token may come back.
	ok := 0
	for range 20 * api.SuggestBurst {
		r := e.raw("GET", "/api/v1/kb/suggest?q=refund", "", "", nil)
		if r.status == 429 {
			if ok < api.SuggestBurst || !strings.Contains(string(r.body), "rate_limited") {
				t.Fatalf("429 after %d calls: %s", ok, r.body)
			}
			return
		}
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		ok++
	}
	t.Fatalf("no 429 after %d calls", ok)
}

// TestKBFileDelete: DELETE /kb/articles/{id}/files/{file} removes the
// article's file row and its blob (404 for another article's file or a
// second time); deleting an article removes its files' rows, and their
// blobs unless another article holds the same bytes; a blob written within
// the grace period is kept (it may be being stored again). In the OpenAPI
// document. Both stores.
func TestKBFileDelete(t *testing.T) {
	pngData, _ := base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
	pdfData := []byte("%PDF-1.4\n% 환불 양식\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			st := e.srv.Store
			article := func(title string) string {
				var a kbArticle
				e.call("POST", "/api/v1/kb/articles", e.admin, map[string]string{"title": title, "body": "본문", "locale": "ko", "status": "published"}, 201, &a)
				return strconv.FormatInt(a.ID, 10)
			}
			upload := func(art, name string, data []byte) string {
				var f struct {
					ID int64 `json:"id"`
				}
				e.call("POST", "/api/v1/kb/articles/"+art+"/files", e.admin, map[string]any{"name": name, "data": data}, 201, &f)
				return strconv.FormatInt(f.ID, 10)
			}
			blob := func(data []byte) string {
				sum := store.BlobSum(data)
				return filepath.Join(st.DataDir, "attachments", sum[:2], sum)
			}
			age := func(data []byte) { // past the grace period
				old := time.Now().Add(-time.Hour)
				if err := os.Chtimes(blob(data), old, old); err != nil {
					t.Fatal(err)
				}
			}
			exists := func(data []byte) bool {
				_, err := os.Stat(blob(data))
				return err == nil
			}
			rows := func(art string) int64 {
				var n int64
				st.DB.Model(&store.KBFile{}).Where("article_id = ?", art).Count(&n)
				return n
			}
			a, b := article("환불 절차"), article("교환 절차")
			pa, fa := upload(a, "photo.png", pngData), upload(a, "form.pdf", pdfData)
			pb := upload(b, "photo.png", pngData)
			age(pngData)
			age(pdfData)

			e.call("DELETE", "/api/v1/kb/articles/"+a+"/files/"+pb, e.admin, nil, 404, nil)
			e.call("DELETE", "/api/v1/kb/articles/"+a+"/files/x", e.admin, nil, 404, nil)
			e.call("DELETE", "/api/v1/kb/articles/"+a+"/files/"+fa, e.admin, nil, 200, nil)
			if rows(a) != 1 || exists(pdfData) {
				t.Fatalf("after deleting the PDF: %d rows, blob kept %v", rows(a), exists(pdfData))
			}
			e.call("DELETE", "/api/v1/kb/articles/"+a+"/files/"+fa, e.admin, nil, 404, nil)
			if res := e.raw("GET", "/help/files/"+pa+"/photo.png", "", "", nil); res.status != 200 {
				t.Fatalf("the other file: %d", res.status)
			}
			// The article goes with its files; the bytes b holds too stay.
			e.call("DELETE", "/api/v1/kb/articles/"+a, e.admin, nil, 200, nil)
			if rows(a) != 0 || !exists(pngData) {
				t.Fatalf("after deleting article a: %d rows, shared blob kept %v", rows(a), exists(pngData))
			}
			e.call("DELETE", "/api/v1/kb/articles/"+b, e.admin, nil, 200, nil)
			if rows(b) != 0 || exists(pngData) {
				t.Fatalf("after deleting article b: %d rows, blob kept %v", rows(b), exists(pngData))
			}
			// Bytes written just now are kept for a later store.
			c := article("배송 안내")
			fc := upload(c, "form.pdf", pdfData)
			e.call("DELETE", "/api/v1/kb/articles/"+c+"/files/"+fc, e.admin, nil, 200, nil)
			if rows(c) != 0 || !exists(pdfData) {
				t.Fatalf("fresh blob: %d rows, kept %v", rows(c), exists(pdfData))
			}
			doc := e.call("GET", "/api/v1/openapi.json", "", nil, 200, nil)
			if !strings.Contains(string(doc.body), `"/kb/articles/{id}/files/{file}"`) {
				t.Error("OpenAPI lacks the file deletion")
			}
		})
	}
}
