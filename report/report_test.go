package report_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/report"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

var seoul = mustLoc("Asia/Seoul")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// data is what was generated, kept for the brute-force recomputation.
type data struct {
	tickets []store.Ticket
	tags    []store.TicketTag
	msgs    []store.Message
	changes []store.StatusChange
	surveys []store.Survey
	bots    []store.BotState
	served  []store.KBSelfServed
}

// generate writes n random tickets around Seoul midnights (15:00 UTC) from
// 2026-11-02 to 2026-12-12, with messages, tags, status changes and
// answered CSAT surveys, through bulk inserts.
func generate(t testing.TB, st *store.Store, n int, seed uint64) *data {
	t.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(seed, 7))
	d := &data{}
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	span := 40 * 24 * time.Hour
	randTime := func() time.Time {
		if r.IntN(6) == 0 { // right at a Seoul day boundary
			day := start.Add(time.Duration(r.IntN(40)) * 24 * time.Hour).Add(15 * time.Hour)
			return day.Add(time.Duration(r.IntN(3)-1) * time.Microsecond)
		}
		return start.Add(time.Duration(r.Int64N(int64(span)))).Truncate(time.Microsecond)
	}
	err := st.Tx(ctx, func(tx *gorm.DB) error {
		chans := []store.Channel{{Kind: "email", Name: "메일", PublicKey: "pk1"}, {Kind: "widget", Name: "위젯", PublicKey: "pk2"}, {Kind: "slack", Name: "Slack", PublicKey: "pk3"}}
		agents := []store.Agent{{Email: "a@x", Name: "김상담", Role: store.RoleAgent}, {Email: "b@x", Name: "Bo", Role: store.RoleAgent}}
		teams := []store.Team{{NameKo: "결제", NameEn: "Billing"}, {NameKo: "기업", NameEn: "B2B"}}
		contact := store.Contact{Name: "고객"}
		for _, v := range []any{&chans, &agents, &teams, &contact} {
			if err := tx.Create(v).Error; err != nil {
				return err
			}
		}
		prios := []string{store.PriorityLow, store.PriorityNormal, store.PriorityHigh, store.PriorityUrgent}
		for i := range n {
			at := randTime()
			tk := store.Ticket{PublicID: fmt.Sprintf("p%d", i), ReplyToken: fmt.Sprintf("r%d", i), Status: store.StatusOpen,
				Priority: prios[r.IntN(4)], ContactID: contact.ID, ChannelID: chans[r.IntN(3)].ID, LastMessageAt: at, CreatedAt: at, UpdatedAt: at}
			tk.LastChannelID = tk.ChannelID
			if r.IntN(3) > 0 {
				tk.AssigneeID = &agents[r.IntN(2)].ID
			}
			if r.IntN(3) > 0 {
				tk.TeamID = &teams[r.IntN(2)].ID
			}
			if r.IntN(4) > 0 {
				fr := at.Add(time.Duration(r.Int64N(int64(30 * time.Hour)))).Truncate(time.Microsecond)
				tk.FirstResponseAt = &fr
			}
			if r.IntN(2) == 0 { // an SLA: due times, breached as the timers would mark them
				due := at.Add(time.Duration(r.Int64N(int64(24 * time.Hour)))).Truncate(time.Microsecond)
				tk.FirstResponseDueAt = &due
				tk.FirstResponseBreached = tk.FirstResponseAt != nil && tk.FirstResponseAt.After(due) || tk.FirstResponseAt == nil && r.IntN(2) == 0
				rdue := due.Add(time.Duration(r.Int64N(int64(72 * time.Hour)))).Truncate(time.Microsecond)
				tk.ResolutionDueAt = &rdue
				tk.ResolutionBreached = r.IntN(3) == 0
			}
			d.tickets = append(d.tickets, tk)
		}
		if err := tx.CreateInBatches(&d.tickets, 200).Error; err != nil {
			return err
		}
		ev := int64(0)
		for i := range d.tickets {
			tk := &d.tickets[i]
			for _, tag := range []string{"배송", "vip", "bug"} {
				if r.IntN(3) == 0 {
					d.tags = append(d.tags, store.TicketTag{TicketID: tk.ID, Tag: tag})
				}
			}
			at := tk.CreatedAt
			status := store.StatusOpen
			for range r.IntN(4) {
				at = at.Add(time.Duration(r.Int64N(int64(72 * time.Hour)))).Truncate(time.Microsecond)
				next := []string{store.StatusOpen, store.StatusPending, store.StatusResolved, store.StatusClosed, store.StatusSnoozed}[r.IntN(5)]
				if next == status {
					continue
				}
				ev++
				id := ev
				d.changes = append(d.changes, store.StatusChange{EventID: &id, TicketID: tk.ID, OldStatus: status, NewStatus: next, ChangedAt: at})
				status = next
				if store.Done(next) && r.IntN(2) == 0 {
					ans := at.Add(time.Duration(r.Int64N(int64(48 * time.Hour)))).Truncate(time.Microsecond)
					sc := 1 + r.IntN(5)
					d.surveys = append(d.surveys, store.Survey{PublicID: fmt.Sprintf("s%d", id), Kind: store.SurveyCSAT, TicketID: tk.ID, Round: id,
						ContactID: contact.ID, ChannelID: tk.ChannelID, AgentID: tk.AssigneeID, TeamID: tk.TeamID, Score: &sc, Answers: 1,
						RequestedAt: at, ExpiresAt: at.Add(7 * 24 * time.Hour), AnsweredAt: &ans})
					if r.IntN(2) == 0 {
						nps := r.IntN(11)
						d.surveys = append(d.surveys, store.Survey{PublicID: fmt.Sprintf("n%d", id), Kind: store.SurveyNPS, TicketID: tk.ID, Round: id,
							ContactID: contact.ID, ChannelID: tk.ChannelID, AgentID: tk.AssigneeID, TeamID: tk.TeamID, Score: &nps, Answers: 1,
							RequestedAt: at, ExpiresAt: at.Add(7 * 24 * time.Hour), AnsweredAt: &ans})
					}
				}
			}
			tk.Status = status
			for j := range r.IntN(6) {
				dir := []string{store.DirInbound, store.DirOutbound, store.DirNote}[r.IntN(3)]
				ext := fmt.Sprintf("m%d-%d", tk.ID, j)
				ch := tk.ChannelID
				if r.IntN(4) == 0 {
					ch = chans[r.IntN(3)].ID
				}
				d.msgs = append(d.msgs, store.Message{TicketID: tk.ID, Direction: dir, AuthorType: store.AuthorContact, ChannelID: ch,
					ExternalID: &ext, Meta: store.JSONMap{}, CreatedAt: randTime()})
			}
			if err := tx.Model(tk).Update("status", status).Error; err != nil {
				return err
			}
		}
		// The answer bot took a third of the conversations, and handed some
		// of them to a person later; help visits ended self-served.
		for i := range d.tickets {
			tk := &d.tickets[i]
			if r.IntN(3) != 0 {
				continue
			}
			st := store.BotState{TicketID: tk.ID, FlowID: 1, Status: []string{store.BotActive, store.BotAwaitEmail, store.BotHandedOff}[r.IntN(3)],
				Answers: store.JSONMap{}, CreatedAt: tk.CreatedAt}
			st.UpdatedAt = tk.CreatedAt.Add(time.Duration(r.Int64N(int64(6 * time.Hour)))).Truncate(time.Microsecond)
			d.bots = append(d.bots, st)
		}
		for i := range n / 2 {
			d.served = append(d.served, store.KBSelfServed{ChannelID: chans[r.IntN(3)].ID, VisitKey: fmt.Sprintf("v%d", i), ArticleID: 1, CreatedAt: randTime()})
		}
		for _, v := range []any{&d.tags, &d.changes, &d.msgs, &d.surveys, &d.bots, &d.served} {
			if err := tx.CreateInBatches(v, 200).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The rows were written around the inbox: count the message hours.
	if err := report.New(st).Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	return d
}

// expected is the brute-force report: per group key, the cells of each
// bucket (index 0 the previous range), computed from the generated rows
// with nothing but time.In and the definitions.
type expCell struct {
	n [4]float64
	d [2][]float64
}

func (d *data) brute(q report.Query) (map[string][]expCell, [7][24]int64) {
	loc := q.Loc
	from := time.Date(q.From.Year(), q.From.Month(), q.From.Day(), 0, 0, 0, 0, loc)
	to := time.Date(q.To.Year(), q.To.Month(), q.To.Day(), 0, 0, 0, 0, loc)
	ndays := 0
	for x := from; !x.After(to); x = x.AddDate(0, 0, 1) {
		ndays++
	}
	prev := from.AddDate(0, 0, -ndays)
	end := to.AddDate(0, 0, 1)
	// The bucket of a local date: its position among the distinct period
	// labels of the range's dates.
	label := func(day time.Time) string {
		switch q.Period {
		case report.Week:
			for day.Weekday() != time.Monday && day.After(from) {
				day = day.AddDate(0, 0, -1)
			}
		case report.Month:
			for day.Day() != 1 && day.After(from) {
				day = day.AddDate(0, 0, -1)
			}
		}
		return day.Format(time.DateOnly)
	}
	var labels []string
	for x := from; x.Before(end); x = x.AddDate(0, 0, 1) {
		if l := label(x); !slices.Contains(labels, l) {
			labels = append(labels, l)
		}
	}
	bucket := func(t time.Time) int {
		lt := t.In(loc)
		if lt.Before(prev) || !lt.Before(end) {
			return -1
		}
		if lt.Before(from) {
			return 0
		}
		day := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
		return 1 + slices.Index(labels, label(day))
	}
	byID := map[int64]*store.Ticket{}
	for i := range d.tickets {
		byID[d.tickets[i].ID] = &d.tickets[i]
	}
	tagsOf := map[int64][]string{}
	for _, tg := range d.tags {
		tagsOf[tg.TicketID] = append(tagsOf[tg.TicketID], tg.Tag)
	}
	ptr := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	keys := func(tk *store.Ticket) []string {
		switch q.By {
		case report.ByChannel:
			return []string{strconv.FormatInt(tk.ChannelID, 10)}
		case report.ByTeam:
			return []string{ptr(tk.TeamID)}
		case report.ByAgent:
			return []string{ptr(tk.AssigneeID)}
		case report.ByPriority:
			return []string{tk.Priority}
		case report.ByTag:
			return tagsOf[tk.ID]
		}
		return []string{""}
	}
	out := map[string][]expCell{}
	if q.By == report.ByNone {
		out[""] = make([]expCell, len(labels)+1)
	}
	cell := func(k string, b int) *expCell {
		if out[k] == nil {
			out[k] = make([]expCell, len(labels)+1)
		}
		return &out[k][b]
	}
	var heat [7][24]int64
	resolves := func(c store.StatusChange) bool { return store.Done(c.NewStatus) && !store.Done(c.OldStatus) }
	reopens := func(c store.StatusChange) bool { return store.Done(c.OldStatus) && !store.Done(c.NewStatus) }
	switch q.Report {
	case report.Volume, report.Backlog:
		for i := range d.tickets {
			tk := &d.tickets[i]
			for _, k := range keys(tk) {
				if b := bucket(tk.CreatedAt); b >= 0 {
					cell(k, b).n[0]++
				}
			}
		}
		for _, c := range d.changes {
			for _, k := range keys(byID[c.TicketID]) {
				if b := bucket(c.ChangedAt); b >= 0 && resolves(c) {
					cell(k, b).n[1]++
				} else if b >= 0 && reopens(c) {
					cell(k, b).n[2]++
				}
			}
		}
		if q.Report == report.Backlog {
			// Open at the end of bucket b: created before its end and not
			// done at its end, ticket by ticket.
			ends := make([]time.Time, len(labels)+1)
			ends[0] = from
			for x := from; x.Before(end); x = x.AddDate(0, 0, 1) {
				ends[bucket(x)] = x.AddDate(0, 0, 1)
			}
			for k := range out {
				if k != "" {
					delete(out, k)
					continue
				}
				clear(out[k])
			}
			for i := range d.tickets {
				tk := &d.tickets[i]
				for b, e := range ends {
					if !tk.CreatedAt.Before(e) {
						continue
					}
					status := store.StatusOpen
					for _, c := range d.changes {
						if c.TicketID == tk.ID && c.ChangedAt.Before(e) {
							status = c.NewStatus
						}
					}
					for _, k := range keys(tk) {
						if !store.Done(status) {
							cell(k, b).n[0]++
						}
					}
				}
			}
		}
	case report.Times:
		for i := range d.tickets {
			tk := &d.tickets[i]
			if tk.FirstResponseAt == nil {
				continue
			}
			for _, k := range keys(tk) {
				if b := bucket(*tk.FirstResponseAt); b >= 0 {
					c := cell(k, b)
					c.d[0] = append(c.d[0], tk.FirstResponseAt.Sub(tk.CreatedAt).Seconds())
				}
			}
		}
		for _, ch := range d.changes {
			tk := byID[ch.TicketID]
			for _, k := range keys(tk) {
				if b := bucket(ch.ChangedAt); b >= 0 && resolves(ch) {
					c := cell(k, b)
					c.d[1] = append(c.d[1], ch.ChangedAt.Sub(tk.CreatedAt).Seconds())
				}
			}
		}
	case report.Messages:
		for _, m := range d.msgs {
			col := slices.Index([]string{store.DirInbound, store.DirOutbound}, m.Direction)
			b := bucket(m.CreatedAt)
			if col < 0 || b < 0 {
				continue
			}
			ks := keys(byID[m.TicketID])
			if q.By == report.ByChannel {
				ks = []string{strconv.FormatInt(m.ChannelID, 10)}
			}
			for _, k := range ks {
				cell(k, b).n[col]++
			}
		}
	case report.SLA:
		for i := range d.tickets {
			tk := &d.tickets[i]
			if tk.FirstResponseDueAt == nil {
				continue
			}
			for _, k := range keys(tk) {
				if b := bucket(*tk.FirstResponseDueAt); b >= 0 {
					if tk.FirstResponseAt != nil && !tk.FirstResponseAt.After(*tk.FirstResponseDueAt) {
						cell(k, b).n[0]++
					}
					if tk.FirstResponseBreached {
						cell(k, b).n[1]++
					}
				}
				if b := bucket(*tk.ResolutionDueAt); b >= 0 {
					if store.Done(tk.Status) && !tk.ResolutionBreached {
						cell(k, b).n[2]++
					}
					if tk.ResolutionBreached {
						cell(k, b).n[3]++
					}
				}
			}
		}
	case report.CSAT, report.NPS:
		kind := map[string]string{report.CSAT: store.SurveyCSAT, report.NPS: store.SurveyNPS}[q.Report]
		for _, s := range d.surveys {
			b := bucket(*s.AnsweredAt)
			if b < 0 || s.Kind != kind {
				continue
			}
			ks := keys(byID[s.TicketID])
			switch q.By {
			case report.ByChannel:
				ks = []string{strconv.FormatInt(s.ChannelID, 10)}
			case report.ByTeam:
				ks = []string{ptr(s.TeamID)}
			case report.ByAgent:
				ks = []string{ptr(s.AgentID)}
			}
			for _, k := range ks {
				c := cell(k, b)
				c.n[0]++
				switch {
				case kind == store.SurveyCSAT && *s.Score >= 4, kind == store.SurveyNPS && *s.Score >= 9:
					c.n[1]++
				case kind == store.SurveyNPS && *s.Score <= 6:
					c.n[2]++
				}
			}
		}
	case report.SelfService:
		for _, v := range d.served {
			b := bucket(v.CreatedAt)
			if b < 0 {
				continue
			}
			k := ""
			if q.By == report.ByChannel {
				k = strconv.FormatInt(v.ChannelID, 10)
			}
			cell(k, b).n[0]++
		}
		for _, st := range d.bots {
			for _, k := range keys(byID[st.TicketID]) {
				if b := bucket(st.CreatedAt); b >= 0 {
					cell(k, b).n[1]++
				}
				if b := bucket(st.UpdatedAt); b >= 0 && st.Status == store.BotHandedOff {
					cell(k, b).n[2]++
				}
			}
		}
	case report.Heatmap:
		for _, tk := range d.tickets {
			lt := tk.CreatedAt.In(loc)
			if !lt.Before(from) && lt.Before(end) {
				heat[(int(lt.Weekday())+6)%7][lt.Hour()]++
			}
		}
		out = map[string][]expCell{}
	}
	return out, heat
}

// values turns an expected cell into the report's columns.
func values(name string, c expCell) []report.Value {
	v := func(n float64) report.Value { return report.Value{N: n, OK: true} }
	pct := func(d []float64, p float64) report.Value {
		if len(d) == 0 {
			return report.Value{}
		}
		s := slices.Clone(d)
		slices.Sort(s)
		return v(s[int(math.Ceil(p*float64(len(s))))-1])
	}
	switch name {
	case report.Volume:
		return []report.Value{v(c.n[0]), v(c.n[1]), v(c.n[2])}
	case report.Times:
		return []report.Value{v(float64(len(c.d[0]))), pct(c.d[0], .5), pct(c.d[0], .9), v(float64(len(c.d[1]))), pct(c.d[1], .5), pct(c.d[1], .9)}
	case report.Messages:
		return []report.Value{v(c.n[0]), v(c.n[1])}
	case report.CSAT:
		s := report.Value{}
		if c.n[0] > 0 {
			s = v(c.n[1] * 100 / c.n[0])
		}
		return []report.Value{v(c.n[0]), v(c.n[1]), s}
	case report.SLA:
		att := func(met, breached float64) report.Value {
			if met+breached == 0 {
				return report.Value{}
			}
			return v(met * 100 / (met + breached))
		}
		return []report.Value{v(c.n[0]), v(c.n[1]), att(c.n[0], c.n[1]), v(c.n[2]), v(c.n[3]), att(c.n[2], c.n[3])}
	case report.NPS:
		s := report.Value{}
		if c.n[0] > 0 {
			s = v((c.n[1] - c.n[2]) * 100 / c.n[0])
		}
		return []report.Value{v(c.n[0]), v(c.n[1]), v(c.n[2]), s}
	case report.SelfService:
		return []report.Value{v(c.n[0]), v(c.n[1]), v(c.n[2])}
	case report.Backlog:
		return []report.Value{v(c.n[0])}
	}
	return nil
}

func sum(cs []expCell) expCell {
	var s expCell
	for _, c := range cs {
		for i := range s.n {
			s.n[i] += c.n[i]
		}
		for i := range s.d {
			s.d[i] = append(s.d[i], c.d[i]...)
		}
	}
	return s
}

func sameValues(a, b []report.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].OK != b[i].OK || math.Abs(a[i].N-b[i].N) > 1e-6 {
			return false
		}
	}
	return true
}

// check compares a computed report with the brute force.
func check(t *testing.T, d *data, got *report.Result, q report.Query) {
	t.Helper()
	want, heat := d.brute(q)
	if q.Report == report.Heatmap {
		if *got.Cells != heat {
			t.Fatalf("heatmap: got %v, want %v", *got.Cells, heat)
		}
		return
	}
	if len(got.Groups) != len(want) {
		keys := []string{}
		for _, g := range got.Groups {
			keys = append(keys, g.Key)
		}
		t.Fatalf("groups: got %q, want %d", keys, len(want))
	}
	for _, g := range got.Groups {
		cs, ok := want[g.Key]
		if !ok {
			t.Fatalf("unexpected group %q", g.Key)
		}
		if len(g.Points) != len(cs)-1 {
			t.Fatalf("group %q: %d buckets, want %d", g.Key, len(g.Points), len(cs)-1)
		}
		for i, p := range g.Points {
			if w := values(q.Report, cs[i+1]); !sameValues(p, w) {
				t.Errorf("group %q bucket %s: got %v, want %v", g.Key, got.Buckets[i], p, w)
			}
		}
		if w := values(q.Report, cs[0]); !sameValues(g.Previous, w) {
			t.Errorf("group %q previous: got %v, want %v", g.Key, g.Previous, w)
		}
		wt := values(q.Report, sum(cs[1:]))
		if q.Report == report.Backlog {
			wt = values(q.Report, cs[len(cs)-1])
		}
		if !sameValues(g.Total, wt) {
			t.Errorf("group %q total: got %v, want %v", g.Key, g.Total, wt)
		}
	}
}

func TestReportsMatchBruteForce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		d := generate(t, st, 600, 1)
		svc := report.New(st)
		ctx := context.Background()
		ranges := []struct {
			name     string
			from, to time.Time
			loc      *time.Location
		}{
			// A DST-free Asia/Seoul week (Monday to Sunday) and a range across
			// a month end, and the same in UTC, whose days cut elsewhere.
			{"seoul-week", date(2026, 11, 23), date(2026, 11, 29), seoul},
			{"seoul-month-end", date(2026, 11, 18), date(2026, 12, 6), seoul},
			{"utc", date(2026, 11, 18), date(2026, 12, 6), time.UTC},
			// A half-hour zone: its days fold from 15-minute slots.
			{"kolkata", date(2026, 11, 18), date(2026, 12, 6), mustLoc("Asia/Kolkata")},
		}
		for _, rg := range ranges {
			for _, name := range report.Names {
				for _, period := range []string{report.Day, report.Week, report.Month} {
					for _, by := range report.Breakdowns {
						if name == report.Heatmap && (by != "" || period != report.Day) {
							continue
						}
						q := report.Query{Report: name, From: rg.from, To: rg.to, Period: period, By: by, Loc: rg.loc, Lang: "ko"}
						t.Run(fmt.Sprintf("%s/%s/%s/%s", rg.name, name, period, by), func(t *testing.T) {
							got, err := svc.Run(ctx, q)
							if err != nil {
								t.Fatal(err)
							}
							check(t, d, got, q)
							if name != report.Backlog {
								return
							}
							// Backlog counted from either side is the same.
							for _, past := range []bool{true, false} {
								s := report.New(st)
								report.SetBacklogSide(s, past)
								got, err := s.Run(ctx, q)
								if err != nil {
									t.Fatal(err)
								}
								check(t, d, got, q)
							}
						})
					}
				}
			}
		}
	})
}

// TestSeoulDayBoundary pins the boundary itself: 14:59:59.999999 UTC is the
// last instant of a Seoul day and 15:00 UTC the first of the next.
func TestSeoulDayBoundary(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		contact := store.Contact{Name: "고객"}
		if err := st.DB.Create(&contact).Error; err != nil {
			t.Fatal(err)
		}
		for i, at := range []time.Time{
			time.Date(2026, 11, 30, 14, 59, 59, 999999000, time.UTC),
			time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC),
			time.Date(2026, 11, 30, 15, 0, 0, 1000, time.UTC),
		} {
			tk := store.Ticket{PublicID: fmt.Sprint("b", i), ReplyToken: fmt.Sprint("r", i), Status: store.StatusOpen, Priority: store.PriorityNormal,
				ContactID: contact.ID, ChannelID: 1, LastChannelID: 1, LastMessageAt: at, CreatedAt: at}
			if err := st.DB.Create(&tk).Error; err != nil {
				t.Fatal(err)
			}
		}
		res, err := report.New(st).Run(ctx, report.Query{Report: report.Volume, From: date(2026, 11, 30), To: date(2026, 12, 1)})
		if err != nil {
			t.Fatal(err)
		}
		if got := [2]float64{res.Groups[0].Points[0][0].N, res.Groups[0].Points[1][0].N}; got != [2]float64{1, 2} {
			t.Fatalf("created on 11-30 and 12-01 (Seoul): got %v, want [1 2]", got)
		}
		if res.TimeZone != "Asia/Seoul" {
			t.Fatalf("default time zone %q", res.TimeZone)
		}
	})
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
