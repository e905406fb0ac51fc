package api

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hanbox/hanbox/report"
)

// Reports (issue 16): one JSON endpoint and one CSV export per report, for
// admins (reports count every team's tickets, restricted ones too).

// reportRoutes are the report endpoints, two per report.
func (a *API) reportRoutes() []route {
	var out []route
	for _, name := range report.Names {
		out = append(out,
			route{"GET", "/reports/" + name, authAdmin, reportSummaries[name] + reportParams, "", "Report", a.getReport(name)},
			route{"GET", "/reports/" + name + ".csv", authAdmin, "The " + name + " report as CSV (UTF-8 with BOM; same parameters)", "", "File", a.exportReport(name)})
	}
	return out
}

const reportParams = ". Parameters: from, to (YYYY-MM-DD, both included; default the last 30 days), period=day|week|month, by=channel|team|agent|tag|priority, tz (IANA, default Asia/Seoul), lang=ko|en (group names); previous is the same number of days just before"

var reportSummaries = map[string]string{
	report.Volume:      "Conversations created, resolved and reopened per period",
	report.Times:       "First response time and resolution time (seconds, wall time): count, median and p90 per period, by the time of the response or resolution",
	report.Messages:    "Messages in (from customers) and out (to customers) per period; by=channel counts the message's own channel",
	report.CSAT:        "CSAT answers, positive answers (4-5 of 5) and score (positive / answers x 100) per period of the answer",
	report.Backlog:     "Unresolved conversations (not resolved or closed) at the end of each period",
	report.SelfService: "Help-center visits that ended self-served (the visitor said an article answered), conversations the answer bot took, and those it handed to a person, per period; self-served visits have no ticket, so by=team|agent|tag|priority counts them in the group without a value",
	report.Heatmap:     "Conversations created by weekday (Monday first) x hour in the time zone: cells[weekday][hour]",
}

func (a *API) reportQuery(r *http.Request, name string) (report.Query, error) {
	q, err := report.ParseQuery(name, r.URL.Query(), time.Now())
	if errors.Is(err, report.ErrBadQuery) {
		return q, errf(http.StatusBadRequest, "bad_query", "%s", err.Error())
	}
	return q, err
}

func (a *API) getReport(name string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) (int, any, error) {
		q, err := a.reportQuery(r, name)
		if err != nil {
			return 0, nil, err
		}
		res, err := a.Reports.Run(r.Context(), q)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, res, nil
	}
}

func (a *API) exportReport(name string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) (int, any, error) {
		q, err := a.reportQuery(r, name)
		if err != nil {
			return 0, nil, err
		}
		res, err := a.Reports.Run(r.Context(), q)
		if err != nil {
			return 0, nil, err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s-%s.csv"`, name, res.From, res.To))
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("\ufeff")) // so spreadsheet programs (Korean Excel) read UTF-8
		cw := csv.NewWriter(w)
		writeReportCSV(cw, res)
		cw.Flush()
		return 0, nil, nil
	}
}

// writeReportCSV writes one row per group and period, then each group's
// total and previous-range rows; the heatmap is a weekday × hour grid.
func writeReportCSV(cw *csv.Writer, res *report.Result) {
	if res.Cells != nil {
		head := []string{"weekday"}
		for h := range 24 {
			head = append(head, fmt.Sprintf("%02d", h))
		}
		_ = cw.Write(head)
		for d, row := range res.Cells {
			line := []string{[]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}[d]}
			for _, n := range row {
				line = append(line, strconv.FormatInt(n, 10))
			}
			_ = cw.Write(line)
		}
		return
	}
	_ = cw.Write(append([]string{"period", "group_key", "group"}, res.Columns...))
	line := func(period string, g report.Group, vals []report.Value) {
		row := []string{period, csvSafe(g.Key), csvSafe(g.Label)}
		for _, v := range vals {
			s := ""
			if v.OK {
				s = strconv.FormatFloat(v.N, 'f', -1, 64)
			}
			row = append(row, s)
		}
		_ = cw.Write(row)
	}
	for _, g := range res.Groups {
		for i, p := range g.Points {
			line(res.Buckets[i], g, p)
		}
		line("total "+res.From+".."+res.To, g, g.Total)
		line("previous "+res.PreviousFrom+".."+res.PreviousTo, g, g.Previous)
	}
}

// reportSchemas document the report endpoints.
func reportSchemas() map[string]any {
	str := map[string]any{"type": "string"}
	strs := map[string]any{"type": "array", "items": str}
	vals := map[string]any{"type": "array", "items": map[string]any{"type": []any{"number", "null"}},
		"description": "one value per column; null when there is nothing to measure (a median of no responses)"}
	return map[string]any{
		"Report": map[string]any{"type": "object", "properties": map[string]any{
			"report": str, "from": str, "to": str, "previous_from": str, "previous_to": str,
			"period":    map[string]any{"type": "string", "enum": []any{"day", "week", "month"}},
			"by":        map[string]any{"type": "string", "enum": []any{"", "channel", "team", "agent", "tag", "priority"}},
			"time_zone": str, "columns": strs,
			"buckets": map[string]any{"type": "array", "items": str, "description": "each period's first local date (the first one clipped to from)"},
			"groups": map[string]any{"type": "array", "items": map[string]any{"type": "object", "properties": map[string]any{
				"key": str, "label": str, "points": map[string]any{"type": "array", "items": vals, "description": "one per bucket"},
				"total": vals, "previous": vals}}},
			"cells": map[string]any{"type": "array", "description": "heatmap only: 7 rows (Monday first) of 24 hourly counts",
				"items": map[string]any{"type": "array", "items": map[string]any{"type": "integer"}}},
		}},
	}
}
