package ui

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Charts are drawn here as SVG on the server: no script, no front-end
// build, text in the page's own font (Korean included), and they print
// like the rest of the page. Each chart is paired with a table of the same
// numbers on the page.

// chartSeries is one line or bar colour: a name and one value per x.
type chartSeries struct {
	Name   string
	Values []float64
	Valid  []bool
}

// palette is colour-blind friendly (Okabe–Ito) and distinct in grey print.
var palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"}

func color(i int) string { return palette[i%len(palette)] }

// niceMax rounds v up to 1, 2 or 5 × 10^n so the axis has round ticks.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func fmtNum(v float64) string {
	switch {
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) < 1:
		return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	}
	return fmt.Sprintf("%.1f", v)
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// lineChart draws series over x labels with a y axis from 0.
func lineChart(title string, xs []string, series []chartSeries) template.HTML {
	const w, h, left, right, top, bottom = 720.0, 240.0, 48.0, 12.0, 12.0, 36.0
	maxV := 0.0
	for _, s := range series {
		for i, v := range s.Values {
			if s.Valid[i] {
				maxV = math.Max(maxV, v)
			}
		}
	}
	maxV = niceMax(maxV)
	pw, ph := w-left-right, h-top-bottom
	x := func(i int) float64 {
		if len(xs) <= 1 {
			return left + pw/2
		}
		return left + pw*float64(i)/float64(len(xs)-1)
	}
	y := func(v float64) float64 { return top + ph - ph*v/maxV }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart chart-line" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s"><title>%s</title>`, w, h, esc(title), esc(title))
	for i := 0; i <= 4; i++ {
		v := maxV * float64(i) / 4
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/><text class="tick" x="%.1f" y="%.1f" text-anchor="end">%s</text>`,
			left, w-right, y(v), y(v), left-6, y(v)+4, fmtNum(v))
	}
	step := max(1, (len(xs)+9)/10)
	for i, l := range xs {
		if i%step == 0 || i == len(xs)-1 && len(xs) <= 10 {
			fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x(i), h-bottom+18, esc(l))
		}
	}
	for si, s := range series {
		var pts []string
		flush := func() {
			if len(pts) > 1 {
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, color(si), strings.Join(pts, " "))
			}
			pts = pts[:0]
		}
		for i, v := range s.Values {
			if !s.Valid[i] {
				flush()
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
		}
		flush()
		for i, v := range s.Values {
			if s.Valid[i] {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s" data-value="%s"><title>%s %s: %s</title></circle>`,
					x(i), y(v), color(si), fmtNum(v), esc(s.Name), esc(xs[i]), fmtNum(v))
			}
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// barChart draws, per label, this range's value and the previous range's
// beside it, horizontally (long Korean names fit on the left).
func barChart(title, nowName, prevName string, labels []string, now, prev []float64) template.HTML {
	const w, left, right, row, top = 720.0, 160.0, 56.0, 30.0, 8.0
	h := top + row*float64(len(labels)) + 28
	maxV := 0.0
	for i := range labels {
		maxV = math.Max(maxV, math.Max(now[i], prev[i]))
	}
	maxV = niceMax(maxV)
	pw := w - left - right
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart chart-bar" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s"><title>%s</title>`, w, h, esc(title), esc(title))
	for i, l := range labels {
		y0 := top + row*float64(i)
		name := []rune(l)
		if len(name) > 18 {
			l = string(name[:17]) + "…"
		}
		fmt.Fprintf(&b, `<text class="label" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, left-8, y0+row/2+4, esc(l))
		for j, v := range []float64{now[i], prev[i]} {
			cls, fill, name := "now", color(0), nowName
			if j == 1 {
				cls, fill, name = "prev", "#9AA4B1", prevName
			}
			bw := pw * v / maxV
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="11" fill="%s" data-value="%s"><title>%s %s: %s</title></rect>`,
				cls, left, y0+4+float64(j)*12, bw, fill, fmtNum(v), esc(labels[i]), esc(name), fmtNum(v))
			fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%.1f">%s</text>`, left+bw+4, y0+13+float64(j)*12, fmtNum(v))
		}
	}
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/><text class="tick" x="%.1f" y="%.1f">%s</text>`, left, h-14, color(0), left+14, h-5, esc(nowName))
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="#9AA4B1"/><text class="tick" x="%.1f" y="%.1f">%s</text>`, left+160, h-14, left+174, h-5, esc(prevName))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// heatmapChart draws cells[row][hour] as shaded squares.
func heatmapChart(title string, rows []string, cells [7][24]int64) template.HTML {
	const left, top, cw, ch = 40.0, 20.0, 27.0, 24.0
	w, h := left+24*cw+4, top+7*ch+4
	var maxV int64 = 1
	for _, r := range cells {
		for _, n := range r {
			maxV = max(maxV, n)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart chart-heat" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s"><title>%s</title>`, w, h, esc(title), esc(title))
	for hr := 0; hr < 24; hr += 3 {
		fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%.1f" text-anchor="middle">%02d</text>`, left+cw*float64(hr)+cw/2, top-6, hr)
	}
	for d, r := range cells {
		fmt.Fprintf(&b, `<text class="label" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, left-6, top+ch*float64(d)+ch/2+4, esc(rows[d]))
		for hr, n := range r {
			a := 0.06 + 0.94*float64(n)/float64(maxV)
			if n == 0 {
				a = 0.03
			}
			fmt.Fprintf(&b, `<rect class="cell" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#0072B2" fill-opacity="%.2f" data-value="%d"><title>%s %02d: %d</title></rect>`,
				left+cw*float64(hr)+1, top+ch*float64(d)+1, cw-2, ch-2, a, n, esc(rows[d]), hr, n)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
