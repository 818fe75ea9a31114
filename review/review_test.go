package review

import (
	"context"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/duck"
	"github.com/keytrail/keytrail/internal/duck/testlake"
	"github.com/keytrail/keytrail/queries"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestPeriods(t *testing.T) {
	for _, tc := range []struct{ in, from, to string }{
		{"2026-Q1", "2026-01-01", "2026-04-01"},
		{"2026-Q3", "2026-07-01", "2026-10-01"},
		{"2026-Q4", "2026-10-01", "2027-01-01"},
	} {
		p, err := Quarter(tc.in)
		if err != nil || p.From.Format(time.DateOnly) != tc.from || p.To.Format(time.DateOnly) != tc.to {
			t.Errorf("Quarter(%s) = %v %v, %v", tc.in, p.From, p.To, err)
		}
	}
	for _, bad := range []string{"2026-Q5", "2026-Q0", "26-Q1", "2026Q1", ""} {
		if _, err := Quarter(bad); err == nil {
			t.Errorf("Quarter(%q) accepted", bad)
		}
	}
	p, err := Range("2026-07-01", "2026-07-07")
	if err != nil || p.To.Format(time.DateOnly) != "2026-07-08" || p.Last().Format(time.DateOnly) != "2026-07-07" {
		t.Errorf("Range = %v, %v", p, err)
	}
	if _, err := Range("2026-07-08", "2026-07-01"); err == nil {
		t.Error("backwards range accepted")
	}
}

// countingRunner records which queries a review runs.
type countingRunner struct {
	Runner
	ran []string
}

func (c *countingRunner) Run(ctx context.Context, q queries.Query, args map[string]string) (queries.Result, error) {
	c.ran = append(c.ran, q.Name)
	return c.Runner.Run(ctx, q, args)
}

func buildQ3(t *testing.T) *Report {
	t.Helper()
	dir := t.TempDir()
	if err := testlake.ScenarioSource(dir); err != nil {
		t.Fatal(err)
	}
	db, err := duck.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p, err := Quarter("2026-Q3")
	if err != nil {
		t.Fatal(err)
	}
	r := &countingRunner{Runner: db}
	rep, err := Build(context.Background(), r, p, Options{Top: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.ran) != 7 {
		t.Errorf("ran %v", r.ran)
	}
	return rep
}

func section(t *testing.T, rep *Report, id string, cols ...string) []string {
	t.Helper()
	for _, s := range rep.Sections {
		if s.ID != id {
			continue
		}
		var out []string
		for _, row := range s.Rows {
			var parts []string
			for _, c := range cols {
				i := s.Col(c)
				if i < 0 {
					t.Fatalf("%s: no column %s in %v", id, c, s.Columns)
				}
				parts = append(parts, row[i])
			}
			out = append(out, strings.Join(parts, "|"))
		}
		return out
	}
	t.Fatalf("no section %s", id)
	return nil
}

func TestReportQ3(t *testing.T) {
	rep := buildQ3(t)
	const (
		S1, S2, K1, K2 = testlake.S1, testlake.S2, testlake.K1, testlake.K2
		alice, app     = testlake.Alice, testlake.AppSession
		mallory, etl   = testlake.Mallory, testlake.ETL
		hostile        = testlake.Hostile
	)
	tests := []struct {
		id   string
		cols []string
		want []string
	}{
		// Data calls in the quarter, duplicates counted once: the
		// ReEncrypt (e10) counts for K1 and K2; the policy, grant and
		// deletion calls are not use.
		{"access", []string{"resource_arn", "principal_arn", "calls", "failures", "first_use", "last_use"}, []string{
			K1 + "|" + app + "|3|0|2026-07-02 10:00:00.000|2026-07-05 20:00:00.000",
			K1 + "|" + etl + "|1|0|2026-07-07 02:00:00.000|2026-07-07 02:00:00.000",
			K1 + "|" + alice + "|1|0|2026-07-03 11:00:00.000|2026-07-03 11:00:00.000",
			K1 + "|" + mallory + "|1|1|2026-07-03 12:01:00.000|2026-07-03 12:01:00.000",
			K2 + "|" + app + "|1|0|2026-07-05 20:00:00.000|2026-07-05 20:00:00.000",
			S1 + "|" + alice + "|3|0|2026-07-02 03:00:00.000|2026-07-08 00:00:00.000",
			S1 + "|" + app + "|2|0|2026-07-01 09:00:00.000|2026-07-01 09:05:00.000",
			S1 + "|" + hostile + "|1|0|2026-07-07 23:59:59.999|2026-07-07 23:59:59.999",
			S1 + "|" + mallory + "|1|1|2026-07-03 12:00:00.000|2026-07-03 12:00:00.000",
		}},
		// S2 was created in June and never used since.
		{"unused", []string{"resource_arn", "resource_type", "first_seen", "last_use", "calls_in_period"}, []string{
			S2 + "|secret|2026-06-20 10:00:00.000||0",
		}},
		{"failed_only", []string{"principal_arn", "calls", "resources", "error_codes"}, []string{
			mallory + "|2|2|AccessDenied",
		}},
		{"cross_account", []string{"principal_arn", "resource_arn", "calls"}, []string{
			mallory + "|" + K1 + "|1", mallory + "|" + S1 + "|1",
		}},
		{"changes", []string{"event_id", "category"}, []string{"e11|policy", "e12|destructive", "e13|grant"}},
		// The June finding is outside; f-cross was written twice.
		{"findings", []string{"id", "severity", "first_event"}, []string{
			"f-cross|high|2026-07-03 12:00:00.000", "f-off|medium|2026-07-02 03:00:00.000",
		}},
	}
	for _, tt := range tests {
		if got := section(t, rep, tt.id, tt.cols...); !slices.Equal(got, tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.id, got, tt.want)
		}
	}
	// Weeks start on Monday: 06-29 holds e01-e10 (10 data calls, 2
	// failed); 07-06 holds e14, e15 and e16.
	if want := []Bar{{"2026-06-29", 10}, {"2026-07-06", 3}}; !slices.Equal(rep.Weekly, want) {
		t.Errorf("weekly = %v, want %v", rep.Weekly, want)
	}
	// Top 3 over all resources: app 3+1+2, alice 1+3, then by name among
	// the principals with 2 (mallory) and 1.
	if want := []Bar{{app, 6}, {alice, 4}, {mallory, 2}}; !slices.Equal(rep.Top, want) {
		t.Errorf("top = %v, want %v", rep.Top, want)
	}
}

func TestWriteOutputs(t *testing.T) {
	rep := buildQ3(t)
	dir := t.TempDir()
	names, err := Write(dir, rep)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"review.md", "review.html", "review_access.csv", "review_unused.csv", "review_failed_only.csv",
		"review_cross_account.csv", "review_changes.csv", "review_findings.csv"}
	if !slices.Equal(names, want) {
		t.Errorf("files %v, want %v", names, want)
	}

	// CSV: header plus one record per row, values intact.
	f, err := os.Open(filepath.Join(dir, "review_access.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(recs) != 10 || recs[0][0] != "resource_arn" || !slices.ContainsFunc(recs, func(r []string) bool { return slices.Contains(r, testlake.Hostile) }) {
		t.Errorf("review_access.csv: %d records, %v", len(recs), err)
	}

	html, err := os.ReadFile(filepath.Join(dir, "review.html"))
	if err != nil {
		t.Fatal(err)
	}
	h := string(html)
	for _, bad := range []string{"<script", "src=", "href=\"http", "@import", "url(", testlake.Hostile} {
		if strings.Contains(h, bad) {
			t.Errorf("review.html contains %q", bad)
		}
	}
	for _, good := range []string{"<svg", "x&#39; OR &#39;1&#39;=&#39;1", "2026-Q3", "Secrets and keys nobody used"} {
		if !strings.Contains(h, good) {
			t.Errorf("review.html lacks %q", good)
		}
	}
	// Golden Markdown: the shape a reviewer signs.
	md, err := os.ReadFile(filepath.Join(dir, "review.md"))
	if err != nil {
		t.Fatal(err)
	}
	golden := "testdata/review_q3.md.golden"
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(golden, md, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want2, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(md) != string(want2) {
		t.Errorf("review.md differs from %s (go test -update to accept):\n%s", golden, md)
	}
}

func TestHostileTextIsInert(t *testing.T) {
	evil := `<script>alert(1)</script> | **x** =cmd|' /C calc'!A0` + "\n# heading"
	rep := &Report{Period: Period{From: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Label: "2026-Q3"},
		Sections: []Section{{ID: "access", Title: "T", Result: queries.Result{Columns: []string{"principal_arn", "calls"}, Rows: [][]string{{evil, "1"}}}}},
		Top:      []Bar{{evil, 1}}}
	var md, html, csvOut strings.Builder
	if err := rep.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := rep.HTML(&html); err != nil {
		t.Fatal(err)
	}
	if err := rep.Sections[0].CSV(&csvOut); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html.String(), "<script>") || !strings.Contains(html.String(), "&lt;script&gt;") {
		t.Errorf("HTML not escaped")
	}
	line := strings.Split(md.String(), "\n")
	row := ""
	for _, l := range line {
		if strings.Contains(l, "alert") {
			row = l
		}
	}
	if strings.Count(row, " | ") != 1 || strings.Contains(row, "<script>") || strings.Contains(md.String(), "\n# heading") {
		t.Errorf("Markdown row not inert: %q", row)
	}
	recs, err := csv.NewReader(strings.NewReader(csvOut.String())).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][0] != evil {
		// leading "<" is not a formula trigger: the value is kept as is
		t.Errorf("CSV = %q, %v", recs, err)
	}
	var f strings.Builder
	Section{Result: queries.Result{Columns: []string{"a"}, Rows: [][]string{{"=HYPERLINK(\"http://x\")"}}}}.CSV(&f)
	if !strings.Contains(f.String(), "'=HYPERLINK") {
		t.Errorf("formula not defused: %q", f.String())
	}
}
