package scan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/keytrail/keytrail/queries"
	"github.com/keytrail/keytrail/queries/duck"
)

// Explain returns the plans of the Parquet scans in q with args bound, as
// DuckDB's optimizer builds them over db: one per table read (a query may
// read its table in several branches, each pruned by its own filter).
//
// The pushed predicates are the scan's own filters and those of the FILTER
// operators directly above it (below any window, aggregate or join): the
// predicates Trino also pushes into its table scan. DuckDB decides by
// itself which of them it evaluates inside the scan; the engine being
// modelled would push all of them.
func Explain(ctx context.Context, db *duck.DB, q queries.Query, args map[string]string) ([]Plan, error) {
	vals, err := q.Values(args)
	if err != nil {
		return nil, err
	}
	res, err := db.Exec(ctx, "EXPLAIN (FORMAT JSON) "+q.SQL, vals...)
	if err != nil {
		return nil, fmt.Errorf("explain %s: %w", q.Name, err)
	}
	if len(res.Rows) != 1 || len(res.Rows[0]) != 2 {
		return nil, fmt.Errorf("explain %s: %d rows, want one plan", q.Name, len(res.Rows))
	}
	ps, err := planOf(res.Rows[0][1])
	if err != nil {
		return nil, fmt.Errorf("explain %s: %w", q.Name, err)
	}
	return ps, nil
}

// node is an operator of DuckDB's JSON plan.
type node struct {
	Name      string                     `json:"name"`
	Children  []node                     `json:"children"`
	ExtraInfo map[string]json.RawMessage `json:"extra_info"`
}

// planOf reads the plans of the READ_PARQUET operators of a JSON plan.
func planOf(text string) ([]Plan, error) {
	var roots []node
	if err := json.Unmarshal([]byte(text), &roots); err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	var scans []Plan
	var walk func(n node, above []string)
	walk = func(n node, above []string) {
		switch n.Name {
		case "READ_PARQUET":
			scans = append(scans, scanPlan(n, above))
			return
		case "FILTER":
			above = append(above, info(n, "Expression")...)
		case "PROJECTION":
			// Renames only; the filters above still reach the scan.
		default:
			above = nil
		}
		for _, c := range n.Children {
			walk(c, slices.Clone(above))
		}
	}
	for _, r := range roots {
		walk(r, nil)
	}
	if len(scans) == 0 {
		// DuckDB found from statistics alone that nothing matches, or
		// the query reads no table: either way not what a benchmark of
		// reads means to measure.
		return nil, errors.New("no parquet scan in the plan")
	}
	return scans, nil
}

func scanPlan(n node, above []string) Plan {
	var p Plan
	for _, c := range info(n, "Projections") {
		if c != "day" && !slices.Contains(p.Columns, c) {
			p.Columns = append(p.Columns, c)
		}
	}
	for _, f := range append(info(n, "Filters"), above...) {
		for _, conj := range conjuncts(f) {
			pr, ok := parsePred(conj)
			if !ok {
				continue
			}
			if !slices.Contains(p.Columns, pr.Column) && pr.Column != "day" {
				p.Columns = append(p.Columns, pr.Column)
			}
			p.Preds = append(p.Preds, pr)
		}
	}
	return p
}

// info returns an extra_info entry as lines: DuckDB prints a list as a
// JSON array and a single entry as a string, several filters one a line.
func info(n node, key string) []string {
	raw, ok := n.ExtraInfo[key]
	if !ok {
		return nil
	}
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil
		}
		list = []string{s}
	}
	var out []string
	for _, s := range list {
		for line := range strings.SplitSeq(s, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				out = append(out, line)
			}
		}
	}
	return out
}

// conjuncts splits a printed expression at its top-level ANDs, keeping
// BETWEEN … AND … whole.
func conjuncts(s string) []string {
	s = unwrap(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "optional:")))
	parts := splitTop(s, " AND ")
	var out []string
	for i := 0; i < len(parts); i++ {
		p := parts[i]
		if len(splitTop(p, " BETWEEN ")) == 2 && i+1 < len(parts) {
			out = append(out, p+" AND "+parts[i+1])
			i++
			continue
		}
		if len(parts) == 1 {
			return []string{p}
		}
		out = append(out, conjuncts(p)...)
	}
	return out
}

// parsePred reads a predicate on one column: col = v, col IN (…), col
// BETWEEN a AND b, comparisons, and ORs of equalities on one column. ok
// is false for anything else.
func parsePred(s string) (Pred, bool) {
	s = unwrap(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "optional:")))
	if ors := splitTop(s, " OR "); len(ors) > 1 {
		var out Pred
		for _, o := range ors {
			p, ok := parsePred(o)
			if !ok || p.Values == nil || out.Column != "" && p.Column != out.Column {
				return Pred{}, false
			}
			out.Column = p.Column
			out.Values = append(out.Values, p.Values...)
		}
		return out, true
	}
	if b := splitTop(s, " BETWEEN "); len(b) == 2 {
		col, ok := column(b[0])
		bounds := splitTop(b[1], " AND ")
		if !ok || len(bounds) != 2 {
			return Pred{}, false
		}
		lo, ok1 := literal(bounds[0])
		hi, ok2 := literal(bounds[1])
		if !ok1 || !ok2 {
			return Pred{}, false
		}
		return Pred{Column: col, Lo: &lo, Hi: &hi}, true
	}
	if in := splitTop(s, " IN "); len(in) == 2 {
		col, ok := column(in[0])
		list := strings.TrimSpace(in[1])
		if !ok || !strings.HasPrefix(list, "(") || !strings.HasSuffix(list, ")") {
			return Pred{}, false
		}
		p := Pred{Column: col, Values: []string{}}
		for _, item := range splitTop(list[1:len(list)-1], ", ") {
			v, ok := literal(item)
			if !ok {
				return Pred{}, false
			}
			p.Values = append(p.Values, v)
		}
		return p, true
	}
	left, op, right, ok := splitCompare(s)
	if !ok {
		return Pred{}, false
	}
	col, ok := column(left)
	v, ok2 := literal(right)
	if !ok || !ok2 {
		return Pred{}, false
	}
	p := Pred{Column: col}
	switch op {
	case "=":
		p.Values = []string{v}
	case ">=", ">":
		p.Lo, p.LoOpen = &v, op == ">"
	case "<=", "<":
		p.Hi, p.HiOpen = &v, op == "<"
	default: // <> and != prune nothing
		return Pred{}, false
	}
	return p, true
}

// splitCompare splits s at its one top-level comparison operator (DuckDB
// prints "a = 'x'" above a scan and "a='x'" inside it).
func splitCompare(s string) (left, op, right string, ok bool) {
	depth, quoted, at := 0, false, -1
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && strings.IndexByte("<>=!", c) >= 0:
			if at >= 0 {
				return "", "", "", false
			}
			at = i
			op = s[i : i+1]
			if i+1 < len(s) && strings.IndexByte("<>=", s[i+1]) >= 0 {
				op = s[i : i+2]
				i++
			}
		}
	}
	if at < 0 {
		return "", "", "", false
	}
	return s[:at], op, s[at+len(op):], true
}

// column reads a column reference: name, "name", or CAST(name AS
// TIMESTAMP), the lake view's naive-UTC event time (the same order as the
// stored instant).
func column(s string) (string, bool) {
	s = unwrap(strings.TrimSpace(s))
	if inner, ok := strings.CutPrefix(s, "CAST("); ok {
		name, ok := strings.CutSuffix(inner, " AS TIMESTAMP)")
		if !ok {
			return "", false
		}
		s = name
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	if s == "" || strings.ContainsAny(s, " ()'.,") {
		return "", false
	}
	return s, true
}

// literal reads 'text' (quotes doubled inside), optionally cast with
// ::TYPE, as its text.
func literal(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "'::"); i > 0 {
		s = s[:i+1]
	}
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return "", false
	}
	body := s[1 : len(s)-1]
	if strings.Count(body, "'")%2 != 0 {
		return "", false
	}
	return strings.ReplaceAll(body, "''", "'"), true
}

// unwrap removes parentheses around the whole of s.
func unwrap(s string) string {
	for len(s) >= 2 && s[0] == '(' && s[len(s)-1] == ')' && closing(s, 0) == len(s)-1 {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// closing returns the index of the parenthesis closing the one at open,
// outside quotes, or -1.
func closing(s string, open int) int {
	depth, quoted := 0, false
	for i := open; i < len(s); i++ {
		switch {
		case s[i] == '\'':
			quoted = !quoted
		case quoted:
		case s[i] == '(':
			depth++
		case s[i] == ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// splitTop splits s at sep where sep is outside quotes and parentheses.
func splitTop(s, sep string) []string {
	var out []string
	depth, quoted, last := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\'':
			quoted = !quoted
		case quoted:
		case s[i] == '(':
			depth++
		case s[i] == ')':
			depth--
		case depth == 0 && strings.HasPrefix(s[i:], sep):
			out = append(out, s[last:i])
			i += len(sep) - 1
			last = i + 1
		}
	}
	return append(out, s[last:])
}

// Days returns the day bounds a library query prunes partitions with: the
// values of its first two day binds (the library's "day BETWEEN ? AND ?").
func Days(q queries.Query, args map[string]string) (from, to string, err error) {
	vals, err := q.Values(args)
	if err != nil {
		return "", "", err
	}
	var days []string
	for i, b := range q.Binds {
		if b.Day {
			days = append(days, vals[i].(string))
		}
	}
	if len(days) < 2 || !strings.Contains(q.SQL, "day BETWEEN ? AND ?") {
		return "", "", fmt.Errorf("query %s prunes no day partitions", q.Name)
	}
	return days[0], days[1], nil
}
