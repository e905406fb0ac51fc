package inbox_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestPresenceAway: on an injected clock, an online agent whose screens
// keep touching stays online; one never seen becomes away once the idle
// time has passed since they went online; the first becomes away once
// their screens stop; offline agents are left alone. The sweep runs from
// one durable job row that comes back by itself.
func TestPresenceAway(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, _ := newService(t, st)
		var ids []int64
		for i, name := range []string{"김화면", "이부재", "박퇴근"} {
			a := store.Agent{Email: string(rune('a'+i)) + "@example.com", Name: name, Role: store.RoleAgent, Active: true}
			if err := st.CreateAgent(ctx, &a); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, a.ID)
		}
		seen, unseen, off := ids[0], ids[1], ids[2]
		for _, id := range []int64{seen, unseen} {
			if _, err := svc.SetAvailability(ctx, id, inbox.AvailabilityOnline); err != nil {
				t.Fatal(err)
			}
		}
		t0 := time.Now()
		var clock time.Time
		sched := jobs.New(st, jobs.Options{Now: func() time.Time { return clock }})
		clock = t0
		if err := svc.EnablePresence(ctx, sched, inbox.PresenceOptions{Idle: 10 * time.Minute, Every: time.Minute, Now: func() time.Time { return clock }}); err != nil {
			t.Fatal(err)
		}
		avail := func(id int64) string {
			t.Helper()
			a, err := st.GetAgent(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return a.Availability
		}
		sweep := func(at time.Time) {
			t.Helper()
			clock = at
			if n, err := sched.RunDue(ctx); err != nil || n != 1 {
				t.Fatalf("sweep at +%s: ran %d, %v", at.Sub(t0), n, err)
			}
			j, err := sched.Get(ctx, inbox.JobPresenceSweep, "sweep")
			if err != nil || j.Status != store.JobPending || !j.DueAt.Equal(at.Add(time.Minute).UTC().Truncate(time.Microsecond)) {
				t.Fatalf("sweep job after a run: %+v %v", j, err)
			}
		}
		if err := svc.TouchPresence(ctx, seen, t0); err != nil {
			t.Fatal(err)
		}
		sweep(t0.Add(5 * time.Minute))
		if avail(seen) != "online" || avail(unseen) != "online" {
			t.Fatal("away before the idle time")
		}
		if err := svc.TouchPresence(ctx, seen, t0.Add(9*time.Minute)); err != nil {
			t.Fatal(err)
		}
		sweep(t0.Add(11 * time.Minute))
		if avail(seen) != "online" || avail(unseen) != "away" || avail(off) != "offline" {
			t.Fatalf("after 11 minutes: %s %s %s", avail(seen), avail(unseen), avail(off))
		}
		var evs []store.Event
		if err := st.DB.Where("type = ?", inbox.EventAgentUpdated).Order("id").Find(&evs).Error; err != nil {
			t.Fatal(err)
		}
		if last := evs[len(evs)-1].Payload; !strings.Contains(last, `"new":"away"`) {
			t.Fatalf("last agent event %s", last)
		}
		// Touches closer together than 30 s do not write.
		if err := svc.TouchPresence(ctx, seen, t0.Add(9*time.Minute+10*time.Second)); err != nil {
			t.Fatal(err)
		}
		if a, _ := st.GetAgent(ctx, seen); a.SeenAt == nil || !a.SeenAt.Equal(t0.Add(9*time.Minute).UTC().Truncate(time.Microsecond)) {
			t.Fatalf("seen at %v", a.SeenAt)
		}
		sweep(t0.Add(20 * time.Minute))
		if avail(seen) != "away" {
			t.Fatal("screens closed for 11 minutes, still online")
		}
	})
}
