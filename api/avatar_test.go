package api_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png" // decoder
	"strings"
	"testing"

	"github.com/hanbox/hanbox/store/storetest"
)

func jpegBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{R: 200, G: uint8(x), B: uint8(y), A: 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestAgentAvatarAPI: an agent uploads a picture as the body of PUT
// /agents/me/avatar; the profile and the agent list name its URL, served
// without a session as a 128-pixel PNG Hanbox encoded (not the upload);
// other types, oversized files and unknown names are refused; DELETE goes
// back to none.
func TestAgentAvatarAPI(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			upload := append(jpegBytes(t, 300, 200), []byte("<html><script>alert(1)</script>")...)
			r := e.raw("PUT", "/api/v1/agents/me/avatar", e.admin, "image/jpeg", upload)
			if r.status != 200 {
				t.Fatalf("upload: %d %s", r.status, r.body)
			}
			var prof struct {
				Name      string `json:"name"`
				AvatarURL string `json:"avatar_url"`
			}
			if err := json.Unmarshal(r.body, &prof); err != nil || !strings.HasPrefix(prof.AvatarURL, "/api/v1/avatars/") {
				t.Fatalf("profile %s: %v", r.body, err)
			}
			e.call("GET", "/api/v1/agents/me/profile", e.admin, nil, 200, &prof)
			if prof.AvatarURL == "" {
				t.Fatal("profile has no avatar_url")
			}
			var list struct {
				Items []struct {
					ID        int64  `json:"id"`
					AvatarURL string `json:"avatar_url"`
				} `json:"items"`
			}
			e.call("GET", "/api/v1/agents", e.admin, nil, 200, &list)
			if len(list.Items) == 0 || list.Items[0].AvatarURL != prof.AvatarURL {
				t.Fatalf("agent list %+v, want %s", list.Items, prof.AvatarURL)
			}

			// Served to anyone (the widget shows it on customers' sites).
			img := e.raw("GET", prof.AvatarURL, "", "", nil)
			if img.status != 200 || img.header.Get("Content-Type") != "image/png" || img.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("avatar: %d %v", img.status, img.header)
			}
			cfg, format, err := image.DecodeConfig(bytes.NewReader(img.body))
			if err != nil || format != "png" || cfg.Width != 128 || cfg.Height != 128 || bytes.Contains(img.body, []byte("<script>")) {
				t.Fatalf("served avatar %s %dx%d %v", format, cfg.Width, cfg.Height, err)
			}

			for _, tc := range []struct {
				name, ctype string
				body        []byte
				status      int
				code        string
			}{
				{"svg", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), 415, "avatar_type"},
				{"html named png", "image/png", []byte("<!doctype html><script>alert(1)</script>"), 415, "avatar_type"},
				{"too large", "image/jpeg", make([]byte, 2<<20+10), 413, "avatar_too_large"},
				{"truncated", "image/jpeg", jpegBytes(t, 64, 64)[:200], 422, "avatar_invalid"},
			} {
				r := e.raw("PUT", "/api/v1/agents/me/avatar", e.admin, tc.ctype, tc.body)
				var ae apiError
				_ = json.Unmarshal(r.body, &ae)
				if r.status != tc.status || ae.Error.Code != tc.code {
					t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.body, tc.status, tc.code)
				}
			}
			// Only current avatars are served: no other blob by its name.
			if r := e.raw("GET", "/api/v1/avatars/"+strings.Repeat("ab", 32), "", "", nil); r.status != 404 {
				t.Fatalf("unknown avatar: %d", r.status)
			}
			if r := e.raw("GET", "/api/v1/avatars/..%2f..%2fetc", "", "", nil); r.status != 404 {
				t.Fatalf("bad avatar name: %d", r.status)
			}

			old := prof.AvatarURL
			e.call("DELETE", "/api/v1/agents/me/avatar", e.admin, nil, 200, &prof)
			if prof.AvatarURL != "" {
				t.Fatalf("after delete: %q", prof.AvatarURL)
			}
			if r := e.raw("GET", old, "", "", nil); r.status != 404 {
				t.Fatalf("removed avatar still served: %d", r.status)
			}
		})
	}
}
