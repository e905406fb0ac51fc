package inbox_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// waitLong polls cond until it holds; the deadline only bounds a hang.
func waitLong(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// routingFixture is a team with auto-assignment on the api channel ch and
// the given agents (all online unless listed in offline), each with cap.
type routingFixture struct {
	svc    *inbox.Service
	st     *store.Store
	ch     store.Channel
	team   *store.Team
	agents []store.Agent
}

func newRouting(t *testing.T, st *store.Store, n, cap int, offline ...int) *routingFixture {
	t.Helper()
	ctx := context.Background()
	svc, ch := newService(t, st)
	f := &routingFixture{svc: svc, st: st, ch: ch}
	var ids []int64
	for i := range n {
		a := store.Agent{Email: fmt.Sprintf("agent%d@example.com", i), Name: fmt.Sprintf("상담원%d", i), Role: store.RoleAgent, Active: true}
		if err := st.DB.Create(&a).Error; err != nil {
			t.Fatal(err)
		}
		if a.ChatCap != inbox.DefaultChatCap || a.Availability != inbox.AvailabilityOffline {
			t.Fatalf("new agent: cap %d, availability %q", a.ChatCap, a.Availability)
		}
		if _, err := svc.SetChatCap(ctx, a.ID, cap); err != nil {
			t.Fatal(err)
		}
		off := false
		for _, o := range offline {
			off = off || o == i
		}
		if !off {
			if _, err := svc.SetAvailability(ctx, a.ID, inbox.AvailabilityOnline); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, a.ID)
		f.agents = append(f.agents, a)
	}
	on := true
	ko, en := "결제팀", "Billing"
	team, err := svc.CreateTeam(ctx, 0, inbox.TeamInput{NameKo: &ko, NameEn: &en, AutoAssign: &on, ChannelIDs: &[]int64{ch.ID}, MemberIDs: &ids})
	if err != nil {
		t.Fatal(err)
	}
	f.team = team
	return f
}

// arrive ingests a new conversation of its own customer on svc.
func (f *routingFixture) arrive(t *testing.T, svc *inbox.Service, key string) int64 {
	t.Helper()
	in := msg(f.ch, "m-"+key, "t-"+key, "결제 문의 "+key)
	in.Contact.ID = "c-" + key
	r, err := svc.Ingest(context.Background(), in)
	if err != nil {
		t.Fatalf("ingest %s: %v", key, err)
	}
	return r.TicketID
}

func (f *routingFixture) ticket(t *testing.T, id int64) store.Ticket {
	t.Helper()
	var tk store.Ticket
	if err := f.st.DB.Take(&tk, id).Error; err != nil {
		t.Fatal(err)
	}
	return tk
}

func (f *routingFixture) assignee(t *testing.T, id int64) int64 {
	t.Helper()
	tk := f.ticket(t, id)
	if tk.AssigneeID == nil {
		return 0
	}
	return *tk.AssigneeID
}

// loads counts open and pending tickets per assignee.
func loads(t *testing.T, st *store.Store) map[int64]int64 {
	t.Helper()
	var rows []struct {
		AssigneeID int64
		N          int64
	}
	if err := st.DB.Model(&store.Ticket{}).Select("assignee_id, COUNT(*) AS n").
		Where("assignee_id IS NOT NULL AND status IN ?", []string{store.StatusOpen, store.StatusPending}).Group("assignee_id").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[int64]int64{}
	for _, r := range rows {
		out[r.AssigneeID] = r.N
	}
	return out
}

func resolve(t *testing.T, svc *inbox.Service, id int64) {
	t.Helper()
	st := store.StatusResolved
	if _, err := svc.UpdateTicket(context.Background(), id, 0, inbox.TicketPatch{Status: &st}); err != nil {
		t.Fatal(err)
	}
}

func drain(t *testing.T, svc *inbox.Service, team int64) int {
	t.Helper()
	n, err := svc.DrainTeam(context.Background(), team)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAutoAssignFairUnderCap: new tickets of the team go to the online
// member with the fewest open tickets (ties: least recently assigned),
// never above the cap and never to an offline member; the rest wait, and
// the oldest waiting ticket is the next one assigned when capacity frees.
func TestAutoAssignFairUnderCap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newRouting(t, st, 4, 2, 3) // agent 3 is offline
		var tickets []int64
		for i := range 8 {
			id := f.arrive(t, f.svc, fmt.Sprint(i))
			if tk := f.ticket(t, id); tk.TeamID == nil || *tk.TeamID != f.team.ID {
				t.Fatalf("ticket %d filed to team %v, want the channel's default %d", i, tk.TeamID, f.team.ID)
			}
			drain(t, f.svc, f.team.ID)
			tickets = append(tickets, id)
		}
		a0, a1, a2, a3 := f.agents[0].ID, f.agents[1].ID, f.agents[2].ID, f.agents[3].ID
		// Round robin while all have room: equal loads, least recent first.
		want := []int64{a0, a1, a2, a0, a1, a2, 0, 0}
		for i, id := range tickets {
			if got := f.assignee(t, id); got != want[i] {
				t.Fatalf("ticket %d assigned to %d, want %d", i, got, want[i])
			}
		}
		if l := loads(t, st); l[a3] != 0 || l[a0] != 2 || l[a1] != 2 || l[a2] != 2 {
			t.Fatalf("loads = %v", l)
		}
		q, err := st.TeamQueue(context.Background(), f.team.ID, 10)
		if err != nil || fmt.Sprint(q) != fmt.Sprint(tickets[6:]) {
			t.Fatalf("queue = %v, %v; want %v", q, err, tickets[6:])
		}
		// Resolving frees one slot: the oldest waiting ticket takes it.
		resolve(t, f.svc, tickets[1])
		if n := drain(t, f.svc, f.team.ID); n != 1 || f.assignee(t, tickets[6]) != a1 || f.assignee(t, tickets[7]) != 0 {
			t.Fatalf("after resolve: %d assigned; #6 → %d, #7 → %d", n, f.assignee(t, tickets[6]), f.assignee(t, tickets[7]))
		}
		// An agent coming online takes the next one.
		if _, err := f.svc.SetAvailability(context.Background(), a3, inbox.AvailabilityOnline); err != nil {
			t.Fatal(err)
		}
		if n := drain(t, f.svc, f.team.ID); n != 1 || f.assignee(t, tickets[7]) != a3 {
			t.Fatalf("after online: %d assigned; #7 → %d", n, f.assignee(t, tickets[7]))
		}
		// Away agents get nothing new; a team cap overrides members' caps.
		for _, a := range []int64{a0, a1, a2} {
			if _, err := f.svc.SetAvailability(context.Background(), a, inbox.AvailabilityAway); err != nil {
				t.Fatal(err)
			}
		}
		one := 1
		if _, err := f.svc.UpdateTeam(context.Background(), 0, f.team.ID, inbox.TeamInput{ChatCap: &one}); err != nil {
			t.Fatal(err)
		}
		late := f.arrive(t, f.svc, "late")
		if n := drain(t, f.svc, f.team.ID); n != 0 || f.assignee(t, late) != 0 {
			t.Fatalf("over the team cap of 1: %d assigned, late → %d", n, f.assignee(t, late))
		}
	})
}

// TestQueueDrainsThroughConsumer: with the routing consumer running (the
// durable event path), arrivals are assigned and the queue drains, oldest
// first, when capacity frees: a resolution, a reassignment, a snooze, an
// agent coming online, a raised cap.
func TestQueueDrainsThroughConsumer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f := newRouting(t, st, 3, 1, 2) // agents 0 and 1 online with cap 1; 2 offline
		if err := f.svc.AddConsumer(ctx, f.svc.Routing()); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { defer close(done); f.svc.RunConsumers(ctx, fastConsume("a")) }()
		defer func() { cancel(); <-done }()

		var tickets []int64
		for i := range 7 {
			tickets = append(tickets, f.arrive(t, f.svc, fmt.Sprint(i)))
		}
		a0, a1, a2 := f.agents[0].ID, f.agents[1].ID, f.agents[2].ID
		waitLong(t, "the first two assigned", func() bool { return f.assignee(t, tickets[0]) != 0 && f.assignee(t, tickets[1]) != 0 })
		for _, id := range tickets[2:] {
			if f.assignee(t, id) != 0 {
				t.Fatalf("ticket %d assigned over the cap", id)
			}
		}
		owner0 := f.assignee(t, tickets[0])
		resolve(t, f.svc, tickets[0])
		waitLong(t, "#2 after a resolution", func() bool { return f.assignee(t, tickets[2]) == owner0 })
		// Snoozing frees capacity too.
		snoozed, until := store.StatusSnoozed, time.Now().Add(time.Hour)
		if _, err := f.svc.UpdateTicket(ctx, tickets[1], 0, inbox.TicketPatch{Status: &snoozed, SnoozedUntil: &until}); err != nil {
			t.Fatal(err)
		}
		owner1 := f.assignee(t, tickets[1])
		waitLong(t, "#3 after a snooze", func() bool { return f.assignee(t, tickets[3]) == owner1 })
		// An agent coming online takes the oldest waiting ticket.
		if _, err := f.svc.SetAvailability(ctx, a2, inbox.AvailabilityOnline); err != nil {
			t.Fatal(err)
		}
		waitLong(t, "#4 after an agent came online", func() bool { return f.assignee(t, tickets[4]) == a2 })
		// A raised cap.
		if _, err := f.svc.SetChatCap(ctx, a0, 2); err != nil {
			t.Fatal(err)
		}
		waitLong(t, "#5 after a raised cap", func() bool { return f.assignee(t, tickets[5]) == a0 })
		// Unassigning puts a ticket back (it is the oldest now, so it is
		// assigned again before #6 once someone has room).
		zero := int64(0)
		if _, err := f.svc.UpdateTicket(ctx, tickets[3], 0, inbox.TicketPatch{AssigneeID: &zero}); err != nil {
			t.Fatal(err)
		}
		waitLong(t, "#3 assigned again", func() bool { return f.assignee(t, tickets[3]) != 0 })
		if f.assignee(t, tickets[6]) != 0 {
			t.Fatal("#6 was assigned before the older #3")
		}
		// Going offline is not assigned anything new.
		for _, a := range []int64{a0, a1, a2} {
			if _, err := f.svc.SetAvailability(ctx, a, inbox.AvailabilityOffline); err != nil {
				t.Fatal(err)
			}
		}
		resolve(t, f.svc, tickets[5])
		late := f.arrive(t, f.svc, "late")
		// The consumer has seen both (its cursor passed them) and assigned nothing.
		waitLong(t, "the consumer to pass the last events", func() bool {
			var c store.EventConsumer
			st.DB.Where("name = ?", inbox.RoutingConsumer).Take(&c)
			ids := storedEventIDs(t, st)
			return len(ids) > 0 && c.CursorID >= ids[len(ids)-1]
		})
		if f.assignee(t, tickets[6]) != 0 || f.assignee(t, late) != 0 {
			t.Fatal("a ticket was assigned to an offline agent")
		}
		for id, n := range loads(t, st) {
			var a store.Agent
			st.DB.Take(&a, id)
			if n > int64(a.ChatCap) {
				t.Fatalf("agent %d holds %d over cap %d", id, n, a.ChatCap)
			}
		}
	})
}

// TestAssignmentCapAcrossInstances: concurrent arrivals on two instances
// of one database (200 on PostgreSQL) for two teams sharing their members,
// each draining at once, never push an agent over the cap and never assign
// a ticket twice; nor do concurrent resolutions with drains.
func TestAssignmentCapAcrossInstances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		const agents, capacity = 4, 3
		// 200 concurrent arrivals on PostgreSQL (the race); SQLite
		// serializes writers anyway, so 40 show the same there.
		perInstance := 20
		if st.Dialect == store.Postgres {
			perInstance = 100
		}
		f := newRouting(t, st, agents, capacity)
		b := inbox.New(reopen(t, st), inbox.Options{})
		ctx := context.Background()
		// A second team with the same members on its own channel: its
		// assigners race the first team's for the same agents.
		ch2 := store.Channel{Kind: "api", Name: "second", PublicKey: inbox.NewPublicID(), Enabled: true}
		if err := st.DB.Create(&ch2).Error; err != nil {
			t.Fatal(err)
		}
		var members []int64
		for _, a := range f.agents {
			members = append(members, a.ID)
		}
		on, name := true, "Support"
		team2, err := f.svc.CreateTeam(ctx, 0, inbox.TeamInput{NameKo: &name, AutoAssign: &on, ChannelIDs: &[]int64{ch2.ID}, MemberIDs: &members})
		if err != nil {
			t.Fatal(err)
		}
		teams := []int64{f.team.ID, team2.ID}
		chans := []store.Channel{f.ch, ch2}
		var wg sync.WaitGroup
		errs := make(chan error, 4*perInstance)
		var mu sync.Mutex
		var tickets []int64
		for i, svc := range []*inbox.Service{f.svc, b} {
			for k := range perInstance {
				wg.Add(1)
				go func() {
					defer wg.Done()
					in := msg(chans[k%2], fmt.Sprintf("m-%d-%d", i, k), fmt.Sprintf("t-%d-%d", i, k), "동시 도착")
					in.Contact.ID = fmt.Sprintf("c-%d-%d", i, k)
					r, err := svc.Ingest(ctx, in)
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					tickets = append(tickets, r.TicketID)
					mu.Unlock()
					if _, err := svc.DrainTeam(ctx, teams[k%2]); err != nil {
						errs <- err
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		check := func(when string) int64 {
			var total int64
			for id, n := range loads(t, st) {
				if n > capacity {
					t.Fatalf("%s: agent %d holds %d, over the cap of %d", when, id, n, capacity)
				}
				total += n
			}
			var twice []int64
			if err := st.DB.Model(&store.Message{}).Select("ticket_id").Where("direction = ? AND text LIKE ?", store.DirSystem, "%assigned by auto%").
				Group("ticket_id").Having("COUNT(*) > 1").Pluck("ticket_id", &twice).Error; err != nil {
				t.Fatal(err)
			}
			if len(twice) > 0 {
				t.Fatalf("%s: tickets assigned twice: %v", when, twice)
			}
			return total
		}
		if n := check("arrivals"); n != agents*capacity {
			t.Fatalf("%d assigned after the arrivals, want every slot (%d) filled", n, agents*capacity)
		}
		// Resolve every assigned ticket from both instances while both drain.
		var assigned []int64
		st.DB.Model(&store.Ticket{}).Where("assignee_id IS NOT NULL").Pluck("id", &assigned)
		errs = make(chan error, 2*len(assigned))
		for i, id := range assigned {
			svc := []*inbox.Service{f.svc, b}[i%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				st := store.StatusResolved
				if _, err := svc.UpdateTicket(ctx, id, 0, inbox.TicketPatch{Status: &st}); err != nil {
					errs <- err
					return
				}
				if _, err := svc.DrainTeam(ctx, teams[i%2]); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if n := check("resolutions"); n != agents*capacity {
			t.Fatalf("%d open assigned after the resolutions, want %d", n, agents*capacity)
		}
		q1, err1 := st.TeamQueue(ctx, f.team.ID, 1000)
		q2, err2 := st.TeamQueue(ctx, team2.ID, 1000)
		if err1 != nil || err2 != nil || len(q1)+len(q2) != 2*perInstance-2*agents*capacity {
			t.Fatalf("queues = %d + %d tickets, %v %v; want %d", len(q1), len(q2), err1, err2, 2*perInstance-2*agents*capacity)
		}
	})
}

// TestAssignmentFairnessRandomResolutions: 1,000 arrivals over 5 online
// agents with cap 3 and resolutions of random open tickets in between
// (seeded). After every step: no agent over the cap; no ticket waits
// while an agent has room; the tickets assigned are always the oldest
// waiting ones; and while nobody is full (the first 15 arrivals) the
// assignments are even.
func TestAssignmentFairnessRandomResolutions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		const arrivals, agents, capacity = 1000, 5, 3
		n := arrivals
		if testing.Short() {
			n = 200
		}
		f := newRouting(t, st, agents, capacity)
		rng := rand.New(rand.NewPCG(12, 1024))
		var waiting []int64 // arrival order
		perAgent := map[int64]int{}
		open := map[int64][]int64{} // agent → open tickets
		for i := range n {
			id := f.arrive(t, f.svc, fmt.Sprint(i))
			waiting = append(waiting, id)
			// Resolve a random open ticket about as often as tickets arrive.
			if i >= 15 && rng.IntN(100) < 90 {
				a := f.agents[rng.IntN(agents)].ID
				if l := open[a]; len(l) > 0 {
					k := rng.IntN(len(l))
					resolve(t, f.svc, l[k])
					open[a] = append(l[:k], l[k+1:]...)
				}
			}
			got := drain(t, f.svc, f.team.ID)
			// The oldest waiting tickets were taken, in order.
			for _, tk := range waiting[:got] {
				a := f.assignee(t, tk)
				if a == 0 {
					t.Fatalf("step %d: ticket %d skipped while a newer one was assigned", i, tk)
				}
				perAgent[a]++
				open[a] = append(open[a], tk)
			}
			for _, tk := range waiting[got:] {
				if f.assignee(t, tk) != 0 {
					t.Fatalf("step %d: ticket %d assigned ahead of older ones", i, tk)
				}
			}
			waiting = waiting[got:]
			full := 0
			for _, ag := range f.agents {
				if l := len(open[ag.ID]); l > capacity {
					t.Fatalf("step %d: agent %d holds %d, over the cap", i, ag.ID, l)
				} else if l == capacity {
					full++
				}
			}
			if len(waiting) > 0 && full < agents {
				t.Fatalf("step %d: %d tickets wait while an agent has room", i, len(waiting))
			}
			if i == agents*capacity-1 {
				for _, ag := range f.agents {
					if perAgent[ag.ID] != capacity {
						t.Fatalf("before anyone was full: %v, want %d each", perAgent, capacity)
					}
				}
			}
		}
		if l := loads(t, st); len(l) != agents {
			t.Fatalf("loads = %v", l)
		}
		total := 0
		for _, c := range perAgent {
			total += c
		}
		t.Logf("%d arrivals: %d assigned %v, %d waiting", n, total, perAgent, len(waiting))
	})
}

// TestQueueDrainOldestFirst: fill every cap, queue 10, resolve 3 → the 3
// oldest waiting tickets are assigned, in arrival order, by the durable
// routing consumer.
func TestQueueDrainOldestFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f := newRouting(t, st, 5, 3)
		if err := f.svc.AddConsumer(ctx, f.svc.Routing()); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { defer close(done); f.svc.RunConsumers(ctx, fastConsume("a")) }()
		defer func() { cancel(); <-done }()
		var full, queued []int64
		for i := range 15 {
			full = append(full, f.arrive(t, f.svc, fmt.Sprint("f", i)))
		}
		waitLong(t, "every cap filled", func() bool {
			for _, id := range full {
				if f.assignee(t, id) == 0 {
					return false
				}
			}
			return true
		})
		for i := range 10 {
			queued = append(queued, f.arrive(t, f.svc, fmt.Sprint("q", i)))
		}
		for _, id := range full[:3] {
			resolve(t, f.svc, id)
		}
		waitLong(t, "three assigned", func() bool {
			return f.assignee(t, queued[0]) != 0 && f.assignee(t, queued[1]) != 0 && f.assignee(t, queued[2]) != 0
		})
		for _, id := range queued[3:] {
			if f.assignee(t, id) != 0 {
				t.Fatalf("ticket %d (not among the 3 oldest) was assigned", id)
			}
		}
		// In order: the system lines of the three assignments follow arrival order.
		var order []int64
		if err := st.DB.Model(&store.Message{}).Where("ticket_id IN ? AND direction = ?", queued[:3], store.DirSystem).
			Order("id").Pluck("ticket_id", &order).Error; err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(order) != fmt.Sprint(queued[:3]) {
			t.Fatalf("assigned in order %v, want %v", order, queued[:3])
		}
	})
}

// TestReopenOverCapGoesBackToQueue: a ticket reopened while its assignee is
// full goes back to the team queue (not onto them), is the next one
// assigned when someone has room, and says so in its timeline; under the
// cap it stays with its assignee. Through the routing consumer.
func TestReopenOverCapGoesBackToQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f := newRouting(t, st, 2, 1) // two online agents, cap 1
		if err := f.svc.AddConsumer(ctx, f.svc.Routing()); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { defer close(done); f.svc.RunConsumers(ctx, fastConsume("a")) }()
		defer func() { cancel(); <-done }()
		a0, a1 := f.agents[0].ID, f.agents[1].ID

		t0 := f.arrive(t, f.svc, "0")
		waitLong(t, "#0 assigned", func() bool { return f.assignee(t, t0) == a0 })
		t1 := f.arrive(t, f.svc, "1")
		waitLong(t, "#1 assigned", func() bool { return f.assignee(t, t1) == a1 })
		resolve(t, f.svc, t0)
		t2 := f.arrive(t, f.svc, "2")
		waitLong(t, "#2 to the agent freed by the resolution", func() bool { return f.assignee(t, t2) == a0 })

		// The customer writes again on #0: it reopens while a0 is full.
		in := msg(f.ch, "m-0-again", "t-0", "아직 해결이 안 됐어요")
		in.Contact.ID = "c-0"
		if _, err := f.svc.Ingest(ctx, in); err != nil {
			t.Fatal(err)
		}
		waitLong(t, "#0 back in the queue", func() bool { return f.assignee(t, t0) == 0 })
		if tk := f.ticket(t, t0); tk.Status != store.StatusOpen {
			t.Fatalf("#0 status %s", tk.Status)
		}
		var sys []store.Message
		if err := st.DB.Where("ticket_id = ? AND direction = ?", t0, store.DirSystem).Order("id").Find(&sys).Error; err != nil {
			t.Fatal(err)
		}
		last := inbox.ChangesFromMeta(sys[len(sys)-1].Meta)
		if last == nil || last.AssignedBy != inbox.AssignedOverCap || last.Assignee == nil || last.Assignee.Old == nil || last.Assignee.Old.ID != a0 {
			t.Fatalf("timeline line %+v", sys[len(sys)-1])
		}
		for id, n := range loads(t, st) {
			if n > 1 {
				t.Fatalf("agent %d holds %d over cap 1", id, n)
			}
		}
		// A newer arrival waits behind it; a resolution gives the room to #0.
		t3 := f.arrive(t, f.svc, "3")
		resolve(t, f.svc, t1)
		waitLong(t, "#0 assigned again, before #3", func() bool { return f.assignee(t, t0) == a1 })
		if f.assignee(t, t3) != 0 {
			t.Fatal("#3 was assigned before the older #0")
		}

		// Under the cap a reopened ticket keeps its assignee.
		resolve(t, f.svc, t2)
		waitLong(t, "#3 to a0", func() bool { return f.assignee(t, t3) == a0 })
		resolve(t, f.svc, t3)
		open := store.StatusOpen
		if _, err := f.svc.UpdateTicket(ctx, t3, 0, inbox.TicketPatch{Status: &open}); err != nil {
			t.Fatal(err)
		}
		if ok, err := f.svc.RequeueOverCap(ctx, t3); err != nil || ok {
			t.Fatalf("requeue under the cap: %v %v", ok, err)
		}
		if f.assignee(t, t3) != a0 {
			t.Fatal("a reopened ticket under the cap lost its assignee")
		}
	})
}
