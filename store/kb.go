package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Knowledge-base article states.
const (
	KBDraft     = "draft"
	KBPublished = "published"
)

// KBArticle is one locale variant of a knowledge-base article. Body is
// Markdown; it is rendered (and sanitized) by package kb, never here.
type KBArticle struct {
	ID       int64  `gorm:"primaryKey"`
	Title    string `gorm:"not null"`
	Slug     string `gorm:"not null"`
	Body     string `gorm:"not null"`
	Category string `gorm:"not null"`
	// BodyTerms is the number of index tokens in the body (BM25 length).
	BodyTerms   int    `gorm:"not null"`
	Locale      string `gorm:"not null"`
	Status      string `gorm:"not null"`
	AuthorID    *int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	PublishedAt *time.Time
}

// TableName is the SQL table.
func (KBArticle) TableName() string { return "kb_articles" }

// Index fields of kb_terms.
const (
	kbFieldTitle = 0
	kbFieldBody  = 1
)

// kbTerms counts the index tokens of text (store.Tokenize, flattened).
func kbTerms(text string) (map[string]int, int) {
	out := map[string]int{}
	n := 0
	for _, g := range Tokenize(text) {
		for _, t := range g {
			if len(t) > 64 {
				continue
			}
			out[t]++
			n++
		}
	}
	return out, n
}

// CreateKBArticle inserts a and indexes it. When a.Slug is taken in its
// locale, "-2", "-3", … is appended; a.ID and a.Slug are set.
func (s *Store) CreateKBArticle(ctx context.Context, a *KBArticle) error {
	err := s.Tx(ctx, func(tx *gorm.DB) error {
		slug, err := freeSlug(tx, a.Locale, a.Slug, 0)
		if err != nil {
			return err
		}
		a.Slug = slug
		_, a.BodyTerms = kbTerms(a.Body)
		if err := tx.Create(a).Error; err != nil {
			return err
		}
		return indexKB(tx, a)
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return fmt.Errorf("store: create kb article: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: create kb article: %w", err)
	}
	return nil
}

// UpdateKBArticle saves every field of a (found by a.ID) and re-indexes it.
// A slug taken by another article of the locale gets a suffix as on create.
func (s *Store) UpdateKBArticle(ctx context.Context, a *KBArticle) error {
	err := s.Tx(ctx, func(tx *gorm.DB) error {
		slug, err := freeSlug(tx, a.Locale, a.Slug, a.ID)
		if err != nil {
			return err
		}
		a.Slug = slug
		_, a.BodyTerms = kbTerms(a.Body)
		res := tx.Model(&KBArticle{}).Where("id = ?", a.ID).Updates(map[string]any{
			"title": a.Title, "slug": a.Slug, "body": a.Body, "category": a.Category, "body_terms": a.BodyTerms,
			"locale": a.Locale, "status": a.Status, "author_id": a.AuthorID, "published_at": a.PublishedAt,
			"updated_at": a.UpdatedAt,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := tx.Exec(`DELETE FROM kb_terms WHERE article_id = ?`, a.ID).Error; err != nil {
			return err
		}
		return indexKB(tx, a)
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		err = ErrConflict
	}
	if err != nil {
		return fmt.Errorf("store: update kb article %d: %w", a.ID, err)
	}
	return nil
}

// freeSlug returns slug, or slug-N for the smallest N ≥ 2 that no other
// article (than self) of locale uses.
func freeSlug(tx *gorm.DB, locale, slug string, self int64) (string, error) {
	var taken []string
	if err := tx.Model(&KBArticle{}).Where("locale = ? AND id <> ? AND (slug = ? OR slug LIKE ?)", locale, self, slug, slug+"-%").
		Pluck("slug", &taken).Error; err != nil {
		return "", err
	}
	used := map[string]bool{}
	for _, t := range taken {
		used[t] = true
	}
	if !used[slug] {
		return slug, nil
	}
	for n := 2; ; n++ {
		c := slug + "-" + strconv.Itoa(n)
		if !used[c] {
			return c, nil
		}
	}
}

func indexKB(tx *gorm.DB, a *KBArticle) error {
	type row struct {
		Term      string
		Published int
		Locale    string
		ArticleID int64
		Field     int
		Tf        int
		DocLen    int
	}
	var rows []row
	pub := 0
	if a.Status == KBPublished {
		pub = 1
	}
	title, _ := kbTerms(a.Title)
	body, _ := kbTerms(a.Body)
	for t, n := range title {
		rows = append(rows, row{t, pub, a.Locale, a.ID, kbFieldTitle, n, a.BodyTerms})
	}
	for t, n := range body {
		rows = append(rows, row{t, pub, a.Locale, a.ID, kbFieldBody, n, a.BodyTerms})
	}
	if len(rows) == 0 {
		return nil
	}
	return tx.Table("kb_terms").CreateInBatches(rows, 200).Error
}

// DeleteKBArticle deletes article id with its index rows and files;
// ErrNotFound when it does not exist. inTx, when set, runs in the same
// transaction with the sums of the files' blobs (see DeleteKBFile); the
// answer is when the blobs kept for being recent may be collected (zero:
// none kept).
func (s *Store) DeleteKBArticle(ctx context.Context, id int64, inTx func(tx *gorm.DB, sums []string) error) (time.Time, error) {
	var sums []string
	err := s.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec(`DELETE FROM kb_terms WHERE article_id = ?`, id).Error; err != nil {
			return err
		}
		sums = nil
		if err := tx.Model(&KBFile{}).Where("article_id = ?", id).Distinct().Pluck("sha256", &sums).Error; err != nil {
			return err
		}
		if err := tx.Where("article_id = ?", id).Delete(&KBFile{}).Error; err != nil {
			return err
		}
		res := tx.Delete(&KBArticle{}, id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if inTx != nil && len(sums) > 0 {
			return inTx(tx, sums)
		}
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("store: delete kb article %d: %w", id, err)
	}
	// Its files' blobs go too, unless something else holds the same bytes.
	var later time.Time
	for _, sum := range sums {
		at, err := s.CollectBlob(ctx, sum, time.Now())
		if err != nil {
			return later, err
		}
		if at.After(later) {
			later = at
		}
	}
	return later, nil
}

// GetKBArticle returns article id or ErrNotFound.
func (s *Store) GetKBArticle(ctx context.Context, id int64) (*KBArticle, error) {
	var a KBArticle
	if err := s.DB.WithContext(ctx).First(&a, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			err = ErrNotFound
		}
		return nil, fmt.Errorf("store: get kb article %d: %w", id, err)
	}
	return &a, nil
}

// GetKBArticleBySlug returns the article of locale with slug, or ErrNotFound.
func (s *Store) GetKBArticleBySlug(ctx context.Context, locale, slug string) (*KBArticle, error) {
	var a KBArticle
	if err := s.DB.WithContext(ctx).Where("locale = ? AND slug = ?", locale, slug).First(&a).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			err = ErrNotFound
		}
		return nil, fmt.Errorf("store: get kb article %s/%s: %w", locale, slug, err)
	}
	return &a, nil
}

// KBFilter selects articles for a list. Empty fields select everything.
type KBFilter struct {
	Locale   string
	Status   string
	Category string
	Limit    int // default 100, at most 1000
	Offset   int
}

// ListKBArticles returns articles by category then title (bodies included).
func (s *Store) ListKBArticles(ctx context.Context, f KBFilter) ([]KBArticle, error) {
	db := s.DB.WithContext(ctx).Model(&KBArticle{})
	if f.Locale != "" {
		db = db.Where("locale = ?", f.Locale)
	}
	if f.Status != "" {
		db = db.Where("status = ?", f.Status)
	}
	if f.Category != "" {
		db = db.Where("category = ?", f.Category)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 1000)
	var out []KBArticle
	if err := db.Order("category, title, id").Limit(f.Limit).Offset(f.Offset).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list kb articles: %w", err)
	}
	return out, nil
}

// KBQuery is a knowledge-base search.
type KBQuery struct {
	Q      string
	Locale string // empty: every locale
	// PublishedOnly leaves drafts out (public callers).
	PublishedOnly bool
	// Any ranks articles matching any query token (suggestions for a
	// customer's question, phrased freely); otherwise every query word must
	// match (the search box).
	Any   bool
	Limit int // default 10, at most 100
	// Categories, when not nil, keeps only articles of these categories
	// (the help center's public ones; empty: none).
	Categories []string
}

// KBHit is a ranked search result.
type KBHit struct {
	Article KBArticle
	Score   float64
}

// kbPosting is one row of kb_terms joined with its article.
type kbPosting struct {
	ArticleID int64
	Term      string
	Field     int
	Tf        int
	BodyTerms int
	UpdatedAt time.Time
}

// kbQueryTerm is one token of a query; Prefix for Latin words of three or
// more letters ("refund" finds "refunds").
type kbQueryTerm struct {
	Text   string
	Prefix bool
	Group  int
}

// prefixEnd bounds a prefix range: every token that starts with p sorts
// below p + U+10FFFF in byte order.
const prefixEnd = "\U0010FFFF"

// SearchKB ranks articles for q. Tokens are those of ticket search
// (Tokenize: CJK bigrams, so "배송" finds "배송이"); the ranking is BM25 over
// title and body with a title hit worth more than any body hits, computed
// here from one index query so that both stores rank identically. Ties go to
// the most recently updated article. In the default (all-words) mode the
// score is 2 per query word found in the title and 1 per word found only in
// the body, so recency decides between equally good matches.
func (s *Store) SearchKB(ctx context.Context, q KBQuery) ([]KBHit, error) {
	if q.Limit <= 0 {
		q.Limit = 10
	}
	q.Limit = min(q.Limit, 100)
	groups := Tokenize(q.Q)
	if len(groups) > 16 {
		groups = groups[:16]
	}
	var terms []kbQueryTerm
	seen := map[string]bool{}
	for gi, g := range groups {
		for _, t := range g {
			if len(t) > 64 || seen[t] {
				continue
			}
			seen[t] = true
			terms = append(terms, kbQueryTerm{Text: t, Prefix: !isCJKToken(t) && utf8.RuneCountInString(t) >= 3, Group: gi})
		}
	}
	if len(terms) == 0 {
		return nil, nil
	}
	if len(terms) > 48 {
		terms = terms[:48]
	}
	if q.Any && q.PublishedOnly {
		return s.suggestKB(ctx, q, terms)
	}
	var (
		conds []string
		args  []any
		exact []any
	)
	for _, t := range terms {
		if t.Prefix {
			conds = append(conds, "(t.term >= ? AND t.term < ?)")
			args = append(args, t.Text, t.Text+prefixEnd)
		} else {
			exact = append(exact, t.Text)
		}
	}
	if len(exact) > 0 {
		conds = append(conds, "t.term IN ?")
		args = append(args, exact)
	}
	where := "(" + strings.Join(conds, " OR ") + ")"
	scope := ""
	var scopeArgs []any
	if q.Locale != "" {
		scope += " AND a.locale = ?"
		scopeArgs = append(scopeArgs, q.Locale)
	}
	if q.PublishedOnly {
		scope += " AND a.status = ?"
		scopeArgs = append(scopeArgs, KBPublished)
	}
	if q.Categories != nil {
		scope += " AND a.category IN ?"
		scopeArgs = append(scopeArgs, nonEmpty(q.Categories))
	}
	db := s.DB.WithContext(ctx)
	var postings []kbPosting
	err := db.Raw(`SELECT t.article_id, t.term, t.field, t.tf, a.body_terms, a.updated_at
		FROM kb_terms t JOIN kb_articles a ON a.id = t.article_id WHERE `+where+scope,
		append(args, scopeArgs...)...).Scan(&postings).Error
	if err != nil {
		return nil, fmt.Errorf("store: search kb: %w", err)
	}
	if len(postings) == 0 {
		return nil, nil
	}
	var stats struct {
		N   int64
		Avg float64
	}
	err = db.Raw(`SELECT COUNT(*) AS n, COALESCE(AVG(body_terms), 0) AS avg FROM kb_articles a WHERE 1 = 1`+scope, scopeArgs...).Scan(&stats).Error
	if err != nil {
		return nil, fmt.Errorf("store: search kb stats: %w", err)
	}
	ranked := rankKB(terms, len(groups), postings, stats.N, stats.Avg, q.Any)
	if len(ranked) > q.Limit {
		ranked = ranked[:q.Limit]
	}
	ids := make([]int64, len(ranked))
	for i, r := range ranked {
		ids[i] = r.id
	}
	var arts []KBArticle
	if err := db.Where("id IN ?", ids).Find(&arts).Error; err != nil {
		return nil, fmt.Errorf("store: search kb load: %w", err)
	}
	byID := map[int64]KBArticle{}
	for _, a := range arts {
		byID[a.ID] = a
	}
	out := make([]KBHit, 0, len(ranked))
	for _, r := range ranked {
		if a, ok := byID[r.id]; ok {
			out = append(out, KBHit{Article: a, Score: math.Round(r.score*1000) / 1000})
		}
	}
	return out, nil
}

type kbRanked struct {
	id      int64
	score   float64
	updated time.Time
}

// rankKB scores the articles of postings for the query terms.
func rankKB(terms []kbQueryTerm, ngroups int, postings []kbPosting, n int64, avgLen float64, anyMode bool) []kbRanked {
	type doc struct {
		title   []int // per query term
		body    []int
		length  int
		updated time.Time
	}
	docs := map[int64]*doc{}
	for _, p := range postings {
		d := docs[p.ArticleID]
		if d == nil {
			d = &doc{title: make([]int, len(terms)), body: make([]int, len(terms)), length: p.BodyTerms, updated: p.UpdatedAt}
			docs[p.ArticleID] = d
		}
		for i, t := range terms {
			if p.Term != t.Text && (!t.Prefix || !strings.HasPrefix(p.Term, t.Text)) {
				continue
			}
			if p.Field == kbFieldTitle {
				d.title[i] += p.Tf
			} else {
				d.body[i] += p.Tf
			}
		}
	}
	df := make([]int, len(terms))
	for _, d := range docs {
		for i := range terms {
			if d.title[i] > 0 || d.body[i] > 0 {
				df[i]++
			}
		}
	}
	if avgLen <= 0 {
		avgLen = 1
	}
	const k1, b, titleWeight = 1.2, 0.75, 3.0
	out := make([]kbRanked, 0, len(docs))
	for id, d := range docs {
		var score float64
		if anyMode {
			for i := range terms {
				if df[i] == 0 {
					continue
				}
				idf := math.Log(1 + (float64(n)-float64(df[i])+0.5)/(float64(df[i])+0.5))
				w := 0.0
				if d.title[i] > 0 {
					w += titleWeight
				}
				if tf := float64(d.body[i]); tf > 0 {
					w += tf * (k1 + 1) / (tf + k1*(1-b+b*float64(d.length)/avgLen))
				}
				score += idf * w
			}
		} else {
			inTitle := make([]bool, ngroups)
			inAny := make([]bool, ngroups)
			for g := range ngroups {
				inTitle[g], inAny[g] = true, true
			}
			has := make([]bool, ngroups)
			for i, t := range terms {
				has[t.Group] = true
				if d.title[i] == 0 {
					inTitle[t.Group] = false
				}
				if d.title[i] == 0 && d.body[i] == 0 {
					inAny[t.Group] = false
				}
			}
			ok := true
			for g := range ngroups {
				if !has[g] {
					continue // every token of the group was a duplicate of an earlier one
				}
				switch {
				case !inAny[g]:
					ok = false
				case inTitle[g]:
					score += 2
				default:
					score++
				}
			}
			if !ok {
				continue
			}
		}
		if score > 0 {
			out = append(out, kbRanked{id: id, score: score, updated: d.updated})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		if !out[i].updated.Equal(out[j].updated) {
			return out[i].updated.After(out[j].updated)
		}
		return out[i].id > out[j].id
	})
	return out
}

// termCond is the kb_terms condition matching query term t.
func (t kbQueryTerm) cond() (string, []any) {
	if t.Prefix {
		return "(term >= ? AND term < ?)", []any{t.Text, t.Text + prefixEnd}
	}
	return "term = ?", []any{t.Text}
}

// BM25 parameters of the suggestion ranking; a title hit weighs
// kbTitleWeight times the term's idf, more than any number of body hits.
const (
	kbK1          = 1.2
	kbB           = 0.75
	kbTitleWeight = 3.0
)

// suggestKB is the any-word ranking of published articles, scored inside
// the database: document frequencies first (one count per query token),
// then one grouped scan of the tokens' key ranges with each token's idf
// written into the query, so only the best rows leave the database.
func (s *Store) suggestKB(ctx context.Context, q KBQuery, terms []kbQueryTerm) ([]KBHit, error) {
	db := s.DB.WithContext(ctx)
	scope := " AND published = 1"
	var scopeArgs []any
	if q.Locale != "" {
		scope += " AND locale = ?"
		scopeArgs = append(scopeArgs, q.Locale)
	}
	var stats struct {
		N   int64
		Avg float64
	}
	artScope := "status = ?"
	artArgs := []any{KBPublished}
	if q.Locale != "" {
		artScope += " AND locale = ?"
		artArgs = append(artArgs, q.Locale)
	}
	if q.Categories != nil {
		scope += " AND article_id IN (SELECT id FROM kb_articles WHERE category IN ?)"
		scopeArgs = append(scopeArgs, nonEmpty(q.Categories))
		artScope += " AND category IN ?"
		artArgs = append(artArgs, nonEmpty(q.Categories))
	}
	// One round trip for the article stats (row i = -1: how many
	// articles, their average body length) and every token's document
	// frequency.
	parts := []string{`SELECT -1 AS i, COUNT(*) AS df, CAST(COALESCE(AVG(body_terms), 0) AS DOUBLE PRECISION) AS avg FROM kb_articles WHERE ` + artScope}
	args := append([]any{}, artArgs...)
	for i, t := range terms {
		c, a := t.cond()
		parts = append(parts, fmt.Sprintf("SELECT %d AS i, COUNT(DISTINCT article_id) AS df, CAST(0 AS DOUBLE PRECISION) AS avg FROM kb_terms WHERE %s%s", i, c, scope))
		args = append(args, a...)
		args = append(args, scopeArgs...)
	}
	var dfs []struct {
		I, Df int64
		Avg   float64
	}
	if err := db.Raw(strings.Join(parts, " UNION ALL "), args...).Scan(&dfs).Error; err != nil {
		return nil, fmt.Errorf("store: suggest kb df: %w", err)
	}
	for _, d := range dfs {
		if d.I == -1 {
			stats.N, stats.Avg = d.Df, d.Avg
		}
	}
	if stats.N == 0 {
		return nil, nil
	}
	avg := max(stats.Avg, 1)
	idf := make([]float64, len(terms))
	for _, d := range dfs {
		if d.I >= 0 && d.Df > 0 {
			idf[d.I] = math.Log(1 + (float64(stats.N)-float64(d.Df)+0.5)/(float64(d.Df)+0.5))
		}
	}
	// Each row's weight: the idf of the query token it matches (a literal
	// computed above, not user input), times the title weight or the BM25
	// saturation of its body count. One branch per token reads just that
	// token's key range: on PostgreSQL an index-only scan of the primary
	// key, which carries tf and doc_len (an OR of the tokens made a bitmap
	// scan that read one heap page per posting). The literals are doubles
	// on both stores (a bare 0.43 is NUMERIC on PostgreSQL, several times
	// slower to sum).
	lit := func(f float64) string { return "CAST(" + strconv.FormatFloat(f, 'g', 17, 64) + " AS DOUBLE PRECISION)" }
	sat := fmt.Sprintf("(tf * %s / (tf + %s * (%s + %s * doc_len / %s)))", lit(kbK1+1), lit(kbK1), lit(1-kbB), lit(kbB), lit(avg))
	weight := fmt.Sprintf("(CASE WHEN field = %d THEN %s ELSE %s END)", kbFieldTitle, lit(kbTitleWeight), sat)
	var branches []string
	var all []any
	for i, t := range terms {
		if idf[i] == 0 {
			continue
		}
		c, a := t.cond()
		branches = append(branches, fmt.Sprintf("SELECT article_id, %s * %s AS w FROM kb_terms WHERE %s%s", lit(idf[i]), weight, c, scope))
		all = append(append(all, a...), scopeArgs...)
	}
	if len(branches) == 0 {
		return nil, nil
	}
	sql := `SELECT article_id, SUM(w) AS score FROM (` + strings.Join(branches, " UNION ALL ") +
		`) x GROUP BY article_id ORDER BY score DESC, article_id DESC LIMIT ?`
	all = append(all, q.Limit+5)
	var rows []struct {
		ArticleID int64
		Score     float64
	}
	if err := db.Raw(sql, all...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: suggest kb: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ArticleID
	}
	var arts []KBArticle
	if err := db.Where("id IN ?", ids).Find(&arts).Error; err != nil {
		return nil, fmt.Errorf("store: suggest kb load: %w", err)
	}
	byID := map[int64]KBArticle{}
	for _, a := range arts {
		byID[a.ID] = a
	}
	out := make([]KBHit, 0, len(rows))
	for _, r := range rows {
		if a, ok := byID[r.ArticleID]; ok {
			out = append(out, KBHit{Article: a, Score: math.Round(r.Score*1000) / 1000})
		}
	}
	// Equal scores (rounded, so both stores agree): the newer article first.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Article.UpdatedAt.After(out[j].Article.UpdatedAt)
	})
	if len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// nonEmpty makes an IN list that matches nothing out of an empty one (an
// empty IN () is not valid SQL everywhere): a category is trimmed, so it is
// never a lone space.
func nonEmpty(cats []string) []string {
	if len(cats) == 0 {
		return []string{" "}
	}
	return cats
}
