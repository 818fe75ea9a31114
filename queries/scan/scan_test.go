package scan

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/queries"
	"github.com/keytrail/keytrail/queries/duck"
)

func str(s string) *string { return &s }

// DuckDB's printed predicates, as its plans show them above and inside a
// Parquet scan, read into the per-column predicates that prune; anything
// else prunes nothing.
func TestParsePred(t *testing.T) {
	for _, c := range []struct {
		in   string
		want *Pred
	}{
		{"principal_arn='arn:aws:iam::1:role/a'", &Pred{Column: "principal_arn", Values: []string{"arn:aws:iam::1:role/a"}}},
		{"(principal_arn = 'it''s')", &Pred{Column: "principal_arn", Values: []string{"it's"}}},
		{"(CAST(event_time AS TIMESTAMP) BETWEEN '2026-06-01 00:00:00'::TIMESTAMP AND '2026-06-02 00:00:00'::TIMESTAMP)",
			&Pred{Column: "event_time", Lo: str("2026-06-01 00:00:00"), Hi: str("2026-06-02 00:00:00")}},
		{"optional: event_name IN ('Decrypt', 'GetSecretValue')", &Pred{Column: "event_name", Values: []string{"Decrypt", "GetSecretValue"}}},
		{"((event_name = 'Decrypt') OR (event_name = 'Encrypt'))", &Pred{Column: "event_name", Values: []string{"Decrypt", "Encrypt"}}},
		{"event_time<'2026-06-02 00:00:00'::TIMESTAMP", &Pred{Column: "event_time", Hi: str("2026-06-02 00:00:00"), HiOpen: true}},
		{"resource_arn >= 'b'", &Pred{Column: "resource_arn", Lo: str("b")}},
		// Two columns: Trino's pushed predicate is per column, so no.
		{"((principal_arn = 'a') OR (session_issuer_arn = 'a'))", nil},
		{"(resource_arn = 'a') OR contains(resource_arns, 'a')", nil},
		{"principal_account_id <> resource_account_id", nil},
		{"principal_arn != 'a'", nil},
		{"lower(principal_arn) = 'a'", nil},
		// A quote, AND or parenthesis inside a value is data.
		{"principal_arn = 'x'' AND y = (''z'", &Pred{Column: "principal_arn", Values: []string{"x' AND y = ('z"}}},
		{"principal_arn = 'unterminated", nil},
	} {
		got, ok := parsePred(c.in)
		if ok != (c.want != nil) || ok && !reflect.DeepEqual(got, *c.want) {
			t.Errorf("parsePred(%q) = %+v, %v; want %+v", c.in, got, ok, c.want)
		}
	}
	got := conjuncts("((a = 'x AND y') AND (CAST(event_time AS TIMESTAMP) BETWEEN 'p' AND 'q') AND (b = 'z'))")
	want := []string{"a = 'x AND y'", "CAST(event_time AS TIMESTAMP) BETWEEN 'p' AND 'q'", "b = 'z'"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("conjuncts = %q, want %q", got, want)
	}
}

// Measure reads only the partitions, columns and row groups a plan can
// match, and counts the footer of every file it opens.
func TestMeasure(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	var rows []event.Event
	for i := range 3 * 4096 {
		rows = append(rows, event.Event{
			EventID:      fmt.Sprintf("id-%05d", i),
			EventTime:    t0.Add(time.Duration(i) * time.Second),
			PrincipalARN: fmt.Sprintf("arn:aws:iam::1:role/r%d", i/2048), // two principals a row group
			ResourceARN:  fmt.Sprintf("arn:aws:kms:us-east-1:1:key/%d", i%5),
			ResourceARNs: []string{},
		})
	}
	event.SortClustered(rows)
	for _, day := range []string{"2026-06-01", "2026-06-02"} {
		var buf bytes.Buffer
		if err := event.WriteParquetClustered(&buf, rows); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "day="+day, "compact.parquet")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cols := []string{"event_id", "principal_arn"}
	all, err := Measure(dir, Plan{Columns: cols}, "2026-06-01", "2026-06-01")
	if err != nil {
		t.Fatal(err)
	}
	if all.Files != 1 || all.RowGroups != 3 || all.RowGroupsRead != 3 || all.Footer == 0 || all.Data == 0 {
		t.Fatalf("no predicate, one day: %+v", all)
	}
	for _, c := range []struct {
		name  string
		preds []Pred
		read  int
		bloom bool
	}{
		{"principal", []Pred{{Column: "principal_arn", Values: []string{"arn:aws:iam::1:role/r1"}}}, 1, true},
		{"absent principal", []Pred{{Column: "principal_arn", Values: []string{"arn:aws:iam::1:role/r9"}}}, 0, false},
		// Inside every group's min/max, in no group: the bloom filter says so.
		{"between principals", []Pred{{Column: "principal_arn", Values: []string{"arn:aws:iam::1:role/r0x"}}}, 0, true},
		{"time range", []Pred{{Column: "event_time", Lo: str("2026-06-01 01:10:00"), Hi: str("2026-06-01 01:20:00")}}, 1, false},
		{"time, exclusive upper bound at a group's first row", []Pred{{Column: "event_time", Hi: str("2026-06-01 00:00:00"), HiOpen: true}}, 0, false},
		{"unknown column", []Pred{{Column: "day", Values: []string{"x"}}}, 3, false},
	} {
		r, err := Measure(dir, Plan{Columns: cols, Preds: c.preds}, "2026-06-01", "2026-06-01")
		if err != nil {
			t.Fatal(err)
		}
		if r.RowGroupsRead != c.read || (r.Bloom > 0) != c.bloom {
			t.Errorf("%s: %+v, want %d row groups read, bloom probed %v", c.name, r, c.read, c.bloom)
		}
		if r.Footer != all.Footer || r.Data > all.Data || c.read == 0 && r.Data != 0 {
			t.Errorf("%s: footer %d data %d of %d", c.name, r.Footer, r.Data, all.Data)
		}
	}
	both, err := Measure(dir, Plan{Columns: cols}, "2026-06-01", "2026-06-02")
	if err != nil {
		t.Fatal(err)
	}
	if both.Files != 2 || both.Bytes() != 2*all.Bytes() {
		t.Errorf("two days: %+v, one: %+v", both, all)
	}
	wide, err := Measure(dir, Plan{Columns: append(cols, "resource_arn", "event_time")}, "2026-06-01", "2026-06-01")
	if err != nil || wide.Data <= all.Data {
		t.Errorf("more columns read %d bytes, fewer %d (%v)", wide.Data, all.Data, err)
	}
}

// Explain finds what DuckDB's plan of a library query reads: the library's
// principal filter stands above the dedup window and reaches no scan; moved
// inside as one column's equality, it does.
func TestExplain(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	rows := []event.Event{
		{EventID: "a", EventTime: t0, PrincipalARN: "arn:aws:iam::1:role/a", ResourceARNs: []string{}},
		{EventID: "b", EventTime: t0.Add(time.Hour), PrincipalARN: "arn:aws:iam::1:role/b", ResourceARNs: []string{}},
		// A federated session of user/u: its principal is the session.
		{EventID: "c", EventTime: t0.Add(2 * time.Hour), PrincipalARN: "arn:aws:sts::1:federated-user/u", SessionIssuerARN: "arn:aws:iam::1:user/u", ResourceARNs: []string{}},
	}
	var buf bytes.Buffer
	if err := event.WriteParquetClustered(&buf, rows); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "events", "day=2026-06-01", "compact.parquet")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := duck.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	args := map[string]string{"principal": "arn:aws:iam::1:user/u", "from": "2026-06-01", "to": "2026-06-02"}
	lib, err := queries.Get("principal_activity")
	if err != nil {
		t.Fatal(err)
	}
	// The library's principal_activity reads events twice: principal_arn
	// = ? (which the files cluster by) and the sessions whose issuer is the
	// principal. Each scan gets its one-column equality.
	for _, c := range []struct {
		q    queries.Query
		cols []string // the principal column of each scan
	}{{lib, []string{"principal_arn", "session_issuer_arn"}}} {
		plans, err := Explain(ctx, db, c.q, args)
		if err != nil {
			t.Fatal(err)
		}
		if len(plans) != len(c.cols) {
			t.Fatalf("%s: %d scans, want %d", c.q.Name, len(plans), len(c.cols))
		}
		var seen []string
		for _, plan := range plans {
			for _, col := range []string{"event_id", "event_time", "principal_arn", "source_object"} {
				if !slices.Contains(plan.Columns, col) {
					t.Errorf("%s: columns %v lack %s", c.q.Name, plan.Columns, col)
				}
			}
			if slices.Contains(plan.Columns, "request_parameters") || slices.Contains(plan.Columns, "day") {
				t.Errorf("%s: columns %v", c.q.Name, plan.Columns)
			}
			var onTime bool
			for _, p := range plan.Preds {
				onTime = onTime || p.Column == "event_time" && p.Lo != nil && p.Hi != nil
				if slices.Contains(c.cols, p.Column) && slices.Equal(p.Values, []string{args["principal"]}) {
					seen = append(seen, p.Column)
				}
			}
			if !onTime {
				t.Errorf("%s: predicates %+v: none on time", c.q.Name, plan.Preds)
			}
		}
		slices.Sort(seen)
		if !slices.Equal(seen, c.cols) {
			t.Errorf("%s: equality predicates on %v, want one on each of %v", c.q.Name, seen, c.cols)
		}
		from, to, err := Days(c.q, args)
		if err != nil || from != "2026-06-01" || to != "2026-06-02" {
			t.Errorf("%s: days %s to %s (%v)", c.q.Name, from, to, err)
		}
	}
}
