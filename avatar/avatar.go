// Package avatar turns an uploaded picture into an agent's avatar: a small
// square PNG that Hanbox encoded itself.
//
// Uploads are never served as they came. Normalize decodes the image with
// the standard library's PNG, JPEG and GIF decoders (after checking the
// declared dimensions, so a small file cannot claim a huge canvas), crops
// it to the centre square, scales it down and encodes a fresh PNG. Whatever
// else the file carried (metadata, a second format hidden after the image
// data, script in a polyglot) does not survive, and the served bytes are
// always image/png.
package avatar

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif"  // decoder
	_ "image/jpeg" // decoder
	"image/png"
)

const (
	// MaxBytes bounds an upload.
	MaxBytes = 2 << 20
	// MaxSide bounds the declared width and height of an upload.
	MaxSide = 4096
	// Size is the side of the stored square, in pixels.
	Size = 128
)

// Path is the URL path an avatar blob is served at (GET, no session; the
// REST API's /avatars/{sum}), "" for no avatar.
func Path(sum string) string {
	if sum == "" {
		return ""
	}
	return "/api/v1/avatars/" + sum
}

// Errors of Normalize, for the HTTP edge to tell apart.
var (
	ErrTooLarge = errors.New("avatar: file too large")
	ErrType     = errors.New("avatar: not a PNG, JPEG or GIF image")
	ErrInvalid  = errors.New("avatar: image cannot be read")
)

// Normalize returns the stored form of an uploaded picture: a Size×Size
// PNG (smaller pictures keep their side), or one of the errors above.
func Normalize(data []byte) ([]byte, error) {
	if len(data) > MaxBytes {
		return nil, ErrTooLarge
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, ErrType
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if format != "png" && format != "jpeg" && format != "gif" {
		return nil, ErrType
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxSide || cfg.Height > MaxSide {
		return nil, fmt.Errorf("%w: %dx%d pixels", ErrInvalid, cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	out := square(img)
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		return nil, fmt.Errorf("avatar: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// square crops img to its centre square and scales it to at most Size
// pixels a side, averaging the source pixels each target pixel covers.
func square(img image.Image) *image.NRGBA {
	b := img.Bounds()
	side := min(b.Dx(), b.Dy())
	x0, y0 := b.Min.X+(b.Dx()-side)/2, b.Min.Y+(b.Dy()-side)/2
	n := min(side, Size)
	out := image.NewNRGBA(image.Rect(0, 0, n, n))
	for ty := range n {
		sy0, sy1 := y0+ty*side/n, y0+(ty+1)*side/n
		for tx := range n {
			sx0, sx1 := x0+tx*side/n, x0+(tx+1)*side/n
			var r, g, bl, a, count uint64
			for sy := sy0; sy < max(sy1, sy0+1); sy++ {
				for sx := sx0; sx < max(sx1, sx0+1); sx++ {
					c := color.NRGBA64Model.Convert(img.At(sx, sy)).(color.NRGBA64)
					r, g, bl, a = r+uint64(c.R), g+uint64(c.G), bl+uint64(c.B), a+uint64(c.A)
					count++
				}
			}
			out.SetNRGBA(tx, ty, color.NRGBA{R: uint8(r / count >> 8), G: uint8(g / count >> 8), B: uint8(bl / count >> 8), A: uint8(a / count >> 8)})
		}
	}
	return out
}
