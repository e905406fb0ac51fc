package api_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/report"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestSelfServiceReportAPI: self-served help visits and the bot's
// conversations and handoffs, as stored, come back per channel in JSON and
// in the CSV export with Korean headers.
func TestSelfServiceReportAPI(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			e.apiChannel()
			t1 := e.ingest(map[string]any{"external_id": "m1", "contact": map[string]any{"external_id": "c1"}, "text": "배송 문의"})
			t2 := e.ingest(map[string]any{"external_id": "m2", "contact": map[string]any{"external_id": "c2"}, "text": "환불 문의"})
			now := time.Now().UTC().Truncate(time.Second)
			for i, pub := range []string{t1, t2} {
				var tk store.Ticket
				if err := e.srv.Store.DB.Where("public_id = ?", pub).Take(&tk).Error; err != nil {
					t.Fatal(err)
				}
				status := []string{store.BotHandedOff, store.BotActive}[i]
				if err := e.srv.Store.DB.Create(&store.BotState{TicketID: tk.ID, FlowID: 1, Status: status, Answers: store.JSONMap{}, CreatedAt: now, UpdatedAt: now}).Error; err != nil {
					t.Fatal(err)
				}
			}
			for _, k := range []string{"v1", "v2", "v3"} {
				if err := e.srv.Store.DB.Create(&store.KBSelfServed{ChannelID: e.chanID, VisitKey: k, ArticleID: 1, CreatedAt: now}).Error; err != nil {
					t.Fatal(err)
				}
			}
			// Bot conversations are counted through the per-ticket report
			// facts, which the durable report.status consumer writes on its
			// own: wait until it has handled both tickets.
			for deadline := time.Now().Add(60 * time.Second); !consumedAll(e, "report.status", "ticket.created"); {
				if time.Now().After(deadline) {
					t.Fatal("the report.status consumer never handled the new tickets")
				}
				time.Sleep(20 * time.Millisecond) // safety net
			}
			var rep report.Result
			e.call("GET", "/api/v1/reports/self_service", e.admin, nil, 200, &rep)
			if strings.Join(rep.Columns, ",") != "self_served,bot_conversations,bot_handoffs" || len(rep.Groups) != 1 {
				t.Fatalf("report %+v", rep)
			}
			if tot := rep.Groups[0].Total; tot[0].N != 3 || tot[1].N != 2 || tot[2].N != 1 {
				t.Fatalf("totals %+v, want 3 self-served, 2 bot conversations, 1 handoff", tot)
			}
			r := e.raw("GET", "/api/v1/reports/self_service.csv?lang=ko", e.admin, "", nil)
			if r.status != 200 || !bytes.HasPrefix(r.body, []byte("\ufeff")) || !bytes.Contains(r.body, []byte("bot_handoffs")) {
				t.Fatalf("csv %d %s", r.status, r.body)
			}
		})
	}
}
