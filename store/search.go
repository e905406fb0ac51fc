package store

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Full-text search.
//
// Korean attaches particles to words ("배송이", "환불은"), so a whitespace
// tokenizer never finds "배송" inside "배송이". Hanbox indexes every run of
// Hangul, Han or Kana characters as overlapping character bigrams (배송이 →
// 배송 송이) and every other word whole, lower-cased; a query is tokenized the
// same way and its bigrams must appear as a phrase, so "배송" matches "배송이"
// and "송이" but "배이" matches nothing. Latin words match by prefix
// ("refund" finds "refunds"). The same token stream feeds SQLite FTS4 (built
// into the bundled SQLite, no build tag) and a PostgreSQL tsvector with the
// 'simple' configuration under a GIN index, so both stores answer alike.

// isCJK reports whether r belongs to a script written without spaces between
// words (or, for Hangul, with particles glued to words).
func isCJK(r rune) bool {
	return unicode.In(r, unicode.Hangul, unicode.Han, unicode.Hiragana, unicode.Katakana)
}

// Tokenize splits text into search tokens: whole lower-cased words for
// alphabetic scripts and overlapping bigrams for CJK runs. Each element of the
// result is a group of tokens that must match as a phrase.
func Tokenize(text string) [][]string {
	var groups [][]string
	var word []rune
	var cjk []rune
	flushWord := func() {
		if len(word) > 0 {
			groups = append(groups, []string{string(word)})
			word = word[:0]
		}
	}
	flushCJK := func() {
		switch {
		case len(cjk) == 1:
			groups = append(groups, []string{string(cjk)})
		case len(cjk) > 1:
			g := make([]string, 0, len(cjk)-1)
			for i := 0; i+1 < len(cjk); i++ {
				g = append(g, string(cjk[i:i+2]))
			}
			groups = append(groups, g)
		}
		cjk = cjk[:0]
	}
	for _, r := range text {
		switch {
		case isCJK(r):
			flushWord()
			cjk = append(cjk, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			flushCJK()
			word = append(word, unicode.ToLower(r))
		default:
			flushWord()
			flushCJK()
		}
	}
	flushWord()
	flushCJK()
	return groups
}

// Matches reports whether a search for query would find text, by the
// rules of the index: every token group of the query appears as a phrase
// in the text's token stream, CJK bigrams exactly and other words as
// prefixes ("배송" matches "배송이", "refund" matches "refunds"). An empty
// query matches nothing. Automation rules use it for "text contains", so
// a rule and a search agree on what a message says.
func Matches(text, query string) bool {
	return MatchesTokens(TokenStream(text), query)
}

// TokenStream is text's index tokens in order (Tokenize, flattened), for
// matching one text against many queries (MatchesTokens).
func TokenStream(text string) []string {
	var toks []string
	for _, g := range Tokenize(text) {
		toks = append(toks, g...)
	}
	return toks
}

// MatchesTokens is Matches on a text's TokenStream.
func MatchesTokens(toks []string, query string) bool {
	q := Tokenize(query)
	if len(q) == 0 {
		return false
	}
	for _, g := range q {
		if !containsPhrase(toks, g) {
			return false
		}
	}
	return true
}

func containsPhrase(toks, phrase []string) bool {
	// Bigrams match exactly; words and a lone CJK character as prefixes,
	// as ftsQuery asks the index.
	exact := make([]bool, len(phrase))
	for k, p := range phrase {
		exact[k] = isCJKToken(p) && utf8.RuneCountInString(p) > 1
	}
	for i := 0; i+len(phrase) <= len(toks); i++ {
		ok := true
		for k, p := range phrase {
			t := toks[i+k]
			if exact[k] && t != p || !exact[k] && !strings.HasPrefix(t, p) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// indexText turns text into the space-separated token string stored in the index.
func indexText(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		for _, g := range Tokenize(p) {
			for _, t := range g {
				if len(t) > 64 {
					continue // junk such as base64 blobs only bloats the index
				}
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(t)
			}
		}
	}
	return b.String()
}

// ftsQuery builds the dialect's match expression for a user query, or "" when
// the query has no searchable token. Tokens contain only letters and digits,
// so they need no quoting beyond the phrase marks.
func ftsQuery(dialect, q string) string {
	groups := Tokenize(q)
	if len(groups) > 16 {
		groups = groups[:16]
	}
	var parts []string
	for _, g := range groups {
		single := len(g) == 1 && !isCJKToken(g[0])
		if dialect == Postgres {
			if single || len([]rune(g[0])) == 1 {
				parts = append(parts, g[0]+":*")
			} else {
				// AND, not a phrase (<->): a phrase makes every GIN candidate
				// row recheck its tsvector on the heap, ten times slower on a
				// common word; adjacent bigrams of one word almost never
				// co-occur apart, and the ticket list shows what matched.
				parts = append(parts, "("+strings.Join(g, " & ")+")")
			}
			continue
		}
		if single || len([]rune(g[0])) == 1 {
			parts = append(parts, g[0]+"*")
		} else {
			parts = append(parts, `"`+strings.Join(g, " ")+`"`)
		}
	}
	if dialect == Postgres {
		return strings.Join(parts, " & ")
	}
	return strings.Join(parts, " ")
}

func isCJKToken(t string) bool {
	for _, r := range t {
		return isCJK(r)
	}
	return false
}

// Document ids: a message's text is row 2*id, a ticket's header (subject,
// contact name and addresses) is row 2*id+1, so both can be replaced in place.
func messageDocID(id int64) int64 { return id * 2 }
func ticketDocID(id int64) int64  { return id*2 + 1 }

// PostgresDocCTE returns, for PostgreSQL, a data-modifying statement that
// indexes the row whose id the CTE named src returns, to run in the same
// statement as that row's INSERT (one round trip for both): a message's
// text (ticket false: ticketID is its ticket) or a ticket's header parts
// (ticket true: src returns the ticket, ticketID is ignored). It is the
// statement IndexMessage or IndexTicket would run.
func PostgresDocCTE(src string, ticket bool, ticketID int64, parts ...string) (sql string, args []any) {
	const upsert = " ON CONFLICT (id) DO UPDATE SET ticket_id = excluded.ticket_id, tsv = excluded.tsv"
	if ticket {
		return "INSERT INTO search_docs (id, ticket_id, tsv) SELECT id * 2 + 1, id, to_tsvector('simple', ?) FROM " + src + upsert,
			[]any{indexText(parts...)}
	}
	return "INSERT INTO search_docs (id, ticket_id, tsv) SELECT id * 2, ?, to_tsvector('simple', ?) FROM " + src + upsert,
		[]any{ticketID, indexText(parts...)}
}

// IndexMessage adds or replaces a message's text in the search index.
func (s *Store) IndexMessage(tx *gorm.DB, ticketID, messageID int64, text string) error {
	return s.putDoc(tx, messageDocID(messageID), ticketID, indexText(text))
}

// IndexTicket adds or replaces a ticket's header text in the search index.
func (s *Store) IndexTicket(tx *gorm.DB, ticketID int64, parts ...string) error {
	return s.putDoc(tx, ticketDocID(ticketID), ticketID, indexText(parts...))
}

// MoveMessagesIndex re-points the index rows of one ticket to another (ticket merge).
func (s *Store) MoveMessagesIndex(tx *gorm.DB, from, to int64) error {
	if s.Dialect == Postgres {
		return tx.Exec(`UPDATE search_docs SET ticket_id = ? WHERE ticket_id = ? AND id % 2 = 0`, to, from).Error
	}
	// FTS4 cannot update by a non-indexed column cheaply; rewrite from the messages.
	var msgs []Message
	if err := tx.Select("id", "text").Where("ticket_id = ?", to).Find(&msgs).Error; err != nil {
		return err
	}
	for _, m := range msgs {
		if err := s.IndexMessage(tx, to, m.ID, m.Text); err != nil {
			return err
		}
	}
	return tx.Exec(`DELETE FROM search_docs WHERE docid = ?`, ticketDocID(from)).Error
}

func (s *Store) putDoc(tx *gorm.DB, id, ticketID int64, body string) error {
	var err error
	if s.Dialect == Postgres {
		err = tx.Exec(`INSERT INTO search_docs (id, ticket_id, tsv) VALUES (?, ?, to_tsvector('simple', ?))
			ON CONFLICT (id) DO UPDATE SET ticket_id = excluded.ticket_id, tsv = excluded.tsv`, id, ticketID, body).Error
	} else {
		err = tx.Exec(`INSERT OR REPLACE INTO search_docs (docid, ticket_id, body) VALUES (?, ?, ?)`, id, ticketID, body).Error
	}
	if err != nil {
		return fmt.Errorf("store: index doc %d: %w", id, err)
	}
	return nil
}

// searchScope restricts a ticket query to tickets matching q.
func (s *Store) searchScope(db *gorm.DB, q string) (*gorm.DB, bool) {
	expr := ftsQuery(s.Dialect, q)
	if expr == "" {
		return db, false
	}
	// Only the newest SearchWindow matching documents are considered: for a
	// word found in a third of a million messages, ranking every match by
	// ticket activity would cost seconds, while the newest matches name the
	// recently active tickets an agent is looking for. Rarer words (fewer
	// matches than the window) are searched exhaustively.
	if s.Dialect == Postgres {
		bound := s.recentBound(db, expr)
		return db.Where("tickets.id IN (SELECT ticket_id FROM search_docs WHERE tsv @@ to_tsquery('simple', ?) AND id > ? ORDER BY id DESC LIMIT ?)",
			expr, bound, SearchWindow), true
	}
	return db.Where("tickets.id IN (SELECT ticket_id FROM search_docs WHERE body MATCH ? ORDER BY docid DESC LIMIT ?)", expr, SearchWindow), true
}

// recentSpan is how many of the newest document ids a PostgreSQL search
// tries first (about 200,000 documents). A variable only for tests.
var recentSpan int64 = 400_000

// recentBound returns a lower bound on document ids that still holds the
// newest SearchWindow matches of expr, or 0. When the newest recentSpan
// documents alone hold a full window, no older match can be among the
// newest SearchWindow, so the search may skip them: for a common word this
// keeps PostgreSQL from visiting the heap row of every older match (the GIN
// index cannot return columns, and its row estimates for tsvectors are
// poor). Rare words fall through to the exhaustive search, which is cheap
// for them.
func (s *Store) recentBound(db *gorm.DB, expr string) int64 {
	ctx := db.Statement.Context
	var maxID int64
	if err := s.DB.WithContext(ctx).Raw("SELECT COALESCE(MAX(id), 0) FROM search_docs").Scan(&maxID).Error; err != nil || maxID <= recentSpan {
		return 0
	}
	bound := maxID - recentSpan
	var n int64
	err := s.DB.WithContext(ctx).Raw(`SELECT COUNT(*) FROM (SELECT 1 FROM search_docs WHERE tsv @@ to_tsquery('simple', ?) AND id > ? LIMIT ?) w`,
		expr, bound, SearchWindow).Scan(&n).Error
	if err != nil || n < int64(SearchWindow) {
		return 0
	}
	return bound
}

// SearchWindow is how many of the newest matching documents a search ranks.
// A variable only for tests.
var SearchWindow = 5000

// Search by walking the list.
//
// A word in a fifth of all messages (or, for a common Korean stem, in
// nearly every one) costs the index path a read of its whole posting list:
// SQLite's FTS4 reads a term's doclist whole whatever the LIMIT, and
// PostgreSQL's GIN builds a bitmap of every match before the newest are
// picked. Such a word is also in most recently active tickets, so the
// first page is found faster the other way round: walk the tickets the
// list would show, in its order, and check each one's documents for the
// query, stopping at a page and one more. The ranking is then exactly the
// list's (newest activity first), not the newest-window approximation.
// Rarer words leave the walk short of a page after walkSteps tickets, and
// the index path (cheap for them) answers instead.

// walkSteps bound the walk, in multiples of the page size plus one: it
// first reads walkSteps[0] of them; from the share of those that match it
// estimates how many tickets hold a page and goes on only if that is
// within walkSteps[1], so a rare word costs one short step before the
// index answers. No steps: the index answers every search. A variable only
// for tests.
var walkSteps = []int{1, 8}

// walkSearch looks for the first page of tickets matching query by walking
// the list (db: the filters and cursor, without the query) in order.
// ok is false when the walk did not settle the page; then the caller asks
// the index. ids are the page's ticket ids (up to limit+1), in list order.
func (s *Store) walkSearch(db *gorm.DB, order, query string, limit int) (ids []int64, ok bool, err error) {
	groups := Tokenize(query)
	if len(groups) == 0 || len(walkSteps) == 0 {
		return nil, false, nil
	}
	if len(groups) > 16 {
		groups = groups[:16]
	}
	want := limit + 1
	maxWalk := walkSteps[len(walkSteps)-1] * want
	offset, n := 0, walkSteps[0]*want
	for {
		var cand []int64
		if err := db.Session(&gorm.Session{}).Order(order).Offset(offset).Limit(n).Pluck("tickets.id", &cand).Error; err != nil {
			return nil, false, fmt.Errorf("store: search walk: %w", err)
		}
		offset += len(cand)
		if len(cand) > 0 {
			hit, err := s.ticketsMatching(db.Statement.Context, cand, groups, query)
			if err != nil {
				return nil, false, err
			}
			for _, id := range cand {
				if hit[id] {
					if ids = append(ids, id); len(ids) == want {
						return ids, true, nil
					}
				}
			}
		}
		if len(cand) < n {
			return ids, true, nil // the list ended: every ticket was checked
		}
		if offset >= maxWalk || len(ids) == 0 {
			return nil, false, nil
		}
		// At the rate seen so far, a page needs about offset*want/len(ids)
		// tickets; walk there (and a little further) if it is within reach.
		need := offset*want/len(ids) + want/4
		if need > maxWalk {
			return nil, false, nil
		}
		if n = need - offset; n <= 0 {
			n = want
		}
	}
}

// ticketsMatching returns which of the tickets ids have an indexed document
// (a message or the ticket's header) matching the query, by the index's
// rules: on PostgreSQL the same tsquery, evaluated on each ticket's rows
// (ts_match_vq: not the GIN index, which would gather every match first);
// on SQLite the stored token strings matched in Go as FTS4 matches them
// (MatchesTokens), read by docid.
func (s *Store) ticketsMatching(ctx context.Context, ids []int64, groups [][]string, query string) (map[int64]bool, error) {
	hit := make(map[int64]bool, len(ids))
	db := s.DB.WithContext(ctx)
	if s.Dialect == Postgres {
		var out []int64
		if err := db.Raw(`SELECT DISTINCT ticket_id FROM search_docs WHERE ticket_id IN ? AND ts_match_vq(tsv, to_tsquery('simple', ?))`,
			ids, ftsQuery(Postgres, query)).Scan(&out).Error; err != nil {
			return nil, fmt.Errorf("store: search walk: %w", err)
		}
		for _, id := range out {
			hit[id] = true
		}
		return hit, nil
	}
	var msgs []struct{ ID, TicketID int64 }
	if err := db.Raw(`SELECT id, ticket_id FROM messages WHERE ticket_id IN ?`, ids).Scan(&msgs).Error; err != nil {
		return nil, fmt.Errorf("store: search walk: %w", err)
	}
	docs := make([]int64, 0, len(ids)+len(msgs))
	owner := make(map[int64]int64, cap(docs))
	for _, id := range ids {
		docs = append(docs, ticketDocID(id))
		owner[ticketDocID(id)] = id
	}
	for _, m := range msgs {
		docs = append(docs, messageDocID(m.ID))
		owner[messageDocID(m.ID)] = m.TicketID
	}
	for len(docs) > 0 {
		chunk := docs[:min(len(docs), 500)]
		docs = docs[len(chunk):]
		rows, err := db.Raw(`SELECT docid, body FROM search_docs WHERE docid IN ?`, chunk).Rows()
		if err != nil {
			return nil, fmt.Errorf("store: search walk: %w", err)
		}
		for rows.Next() {
			var id int64
			var body string
			if err := rows.Scan(&id, &body); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: search walk: %w", err)
			}
			t := owner[id]
			if !hit[t] && matchGroups(strings.Fields(body), groups) {
				hit[t] = true
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("store: search walk: %w", err)
		}
	}
	return hit, nil
}

// matchGroups reports whether a document's tokens hold every query group
// as FTS4 matches ftsQuery's expression: bigram runs as phrases, words and
// single CJK characters as prefixes.
func matchGroups(toks []string, groups [][]string) bool {
	for _, g := range groups {
		if !containsPhrase(toks, g) {
			return false
		}
	}
	return true
}
