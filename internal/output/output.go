// Package output is how every keytrail command prints results: one
// --output flag, table, json or csv, through one writer, so a query, a
// detection run and an ad-hoc SQL statement look alike and a script can
// read any of them.
//
// Cells arrive as text with the type the engine reported for the column
// (DuckDB's column types, Athena's result metadata), because that is what
// the engines give. The table and the CSV print the text (a table through
// Cell, so CloudTrail text cannot drive the terminal; the CSV through
// csvsafe, the project's only CSV writer); JSON types it: one object per
// row and line, numbers as numbers, booleans as booleans, timestamps as
// RFC 3339 in UTC, a NULL or empty non-text cell as null.
package output

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/keytrail/keytrail/internal/csvsafe"
	"github.com/keytrail/keytrail/internal/visible"
)

// Format is an --output value.
type Format string

const (
	Table Format = "table"
	JSON  Format = "json"
	CSV   Format = "csv"
)

// Parse checks an --output value against the formats a command prints.
func Parse(s string, allowed ...Format) (Format, error) {
	if len(allowed) == 0 {
		allowed = []Format{Table, JSON, CSV}
	}
	if slices.Contains(allowed, Format(s)) {
		return Format(s), nil
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return "", fmt.Errorf("--output %q: want %s", Cell(s), strings.Join(names, ", "))
}

// Column is a result column and its engine type ("" for text).
type Column struct {
	Name string
	Type string
}

// Rows is a result to print.
type Rows struct {
	Columns []Column
	Rows    [][]string
	// Records, if set, are what JSON prints for each row instead of an
	// object built from the cells: a type's own JSON (a finding's).
	Records []any
	// Footer follows a table (not JSON or CSV), e.g. "3 findings".
	Footer string
}

// Columns makes text columns of names.
func Columns(names ...string) []Column {
	cs := make([]Column, len(names))
	for i, n := range names {
		cs[i] = Column{Name: n}
	}
	return cs
}

// EngineRows are an engine's result as rows, each column typed as the
// engine reported it (text where it reported fewer types than columns).
func EngineRows(columns, types []string, rows [][]string) Rows {
	rs := Rows{Columns: Columns(columns...), Rows: rows}
	for i := range min(len(types), len(columns)) {
		rs.Columns[i].Type = types[i]
	}
	return rs
}

// Write prints rs in format f.
func Write(w io.Writer, f Format, rs Rows) error {
	switch f {
	case Table:
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		cells := make([]string, len(rs.Columns))
		for i, c := range rs.Columns {
			cells[i] = Cell(c.Name)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
		for _, row := range rs.Rows {
			cells = cells[:0]
			for _, c := range row {
				cells = append(cells, Cell(c))
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		if rs.Footer != "" {
			fmt.Fprintf(tw, "\n%s\n", strings.TrimRight(rs.Footer, "\n"))
		}
		return tw.Flush()
	case CSV:
		cw := csvsafe.NewWriter(w)
		head := make([]string, len(rs.Columns))
		for i, c := range rs.Columns {
			head[i] = c.Name
		}
		if err := cw.Write(head); err != nil {
			return err
		}
		return cw.WriteAll(rs.Rows)
	case JSON:
		if rs.Records != nil {
			enc := json.NewEncoder(w)
			for _, r := range rs.Records {
				if err := enc.Encode(r); err != nil {
					return err
				}
			}
			return nil
		}
		var b []byte
		for _, row := range rs.Rows {
			b = append(b[:0], '{')
			for i, c := range rs.Columns {
				if i > 0 {
					b = append(b, ',')
				}
				k, _ := json.Marshal(c.Name)
				v, err := json.Marshal(Typed(c.Type, row[i]))
				if err != nil {
					return fmt.Errorf("column %s: %w", c.Name, err)
				}
				b = append(append(append(b, k...), ':'), v...)
			}
			b = append(b, '}', '\n')
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown output format %q", f)
}

// Typed returns a cell as the JSON value its engine type means: a number,
// a boolean, an RFC 3339 time, nil for an empty non-text cell, else the
// text. Text that does not parse as its type stays text: nothing is lost.
func Typed(typ, text string) any {
	t := strings.ToLower(strings.TrimSpace(typ))
	if t == "" || strings.HasPrefix(t, "varchar") || t == "string" || strings.HasPrefix(t, "char") {
		return text
	}
	if text == "" {
		return nil
	}
	base, _, _ := strings.Cut(t, "(")
	switch base {
	case "tinyint", "smallint", "integer", "int", "bigint", "hugeint", "utinyint", "usmallint", "uinteger", "ubigint", "uhugeint":
		if _, err := strconv.ParseInt(text, 10, 64); err == nil {
			return json.Number(text)
		}
		if _, err := strconv.ParseUint(text, 10, 64); err == nil {
			return json.Number(text)
		}
	case "double", "float", "real", "decimal", "numeric":
		if f, err := strconv.ParseFloat(text, 64); err == nil && !isInfOrNaN(f) {
			return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
		}
	case "boolean", "bool":
		if b, err := strconv.ParseBool(text); err == nil {
			return b
		}
	case "timestamp", "timestamptz", "timestamp with time zone", "timestamp_s", "timestamp_ms", "timestamp_ns", "datetime":
		if ts, ok := parseTime(text); ok {
			return ts.Format(time.RFC3339Nano)
		}
	}
	return text
}

func isInfOrNaN(f float64) bool { return math.IsInf(f, 0) || math.IsNaN(f) }

// parseTime reads the engines' timestamp text: "2026-06-01 12:00:00.000",
// with an optional zone ("UTC", "+02:00") or as RFC 3339. A time without a
// zone is UTC, as the lake's are.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSuffix(strings.TrimSpace(s), " UTC")
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999Z07", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Object prints one value: JSON as an indented object, a table as text
// (written by text). CSV is refused: a summary is not rows.
func Object(w io.Writer, f Format, v any, text func(io.Writer)) error {
	switch f {
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case Table:
		text(w)
		return nil
	}
	return errors.New("--output csv: this command prints a summary, not rows; use table or json")
}

// Cell makes untrusted text safe for one table cell or terminal line:
// controls, line breaks, tabs and the runes visible hides are spelled out.
func Cell(s string) string {
	clean := true
	for _, r := range s {
		if !unicode.IsPrint(r) || visible.Hidden(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsPrint(r) && !visible.Hidden(r) {
			b.WriteRune(r)
		} else {
			b.WriteString(visible.Escape(r))
		}
	}
	return b.String()
}

// Error writes "prefix: message" with err's own line breaks kept as line
// breaks (a YAML error spans lines) and each line made safe by Cell; the
// lines after the first are indented, so no text in an error can forge a
// line of its own.
func Error(w io.Writer, prefix string, err error) {
	lines := strings.Split(strings.TrimRight(err.Error(), "\n"), "\n")
	for i, l := range lines {
		l = Cell(strings.ReplaceAll(strings.TrimSuffix(l, "\r"), "\t", "  "))
		switch {
		case strings.TrimSpace(l) == "":
			fmt.Fprintln(w)
		case i == 0:
			fmt.Fprintf(w, "%s: %s\n", prefix, l)
		default:
			fmt.Fprintf(w, "    %s\n", strings.TrimLeft(l, " "))
		}
	}
}

// Bytes is n in binary units: "1.5 GiB".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Rate is decompressed JSON throughput in MB/s, the one figure both the
// progress bar and the ingest summary show.
func Rate(jsonBytes int64, elapsed time.Duration) float64 {
	if sec := elapsed.Seconds(); sec > 0 {
		return float64(jsonBytes) / 1e6 / sec
	}
	return 0
}
