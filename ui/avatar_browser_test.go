package ui_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store"
)

// TestBrowserAgentAvatar: on the profile page (Korean) an agent uploads a
// picture; the page shows it, the ticket thread shows it next to the
// agent's reply and the inbox next to the ticket they own, each as the
// 128-pixel PNG Hanbox re-encoded. A file that is not a picture gets the
// catalogue's message next to the form; removing the picture brings the
// initials back.
func TestBrowserAgentAvatar(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	e := newEnv(t, store.SQLite)
	dir := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 500, 300))
	for y := range 300 {
		for x := range 500 {
			img.Set(x, y, color.RGBA{R: uint8(x / 2), G: 90, B: uint8(y), A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	pic, bad := filepath.Join(dir, "me.png"), filepath.Join(dir, "me.svg")
	if err := os.WriteFile(pic, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 0o644); err != nil {
		t.Fatal(err)
	}
	pid := e.ingest(map[string]any{"external_id": "av1", "subject": "사진 테스트", "text": "안녕하세요",
		"contact": map[string]any{"external_id": "av-c1", "name": "김민지"}})
	admin := agentID(t, e, "admin@example.com")
	e.call("PATCH", "/api/v1/tickets/"+pid, e.adminTok, map[string]any{"assignee": admin}, http.StatusOK, nil)
	e.call("POST", "/api/v1/tickets/"+pid+"/replies", e.adminTok, map[string]any{"text": "확인했습니다."}, http.StatusCreated, nil)

	bctx := browser(t)
	a := newTab(t, bctx)
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("profile", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/password"), chromedp.WaitVisible(chromedp.ID("avatar-form")))
	a.ready()
	if got := a.text(`#avatar-form h2`); got != "프로필 사진" {
		t.Fatalf("avatar form heading %q", got)
	}
	// Not a picture: refused, explained in Korean.
	a.do("choose svg", chromedp.SetUploadFiles(chromedp.ID("pf-avatar"), []string{bad}), chromedp.Click(chromedp.CSS(`#avatar-form button[type=submit]`)))
	a.waitJS("refused", `!document.querySelector('#avatar-form [data-error]').hidden`)
	if got := a.text(`#avatar-form [data-error]`); got != "PNG, JPEG, GIF 사진을 선택하세요." {
		t.Fatalf("error %q", got)
	}
	a.do("choose png", chromedp.SetUploadFiles(chromedp.ID("pf-avatar"), []string{pic}), chromedp.Click(chromedp.CSS(`#avatar-form button[type=submit]`)))
	a.waitJS("picture shown", `(() => { const i = document.querySelector('img#avatar-preview'); return !!i && i.complete && i.naturalWidth === 128 && i.naturalHeight === 128; })()`)
	a.ready()

	a.do("ticket", chromedp.Navigate(e.ts.URL+"/tickets/"+pid), chromedp.WaitVisible(chromedp.ID("composer")))
	a.ready()
	a.waitJS("avatar in the thread", `[...document.querySelectorAll('#thread .msg.d-outbound img[data-avatar]')].some(i => i.complete && i.naturalWidth === 128)`)
	a.do("inbox", chromedp.Navigate(e.ts.URL+"/tickets?view=open"), chromedp.WaitVisible(chromedp.ID("ticket-list")))
	a.ready()
	a.waitJS("avatar on the row", `(() => { const i = document.querySelector('.trow[data-ticket="`+pid+`"] img[data-avatar]'); return !!i && i.complete && i.naturalWidth === 128 && i.alt !== ''; })()`)

	a.do("profile again", chromedp.Navigate(e.ts.URL+"/password"), chromedp.WaitVisible(chromedp.ID("avatar-form")))
	a.ready()
	a.do("remove", chromedp.Click(chromedp.CSS(`[data-avatar-remove]`)))
	a.waitJS("initials again", `!!document.querySelector('span#avatar-preview') && !document.querySelector('[data-avatar-remove]')`)
	if ag, err := e.srv.Inbox.AgentByEmail(e.ctx, "admin@example.com"); err != nil || ag.AvatarSum != "" {
		t.Fatalf("avatar after removing: %+v %v", ag, err)
	}
}
