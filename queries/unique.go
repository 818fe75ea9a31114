package queries

import (
	"fmt"
	"slices"
	"strings"
)

// Each row once
//
// A table of the lake can hold copies of one row: CloudTrail delivers some
// events twice (the same event in another file), compaction briefly leaves
// its merged file beside the small ones, and a retried detector run writes
// a finding again. Every library query counts each row once, and this file
// is the one definition of how: a query marks the select that reads a table
//
//	WITH ev AS (
//	  -- @unique events
//	  SELECT *
//	  FROM events e
//	  WHERE e.day BETWEEN ? AND ?
//	    AND (e.principal_arn = ? OR e.session_issuer_arn = ?)
//	)
//
// and Parse wraps that select, up to the parenthesis that closes around it,
// in the table's window: one row per key (uniqueKeys), the first copy in
// source order. The query's own filters thus stay inside, below the window,
// where Athena and DuckDB push them into the scan (partition pruning on day,
// Parquet statistics on the rest); a filter outside the window would run
// after every row of the days had been numbered. Filtering first gives the
// same rows: copies of an event are the same record, so they pass or fail a
// filter on its columns together. What is computed over several rows
// (counts, first use, rankings) belongs outside.
//
// The marked select is complete SQL, so the file still parses on its own;
// Query.SQL, Render and Evidence hold the wrapped text, the only text that
// runs or is shown.

// uniqueKey is what makes two rows of a table copies of one.
type uniqueKey struct {
	// partition is the identity; order picks the copy kept (the first).
	partition, order []string
	// why is the comment the wrapped select starts with.
	why []string
}

// uniqueKeys holds the key of each table a query may mark. The events key
// is event.Event.Key (id, name, time, request id) within a day, the same
// identity compaction and the detector use; the events_unique and
// findings_unique views (ddl/) use the same windows, which a test checks.
var uniqueKeys = map[string]uniqueKey{
	"events": {
		partition: []string{"day", "event_id", "event_name", "event_time", "request_id"},
		order:     []string{"source_object", "source_index"},
		why: []string{
			"Each event once: copies (a repeated delivery, a file not yet compacted)",
			"pass the filters below together; the first copy stays.",
		},
	},
	"findings": {
		partition: []string{"day", "id"},
		order:     []string{"id"},
		why: []string{
			"Each finding once: a retried detector run writes the same id again.",
		},
	},
}

const uniqueDirective = "-- @unique"

// window returns the row_number() window of the table's key over alias.
func (k uniqueKey) window(alias string) string {
	qual := func(cols []string) string {
		q := make([]string, len(cols))
		for i, c := range cols {
			q[i] = alias + "." + c
		}
		return strings.Join(q, ", ")
	}
	return "row_number() OVER (PARTITION BY " + qual(k.partition) + " ORDER BY " + qual(k.order) + ") AS dup_rank"
}

// expandUnique replaces each "-- @unique TABLE" line of sql, with the select
// that follows it, by that select deduplicated on TABLE's key. The select
// ends at the parenthesis that encloses the directive.
func expandUnique(sql string) (string, error) {
	var out strings.Builder
	rest := sql
	for {
		d, found := findDirective(rest, uniqueDirective)
		if !found {
			out.WriteString(rest)
			return out.String(), nil
		}
		if d.end == len(rest) {
			return "", fmt.Errorf("%s: no select after it", uniqueDirective)
		}
		at, lineEnd, indent, table := d.at, d.end, d.indent, d.arg
		key, ok := uniqueKeys[table]
		if !ok {
			return "", fmt.Errorf("%s %q: unknown table (want %s)", uniqueDirective, table, uniqueTables())
		}
		end, err := enclosingEnd(rest, lineEnd+1)
		if err != nil {
			return "", fmt.Errorf("%s %s: %w", uniqueDirective, table, err)
		}
		body := strings.TrimRight(rest[lineEnd+1:end], " \t\n")
		if strings.TrimSpace(body) == "" {
			return "", fmt.Errorf("%s %s: no select after it", uniqueDirective, table)
		}
		if directiveAt(body) >= 0 {
			return "", fmt.Errorf("%s %s: another %s inside its select", uniqueDirective, table, uniqueDirective)
		}
		inner, err := indentCode(body, "    ")
		if err != nil {
			return "", err
		}
		out.WriteString(rest[:at])
		for _, w := range key.why {
			out.WriteString(indent + "-- " + w + "\n")
		}
		fmt.Fprintf(&out, "%sSELECT *\n%sFROM (\n%s  SELECT\n%s    u.*,\n%s    %s\n%s  FROM (\n%s\n%s  ) u\n%s) d\n%sWHERE dup_rank = 1",
			indent, indent, indent, indent, indent, key.window("u"), indent, inner, indent, indent, indent)
		rest = rest[lineEnd+1+len(body):]
	}
}

// directiveAt returns the offset of the first line of sql that is a
// @unique directive, or -1. Like the header lines, a directive is a whole
// line, whatever its indentation.
func directiveAt(sql string) int { return lineWith(sql, uniqueDirective) }

// directiveLine is a directive's line in a query: its offset, the offset
// of its end (its newline, or the text's end), its indentation and what
// follows the directive.
type directiveLine struct {
	at, end     int
	indent, arg string
}

// findDirective finds the first line of sql that is directive.
func findDirective(sql, directive string) (directiveLine, bool) {
	at := lineWith(sql, directive)
	if at < 0 {
		return directiveLine{}, false
	}
	end := len(sql)
	if i := strings.IndexByte(sql[at:], '\n'); i >= 0 {
		end = at + i
	}
	line := sql[at:end]
	return directiveLine{at: at, end: end, indent: line[:len(line)-len(strings.TrimLeft(line, " \t"))],
		arg: strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), directive))}, true
}

// enclosingEnd returns the offset of the ) that closes the parenthesis
// open at offset from, skipping literals, quoted identifiers and comments.
func enclosingEnd(sql string, from int) (int, error) {
	depth := 0
	for i := from; i < len(sql); {
		j, err := skip(sql, i)
		if err != nil {
			return 0, err
		}
		if j > i {
			i = j
			continue
		}
		switch sql[i] {
		case '(':
			depth++
		case ')':
			if depth == 0 {
				return i, nil
			}
			depth--
		}
		i++
	}
	return 0, fmt.Errorf("the select must stand in parentheses (a WITH … AS ( … ) or a subquery)")
}

// indentCode puts prefix before each non-empty line of sql, except inside
// literals and comments, whose text must not change.
func indentCode(sql, prefix string) (string, error) {
	var b strings.Builder
	lineStart := true
	for i := 0; i < len(sql); {
		if lineStart && sql[i] != '\n' {
			b.WriteString(prefix)
		}
		lineStart = false
		j, err := skip(sql, i)
		if err != nil {
			return "", err
		}
		if j > i {
			b.WriteString(sql[i:j])
			i = j
			continue
		}
		b.WriteByte(sql[i])
		lineStart = sql[i] == '\n'
		i++
	}
	return b.String(), nil
}

func uniqueTables() string {
	var ts []string
	for t := range uniqueKeys {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return strings.Join(ts, ", ")
}
