package queries

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Shared subqueries
//
// The review's queries read the inventory the same way: the latest
// inventory day of the period, its tables bounded to that day, a key's
// aliases folded into it. Written once in fragments/review.sql (a complete
// statement, so the file parses on its own), each named subquery is
// placed in a query's WITH list by a line
//
//	-- @with inv aliases names perm used
//
// standing between two of the query's own subqueries (after a comma):
// Parse puts the named ones there, each followed by a comma. The query's
// @bind lists their placeholders in order like its own. In the library
// file the line is a comment, and the file still parses: a reference to a
// subquery is a name to the parser.

const withDirective = "-- @with"

// cteStart is a named subquery of a fragments file: at the start of a
// line, "name AS (".
var cteStart = regexp.MustCompile(`(?m)^(?:WITH )?([a-z_]+) AS \($`)

var fragments = sync.OnceValues(func() (map[string]string, error) {
	b, err := files.ReadFile("fragments/review.sql")
	if err != nil {
		return nil, err
	}
	return splitCTEs(string(b))
})

// splitCTEs returns each named subquery of sql's WITH list as
// "name AS (\n…\n)".
func splitCTEs(sql string) (map[string]string, error) {
	out := map[string]string{}
	for _, m := range cteStart.FindAllStringSubmatchIndex(sql, -1) {
		name := sql[m[2]:m[3]]
		end, err := enclosingEnd(sql, m[1])
		if err != nil {
			return nil, fmt.Errorf("fragment %s: %w", name, err)
		}
		out[name] = name + " AS (" + sql[m[1]:end] + ")"
	}
	return out, nil
}

// expandWith replaces each "-- @with NAME…" line of sql by the named
// subqueries, each followed by a comma.
func expandWith(sql string) (string, error) {
	var out strings.Builder
	rest := sql
	for {
		d, found := findDirective(rest, withDirective)
		if !found {
			out.WriteString(rest)
			return out.String(), nil
		}
		frags, err := fragments()
		if err != nil {
			return "", err
		}
		out.WriteString(rest[:d.at])
		for _, name := range strings.Fields(d.arg) {
			f, ok := frags[name]
			if !ok {
				return "", fmt.Errorf("%s %s: unknown subquery", withDirective, name)
			}
			out.WriteString(f + ",\n")
		}
		rest = rest[min(d.end+1, len(rest)):]
	}
}

// Expand fills in sql's named lists (-- @list) and shared subqueries
// (-- @with): the library file as it runs, before the dedup windows are
// placed. Parse does it; tests that rewrite a library file's text start
// from its expansion.
func Expand(sql string) (string, error) {
	sql, err := expandLists(sql)
	if err != nil {
		return "", err
	}
	return expandWith(sql)
}
