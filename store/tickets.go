package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// TicketFilter selects tickets for the inbox list.
type TicketFilter struct {
	Status     string // one status, or "" for all but closed
	AssigneeID int64  // > 0: assigned to this agent
	Unassigned bool
	TeamID     int64 // > 0: filed to this team
	// TeamsOf > 0: filed to any team this agent is a member of.
	TeamsOf int64
	// MentionOf > 0: tickets with a note mentioning this agent.
	MentionOf int64
	// Viewer > 0 hides tickets of restricted teams the agent is not in
	// (admins pass 0).
	Viewer    int64
	ChannelID int64
	ContactID int64
	Tag       string
	Query     string // full-text search
	Cursor    string // from the previous page's NextCursor
	Limit     int    // default 50, at most 200
	// Sort is SortRecent (default: latest activity first) or SortDue (the
	// soonest running SLA due time first, tickets without one last).
	Sort string
}

// Ticket list orders.
const (
	SortRecent = "recent"
	SortDue    = "due"
)

// TicketPage is one page of tickets, newest activity first.
type TicketPage struct {
	Items      []Ticket
	NextCursor string
}

// ListTickets returns tickets matching f, ordered by last activity (newest
// first), with contacts and tags loaded. Pagination is by keyset cursor, so
// deep pages cost the same as the first.
func (s *Store) ListTickets(ctx context.Context, f TicketFilter) (TicketPage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	if limit > 200 {
		limit = 200
	}
	due := f.Sort == SortDue
	order := "tickets.last_message_at DESC, tickets.id DESC"
	if due {
		order = "CASE WHEN tickets.sla_due_at IS NULL THEN 1 ELSE 0 END, tickets.sla_due_at, tickets.id"
	}
	var walked []int64
	if q := strings.TrimSpace(f.Query); q != "" {
		if _, isNumber := parseTicketNumber(q); !isNumber {
			// A text search: first walk the list itself (walkSearch).
			plain := f
			plain.Query = ""
			db, _ := s.filterScope(s.DB.WithContext(ctx).Model(&Ticket{}), plain)
			db, err := applyCursor(db, f.Cursor, due)
			if err != nil {
				return TicketPage{}, err
			}
			ids, ok, err := s.walkSearch(db, order, q, limit)
			if err != nil {
				return TicketPage{}, err
			}
			if ok && len(ids) == 0 {
				return TicketPage{}, nil
			}
			if ok {
				walked = ids
			}
		}
	}
	if walked != nil {
		return s.listPage(s.DB.WithContext(ctx).Model(&Ticket{}).Where("tickets.id IN ?", walked), order, limit, due)
	}
	db, ok := s.filterScope(s.DB.WithContext(ctx).Model(&Ticket{}), f)
	if !ok {
		return TicketPage{}, nil
	}
	db, err := applyCursor(db, f.Cursor, due)
	if err != nil {
		return TicketPage{}, err
	}
	return s.listPage(db, order, limit, due)
}

// applyCursor restricts db to the tickets after cursor in the list's order.
func applyCursor(db *gorm.DB, cursor string, due bool) (*gorm.DB, error) {
	if cursor != "" {
		if due {
			at, id, err := decodeDueCursor(cursor)
			if err != nil {
				return nil, err
			}
			if at == nil {
				db = db.Where("tickets.sla_due_at IS NULL AND tickets.id > ?", id)
			} else {
				db = db.Where("(tickets.sla_due_at > ? OR (tickets.sla_due_at = ? AND tickets.id > ?) OR tickets.sla_due_at IS NULL)", *at, *at, id)
			}
		} else {
			at, id, err := decodeCursor(cursor)
			if err != nil {
				return nil, err
			}
			db = db.Where("(tickets.last_message_at < ? OR (tickets.last_message_at = ? AND tickets.id < ?))", at, at, id)
		}
	}
	return db, nil
}

// listPage reads one page of db's tickets in order (limit+1 rows, to know
// whether there is a next page), with contacts and tags.
func (s *Store) listPage(db *gorm.DB, order string, limit int, due bool) (TicketPage, error) {
	var items []Ticket
	err := db.Order(order).Limit(limit + 1).
		Preload("Contact").Preload("Tags").Find(&items).Error
	if err != nil {
		return TicketPage{}, fmt.Errorf("store: list tickets: %w", err)
	}
	var page TicketPage
	if len(items) > limit {
		last := items[limit-1]
		if due {
			page.NextCursor = encodeDueCursor(last.SLADueAt, last.ID)
		} else {
			page.NextCursor = encodeCursor(last.LastMessageAt, last.ID)
		}
		items = items[:limit]
	}
	page.Items = items
	return page, nil
}

// CountTickets counts tickets matching f (cursor and limit ignored).
func (s *Store) CountTickets(ctx context.Context, f TicketFilter) (int64, error) {
	db, ok := s.filterScope(s.DB.WithContext(ctx).Model(&Ticket{}), f)
	if !ok {
		return 0, nil
	}
	var n int64
	if err := db.Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count tickets: %w", err)
	}
	return n, nil
}

// filterScope applies every condition of f but the cursor. ok is false when
// the query can match nothing (a search with no searchable token).
func (s *Store) filterScope(db *gorm.DB, f TicketFilter) (scoped *gorm.DB, ok bool) {
	switch f.Status {
	case "":
		db = db.Where("tickets.status <> ?", StatusClosed)
	case "all":
	default:
		db = db.Where("tickets.status = ?", f.Status)
	}
	if f.AssigneeID > 0 {
		db = db.Where("tickets.assignee_id = ?", f.AssigneeID)
	}
	if f.Unassigned {
		db = db.Where("tickets.assignee_id IS NULL")
	}
	if f.TeamID > 0 {
		db = db.Where("tickets.team_id = ?", f.TeamID)
	}
	if f.Viewer > 0 {
		db = db.Where(VisibleTo, f.Viewer)
	}
	if f.TeamsOf > 0 {
		db = db.Where("tickets.team_id IN (SELECT team_id FROM team_members WHERE agent_id = ?)", f.TeamsOf)
	}
	if f.MentionOf > 0 {
		db = db.Where("tickets.id IN (SELECT ticket_id FROM mentions WHERE agent_id = ?)", f.MentionOf)
	}
	if f.ChannelID > 0 {
		db = db.Where("tickets.channel_id = ?", f.ChannelID)
	}
	if f.ContactID > 0 {
		db = db.Where("tickets.contact_id = ?", f.ContactID)
	}
	if f.Tag != "" {
		db = db.Where("tickets.id IN (SELECT ticket_id FROM ticket_tags WHERE tag = ?)", f.Tag)
	}
	if strings.TrimSpace(f.Query) != "" {
		q := strings.TrimSpace(f.Query)
		n, isNumber := parseTicketNumber(q)
		switch {
		case isNumber && strings.HasPrefix(q, "#"):
			db = db.Where("tickets.id = ?", n-TicketNumberBase)
		case isNumber:
			// "1042" is a ticket number or a word in a message: either matches.
			cond, _ := s.searchScope(s.DB.Session(&gorm.Session{NewDB: true}), q)
			db = db.Where(s.DB.Session(&gorm.Session{NewDB: true}).Where("tickets.id = ?", n-TicketNumberBase).Or(cond))
		default:
			if db, ok = s.searchScope(db, q); !ok {
				return db, false
			}
		}
	}
	return db, true
}

func parseTicketNumber(q string) (int64, bool) {
	q = strings.TrimPrefix(q, "#")
	n, err := strconv.ParseInt(q, 10, 64)
	if err != nil || n <= TicketNumberBase {
		return 0, false
	}
	return n, true
}

// ErrBadCursor is returned for a cursor that this store did not issue.
var ErrBadCursor = fmt.Errorf("store: bad cursor")

func encodeCursor(at time.Time, id int64) string {
	raw := strconv.FormatInt(at.UnixMicro(), 10) + ":" + strconv.FormatInt(id, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(c string) (time.Time, int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, 0, ErrBadCursor
	}
	a, b, ok := strings.Cut(string(raw), ":")
	if !ok {
		return time.Time{}, 0, ErrBadCursor
	}
	us, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil {
		return time.Time{}, 0, ErrBadCursor
	}
	return time.UnixMicro(us).UTC(), id, nil
}

// Due-order cursors are "due:<unix µs or ->:<id>" ("-": past every ticket
// with a due time).
func encodeDueCursor(at *time.Time, id int64) string {
	us := "-"
	if at != nil {
		us = strconv.FormatInt(at.UnixMicro(), 10)
	}
	return base64.RawURLEncoding.EncodeToString([]byte("due:" + us + ":" + strconv.FormatInt(id, 10)))
}

func decodeDueCursor(c string) (*time.Time, int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, 0, ErrBadCursor
	}
	rest, ok := strings.CutPrefix(string(raw), "due:")
	a, b, ok2 := strings.Cut(rest, ":")
	id, err := strconv.ParseInt(b, 10, 64)
	if !ok || !ok2 || err != nil {
		return nil, 0, ErrBadCursor
	}
	if a == "-" {
		return nil, id, nil
	}
	us, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return nil, 0, ErrBadCursor
	}
	at := time.UnixMicro(us).UTC()
	return &at, id, nil
}
