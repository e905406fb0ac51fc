package ui

import (
	"errors"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/report"
)

// reportZones are the time zones the form offers (any IANA name works in
// the URL and the API).
var reportZones = []string{"Asia/Seoul", "Asia/Tokyo", "UTC", "Europe/London", "America/New_York", "America/Los_Angeles"}

// lineColumns are the columns drawn as lines without a breakdown; with
// one, each group is a line of the report's first of them.
var lineColumns = map[string][]int{
	report.Volume:      {0, 1, 2},
	report.Times:       {1, 4},
	report.Messages:    {0, 1},
	report.CSAT:        {2},
	report.NPS:         {1, 2}, // promoters and detractors (the score, -100 to 100, is in the table)
	report.SLA:         {2, 5}, // attainment of both targets, in percent
	report.SelfService: {0, 1, 2},
	report.Backlog:     {0},
}

// maxLines bounds the groups drawn as lines or bars (the table has all).
const maxLines = 6

type reportSection struct {
	Name, Title, Note string
	Line, Bars        template.HTML
	// Series table (under the line chart): one row per period.
	Head []string
	Rows [][]string
	// Summary table (under the bars): one row per group.
	SumHead []string
	SumRows []summaryRow
	CSV     string
}

type summaryCell struct{ Now, Prev, Change string }

type summaryRow struct {
	Label string
	Cells []summaryCell
}

type reportsView struct {
	Form                 url.Values
	From, To, Period, By string
	TZ                   string
	Zones                []string
	Periods, Breakdowns  []string
	PreviousFrom, PrevTo string
	Error                string
	Sections             []reportSection
	HeatRows, HeatHours  []string
	HeatCells            [7][24]int64
	HeatChart            template.HTML
	HeatCSV, HeatTitle   string
	HeatNote             string
}

func (h *handler) showReports(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	pg := h.newPage(r, p, "reports", "reports.title")
	tr := pg.tr
	v := &reportsView{Zones: reportZones, Periods: []string{report.Day, report.Week, report.Month}, Breakdowns: report.Breakdowns}
	form := r.URL.Query()
	form.Set("lang", pg.Lang)
	q, err := report.ParseQuery(report.Volume, form, time.Now())
	if errors.Is(err, report.ErrBadQuery) {
		v.Error = tr.T("reports.badQuery")
		form = url.Values{"lang": {pg.Lang}}
		q, err = report.ParseQuery(report.Volume, form, time.Now())
	}
	if err != nil {
		h.fail(w, r, p, "report query", err)
		return
	}
	v.From, v.To, v.Period, v.By, v.TZ = q.From.Format(time.DateOnly), q.To.Format(time.DateOnly), q.Period, q.By, q.Loc.String()
	if !slices.Contains(v.Zones, v.TZ) {
		v.Zones = append([]string{v.TZ}, v.Zones...)
	}
	link := url.Values{"from": {v.From}, "to": {v.To}, "period": {v.Period}, "by": {v.By}, "tz": {v.TZ}, "lang": {pg.Lang}}
	for _, name := range report.Names {
		q.Report = name
		res, err := h.s.API.Reports.Run(r.Context(), q)
		if err != nil {
			h.fail(w, r, p, "report "+name, err)
			return
		}
		v.PreviousFrom, v.PrevTo = res.PreviousFrom, res.PreviousTo
		csv := "/api/v1/reports/" + name + ".csv?" + link.Encode()
		if name == report.Heatmap {
			v.HeatTitle, v.HeatCSV, v.HeatCells, v.HeatNote = tr.T("reports.heatmap"), csv, *res.Cells, tr.T("reports.heatmapNote")
			for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
				v.HeatRows = append(v.HeatRows, tr.T("reports.day."+d))
			}
			for hr := range 24 {
				v.HeatHours = append(v.HeatHours, time.Date(0, 1, 1, hr, 0, 0, 0, time.UTC).Format("15"))
			}
			v.HeatChart = heatmapChart(v.HeatTitle+" ("+v.TZ+")", v.HeatRows, v.HeatCells)
			continue
		}
		v.Sections = append(v.Sections, buildSection(tr, res, csv))
	}
	v.Form = form
	pg.Data = v
	h.render(w, r, "reports", pg)
}

// groupLabel names a group for people: priorities translated, no team or
// agent as "none".
func groupLabel(tr translator, by string, g report.Group) string {
	switch {
	case by == report.ByNone:
		return tr.T("reports.all")
	case g.Key == "":
		return tr.T("reports.none")
	case by == report.ByPriority:
		return tr.T("priority." + g.Key)
	}
	return g.Label
}

// shown is a value as the page shows it: times in hours, scores with one
// decimal, "–" for nothing to measure.
func shown(col string, v report.Value) (float64, string) {
	if !v.OK {
		return 0, "–"
	}
	n := v.N
	if isTime(col) {
		n = math.Round(n/360) / 10
	}
	return n, fmtNum(math.Round(n*10) / 10)
}

func isTime(col string) bool {
	return col == "first_response_median" || col == "first_response_p90" || col == "resolution_median" || col == "resolution_p90"
}

func colTitle(tr translator, col string) string {
	t := tr.T("reports.col." + col)
	if isTime(col) {
		t += " (" + tr.T("reports.hours") + ")"
	}
	return t
}

func change(now, prev report.Value) string {
	if !now.OK || !prev.OK || prev.N == 0 {
		return ""
	}
	d := (now.N - prev.N) / prev.N * 100
	if math.Abs(d) < 0.05 {
		return "0%"
	}
	s := fmtNum(math.Round(d*10)/10) + "%"
	if d > 0 {
		s = "+" + s
	}
	return s
}

func buildSection(tr translator, res *report.Result, csv string) reportSection {
	sec := reportSection{Name: res.Report, Title: tr.T("reports." + res.Report), Note: tr.T("reports." + res.Report + "Note"), CSV: csv}
	groups := res.Groups
	// Lines: the report's columns without a breakdown, else the biggest groups on the first.
	var series []chartSeries
	if res.By == report.ByNone {
		for _, c := range lineColumns[res.Report] {
			s := chartSeries{Name: colTitle(tr, res.Columns[c])}
			for _, p := range groups[0].Points {
				n, _ := shown(res.Columns[c], p[c])
				s.Values, s.Valid = append(s.Values, n), append(s.Valid, p[c].OK)
			}
			series = append(series, s)
		}
	} else {
		c := lineColumns[res.Report][0]
		for _, g := range groups[:min(len(groups), maxLines)] {
			s := chartSeries{Name: groupLabel(tr, res.By, g)}
			for _, p := range g.Points {
				n, _ := shown(res.Columns[c], p[c])
				s.Values, s.Valid = append(s.Values, n), append(s.Valid, p[c].OK)
			}
			series = append(series, s)
		}
	}
	xs := make([]string, len(res.Buckets))
	for i, b := range res.Buckets {
		xs[i] = b[5:] // MM-DD
	}
	sec.Line = lineChart(sec.Title, xs, series)
	sec.Head = []string{tr.T("reports.period")}
	for _, s := range series {
		sec.Head = append(sec.Head, s.Name)
	}
	for i, b := range res.Buckets {
		row := []string{b}
		for _, s := range series {
			if s.Valid[i] {
				row = append(row, fmtNum(s.Values[i]))
			} else {
				row = append(row, "–")
			}
		}
		sec.Rows = append(sec.Rows, row)
	}
	// Bars: this range against the previous one, per line column or group.
	var labels []string
	var now, prev []float64
	if res.By == report.ByNone {
		for _, c := range lineColumns[res.Report] {
			labels = append(labels, colTitle(tr, res.Columns[c]))
			n, _ := shown(res.Columns[c], groups[0].Total[c])
			pv, _ := shown(res.Columns[c], groups[0].Previous[c])
			now, prev = append(now, n), append(prev, pv)
		}
	} else {
		c := lineColumns[res.Report][0]
		for _, g := range groups[:min(len(groups), maxLines)] {
			labels = append(labels, groupLabel(tr, res.By, g))
			n, _ := shown(res.Columns[c], g.Total[c])
			pv, _ := shown(res.Columns[c], g.Previous[c])
			now, prev = append(now, n), append(prev, pv)
		}
	}
	if len(labels) > 0 {
		sec.Bars = barChart(sec.Title+" · "+tr.T("reports.comparison"), tr.T("reports.thisRange"), tr.T("reports.previousRange"), labels, now, prev)
	}
	sec.SumHead = []string{tr.T("reports.group")}
	for _, c := range res.Columns {
		sec.SumHead = append(sec.SumHead, colTitle(tr, c))
	}
	for _, g := range groups {
		row := summaryRow{Label: groupLabel(tr, res.By, g)}
		for i, c := range res.Columns {
			_, n := shown(c, g.Total[i])
			_, pv := shown(c, g.Previous[i])
			row.Cells = append(row.Cells, summaryCell{Now: n, Prev: pv, Change: change(g.Total[i], g.Previous[i])})
		}
		sec.SumRows = append(sec.SumRows, row)
	}
	return sec
}
