package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Catalog describes the schema as the database reports it: every table with
// its columns (name, type, nullability, default, key), indexes and
// constraints, one line each, sorted. Two databases with the same Catalog
// have the same schema, however they got there.
func (s *Store) Catalog(ctx context.Context) (string, error) {
	var lines []string
	var err error
	if s.Dialect == Postgres {
		lines, err = s.postgresCatalog(ctx)
	} else {
		lines, err = s.sqliteCatalog(ctx)
	}
	if err != nil {
		return "", err
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n"), nil
}

func (s *Store) sqliteCatalog(ctx context.Context) ([]string, error) {
	db := s.DB.WithContext(ctx)
	var tables []struct{ Type, Name, TblName, SQL string }
	if err := db.Raw(`SELECT type, name, tbl_name, COALESCE(sql, '') AS sql FROM sqlite_master
		WHERE name NOT LIKE 'sqlite_%' ORDER BY name`).Scan(&tables).Error; err != nil {
		return nil, err
	}
	var out []string
	for _, t := range tables {
		switch {
		case t.Type == "table" && strings.HasPrefix(strings.ToUpper(t.SQL), "CREATE VIRTUAL"):
			out = append(out, fmt.Sprintf("virtual %s: %s", t.Name, t.SQL))
		case t.Type == "table":
			var cols []struct {
				Cid     int
				Name    string
				Type    string
				Notnull int
				Dflt    *string `gorm:"column:dflt_value"`
				Pk      int
				Hidden  int
			}
			if err := db.Raw(fmt.Sprintf("PRAGMA table_xinfo(%q)", t.Name)).Scan(&cols).Error; err != nil {
				return nil, err
			}
			for _, c := range cols {
				d := "<nil>"
				if c.Dflt != nil {
					d = *c.Dflt
				}
				out = append(out, fmt.Sprintf("column %s.%02d %s %s notnull=%d default=%s pk=%d", t.Name, c.Cid, c.Name, strings.ToLower(c.Type), c.Notnull, d, c.Pk))
			}
			var fks []struct {
				ID    int
				Seq   int
				Table string
				From  string
				To    string
			}
			if err := db.Raw(fmt.Sprintf("PRAGMA foreign_key_list(%q)", t.Name)).Scan(&fks).Error; err != nil {
				return nil, err
			}
			for _, f := range fks {
				out = append(out, fmt.Sprintf("fk %s.%s -> %s.%s", t.Name, f.From, f.Table, f.To))
			}
		case t.Type == "index":
			var cols []struct {
				Seqno int
				Name  string
			}
			if err := db.Raw(fmt.Sprintf("PRAGMA index_info(%q)", t.Name)).Scan(&cols).Error; err != nil {
				return nil, err
			}
			names := make([]string, len(cols))
			for i, c := range cols {
				names[i] = c.Name
			}
			unique := strings.Contains(strings.ToUpper(t.SQL), "UNIQUE")
			out = append(out, fmt.Sprintf("index %s on %s(%s) unique=%v", t.Name, t.TblName, strings.Join(names, ","), unique))
		default:
			out = append(out, fmt.Sprintf("%s %s: %s", t.Type, t.Name, t.SQL))
		}
	}
	return out, nil
}

func (s *Store) postgresCatalog(ctx context.Context) ([]string, error) {
	db := s.DB.WithContext(ctx)
	var schema string
	if err := db.Raw("SELECT current_schema()").Scan(&schema).Error; err != nil {
		return nil, err
	}
	strip := func(v string) string { return strings.ReplaceAll(v, schema+".", "") }
	var cols []struct {
		TableName, ColumnName, DataType, IsNullable string
		OrdinalPosition                             int
		CharacterMaximumLength                      *int
		ColumnDefault                               *string
	}
	if err := db.Raw(`SELECT table_name, column_name, data_type, is_nullable, ordinal_position,
		character_maximum_length, column_default FROM information_schema.columns WHERE table_schema = ?`, schema).Scan(&cols).Error; err != nil {
		return nil, err
	}
	var out []string
	for _, c := range cols {
		l, d := "-", "<nil>"
		if c.CharacterMaximumLength != nil {
			l = fmt.Sprint(*c.CharacterMaximumLength)
		}
		if c.ColumnDefault != nil {
			d = strip(*c.ColumnDefault)
		}
		out = append(out, fmt.Sprintf("column %s.%02d %s %s(%s) nullable=%s default=%s", c.TableName, c.OrdinalPosition, c.ColumnName, c.DataType, l, c.IsNullable, d))
	}
	var idx []struct{ Tablename, Indexname, Indexdef string }
	if err := db.Raw(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = ?`, schema).Scan(&idx).Error; err != nil {
		return nil, err
	}
	for _, i := range idx {
		out = append(out, fmt.Sprintf("index %s on %s: %s", i.Indexname, i.Tablename, strip(i.Indexdef)))
	}
	var cons []struct{ Conname, Relname, Def string }
	if err := db.Raw(`SELECT c.conname, r.relname, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
		JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = ?`, schema).Scan(&cons).Error; err != nil {
		return nil, err
	}
	for _, c := range cons {
		out = append(out, fmt.Sprintf("constraint %s on %s: %s", c.Conname, c.Relname, strip(c.Def)))
	}
	return out, nil
}

// MigrateTo applies migrations up to version target (for upgrade tests).
func (s *Store) MigrateTo(ctx context.Context, target int) error { return s.migrateTo(ctx, target) }
