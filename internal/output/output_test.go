package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/ingest"
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

// The summary counts skipped and failed files per reason and names a few
// of each, not thousands of digest files; verbose names them all.
func TestIngestSummaryGroups(t *testing.T) {
	s := &ingest.Summary{Objects: 1002, Bytes: 50e6, Elapsed: 2 * time.Second, BySource: map[string]int{}, CappedRows: 3}
	for i := range 1000 {
		s.Problems = append(s.Problems, ingest.Result{Object: fmt.Sprintf("digest-%d.json.gz", i), Status: ingest.StatusSkipped, Reason: "CloudTrail digest file"})
	}
	s.Problems = append(s.Problems, ingest.Result{Object: "bad\nname.json.gz", Status: ingest.StatusFailed, Reason: "not gzip"})
	var b bytes.Buffer
	IngestSummary(&b, s, nil, "lake", false)
	out := b.String()
	for _, want := range []string{"(50 MB of JSON, 25 MB/s)", "Not fully ingested: 1001 files", "  1 failed: not gzip\n    bad name.json.gz\n",
		"  1000 skipped: CloudTrail digest file\n", "… and 997 more (--verbose lists them all)", "3 rows name more secrets and keys than a row keeps"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n > 15 {
		t.Errorf("summary has %d lines for 1000 digest files", n)
	}
	b.Reset()
	IngestSummary(&b, s, nil, "lake", true)
	if !strings.Contains(b.String(), "digest-999.json.gz") {
		t.Error("verbose summary does not list every file")
	}
	if Rate(50e6, 2*time.Second) != 25 {
		t.Error("Rate")
	}
}

func TestOneLine(t *testing.T) {
	if got := OneLine("a\nb\x1b[31m\u202ec\u200bd\U000e0041"); got != "a b [31m c d " {
		t.Errorf("OneLine = %q", got)
	}
}
