package inbox_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// campaignCrashContacts is how many contacts the kill test mails
// (HANBOX_CAMPAIGN_CRASH_N overrides it, e.g. 10000).
func campaignCrashContacts() int {
	if n, err := strconv.Atoi(os.Getenv("HANBOX_CAMPAIGN_CRASH_N")); err == nil && n > 0 {
		return n
	}
	return 1500
}

// addCampaignContacts inserts n contacts with an address and a message
// counter at 100, in batches (the planner's audience).
func addCampaignContacts(t testing.TB, st *store.Store, n int, at time.Time) {
	t.Helper()
	cs := make([]store.Contact, n)
	for i := range cs {
		cs[i] = store.Contact{Name: fmt.Sprintf("고객%d", i), Email: fmt.Sprintf("c%d@bulk.test", i), Locale: "ko", CreatedAt: at, UpdatedAt: at}
	}
	if err := st.DB.CreateInBatches(cs, 500).Error; err != nil {
		t.Fatal(err)
	}
	hundred := 100.0
	as := make([]store.ContactAttribute, n)
	for i := range as {
		as[i] = store.ContactAttribute{ContactID: cs[i].ID, Key: store.AttrMessages, Type: store.AttrNumber, Num: &hundred}
	}
	if err := st.DB.CreateInBatches(as, 500).Error; err != nil {
		t.Fatal(err)
	}
}

func bulkCampaign() inbox.CampaignInput {
	return inbox.CampaignInput{Name: "100번째 메시지", Enabled: true, Channel: store.CampaignEmail, TriggerKind: store.TriggerMilestone,
		Trigger: store.TriggerConfig{Attribute: store.AttrMessages, Reach: 100}, SubjectKo: "감사합니다", BodyKo: "{{contact.name}}님, 100번째 메시지예요!",
		QuietStart: "00:00", QuietEnd: "00:00"}
}

// drainJobs runs due jobs until none is left.
func drainJobs(t testing.TB, ctx context.Context, sched *jobs.Scheduler) {
	t.Helper()
	for {
		n, err := sched.RunDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// TestCampaignKilledDuringSend plans a milestone campaign over many
// contacts, runs the sends in a child process and kills it (SIGKILL) while
// a send's transaction is open and others are claimed; after the leases
// end a new scheduler finishes, and every contact has exactly one message
// and one queued mail.
func TestCampaignKilledDuringSend(t *testing.T) {
	if os.Getenv("HANBOX_CAMPAIGN_CHILD") != "" {
		campaignCrashChild(t)
		return
	}
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			cfg := store.Config{DataDir: t.TempDir()}
			if d == store.Postgres {
				cfg.DatabaseURL = storetest.PostgresDSN(t)
			}
			st, err := store.Open(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			at := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)
			e := newCampEnv(t, st, at)
			contacts := campaignCrashContacts()
			addCampaignContacts(t, st, contacts, at)
			cp, err := e.camp.Create(e.ctx, bulkCampaign())
			if err != nil {
				t.Fatal(err)
			}
			ps, err := e.camp.Plan(e.ctx, cp, at, 0)
			if err != nil || ps.Contacts != contacts {
				t.Fatalf("plan: %+v %v", ps, err)
			}
			killAt := contacts / 3
			cmd := exec.Command(os.Args[0], "-test.run=^TestCampaignKilledDuringSend$")
			cmd.Env = append(os.Environ(), "HANBOX_CAMPAIGN_CHILD=1", "HANBOX_CAMPAIGN_DIR="+cfg.DataDir, "HANBOX_CAMPAIGN_DSN="+cfg.DatabaseURL,
				"HANBOX_CAMPAIGN_AT="+at.Format(time.RFC3339Nano), "HANBOX_CAMPAIGN_KILL="+strconv.Itoa(killAt))
			out, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(out)
			sent, mid := 0, false
			for !mid && sc.Scan() {
				switch {
				case strings.HasPrefix(sc.Text(), "SENT"):
					sent++
				case sc.Text() == "MID":
					mid = true
				}
			}
			if !mid {
				cmd.Wait()
				t.Fatalf("the child never reached send %d", killAt)
			}
			if err := cmd.Process.Kill(); err != nil { // SIGKILL mid-transaction
				t.Fatal(err)
			}
			cmd.Wait()
			before := e.count(&store.CampaignSend{}, "campaign_id = ?", cp.ID)
			if before < int64(sent) || before >= int64(contacts) {
				t.Fatalf("%d sends committed before the kill (%d reported)", before, sent)
			}
			// The restart, after the dead process's leases ended.
			e.set(at.Add(2 * time.Minute))
			drainJobs(t, e.ctx, e.sched)
			var dup int64
			st.DB.Raw("SELECT COUNT(*) FROM (SELECT contact_id FROM campaign_sends WHERE campaign_id = ? GROUP BY contact_id HAVING COUNT(*) > 1) d", cp.ID).Scan(&dup)
			if n := e.count(&store.CampaignSend{}, "campaign_id = ?", cp.ID); n != int64(contacts) || dup != 0 {
				t.Fatalf("%d sends (%d contacts twice), want %d", n, dup, contacts)
			}
			if n := e.count(&store.Outbox{}, "purpose = ?", store.PurposeCampaign); n != int64(contacts) {
				t.Fatalf("%d campaign outbox rows, want %d", n, contacts)
			}
			if n := e.count(&store.Job{}, "kind = ? AND status <> ?", inbox.JobCampaignSend, store.JobDone); n != 0 {
				t.Fatalf("%d send jobs not done", n)
			}
			t.Logf("%d contacts: killed after %d sends (%d committed); the restart sent the other %d", contacts, sent, before, int64(contacts)-before)
		})
	}
}

// campaignCrashChild runs the sends with four workers, reports each
// committed send, and at send HANBOX_CAMPAIGN_KILL stops inside its
// transaction.
func campaignCrashChild(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: os.Getenv("HANBOX_CAMPAIGN_DIR"), DatabaseURL: os.Getenv("HANBOX_CAMPAIGN_DSN")})
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.Parse(time.RFC3339Nano, os.Getenv("HANBOX_CAMPAIGN_AT"))
	if err != nil {
		t.Fatal(err)
	}
	killAt, _ := strconv.Atoi(os.Getenv("HANBOX_CAMPAIGN_KILL"))
	svc := inbox.New(st, inbox.Options{})
	sched := jobs.New(st, jobs.Options{Now: func() time.Time { return at }, Workers: 4})
	m, err := svc.EnableCampaigns(ctx, sched)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	sends := 0
	inbox.SetCampaignHook(m, func(stage string, contactID int64) {
		mu.Lock()
		if stage == "sent" {
			fmt.Printf("SENT %d\n", contactID)
			mu.Unlock()
			return
		}
		sends++
		k := sends
		mu.Unlock()
		if k == killAt {
			fmt.Println("MID")
			select {} // hold the transaction open until killed
		}
	})
	for {
		if _, err := sched.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
}
