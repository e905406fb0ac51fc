package report

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/store"
)

// SlotSeconds is the grain of the store's counts: every real time zone's
// midnight falls on a 15-minute boundary of UTC, so slots fold exactly into
// local days.
const SlotSeconds = 900

// Service computes reports from a store.
type Service struct {
	st *store.Store
	// factsReady is set once the report facts are known to be built;
	// buildMu makes the first build one at a time.
	factsReady atomic.Bool
	buildMu    sync.Mutex
	// side, if set, fixes which side backlog counts from (tests).
	side func(from time.Time) bool
}

// pastIsSmaller estimates whether fewer tickets lie before from than after
// it, by time: the backlog is counted from the cheaper side. Either side
// gives the same figures.
func (s *Service) pastIsSmaller(db *gorm.DB, from time.Time) (bool, error) {
	if s.side != nil {
		return s.side(from), nil
	}
	var first []time.Time
	if err := db.Model(&store.Ticket{}).Order("created_at").Limit(1).Pluck("created_at", &first).Error; err != nil {
		return false, fmt.Errorf("backlog: first ticket: %w", err)
	}
	if len(first) == 0 {
		return true, nil
	}
	return from.Sub(first[0]) < time.Since(from), nil
}

// New returns a Service over st.
func New(st *store.Store) *Service { return &Service{st: st} }

// cell gathers one group's figures in one bucket: counts and, for times,
// the durations in seconds.
type cell struct {
	n [4]float64
	d [2][]float64
}

// grid is every group's cells; bucket 0 is the previous range, buckets
// 1..n the range asked for.
type grid struct {
	starts []time.Time // len = buckets + 1
	grain  int64       // slot length in seconds
	cells  map[string][]cell
}

func (g *grid) at(key string, b int) *cell {
	cs, ok := g.cells[key]
	if !ok {
		cs = make([]cell, len(g.starts)-1)
		g.cells[key] = cs
	}
	return &cs[b]
}

// Run computes the report q names.
func (s *Service) Run(ctx context.Context, q Query) (*Result, error) {
	if err := q.Normalize(); err != nil {
		return nil, err
	}
	end := q.To.AddDate(0, 0, 1)
	days := int(math.Round(end.Sub(q.From).Hours() / 24))
	prevFrom := q.From.AddDate(0, 0, -days)
	starts := BucketStarts(q.From, end, q.Period)
	res := &Result{Report: q.Report, From: q.From.Format(time.DateOnly), To: q.To.Format(time.DateOnly),
		PreviousFrom: prevFrom.Format(time.DateOnly), PreviousTo: q.From.AddDate(0, 0, -1).Format(time.DateOnly),
		Period: q.Period, By: q.By, TimeZone: q.Loc.String(), Columns: Columns[q.Report], Groups: []Group{},
		Starts: starts[:len(starts)-1]}
	for _, t := range res.Starts {
		res.Buckets = append(res.Buckets, t.Format(time.DateOnly))
	}
	g := &grid{starts: append([]time.Time{prevFrom}, starts...), cells: map[string][]cell{}}
	g.grain = grainFor(g.starts)
	if q.By == ByNone {
		g.at("", 0)
	}
	if err := s.ensureFacts(ctx); err != nil {
		return nil, err
	}
	db := s.st.DB.WithContext(ctx)
	var err error
	switch q.Report {
	case Volume:
		err = s.volume(db, q.By, g)
	case Times:
		err = s.times(db, q.By, g)
	case Messages:
		switch {
		case (q.By == ByNone || q.By == ByChannel) && g.grain == 3600:
			err = s.messagesFromHours(ctx, db, q.By, g)
		case g.grain == 3600:
			err = s.messagesByTicket(db, q.By, g)
		default:
			err = s.messages(db, q.By, g)
		}
	case CSAT:
		err = s.surveys(db, q.By, g, store.SurveyCSAT, "s.score >= 4")
	case NPS:
		err = s.surveys(db, q.By, g, store.SurveyNPS, "s.score >= 9", "s.score <= 6")
	case SLA:
		err = s.sla(db, q.By, g)
	case SelfService:
		err = s.selfService(db, q.By, g)
	case Backlog:
		err = s.backlog(db, q.By, g)
	case Heatmap:
		var cells [7][24]int64
		cells, err = s.heatmap(db, g, q.From, end, q.Loc)
		res.Cells = &cells
		g.cells = map[string][]cell{}
	}
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", q.Report, err)
	}
	labels, err := s.labels(db, q.By, q.Lang)
	if err != nil {
		return nil, err
	}
	for key, cs := range g.cells {
		gr := Group{Key: key, Label: labels[key], Points: make([][]Value, 0, len(cs)-1)}
		if gr.Label == "" {
			gr.Label = key
		}
		for _, c := range cs[1:] {
			gr.Points = append(gr.Points, finish(q.Report, c))
		}
		gr.Previous = finish(q.Report, cs[0])
		if q.Report == Backlog {
			gr.Total = gr.Points[len(gr.Points)-1]
		} else {
			var sum cell
			for _, c := range cs[1:] {
				for i := range sum.n {
					sum.n[i] += c.n[i]
				}
				for i := range sum.d {
					sum.d[i] = append(sum.d[i], c.d[i]...)
				}
			}
			gr.Total = finish(q.Report, sum)
		}
		res.Groups = append(res.Groups, gr)
	}
	slices.SortFunc(res.Groups, func(a, b Group) int {
		if a.Total[0].N != b.Total[0].N {
			if a.Total[0].N > b.Total[0].N {
				return -1
			}
			return 1
		}
		if a.Key < b.Key {
			return -1
		}
		if a.Key > b.Key {
			return 1
		}
		return 0
	})
	return res, nil
}

// finish turns a cell into the report's column values.
func finish(report string, c cell) []Value {
	switch report {
	case Volume:
		return []Value{num(c.n[0]), num(c.n[1]), num(c.n[2])}
	case Times:
		out := make([]Value, 0, 6)
		for _, d := range c.d {
			slices.Sort(d)
			out = append(out, num(float64(len(d))), Percentile(d, 0.5), Percentile(d, 0.9))
		}
		return out
	case Messages:
		return []Value{num(c.n[0]), num(c.n[1])}
	case CSAT:
		return []Value{num(c.n[0]), num(c.n[1]), Score(int64(c.n[0]), int64(c.n[1]))}
	case NPS:
		return []Value{num(c.n[0]), num(c.n[1]), num(c.n[2]), NPSScore(int64(c.n[0]), int64(c.n[1]), int64(c.n[2]))}
	case SLA:
		return []Value{num(c.n[0]), num(c.n[1]), Score(int64(c.n[0]+c.n[1]), int64(c.n[0])),
			num(c.n[2]), num(c.n[3]), Score(int64(c.n[2]+c.n[3]), int64(c.n[2]))}
	case SelfService:
		return []Value{num(c.n[0]), num(c.n[1]), num(c.n[2])}
	case Backlog:
		return []Value{num(c.n[0])}
	}
	return nil
}

// slotExpr is the SQL for the slot of a timestamp column, as text: on
// SQLite the stored UTC text cut to the hour (plus the quarter of the hour
// for 15-minute slots), which is several times cheaper to group by than
// strftime; on PostgreSQL the slot's number since the epoch.
func (s *Service) slotExpr(col string, grain int64) string {
	if s.st.Dialect == store.Postgres {
		return fmt.Sprintf("CAST(FLOOR(EXTRACT(EPOCH FROM %s) / %d) AS BIGINT)", col, grain)
	}
	if grain == 3600 {
		return fmt.Sprintf("substr(%s, 1, 13)", col)
	}
	return fmt.Sprintf("substr(%s, 1, 13) || ':' || CAST(CAST(substr(%s, 15, 2) AS INTEGER) / 15 AS TEXT)", col, col)
}

// slotTime is the first instant of a slot as slotExpr gives it.
func (s *Service) slotTime(slot string, grain int64) (time.Time, error) {
	if s.st.Dialect == store.Postgres {
		n, err := strconv.ParseInt(slot, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("slot %q: %w", slot, err)
		}
		return time.Unix(n*grain, 0), nil
	}
	hour, quarter, _ := strings.Cut(slot, ":")
	t, err := time.Parse("2006-01-02 15", hour)
	if err != nil {
		return time.Time{}, fmt.Errorf("slot %q: %w", slot, err)
	}
	if quarter != "" {
		q, err := strconv.Atoi(quarter)
		if err != nil {
			return time.Time{}, fmt.Errorf("slot %q: %w", slot, err)
		}
		t = t.Add(time.Duration(q) * 15 * time.Minute)
	}
	return t, nil
}

// grainFor is the coarsest slot that folds exactly into the buckets: an
// hour when every bucket edge is on a whole UTC hour (every zone with
// whole-hour offsets, Asia/Seoul among them), else 15 minutes.
func grainFor(edges []time.Time) int64 {
	for _, t := range edges {
		if t.Unix()%3600 != 0 {
			return SlotSeconds
		}
	}
	return 3600
}

// ticketDim is the key expression and join for a breakdown of rows of a
// table aliased a that carries the ticket's channel_id, team_id,
// assignee_id and priority and whose ticket id is a.idCol (tickets t and
// "id", or the facts tables and "ticket_id").
func ticketDim(by, a, idCol string) (key, join string) {
	switch by {
	case ByChannel:
		return "CAST(" + a + ".channel_id AS TEXT)", ""
	case ByTeam:
		return "COALESCE(CAST(" + a + ".team_id AS TEXT), '')", ""
	case ByAgent:
		return "COALESCE(CAST(" + a + ".assignee_id AS TEXT), '')", ""
	case ByPriority:
		return a + ".priority", ""
	case ByTag:
		return "g.tag", " JOIN ticket_tags g ON g.ticket_id = " + a + "." + idCol
	}
	return "''", ""
}

type slotRow struct {
	Slot string
	Key  string
	N    int64
}

// countSlots runs a grouped count and adds it to column col of g.
func (s *Service) countSlots(db *gorm.DB, g *grid, col int, sql string, args ...any) error {
	return s.scanSlots(db, g, false, 1, func(b int, key string, v []float64) { g.at(key, b).n[col] += v[0] }, sql, args...)
}

// countFacts is countSlots for a query of the facts, whose slots are
// numbers of g.grain slots since the epoch (qSlot).
func (s *Service) countFacts(db *gorm.DB, g *grid, col int, sql string, args ...any) error {
	return s.scanSlots(db, g, true, 1, func(b int, key string, v []float64) { g.at(key, b).n[col] += v[0] }, sql, args...)
}

// qSlot is the slot expression for a quarter-hour column of the facts.
func qSlot(col string, grain int64) string {
	if grain == SlotSeconds {
		return col
	}
	return fmt.Sprintf("%s / %d", col, grain/SlotSeconds)
}

// qSpan is g's span in quarter hours.
func (g *grid) qSpan() (int64, int64) {
	from, to := g.span()
	return quarter(from), quarter(to)
}

// scanSlots runs a query of (slot, key, nvals values) rows and hands each
// row in a bucket to add. Rows are read without reflection and each distinct slot
// is placed once: a report reads tens of thousands of rows. numbered says
// the slots are numbers of g.grain slots since the epoch (the facts).
func (s *Service) scanSlots(db *gorm.DB, g *grid, numbered bool, nvals int, add func(b int, key string, v []float64), sql string, args ...any) error {
	rows, err := db.Raw(sql, args...).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	buckets := map[string]int{}
	var slot, key string
	v := make([]float64, nvals)
	dest := []any{&slot, &key}
	for i := range v {
		dest = append(dest, &v[i])
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		b, ok := buckets[slot]
		if !ok {
			var t time.Time
			if numbered {
				n, err := strconv.ParseInt(slot, 10, 64)
				if err != nil {
					return fmt.Errorf("slot %q: %w", slot, err)
				}
				t = time.Unix(n*g.grain, 0)
			} else if t, err = s.slotTime(slot, g.grain); err != nil {
				return err
			}
			b = bucketOf(g.starts, t)
			buckets[slot] = b
		}
		if b >= 0 {
			add(b, key, v)
		}
	}
	return rows.Err()
}

func (g *grid) span() (time.Time, time.Time) {
	return g.starts[0].UTC(), g.starts[len(g.starts)-1].UTC()
}

var doneStatuses = []string{store.StatusResolved, store.StatusClosed}

// volume counts arrivals (report_tickets by created_at) and resolutions and
// reopenings (report_status_facts by changed_at).
func (s *Service) volume(db *gorm.DB, by string, g *grid) error {
	key, join := ticketDim(by, "t", "ticket_id")
	from, to := g.qSpan()
	if err := s.countFacts(db, g, 0, fmt.Sprintf(`SELECT %s AS slot, %s AS key, COUNT(*) AS n FROM report_tickets t%s
		WHERE t.created_q >= ? AND t.created_q < ? GROUP BY 1, 2`, qSlot("t.created_q", g.grain), key, join), from, to); err != nil {
		return fmt.Errorf("created: %w", err)
	}
	key, join = ticketDim(by, "c", "ticket_id")
	for i, kind := range []string{kindResolve, kindReopen} {
		if err := s.countFacts(db, g, 1+i, fmt.Sprintf(`SELECT %s AS slot, %s AS key, COUNT(*) AS n FROM report_status_facts c%s
			WHERE c.changed_q >= ? AND c.changed_q < ? AND c.kind = ? GROUP BY 1, 2`, qSlot("c.changed_q", g.grain), key, join),
			from, to, kind); err != nil {
			return fmt.Errorf("status changes: %w", err)
		}
	}
	return nil
}

// times gathers the first-response delays (by the time of the response)
// and resolution delays (by the time of the resolution), both since the
// ticket was created, from the facts.
func (s *Service) times(db *gorm.DB, by string, g *grid) error {
	from, to := g.qSpan()
	for i, q := range []struct{ a, at, secs, from, cond string }{
		{"t", "t.first_response_q", "t.first_response_s", "report_tickets t", "1 = 1"},
		{"c", "c.changed_q", "c.open_s", "report_status_facts c", "c.kind = 'resolve'"},
	} {
		key, join := ticketDim(by, q.a, "ticket_id")
		err := s.scanSlots(db, g, true, 1, func(b int, key string, v []float64) {
			c := g.at(key, b)
			c.d[i] = append(c.d[i], v[0])
		}, fmt.Sprintf(`SELECT %s AS slot, %s AS key, %s AS secs FROM %s%s WHERE %s >= ? AND %s < ? AND %s`,
			qSlot(q.at, g.grain), key, q.secs, q.from, join, q.at, q.at, q.cond), from, to)
		if err != nil {
			return fmt.Errorf("times (column %d): %w", i, err)
		}
	}
	return nil
}

// messagesByTicket counts messages broken down by their ticket from the
// per-ticket hourly counts (report_ticket_message_hours) and the facts.
func (s *Service) messagesByTicket(db *gorm.DB, by string, g *grid) error {
	key, _ := ticketDim(by, "t", "ticket_id")
	join := " JOIN report_tickets t ON t.ticket_id = m.ticket_id"
	if by == ByTag {
		join = " JOIN ticket_tags g ON g.ticket_id = m.ticket_id"
	}
	from, to := g.span()
	err := s.scanSlots(db, g, true, 2, func(b int, key string, v []float64) {
		c := g.at(key, b)
		c.n[0] += v[0]
		c.n[1] += v[1]
	}, fmt.Sprintf(`SELECT m.hour AS slot, %s AS key, SUM(m.inbound) AS inbound, SUM(m.outbound) AS outbound
		FROM report_ticket_message_hours m%s WHERE m.hour >= ? AND m.hour < ? GROUP BY 1, 2`, key, join), from.Unix()/3600, to.Unix()/3600)
	if err != nil {
		return fmt.Errorf("messages by ticket: %w", err)
	}
	return nil
}

func (s *Service) messages(db *gorm.DB, by string, g *grid) error {
	key, join := ticketDim(by, "t", "ticket_id")
	switch by {
	case ByNone:
	case ByChannel:
		key, join = "CAST(m.channel_id AS TEXT)", ""
	case ByTag:
		join = " JOIN ticket_tags g ON g.ticket_id = m.ticket_id"
	default:
		join = " JOIN report_tickets t ON t.ticket_id = m.ticket_id"
	}
	from, to := g.span()
	for i, dir := range []string{store.DirInbound, store.DirOutbound} {
		if err := s.countSlots(db, g, i, fmt.Sprintf(`SELECT %s AS slot, %s AS key, COUNT(*) AS n FROM messages m%s
			WHERE m.created_at >= ? AND m.created_at < ? AND m.direction = ? GROUP BY 1, 2`, s.slotExpr("m.created_at", g.grain), key, join),
			from, to, dir); err != nil {
			return fmt.Errorf("messages: %w", err)
		}
	}
	return nil
}

// surveys counts answered surveys of kind by the time of the answer: all
// of them in column 0, then those meeting each of the conditions.
func (s *Service) surveys(db *gorm.DB, by string, g *grid, kind string, conds ...string) error {
	key, join := ticketDim(by, "t", "ticket_id")
	switch by {
	case ByChannel:
		key = "CAST(s.channel_id AS TEXT)"
	case ByTeam:
		key = "COALESCE(CAST(s.team_id AS TEXT), '')"
	case ByAgent:
		key = "COALESCE(CAST(s.agent_id AS TEXT), '')"
	case ByTag:
		join = " JOIN ticket_tags g ON g.ticket_id = s.ticket_id"
	case ByPriority:
		join = " JOIN report_tickets t ON t.ticket_id = s.ticket_id"
	}
	from, to := g.span()
	base := fmt.Sprintf(`SELECT %s AS slot, %s AS key, COUNT(*) AS n FROM surveys s%s
		WHERE s.kind = ? AND s.answered_at >= ? AND s.answered_at < ? AND s.score IS NOT NULL`, s.slotExpr("s.answered_at", g.grain), key, join)
	for col, cond := range append([]string{""}, conds...) {
		q := base
		if cond != "" {
			q += " AND " + cond
		}
		if err := s.countSlots(db, g, col, q+" GROUP BY 1, 2", kind, from, to); err != nil {
			return fmt.Errorf("%s answers (column %d): %w", kind, col, err)
		}
	}
	return nil
}

// sla counts SLA targets by their due time: a first response is met when
// it came by the due time and breached when the SLA timer marked it; a
// resolution target (the ticket's current cycle) is met when the ticket is
// resolved or closed without a breach. Targets still running count in
// neither, so attainment is met / (met + breached) × 100.
func (s *Service) sla(db *gorm.DB, by string, g *grid) error {
	key, join := ticketDim(by, "t", "id")
	from, to := g.span()
	count := func(col int, due, cond string, args ...any) error {
		q := fmt.Sprintf(`SELECT %s AS slot, %s AS key, COUNT(*) AS n FROM tickets t%s
			WHERE t.%s >= ? AND t.%s < ? AND %s GROUP BY 1, 2`, s.slotExpr("t."+due, g.grain), key, join, due, due, cond)
		return s.countSlots(db, g, col, q, append([]any{from, to}, args...)...)
	}
	for i, c := range []struct {
		due, cond string
		args      []any
	}{
		{"first_response_due_at", "t.first_response_at IS NOT NULL AND t.first_response_at <= t.first_response_due_at", nil},
		{"first_response_due_at", "t.first_response_breached = ?", []any{true}},
		{"resolution_due_at", "t.status IN ? AND t.resolution_breached = ?", []any{doneStatuses, false}},
		{"resolution_due_at", "t.resolution_breached = ?", []any{true}},
	} {
		if err := count(i, c.due, c.cond, c.args...); err != nil {
			return fmt.Errorf("sla targets (column %d): %w", i, err)
		}
	}
	return nil
}

// selfService counts help-center visits that ended self-served (by the
// time the visitor said so), conversations the answer bot took (by the time
// it started) and those it handed to a person (by the time of the handoff:
// a handed-off state is not written again, so its updated_at). Self-served
// visits have a channel but no ticket: in a breakdown by anything else they
// are in the group without a value.
func (s *Service) selfService(db *gorm.DB, by string, g *grid) error {
	from, to := g.span()
	key := "''"
	if by == ByChannel {
		key = "CAST(k.channel_id AS TEXT)"
	}
	if err := s.countSlots(db, g, 0, fmt.Sprintf(`SELECT %s AS slot, %s AS key, COUNT(*) AS n FROM kb_self_served k
		WHERE k.created_at >= ? AND k.created_at < ? GROUP BY 1, 2`, s.slotExpr("k.created_at", g.grain), key), from, to); err != nil {
		return fmt.Errorf("self-served visits: %w", err)
	}
	key, join := ticketDim(by, "t", "ticket_id")
	for col, c := range []struct{ at, cond string }{{"b.created_at", "1 = 1"}, {"b.updated_at", "b.status = ?"}} {
		args := []any{from, to}
		if col == 1 {
			args = append(args, store.BotHandedOff)
		}
		if err := s.countSlots(db, g, 1+col, fmt.Sprintf(`SELECT %s AS slot, %s AS key, COUNT(*) AS n FROM bot_states b JOIN report_tickets t ON t.ticket_id = b.ticket_id%s
			WHERE %s >= ? AND %s < ? AND %s GROUP BY 1, 2`, s.slotExpr(c.at, g.grain), key, join, c.at, c.at, c.cond), args...); err != nil {
			return fmt.Errorf("bot conversations (column %d): %w", 1+col, err)
		}
	}
	return nil
}

// backlog counts, at the end of every bucket, the tickets created by then
// and not resolved or closed then: what was open when the range began plus
// arrivals and reopenings minus resolutions since.
func (s *Service) backlog(db *gorm.DB, by string, g *grid) error {
	key, join := ticketDim(by, "t", "ticket_id")
	ckey, cjoin := ticketDim(by, "c", "ticket_id")
	from, to := g.span()
	past, err := s.pastIsSmaller(db, from)
	if err != nil {
		return err
	}
	// The open tickets when the range began: counted from the beginning
	// (created before it, less resolutions, plus reopenings), or back from
	// now (open now, less what was created since, plus resolutions since,
	// less reopenings since), whichever side has fewer rows. Back from now,
	// only what lies after the range is read here: the range itself is
	// counted for the buckets anyway and taken off below.
	cmp, sign, bound := "<", 1.0, quarter(from)
	base := map[string]float64{}
	type keyRow struct {
		Key string
		N   int64
	}
	var rows []keyRow
	if !past {
		cmp, sign, bound = ">=", -1, quarter(to)
		if err := db.Raw(fmt.Sprintf(`SELECT %s AS key, COUNT(*) AS n FROM report_tickets t%s WHERE t.status IN ? GROUP BY 1`, key, join),
			[]string{store.StatusOpen, store.StatusPending, store.StatusSnoozed}).Scan(&rows).Error; err != nil {
			return fmt.Errorf("backlog now: %w", err)
		}
		for _, r := range rows {
			base[r.Key] += float64(r.N)
		}
		rows = rows[:0]
	}
	if err := db.Raw(fmt.Sprintf(`SELECT %s AS key, COUNT(*) AS n FROM report_tickets t%s WHERE t.created_q %s ? GROUP BY 1`, key, join, cmp), bound).
		Scan(&rows).Error; err != nil {
		return fmt.Errorf("backlog arrivals: %w", err)
	}
	for _, r := range rows {
		base[r.Key] += sign * float64(r.N)
	}
	for _, resolve := range []bool{true, false} {
		rows = rows[:0]
		kind := kindReopen
		if resolve {
			kind = kindResolve
		}
		if err := db.Raw(fmt.Sprintf(`SELECT %s AS key, COUNT(*) AS n FROM report_status_facts c%s
			WHERE c.changed_q %s ? AND c.kind = ? GROUP BY 1`, ckey, cjoin, cmp), bound, kind).Scan(&rows).Error; err != nil {
			return fmt.Errorf("backlog changes: %w", err)
		}
		for _, r := range rows {
			if resolve {
				base[r.Key] -= sign * float64(r.N)
			} else {
				base[r.Key] += sign * float64(r.N)
			}
		}
	}
	if err := s.volume(db, by, g); err != nil {
		return err
	}
	if !past {
		for k, cs := range g.cells {
			for _, c := range cs {
				base[k] -= c.n[0] - c.n[1] + c.n[2]
			}
		}
	}
	for k, n := range base {
		if n != 0 {
			g.at(k, 0)
		}
	}
	for k, cs := range g.cells {
		open, any := base[k], false
		for i := range cs {
			open += cs[i].n[0] - cs[i].n[1] + cs[i].n[2]
			cs[i].n = [4]float64{open}
			any = any || open != 0
		}
		if !any && by != ByNone {
			delete(g.cells, k)
		}
	}
	return nil
}

// heatmap counts arrivals in [from, end) by local weekday (Monday first)
// and hour.
func (s *Service) heatmap(db *gorm.DB, g *grid, from, end time.Time, loc *time.Location) ([7][24]int64, error) {
	var cells [7][24]int64
	var rows []slotRow
	// Hourly slots give local hours only where the offset is whole hours
	// throughout the range.
	for _, t := range []time.Time{from, end.Add(-time.Second)} {
		if _, off := t.Zone(); off%3600 != 0 {
			g.grain = SlotSeconds
		}
	}
	if err := db.Raw(fmt.Sprintf(`SELECT %s AS slot, '' AS key, COUNT(*) AS n FROM report_tickets t
		WHERE t.created_q >= ? AND t.created_q < ? GROUP BY 1`, qSlot("t.created_q", g.grain)), quarter(from), quarter(end)).Scan(&rows).Error; err != nil {
		return cells, fmt.Errorf("arrivals: %w", err)
	}
	for _, r := range rows {
		n, err := strconv.ParseInt(r.Slot, 10, 64)
		if err != nil {
			return cells, fmt.Errorf("arrivals: slot %q: %w", r.Slot, err)
		}
		t := time.Unix(n*g.grain, 0).In(loc)
		cells[(int(t.Weekday())+6)%7][t.Hour()] += r.N
	}
	return cells, nil
}

// labels names the keys of a breakdown in lang.
func (s *Service) labels(db *gorm.DB, by, lang string) (map[string]string, error) {
	out := map[string]string{}
	switch by {
	case ByChannel:
		var chans []store.Channel
		if err := db.Select("id", "name").Find(&chans).Error; err != nil {
			return nil, fmt.Errorf("report: channel names: %w", err)
		}
		for _, c := range chans {
			out[strconv.FormatInt(c.ID, 10)] = c.Name
		}
	case ByTeam:
		var teams []store.Team
		if err := db.Select("id", "name_ko", "name_en").Find(&teams).Error; err != nil {
			return nil, fmt.Errorf("report: team names: %w", err)
		}
		for _, t := range teams {
			out[strconv.FormatInt(t.ID, 10)] = t.Name(lang)
		}
	case ByAgent:
		var agents []store.Agent
		if err := db.Select("id", "name", "email").Find(&agents).Error; err != nil {
			return nil, fmt.Errorf("report: agent names: %w", err)
		}
		for _, a := range agents {
			n := a.Name
			if n == "" {
				n = a.Email
			}
			out[strconv.FormatInt(a.ID, 10)] = n
		}
	}
	return out, nil
}
