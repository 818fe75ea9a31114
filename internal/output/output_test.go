package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// JSON is typed by the engine's column types: numbers, booleans, RFC 3339
// times and null, from DuckDB's and Athena's spellings of the types.
func TestWriteJSONTyped(t *testing.T) {
	rs := Rows{Columns: []Column{{"principal", "VARCHAR"}, {"calls", "BIGINT"}, {"share", "DOUBLE"}, {"failed", "BOOLEAN"},
		{"first", "TIMESTAMP"}, {"at", "timestamp with time zone"}, {"n", "integer"}, {"gone", "bigint"}, {"odd", "bigint"}, {"note", ""}},
		Rows: [][]string{{"arn:x\x1b", "93", "0.25", "true", "2026-06-01 12:00:00.000", "2026-06-01 12:00:00.500 UTC", "7", "", "many", "=1"}}}
	var b bytes.Buffer
	if err := Write(&b, JSON, rs); err != nil {
		t.Fatal(err)
	}
	want := `{"principal":"arn:x\u001b","calls":93,"share":0.25,"failed":true,"first":"2026-06-01T12:00:00Z","at":"2026-06-01T12:00:00.5Z","n":7,"gone":null,"odd":"many","note":"=1"}` + "\n"
	if b.String() != want {
		t.Errorf("json\n got %s\nwant %s", b.String(), want)
	}
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
}

// Tables spell out what would drive a terminal; CSV goes through csvsafe.
func TestWriteTableAndCSV(t *testing.T) {
	rs := Rows{Columns: Columns("who", "n"), Rows: [][]string{{"a\tb\x1b[2J\u202e", "=SUM(1)"}}, Footer: "1 row"}
	var b bytes.Buffer
	if err := Write(&b, Table, rs); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\u202e\t") || !strings.Contains(b.String(), `a\tb\u001b[2J\u202e`) || !strings.HasSuffix(b.String(), "\n1 row\n") {
		t.Errorf("table:\n%q", b.String())
	}
	b.Reset()
	if err := Write(&b, CSV, rs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"'=SUM(1)"`) {
		t.Errorf("csv: %q", b.String())
	}
	if _, err := Parse("yaml"); err == nil || !strings.Contains(err.Error(), "table, json, csv") {
		t.Errorf("Parse(yaml) = %v", err)
	}
}

// A multi-line error (a YAML error) keeps its line breaks, not \u000a, and
// no line of it can pose as a line of keytrail's own.
func TestErrorLines(t *testing.T) {
	var b bytes.Buffer
	Error(&b, "keytrail detect", errors.New("config: yaml: unmarshal errors:\n  line 3: field nope not found\nkeytrail: \x1b[31mforged"))
	want := "keytrail detect: config: yaml: unmarshal errors:\n    line 3: field nope not found\n    keytrail: \\u001b[31mforged\n"
	if b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
}

func TestRate(t *testing.T) {
	for _, tc := range []struct {
		bytes   int64
		elapsed time.Duration
		want    float64
	}{{50e6, 2 * time.Second, 25}, {1e6, 0, 0}, {0, time.Second, 0}} {
		if got := Rate(tc.bytes, tc.elapsed); got != tc.want {
			t.Errorf("Rate(%d, %v) = %v, want %v", tc.bytes, tc.elapsed, got, tc.want)
		}
	}
}

func TestEngineRows(t *testing.T) {
	for _, tc := range []struct {
		cols, types []string
		want        []Column
	}{
		{[]string{"a", "n"}, []string{"VARCHAR", "BIGINT"}, []Column{{"a", "VARCHAR"}, {"n", "BIGINT"}}},
		{[]string{"a", "n"}, []string{"VARCHAR"}, []Column{{"a", "VARCHAR"}, {"n", ""}}},
		{[]string{"a"}, []string{"VARCHAR", "BIGINT"}, []Column{{"a", "VARCHAR"}}},
		{[]string{"a"}, nil, []Column{{"a", ""}}},
	} {
		rs := EngineRows(tc.cols, tc.types, [][]string{{"x"}})
		if fmt.Sprint(rs.Columns) != fmt.Sprint(tc.want) || len(rs.Rows) != 1 {
			t.Errorf("EngineRows(%v, %v) = %v, want %v", tc.cols, tc.types, rs.Columns, tc.want)
		}
	}
}
