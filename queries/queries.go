// Package queries is keytrail's SQL: the Athena tables over the lake and a
// library of named investigation and review queries, embedded as .sql files.
//
// The SQL is Athena (Trino) SQL written in the subset DuckDB also runs, so
// the same text answers questions on a laptop (queries/duck) and in AWS
// (queries/athena). Every value reaches a query as a positional parameter
// (?): CloudTrail text is attacker-controlled and is never pasted into SQL.
// Where a human needs to see a complete query (a finding's follow-up query),
// Render fills the parameters with literals made by one audited function,
// Literal.
//
// This package is pure Go on purpose: the detect Lambda imports it to render
// follow-up queries and must stay CGO-free.
package queries

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
)

//go:embed ddl/*.sql library/*.sql fragments/*.sql
var files embed.FS

// Query is one named library query.
type Query struct {
	Name        string
	Description string
	// Params are the named parameters a caller supplies, in header order.
	Params []Param
	// SQL is the query text with one ? per bound value (see Binds).
	SQL string
	// Binds names the parameter behind each ?, in order. A parameter may be
	// bound more than once, and through a conversion (Bind.Day).
	Binds []Bind
}

// Param is a named query parameter.
type Param struct {
	Name        string
	Type        Type
	Description string
	// Optional parameters take Default when the caller leaves them out.
	Optional bool
	Default  string
}

// Bind is the value behind one ?: a parameter, possibly converted.
type Bind struct {
	Param string
	// Day binds the UTC day (YYYY-MM-DD, the partition value) of a
	// timestamp parameter, so queries prune partitions with plain
	// comparisons on the day column.
	Day bool
}

func (b Bind) String() string {
	if b.Day {
		return b.Param + ":day"
	}
	return b.Param
}

// Result is what a runner returns: column names and rows of text cells, as
// Athena returns them (timestamps as "2006-01-02 15:04:05.000", NULL as "").
type Result struct {
	Columns []string
	// Types are the engine's column types (DuckDB's BIGINT, Athena's
	// bigint, …), where it reports them, so a printer can type the text.
	Types []string
	Rows  [][]string
	// BytesScanned is the data the engine read, where it reports it.
	BytesScanned int64
}

// Col returns the index of the named column, or -1.
func (r *Result) Col(name string) int { return slices.Index(r.Columns, name) }

var (
	loadOnce sync.Once
	library  []Query
	loadErr  error
)

func load() ([]Query, error) {
	loadOnce.Do(func() {
		names, err := fs.Glob(files, "library/*.sql")
		if err != nil {
			loadErr = err
			return
		}
		for _, n := range names {
			b, err := files.ReadFile(n)
			if err != nil {
				loadErr = err
				return
			}
			q, err := Parse(strings.TrimSuffix(path.Base(n), ".sql"), string(b))
			if err != nil {
				loadErr = fmt.Errorf("query %s: %w", n, err)
				return
			}
			library = append(library, q)
		}
		sort.Slice(library, func(i, j int) bool { return library[i].Name < library[j].Name })
	})
	return library, loadErr
}

// All returns every library query, sorted by name. The library is embedded
// and checked by tests, so a parse error is a build defect and panics.
func All() []Query {
	qs, err := load()
	if err != nil {
		panic(err)
	}
	return slices.Clone(qs)
}

// Get returns the named query.
func Get(name string) (Query, error) {
	for _, q := range All() {
		if q.Name == name {
			return q, nil
		}
	}
	return Query{}, fmt.Errorf("unknown query %q (see keytrail query --list)", name)
}

// Files returns the embedded .sql files (DDL and library) by path, for
// checks that parse every statement.
func Files() (map[string]string, error) {
	out := map[string]string{}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		out[p] = string(b)
		return err
	})
	return out, err
}

// Parse reads a query file: a header of "-- @" lines, then the SQL.
//
//	-- @name principal_activity
//	-- @description Everything a principal did in a window.
//	-- @param principal string ARN of the principal.
//	-- @param limit integer=100 Rows at most (optional, default 100).
//	-- @param resource string= ARN of a secret or key; empty means any.
//	-- @bind from:day to:day from to principal
//
// @bind lists the parameter behind each ? in order; "p:day" binds the UTC
// day of timestamp p. A line "-- @unique events" (or findings) in the body
// marks the select after it as the table's rows, each once: Parse wraps it
// in the one dedup window (see unique.go), and Query.SQL holds the result.
// A line "-- @list use_events" fills the parentheses it stands in with a
// named list of values (see lists.go), and "-- @with NAME…" places shared
// subqueries (see fragments.go).
// Other comment lines are documentation.
func Parse(name, text string) (Query, error) {
	q := Query{Name: name, SQL: text}
	var haveName, haveBind bool
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		rest, ok := strings.CutPrefix(line, "-- @")
		if !ok {
			continue
		}
		key, val, _ := strings.Cut(rest, " ")
		val = strings.TrimSpace(val)
		switch key {
		case "name":
			if val != name {
				return q, fmt.Errorf("@name %q does not match file name %q", val, name)
			}
			haveName = true
		case "description":
			if q.Description != "" {
				q.Description += " "
			}
			q.Description += val
		case "param":
			p, err := parseParam(val)
			if err != nil {
				return q, err
			}
			if _, dup := q.param(p.Name); dup {
				return q, fmt.Errorf("parameter %s declared twice", p.Name)
			}
			q.Params = append(q.Params, p)
		case "bind":
			haveBind = true
			for _, f := range strings.Fields(val) {
				pn, conv, hasConv := strings.Cut(f, ":")
				b := Bind{Param: pn}
				if hasConv {
					if conv != "day" {
						return q, fmt.Errorf("@bind %s: unknown conversion %q", f, conv)
					}
					b.Day = true
				}
				p, ok := q.param(pn)
				if !ok {
					return q, fmt.Errorf("@bind names undeclared parameter %s", pn)
				}
				if b.Day && p.Type != Timestamp {
					return q, fmt.Errorf("@bind %s: day of a %s parameter", f, p.Type)
				}
				q.Binds = append(q.Binds, b)
			}
		case "unique", "list", "with":
			// Expanded below, with the select or list it marks.
		default:
			return q, fmt.Errorf("unknown header @%s", key)
		}
	}
	if !haveName {
		return q, fmt.Errorf("missing @name")
	}
	if q.Description == "" {
		return q, fmt.Errorf("missing @description")
	}
	if len(q.Params) > 0 && !haveBind {
		return q, fmt.Errorf("missing @bind")
	}
	sql, err := Expand(text)
	if err != nil {
		return q, err
	}
	sql, err = expandUnique(sql)
	if err != nil {
		return q, err
	}
	q.SQL = sql
	marks, err := Placeholders(q.SQL)
	if err != nil {
		return q, err
	}
	if len(marks) != len(q.Binds) {
		return q, fmt.Errorf("%d placeholders but @bind lists %d", len(marks), len(q.Binds))
	}
	for _, p := range q.Params {
		if !slices.ContainsFunc(q.Binds, func(b Bind) bool { return b.Param == p.Name }) {
			return q, fmt.Errorf("parameter %s is never bound", p.Name)
		}
	}
	return q, nil
}

func parseParam(s string) (Param, error) {
	f := strings.Fields(s)
	if len(f) < 3 {
		return Param{}, fmt.Errorf("@param %q: want name, type and description", s)
	}
	p := Param{Name: f[0], Description: strings.Join(f[2:], " ")}
	typ, def, opt := strings.Cut(f[1], "=")
	p.Type = Type(typ)
	if !p.Type.valid() {
		return p, fmt.Errorf("@param %s: unknown type %q", p.Name, typ)
	}
	if opt {
		if _, err := Literal(p.Type, def); err != nil {
			return p, fmt.Errorf("@param %s: default: %w", p.Name, err)
		}
		p.Optional, p.Default = true, def
	}
	return p, nil
}

func (q Query) param(name string) (Param, bool) {
	i := slices.IndexFunc(q.Params, func(p Param) bool { return p.Name == name })
	if i < 0 {
		return Param{}, false
	}
	return q.Params[i], true
}

// values checks args against the declared parameters and returns one value
// per declared parameter, defaults applied.
func (q Query) values(args map[string]string) (map[string]string, error) {
	var extra []string
	for k := range args {
		if _, ok := q.param(k); !ok {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, fmt.Errorf("query %s: unknown parameter %s (want %s)", q.Name, strings.Join(extra, ", "), q.paramNames())
	}
	out := make(map[string]string, len(q.Params))
	for _, p := range q.Params {
		v, ok := args[p.Name]
		if !ok {
			if !p.Optional {
				return nil, fmt.Errorf("query %s: missing parameter %s (%s %s)", q.Name, p.Name, p.Type, p.Description)
			}
			v = p.Default
		}
		if _, err := Literal(p.Type, v); err != nil {
			return nil, fmt.Errorf("query %s: parameter %s: %w", q.Name, p.Name, err)
		}
		out[p.Name] = v
	}
	return out, nil
}

func (q Query) paramNames() string {
	var s []string
	for _, p := range q.Params {
		s = append(s, p.Name)
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// Args returns the Athena ExecutionParameters for args: one typed literal
// per ?, in order ('text', TIMESTAMP '…', 42).
func (q Query) Args(args map[string]string) ([]string, error) {
	vals, err := q.values(args)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(q.Binds))
	for i, b := range q.Binds {
		p, _ := q.param(b.Param)
		typ, v := p.Type, vals[b.Param]
		if b.Day {
			typ, v = String, dayOf(v)
		}
		if out[i], err = Literal(typ, v); err != nil {
			return nil, fmt.Errorf("query %s: parameter %s: %w", q.Name, b.Param, err)
		}
	}
	return out, nil
}

// Values returns the Go values to bind for args, one per ?, for a
// database/sql driver: string, time.Time (UTC) or int64.
func (q Query) Values(args map[string]string) ([]any, error) {
	vals, err := q.values(args)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(q.Binds))
	for i, b := range q.Binds {
		p, _ := q.param(b.Param)
		v, err := p.Type.value(vals[b.Param])
		if err != nil {
			return nil, fmt.Errorf("query %s: parameter %s: %w", q.Name, b.Param, err)
		}
		if b.Day {
			v = dayOf(vals[b.Param])
		}
		out[i] = v
	}
	return out, nil
}

// Render returns the named query with its parameters filled in as literals,
// for a human to read or paste into the Athena console.
func Render(name string, args map[string]string) (string, error) {
	q, err := Get(name)
	if err != nil {
		return "", err
	}
	return q.Render(args)
}

// Render returns the query with its parameters filled in as literals.
func (q Query) Render(args map[string]string) (string, error) {
	lits, err := q.Args(args)
	if err != nil {
		return "", err
	}
	marks, err := Placeholders(q.SQL)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	last := 0
	for i, m := range marks {
		b.WriteString(q.SQL[last:m])
		b.WriteString(lits[i])
		last = m + 1
	}
	b.WriteString(q.SQL[last:])
	return b.String(), nil
}
