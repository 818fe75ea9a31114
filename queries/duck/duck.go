// Package duck runs the query library on a laptop: DuckDB, in process, over
// a lake in a local folder, with the same SQL Athena runs.
//
// The library is written in Athena (Trino) SQL, in the subset DuckDB shares.
// Where the two engines differ, this package defines the Trino function in
// DuckDB as a macro when it opens the database (see compat), so the SQL text
// is never rewritten. Parameters are bound as prepared-statement values.
//
// DuckDB is cgo: only the CLI imports this package, never a Lambda.
package duck

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/inventory"
	"github.com/keytrail/keytrail/queries"
	"github.com/parquet-go/parquet-go"
)

// compat defines the Trino functions the library uses that DuckDB lacks or
// spells differently. Each is a macro over DuckDB built-ins; the test
// checks each against the value Trino documents.
var compat = []string{
	// Time zones. Trino's with_timezone(timestamp, zone) reads a naive
	// timestamp as wall time in zone; at_timezone(timestamp with time zone,
	// zone) shows an instant as wall time in zone. DuckDB's timezone(zone, x)
	// does the first for a TIMESTAMP and the second for a TIMESTAMPTZ.
	`CREATE MACRO with_timezone(ts, zone) AS timezone(zone, CAST(ts AS TIMESTAMP))`,
	`CREATE MACRO at_timezone(ts, zone) AS timezone(zone, CAST(ts AS TIMESTAMPTZ))`,
	`CREATE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)`,
	// Trino's date_format takes MySQL specifiers; they match strftime's
	// except %i (minutes) and %s (seconds), which strftime spells %M and %S.
	`CREATE MACRO date_format(ts, fmt) AS strftime(ts, replace(replace(fmt, '%i', '%M'), '%s', '%S'))`,
	// ISO day of week, 1 = Monday … 7 = Sunday, in both.
	`CREATE MACRO day_of_week(ts) AS isodow(ts)`,
	`CREATE MACRO approx_distinct(x) AS approx_count_distinct(x)`,
	`CREATE MACRO array_join(list, sep) AS array_to_string(list, sep)`,
	`CREATE MACRO regexp_like(s, pattern) AS regexp_matches(s, pattern)`,
	// Trino JSON paths name odd keys as $["aws:s3:arn"]; DuckDB as
	// $."aws:s3:arn". Plain $.key paths are the same in both.
	`CREATE MACRO json_extract_scalar(j, path) AS json_extract_string(j, regexp_replace(path, '\["([^"]*)"\]', '."\1"', 'g'))`,
}

// DB is a DuckDB database with the lake's tables as views.
type DB struct {
	db *sql.DB
	// views are the lake's tables Open defined.
	views map[string]bool
}

// Open opens an in-memory DuckDB over the lake in the folder dir, with the
// views events, findings, events_unique and findings_unique, and the
// inventory's tables as inventory_<name> (inventory.Tables). A lake with no
// files yet gives empty tables, not an error: a review asks whether the
// inventory holds a day before it trusts an empty answer.
func Open(ctx context.Context, dir string) (*DB, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	// One connection: macros, settings and views live on it.
	db.SetMaxOpenConns(1)
	d := &DB{db: db}
	if err := d.setup(ctx, dir); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

func (d *DB) setup(ctx context.Context, dir string) error {
	// Athena's session time zone is UTC; without this, DuckDB would use
	// the machine's for TIMESTAMPTZ arithmetic.
	stmts := []string{`SET TimeZone = 'UTC'`}
	stmts = append(stmts, compat...)
	type lakeTable struct {
		name, prefix string
		schema       *parquet.Schema
	}
	tables := []lakeTable{
		{"events", "events/", event.Schema},
		{"findings", "findings/", parquet.SchemaOf(finding.Finding{})},
	}
	for _, t := range inventory.Tables {
		tables = append(tables, lakeTable{"inventory_" + t.Name, t.Prefix, t.Schema})
	}
	d.views = map[string]bool{}
	for _, t := range tables {
		sel, err := tableSQL(dir, t.prefix, t.schema)
		if err != nil {
			return err
		}
		stmts = append(stmts, `CREATE VIEW `+ident(t.name)+` AS `+sel)
		d.views[t.name] = true
	}
	for _, name := range []string{"ddl/events_unique.sql", "ddl/findings_unique.sql"} {
		s, err := ddl(name)
		if err != nil {
			return err
		}
		// The Athena view DDL runs as is on DuckDB, except OR REPLACE on
		// a fresh database is pointless but harmless.
		stmts = append(stmts, s)
	}
	for _, s := range stmts {
		if _, err := d.db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("set up duckdb: %s: %w", firstLine(s), err)
		}
	}
	return nil
}

func ddl(name string) (string, error) {
	files, err := queries.Files()
	if err != nil {
		return "", err
	}
	s, ok := files[name]
	if !ok {
		return "", fmt.Errorf("missing %s", name)
	}
	return s, nil
}

// tableSQL returns the SELECT behind a lake table's view: the Parquet files
// under dir/prefix/day=*/, read by column name (older files may lack newer
// columns), with day as text like Athena's partition column and timestamps
// as naive UTC like Athena's timestamp type. With no files it returns an
// empty relation with the same columns.
func tableSQL(dir, prefix string, schema *parquet.Schema) (string, error) {
	cols, err := queries.Columns(schema)
	if err != nil {
		return "", err
	}
	glob := filepath.Join(dir, filepath.FromSlash(prefix), "day=*", "*.parquet")
	matches, err := filepath.Glob(glob)
	if err != nil {
		return "", fmt.Errorf("list %s: %w", prefix, err)
	}
	if _, err := os.Stat(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("lake %s: %w", dir, err)
	}
	if len(matches) == 0 {
		var sel []string
		for _, c := range cols {
			sel = append(sel, fmt.Sprintf("CAST(NULL AS %s) AS %s", duckType(c.Type), ident(c.Name)))
		}
		sel = append(sel, `CAST(NULL AS VARCHAR) AS day`)
		return "SELECT " + strings.Join(sel, ", ") + " WHERE false", nil
	}
	var repl []string
	for _, c := range cols {
		if c.Type == "timestamp" {
			repl = append(repl, fmt.Sprintf("CAST(%s AS TIMESTAMP) AS %s", ident(c.Name), ident(c.Name)))
		}
	}
	return fmt.Sprintf(`SELECT * REPLACE (%s) FROM read_parquet(%s, hive_partitioning = true, union_by_name = true, hive_types = {'day': VARCHAR})`,
		strings.Join(repl, ", "), stringLit(glob)), nil
}

func duckType(athena string) string {
	switch athena {
	case "string":
		return "VARCHAR"
	case "array<string>":
		return "VARCHAR[]"
	}
	return strings.ToUpper(athena)
}

func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// stringLit quotes a local path for DuckDB. The path is the operator's
// own, not CloudTrail's, but is quoted properly all the same.
func stringLit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// Run runs a library query with args bound as parameters.
func (d *DB) Run(ctx context.Context, q queries.Query, args map[string]string) (queries.Result, error) {
	vals, err := q.Values(args)
	if err != nil {
		return queries.Result{}, err
	}
	res, err := d.query(ctx, q.SQL, vals...)
	if err != nil {
		return res, fmt.Errorf("query %s: %w", q.Name, err)
	}
	return res, nil
}

// Exec runs one statement and returns its rows as text, for ad-hoc SQL and
// tests. Its values are bound parameters.
func (d *DB) Exec(ctx context.Context, query string, args ...any) (queries.Result, error) {
	return d.query(ctx, query, args...)
}

func (d *DB) query(ctx context.Context, query string, args ...any) (queries.Result, error) {
	var res queries.Result
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return res, err
	}
	defer rows.Close()
	if res.Columns, err = rows.Columns(); err != nil {
		return res, err
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		return res, err
	}
	for _, t := range types {
		res.Types = append(res.Types, t.DatabaseTypeName())
	}
	cells := make([]any, len(res.Columns))
	ptrs := make([]any, len(cells))
	for i := range cells {
		ptrs[i] = &cells[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return res, err
		}
		row := make([]string, len(cells))
		for i, c := range cells {
			row[i] = Text(c)
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return res, err
	}
	return res, nil
}

// AddLakeTable defines the view name over the Parquet files under
// dir/prefix in day=*/ partitions, as Open does for its tables, when there
// are any. It reports whether the view is there: a table Open defined
// (the inventory's) is left as Open typed it.
func (d *DB) AddLakeTable(ctx context.Context, name, dir, prefix string) (bool, error) {
	if d.views[name] {
		return true, nil
	}
	glob := filepath.Join(dir, filepath.FromSlash(prefix), "day=*", "*.parquet")
	matches, err := filepath.Glob(glob)
	if err != nil || len(matches) == 0 {
		return false, err
	}
	q := fmt.Sprintf(`CREATE VIEW %s AS SELECT * FROM read_parquet(%s, hive_partitioning = true, union_by_name = true, hive_types = {'day': VARCHAR})`,
		ident(name), stringLit(glob))
	if _, err := d.db.ExecContext(ctx, q); err != nil {
		return false, fmt.Errorf("view %s: %w", name, err)
	}
	return true, nil
}
