package queries

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Type is a parameter's SQL type.
type Type string

// Parameter types.
const (
	String    Type = "string"    // varchar; any valid UTF-8
	Timestamp Type = "timestamp" // RFC 3339 (or YYYY-MM-DD for midnight UTC); compared in UTC
	Integer   Type = "integer"   // bigint, base 10
	Zone      Type = "zone"      // an IANA time zone name, such as Europe/Paris
)

func (t Type) valid() bool {
	switch t {
	case String, Timestamp, Integer, Zone:
		return true
	}
	return false
}

// timestampLayout is how Trino writes a timestamp(3) literal.
const timestampLayout = "2006-01-02 15:04:05.000"

// Literal returns v as a Trino literal of type t. It is the one function
// that turns untrusted text into SQL text; everything Render shows goes
// through it.
//
// Strings become '…' with quotes doubled; Trino and DuckDB treat backslash
// as an ordinary character in such literals. A string holding characters
// that do not print (NUL and other controls, line breaks, bidirectional
// overrides, zero-width characters) becomes a Unicode literal U&'…' in which
// each such character is an escape (\0000, \+01F600), so what a reader sees
// is what the engine compares. Invalid UTF-8 is refused: no literal can
// carry it faithfully.
func Literal(t Type, v string) (string, error) {
	switch t {
	case String:
		return quote(v)
	case Zone:
		if _, err := loadZone(v); err != nil {
			return "", err
		}
		return quote(v)
	case Timestamp:
		ts, err := parseTime(v)
		if err != nil {
			return "", err
		}
		return "TIMESTAMP '" + ts.Format(timestampLayout) + "'", nil
	case Integer:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "", fmt.Errorf("not an integer: %q", v)
		}
		return strconv.FormatInt(n, 10), nil
	}
	return "", fmt.Errorf("unknown type %q", t)
}

func quote(v string) (string, error) {
	if !utf8.ValidString(v) {
		return "", errors.New("not valid UTF-8")
	}
	plain := true
	for _, r := range v {
		if !printable(r) {
			plain = false
			break
		}
	}
	if plain {
		return "'" + strings.ReplaceAll(v, "'", "''") + "'", nil
	}
	var b strings.Builder
	b.WriteString("U&'")
	for _, r := range v {
		switch {
		case r == '\'':
			b.WriteString("''")
		case r == '\\':
			b.WriteString(`\\`)
		case printable(r):
			b.WriteRune(r)
		case r <= 0xFFFF:
			fmt.Fprintf(&b, `\%04X`, r)
		default:
			fmt.Fprintf(&b, `\+%06X`, r)
		}
	}
	b.WriteString("'")
	return b.String(), nil
}

func printable(r rune) bool { return r == ' ' || (unicode.IsPrint(r) && r != utf8.RuneError) }

// parseTime reads an RFC 3339 time, or a date meaning midnight UTC, and
// returns it in UTC truncated to the millisecond (the lake's precision).
func parseTime(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		var err2 error
		if t, err2 = time.Parse(time.DateOnly, v); err2 != nil {
			return time.Time{}, fmt.Errorf("not an RFC 3339 time or YYYY-MM-DD date: %q", v)
		}
	}
	return t.UTC().Truncate(time.Millisecond), nil
}

func loadZone(v string) (*time.Location, error) {
	if v == "" || v == "Local" {
		return nil, fmt.Errorf("not a time zone name: %q", v)
	}
	loc, err := time.LoadLocation(v)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", v)
	}
	return loc, nil
}

// value converts a checked parameter to the Go value a driver binds.
func (t Type) value(v string) (any, error) {
	switch t {
	case String, Zone:
		return v, nil
	case Timestamp:
		return parseTime(v)
	case Integer:
		return strconv.ParseInt(v, 10, 64)
	}
	return nil, fmt.Errorf("unknown type %q", t)
}

// dayOf returns the partition day of a checked timestamp parameter.
func dayOf(v string) string {
	t, _ := parseTime(v)
	return t.Format(time.DateOnly)
}

// Placeholders returns the byte offsets of the ? parameter markers in sql,
// skipping string literals ('…', U&'…'), quoted identifiers ("…") and
// comments (-- to end of line, /* … */).
func Placeholders(sql string) ([]int, error) {
	var out []int
	for i := 0; i < len(sql); {
		j, err := skip(sql, i)
		if err != nil {
			return nil, err
		}
		if j > i {
			i = j
			continue
		}
		if sql[i] == '?' {
			out = append(out, i)
		}
		i++
	}
	return out, nil
}

// skip returns the offset just past the string literal, quoted identifier
// or comment that starts at sql[i], or i when none starts there. A line
// comment ends before its line break.
func skip(sql string, i int) (int, error) {
	switch c := sql[i]; {
	case c == '\'' || c == '"':
		for j := i + 1; j < len(sql); j++ {
			if sql[j] == c {
				if j+1 < len(sql) && sql[j+1] == c {
					j++ // doubled quote
					continue
				}
				return j + 1, nil
			}
		}
		return 0, fmt.Errorf("unterminated %c quote at offset %d", c, i)
	case c == '-' && strings.HasPrefix(sql[i:], "--"):
		j := strings.IndexByte(sql[i:], '\n')
		if j < 0 {
			return len(sql), nil
		}
		return i + j, nil
	case c == '/' && strings.HasPrefix(sql[i:], "/*"):
		j := strings.Index(sql[i+2:], "*/")
		if j < 0 {
			return 0, fmt.Errorf("unterminated comment at offset %d", i)
		}
		return i + 2 + j + 2, nil
	}
	return i, nil
}
