package queries

import (
	"fmt"
	"strings"

	"github.com/keytrail/keytrail/internal/source"
)

// Named lists of values
//
// Some lists are the same in several queries, and must stay the same: what
// counts as "use" of a secret or key decides who is a leaver, what is
// unused and which grant to revoke. A query names such a list once, inside
// the parentheses it fills:
//
//	AND e.event_name IN (
//	  -- @list use_events
//	  'GetSecretValue'
//	)
//
// and Parse replaces everything from the directive to the closing
// parenthesis with the list's literals. What stands there in the file is a
// stand-in, so that the file still parses on its own (sqlglot reads the
// raw files); Query.SQL, Render and Evidence hold the full list.

// UseEvents are the event names that are use of a secret or key: the
// services' reads (internal/source: reading a secret value, a
// cryptographic operation with a key; what the detector counts as access)
// and PutSecretValue, which writes a secret's value. Describe, List and
// management calls are not use.
var UseEvents = append(source.Calls(func(s *source.Source) []string { return s.Reads }), "PutSecretValue")

// valueLists are the lists a query may name with -- @list.
var valueLists = map[string][]string{
	"use_events": UseEvents,
}

const listDirective = "-- @list"

// ExpandLists replaces each "-- @list NAME" line of sql, and what follows
// it up to the parenthesis that encloses it, by NAME's values as string
// literals, five to a line.
func expandLists(sql string) (string, error) {
	var out strings.Builder
	rest := sql
	for {
		d, found := findDirective(rest, listDirective)
		if !found {
			out.WriteString(rest)
			return out.String(), nil
		}
		if d.end == len(rest) {
			return "", fmt.Errorf("%s: no closing parenthesis after it", listDirective)
		}
		at, lineEnd, indent, name := d.at, d.end, d.indent, d.arg
		vals, ok := valueLists[name]
		if !ok {
			return "", fmt.Errorf("%s %q: unknown list", listDirective, name)
		}
		end, err := enclosingEnd(rest, lineEnd+1)
		if err != nil {
			return "", fmt.Errorf("%s %s: %w", listDirective, name, err)
		}
		// Keep the whitespace before the closing parenthesis.
		body := rest[lineEnd+1 : end]
		closing := body[len(strings.TrimRight(body, " \t")):]
		out.WriteString(rest[:at])
		for i := 0; i < len(vals); i += 5 {
			var lits []string
			for _, v := range vals[i:min(i+5, len(vals))] {
				lit, err := Literal(String, v)
				if err != nil {
					return "", err
				}
				lits = append(lits, lit)
			}
			sep := ","
			if i+5 >= len(vals) {
				sep = ""
			}
			out.WriteString(indent + strings.Join(lits, ", ") + sep + "\n")
		}
		out.WriteString(closing)
		rest = rest[end:]
	}
}

// lineWith returns the offset of the first line of sql that is the
// directive (alone or followed by a space), or -1.
func lineWith(sql, directive string) int {
	for off := 0; off < len(sql); {
		line, _, _ := strings.Cut(sql[off:], "\n")
		if t := strings.TrimSpace(line); t == directive || strings.HasPrefix(t, directive+" ") {
			return off
		}
		off += len(line) + 1
	}
	return -1
}
