package api_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/report"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestReportsAPI: two conversations on a channel with a Korean name, one
// answered and resolved; every report answers in JSON with those figures,
// the CSV export opens with a BOM and keeps the Korean, agents are refused,
// bad parameters are a 400 and the OpenAPI document lists every endpoint.
func TestReportsAPI(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			var res struct {
				Channel struct {
					ID int64 `json:"id"`
				} `json:"channel"`
				Token string `json:"token"`
			}
			e.call("POST", "/api/v1/channels", e.admin, map[string]any{"kind": "api", "name": "쇼핑몰"}, 201, &res)
			e.chanID, e.chanTok = res.Channel.ID, res.Token
			t1 := e.ingest(map[string]any{"external_id": "m1", "contact": map[string]any{"external_id": "c1"}, "text": "배송 문의"})
			e.ingest(map[string]any{"external_id": "m2", "contact": map[string]any{"external_id": "c2"}, "text": "환불 문의"})
			e.call("POST", "/api/v1/tickets/"+t1+"/replies", e.admin, map[string]any{"text": "답변드립니다"}, 201, nil)
			e.call("PATCH", "/api/v1/tickets/"+t1, e.admin, map[string]any{"status": "resolved"}, 200, nil)
			deadline := time.Now().Add(60 * time.Second)
			for {
				var n int64
				e.srv.Store.DB.Model(&store.StatusChange{}).Count(&n)
				if n == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the resolution was not recorded")
				}
				time.Sleep(20 * time.Millisecond) // safety net: the durable consumer runs on its own
			}
			ch := fmt.Sprint(e.chanID)
			var rep report.Result
			get := func(name, query string) *report.Group {
				t.Helper()
				rep = report.Result{}
				e.call("GET", "/api/v1/reports/"+name+"?by=channel&lang=ko&"+query, e.admin, nil, 200, &rep)
				for i := range rep.Groups {
					if rep.Groups[i].Key == ch {
						return &rep.Groups[i]
					}
				}
				t.Fatalf("%s: no group for channel %s: %+v", name, ch, rep)
				return nil
			}
			g := get(report.Volume, "")
			if g.Label != "쇼핑몰" || g.Total[0].N != 2 || g.Total[1].N != 1 || g.Total[2].N != 0 {
				t.Fatalf("volume: %+v", g)
			}
			if rep.TimeZone != "Asia/Seoul" || len(rep.Buckets) != report.DefaultDays || rep.Period != "day" {
				t.Fatalf("defaults: tz %s, %d buckets, period %s", rep.TimeZone, len(rep.Buckets), rep.Period)
			}
			if g := get(report.Times, "period=week"); g.Total[0].N != 1 || !g.Total[1].OK || g.Total[3].N != 1 {
				t.Fatalf("times: %+v", g)
			}
			// Messages come from the hourly rollup, whose hours the durable
			// report.messages consumer marks for a recount: wait until it has
			// seen the three messages (it runs on its own, slower under -race).
			for deadline := time.Now().Add(60 * time.Second); !consumedAll(e, "report.messages", "message.created"); {
				if time.Now().After(deadline) {
					t.Fatal("the report.messages consumer never handled the messages")
				}
				time.Sleep(20 * time.Millisecond) // safety net
			}
			if g := get(report.Messages, "period=month"); g.Total[0].N != 2 || g.Total[1].N != 1 {
				t.Fatalf("messages: %+v", g)
			}
			if g := get(report.Backlog, ""); g.Total[0].N != 1 {
				t.Fatalf("backlog: %+v", g)
			}
			e.call("GET", "/api/v1/reports/csat", e.admin, nil, 200, &rep)
			if len(rep.Groups) != 1 || rep.Groups[0].Total[2].OK {
				t.Fatalf("csat without answers: %+v", rep.Groups)
			}
			e.call("GET", "/api/v1/reports/heatmap?tz=UTC", e.admin, nil, 200, &rep)
			var sum int64
			for _, row := range rep.Cells {
				for _, n := range row {
					sum += n
				}
			}
			if sum != 2 || rep.TimeZone != "UTC" {
				t.Fatalf("heatmap: %d arrivals in %s", sum, rep.TimeZone)
			}

			// CSV: BOM, header, the Korean name intact.
			resp := e.raw("GET", "/api/v1/reports/volume.csv?by=channel", e.admin, "", nil)
			if resp.status != 200 || !bytes.HasPrefix(resp.body, []byte("\xef\xbb\xbf")) || !strings.HasPrefix(resp.header.Get("Content-Type"), "text/csv") {
				t.Fatalf("csv: %d %q %q", resp.status, resp.header.Get("Content-Type"), resp.body[:min(10, len(resp.body))])
			}
			rows, err := csv.NewReader(bytes.NewReader(resp.body[3:])).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(rows[0], ",") != "period,group_key,group,created,resolved,reopened" {
				t.Fatalf("csv header %q", rows[0])
			}
			total := rows[len(rows)-2]
			if !strings.HasPrefix(total[0], "total ") || total[2] != "쇼핑몰" || total[3] != "2" || total[4] != "1" {
				t.Fatalf("csv total row %q", total)
			}
			if resp := e.raw("GET", "/api/v1/reports/heatmap.csv", e.admin, "", nil); resp.status != 200 || !bytes.Contains(resp.body, []byte("weekday,00,01")) {
				t.Fatalf("heatmap csv: %d %s", resp.status, resp.body)
			}

			// Bad input and agents.
			for _, q := range []string{"period=year", "by=planet", "tz=Mars/Base", "from=2026-13-01", "from=2026-12-02&to=2026-12-01", "from=2020-01-01&to=2026-12-01"} {
				e.call("GET", "/api/v1/reports/volume?"+q, e.admin, nil, 400, nil)
			}
			if err := auth.CreateAgent(e.ctx, e.srv.Store, "kim@example.com", "Kim", store.RoleAgent, "long enough password"); err != nil {
				t.Fatal(err)
			}
			var login struct {
				Token string `json:"token"`
			}
			e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "kim@example.com", "password": "long enough password"}, 200, &login)
			e.call("GET", "/api/v1/reports/volume", login.Token, nil, 403, nil)

			var doc struct {
				Paths map[string]map[string]any `json:"paths"`
			}
			e.call("GET", "/api/v1/openapi.json", "", nil, 200, &doc)
			for _, name := range report.Names {
				for _, p := range []string{"/reports/" + name, "/reports/" + name + ".csv"} {
					if doc.Paths[p]["get"] == nil {
						t.Errorf("openapi lacks GET %s", p)
					}
				}
			}
		})
	}
}

// consumedAll reports whether the named durable consumer is past every
// stored event of type typ (its cursor is at or after each one's position).
func consumedAll(e *env, consumer, typ string) bool {
	var c store.EventConsumer
	if err := e.srv.Store.DB.Where("name = ?", consumer).Take(&c).Error; err != nil {
		return false
	}
	var evs []store.Event
	e.srv.Store.DB.Where("type = ?", typ).Find(&evs)
	for _, ev := range evs {
		if ev.XID > c.CursorXID || ev.XID == c.CursorXID && ev.ID > c.CursorID {
			return false
		}
	}
	return len(evs) > 0
}
