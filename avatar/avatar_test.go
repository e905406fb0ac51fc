package avatar

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

func encoded(t *testing.T, format string, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{R: uint8(x), G: uint8(y), B: 200, A: 255})
		}
	}
	var b bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&b, img)
	case "jpeg":
		err = jpeg.Encode(&b, img, nil)
	case "gif":
		err = gif.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format string
		w, h   int
		side   int
	}{
		{"wide png", "png", 400, 200, Size},
		{"tall jpeg", "jpeg", 150, 300, Size},
		{"small gif", "gif", 40, 60, 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := encoded(t, tc.format, tc.w, tc.h)
			// Bytes after the image (a polyglot's payload) do not survive.
			data = append(data, []byte("<script>alert(1)</script>")...)
			out, err := Normalize(data)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(out, []byte("<script>")) {
				t.Fatal("trailing bytes kept")
			}
			cfg, format, err := image.DecodeConfig(bytes.NewReader(out))
			if err != nil || format != "png" || cfg.Width != tc.side || cfg.Height != tc.side {
				t.Fatalf("output %s %dx%d %v, want png %d square", format, cfg.Width, cfg.Height, err, tc.side)
			}
		})
	}
}

func TestNormalizeRefuses(t *testing.T) {
	big := image.NewGray(image.Rect(0, 0, MaxSide+1, 1))
	var bomb bytes.Buffer
	if err := png.Encode(&bomb, big); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), ErrType},
		{"html", []byte("<!doctype html><script>alert(1)</script>"), ErrType},
		{"too large", make([]byte, MaxBytes+1), ErrTooLarge},
		{"too many pixels", bomb.Bytes(), ErrInvalid},
		{"truncated png", encoded(t, "png", 50, 50)[:60], ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Normalize(tc.data); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
