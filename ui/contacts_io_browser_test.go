package ui_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store/storetest"
)

// TestBrowserContactImport: an admin working in Korean uploads a CSV saved
// by Korean Excel (CP949), sees it decoded in the preview with each row's
// outcome and the rejected rows' reasons in Korean, unmaps a column (the
// preview follows), imports, and reads the result report; the contacts are
// stored as the preview said.
func TestBrowserContactImport(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) { testBrowserContactImport(t, d) })
	}
}

func testBrowserContactImport(t *testing.T, dialect string) {
	e := newEnv(t, dialect)
	for _, a := range []map[string]any{
		{"key": "grade", "label_ko": "등급", "label_en": "Grade", "type": "text"},
		{"key": "spend", "label_ko": "구매액", "label_en": "Spend", "type": "number"},
		{"key": "joined", "label_ko": "가입일", "label_en": "Joined", "type": "date"},
	} {
		e.call("POST", "/api/v1/attributes", e.adminTok, a, http.StatusCreated, nil)
	}
	// park is a customer already: the import updates them.
	e.ingest(map[string]any{"external_id": "p1", "text": "안녕하세요", "contact": map[string]any{"external_id": "park", "name": "Park", "email": "park@example.com"}})
	fixture, err := filepath.Abs("../contactcsv/testdata/contacts_cp949.csv")
	if err != nil {
		t.Fatal(err)
	}

	bctx := browser(t)
	a := newTab(t, bctx)
	a.do("Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/login"), chromedp.WaitVisible(chromedp.ID("email")))
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("import page", chromedp.Navigate(e.ts.URL+"/admin/contacts-io"), chromedp.WaitVisible(chromedp.ID("import-form")))
	a.ready()
	if got := a.text("h1"); got != "가져오기·내보내기" {
		t.Fatalf("Korean title %q", got)
	}
	if got := a.text(`.subnav [aria-current=page]`); got != "가져오기·내보내기" {
		t.Fatalf("admin menu marks %q", got)
	}
	a.do("choose the file", chromedp.SetUploadFiles(chromedp.ID("cio-file"), []string{fixture}))
	a.do("preview", chromedp.Click(chromedp.ID("cio-preview-btn")))
	a.waitJS("preview", `document.getElementById('import-form').dataset.state === 'previewed'`)
	if got := a.text("#cio-detected"); !strings.Contains(got, "CP949") || !strings.Contains(got, "7행") {
		t.Fatalf("detected %q", got)
	}
	outcomes := eval[string](a, `[...document.querySelectorAll('#cio-rows tbody tr')].map(r => r.dataset.line + ':' + r.cells[2].textContent + ':' + r.cells[5].textContent).join('|')`)
	want := "2:김민수:새 고객|3:이서연:제외|4:박지훈:제외|5:최유진:제외|6:박서준:기존 고객 수정|7:김민수:파일 안 중복(앞 행과 합침)|8:똠방각하:새 고객"
	if outcomes != want {
		t.Fatalf("preview rows\n got %s\nwant %s", outcomes, want)
	}
	if got := a.text(`#cio-rejected tr[data-line="4"]`); !strings.Contains(got, "이메일이 비어 있습니다.") {
		t.Fatalf("rejection reason %q", got)
	}
	if got := a.text(`#cio-rejected tr[data-line="3"]`); !strings.Contains(got, "구매액") || !strings.Contains(got, "abc") {
		t.Fatalf("attribute rejection %q", got)
	}
	if got := a.text(`#cio-would [data-count=created] dd`); got != "2" {
		t.Fatalf("would create %q", got)
	}
	if got := eval[string](a, `document.querySelector('#cio-mapping select[data-column="2"]').selectedOptions[0].textContent`); got != "속성: 등급" {
		t.Fatalf("grade column maps to %q", got)
	}

	// Unmapping the grade column recomputes the preview without it.
	eval[bool](a, `(s => (s.value = '', s.dispatchEvent(new Event('change', {bubbles: true})), true))(document.querySelector('#cio-mapping select[data-column="2"]'))`)
	a.waitJS("preview without grade", `document.getElementById('import-form').dataset.state === 'previewed' && !document.querySelector('#cio-rows tbody tr').cells[3].textContent.includes('grade')`)

	a.screenshot(shotDir(t), "contacts-import-preview.png")
	a.do("import", chromedp.Click(chromedp.ID("cio-commit")))
	a.waitJS("imported", `document.getElementById('import-form').dataset.state === 'imported'`)
	got := eval[string](a, `[...document.querySelectorAll('#cio-done [data-count]')].map(d => d.dataset.count + '=' + d.querySelector('dd').textContent).join(' ')`)
	if got != "rows=7 created=2 updated=1 merged=1 rejected=3" {
		t.Fatalf("result %s", got)
	}
	if n := eval[int](a, `document.querySelectorAll('#cio-rejected tbody tr').length`); n != 3 {
		t.Fatalf("%d rejected rows listed", n)
	}
	a.screenshot(shotDir(t), "contacts-import.png")

	var p struct {
		Contact struct {
			Name string `json:"name"`
		} `json:"contact"`
		Attributes map[string]any `json:"attributes"`
	}
	e.call("GET", "/api/v1/contacts/kim@example.com/profile", e.adminTok, nil, http.StatusOK, &p)
	if p.Contact.Name != "김민수" || p.Attributes["spend"] != 120000.0 || p.Attributes["grade"] != nil {
		t.Fatalf("kim %+v", p)
	}
	e.call("GET", "/api/v1/contacts/park@example.com/profile", e.adminTok, nil, http.StatusOK, &p)
	if p.Contact.Name != "박서준" {
		t.Fatalf("park's name %q: not updated", p.Contact.Name)
	}
}
