package review

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/visible"
	"github.com/keytrail/keytrail/queries"
	"github.com/keytrail/keytrail/queries/duck"
	"github.com/keytrail/keytrail/queries/duck/testlake"
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
	for _, tc := range []struct {
		quarter, from, to, want string // want: the label, or "" for an error
	}{
		{"2026-Q3", "", "", "2026-Q3"},
		{"", "2026-07-01", "2026-07-07", "2026-07-01 to 2026-07-07"},
		{"2026-Q3", "2026-07-01", "", ""},
		{"", "2026-07-01", "", ""},
		{"", "", "", ""},
	} {
		p, err := PeriodOf(tc.quarter, tc.from, tc.to)
		if got := p.Label; (err == nil) != (tc.want != "") || got != tc.want {
			t.Errorf("PeriodOf(%q, %q, %q) = %q, %v", tc.quarter, tc.from, tc.to, got, err)
		}
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

// scenarioLake returns the scenario's lake folder (with the inventory),
// its runner and its objects.
func scenarioLake(t *testing.T) (string, *duck.DB, *lake.Dir) {
	t.Helper()
	return lakeOf(t, testlake.InventorySource)
}

func lakeOf(t *testing.T, src testlake.Source) (string, *duck.DB, *lake.Dir) {
	t.Helper()
	dir := t.TempDir()
	if err := src(dir); err != nil {
		t.Fatal(err)
	}
	db, err := duck.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	objs, err := lake.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, db, objs
}

// buildQ3 reviews 2026-Q3 of the scenario's lake without its inventory:
// the events' answers alone.
func buildQ3(t *testing.T) *Report {
	t.Helper()
	_, db, objs := lakeOf(t, testlake.ScenarioSource)
	rep, ran := build(t, db, "2026-Q3", Options{Top: 3, Lake: objs})
	// The coverages, the six sections' queries and the weekly chart's.
	want := []string{"review_coverage", "review_inventory", "review_access", "review_unused", "review_failed_only",
		"cross_account", "destructive_and_policy", "review_findings", "review_weekly"}
	if !slices.Equal(ran, want) {
		t.Errorf("ran %v, want %v", ran, want)
	}
	return rep
}

// buildQ3Inventory reviews 2026-Q3 of the scenario's lake with its
// inventory.
func buildQ3Inventory(t *testing.T, opt Options) *Report {
	t.Helper()
	_, db, objs := scenarioLake(t)
	opt.Lake = objs
	rep, ran := build(t, db, "2026-Q3", opt)
	want := []string{"review_coverage", "review_inventory", "review_permissions", "review_revoke", "review_leavers",
		"review_delete", "review_outside", "review_rotation", "review_failed_only", "cross_account",
		"destructive_and_policy", "review_findings", "review_access", "review_weekly"}
	if !slices.Equal(ran, want) {
		t.Errorf("ran %v, want %v", ran, want)
	}
	return rep
}

func build(t *testing.T, db Runner, quarter string, opt Options) (*Report, []string) {
	t.Helper()
	p, err := Quarter(quarter)
	if err != nil {
		t.Fatal(err)
	}
	r := &countingRunner{Runner: db}
	rep, err := Build(context.Background(), r, p, opt)
	if err != nil {
		t.Fatal(err)
	}
	return rep, r.ran
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
		alice, app     = testlake.Alice, testlake.AppRole
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

// The evidence files and their columns are a contract (README, "Quarterly
// access review"): a query that renames or drops a column fails here.
var csvContract = map[string][]string{
	"permissions.csv": {"resource_name", "resource_arn", "resource_type", "account", "owner", "principal_name", "principal_arn",
		"principal_class", "action", "granted_by", "via", "conditions", "outside", "public", "last_used", "calls"},
	"revoke.csv": {"resource_name", "resource_arn", "principal_name", "principal_arn", "principal_class", "granted_by",
		"conditions", "actions", "outside"},
	"leavers.csv": {"principal_name", "principal_arn", "principal_type", "principal_account", "resources", "resource_arns",
		"created", "iam_last_used"},
	"delete.csv": {"secret_name", "secret_arn", "account", "region", "owner", "created", "last_accessed", "last_changed",
		"monthly_cost_usd"},
	"outside.csv": {"resource_name", "resource_arn", "principal_name", "principal_arn",
		"principal_kind", "public", "actions", "granted_by", "conditions", "last_used", "calls"},
	"rotation.csv": {"resource_type", "resource_name", "resource_arn", "owner", "issue", "rotation_days",
		"last_rotated", "days_since_rotation", "deletion_date", "last_used", "calls"},
	"failed_only.csv": {"principal_name", "principal_arn", "principal_account_id", "calls", "resources", "error_codes", "first_call", "last_call"},
	"cross_account.csv": {"principal_account_id", "principal_name", "principal_arn", "resource_account_id", "resource_arn", "calls", "failures",
		"first_call", "last_call", "event_names"},
	"changes.csv": {"event_time", "category", "event_name", "resource_arn", "principal_name", "principal_arn", "session_name", "failed",
		"error_code", "source_ip", "user_agent", "event_id"},
	"findings.csv":   {"id", "kind", "severity", "principal", "resource", "first_event", "last_event", "events", "title", "shadow"},
	"quarantine.csv": {"delivered", "event_time", "event_name", "principal_arn", "resource_arn", "event_id", "source_object", "source_index"},
	"coverage.csv":   {"day", "account", "region", "table_name", "status", "error", "row_count"},
}

// readCSV reads a CSV file of dir.
func readCSV(t *testing.T, dir, name string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return recs
}

func TestWriteOutputs(t *testing.T) {
	rep := buildQ3Inventory(t, Options{Top: 3})
	dir := t.TempDir()
	names, err := Write(dir, rep)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"review.md", "review.html", "permissions.csv", "revoke.csv", "leavers.csv", "delete.csv", "outside.csv",
		"rotation.csv", "failed_only.csv", "cross_account.csv", "changes.csv", "findings.csv", "quarantine.csv", "coverage.csv"}
	if !slices.Equal(names, want) {
		t.Errorf("files %v, want %v", names, want)
	}
	for _, n := range names {
		if !strings.HasSuffix(n, ".csv") {
			continue
		}
		recs := readCSV(t, dir, n)
		if len(recs) == 0 || !slices.Equal(recs[0], csvContract[n]) {
			t.Errorf("%s header %q, want %q", n, recs[0], csvContract[n])
		}
	}

	// CSV: header plus one record per row, values intact; unused grants
	// have an empty last_used.
	recs := readCSV(t, dir, "permissions.csv")
	perm := rep.Sections[0]
	lu, pa := perm.Col("last_used"), perm.Col("principal_arn")
	var used, unused int
	for _, r := range recs[1:] {
		if r[lu] == "" {
			unused++
		} else {
			used++
		}
	}
	if len(recs) != len(perm.Rows)+1 || used == 0 || unused == 0 || !slices.ContainsFunc(recs, func(r []string) bool { return r[pa] == testlake.Hostile }) {
		t.Errorf("permissions.csv: %d records (%d used, %d unused), want %d with both and the hostile principal", len(recs), used, unused, len(perm.Rows)+1)
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
	for _, good := range []string{"<svg", "x&#39; OR &#39;1&#39;=&#39;1", "2026-Q3", "Granted but unused: revoke",
		"Inventory: inventory of 2026-07-07: 1 account 111111111111, 1 region us-east-1.", "<h3>alias/app</h3>"} {
		if !strings.Contains(h, good) {
			t.Errorf("review.html lacks %q", good)
		}
	}
	checkGolden(t, filepath.Join(dir, "review.md"), "testdata/review_q3.md.golden")

	// Without an inventory: said at the top, its sections not checked and
	// without a CSV, the events' answers instead.
	dir = t.TempDir()
	names, err = Write(dir, buildQ3(t))
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"review.md", "review.html", "access.csv", "unused.csv", "failed_only.csv", "cross_account.csv",
		"changes.csv", "findings.csv", "quarantine.csv"}
	if !slices.Equal(names, want) {
		t.Errorf("files without inventory %v, want %v", names, want)
	}
	html, err = os.ReadFile(filepath.Join(dir, "review.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, good := range []string{"<strong>No inventory in the period: who may use each secret and key was not checked", "Not checked:</strong> no inventory in the period"} {
		if !strings.Contains(string(html), good) {
			t.Errorf("review.html without inventory lacks %q", good)
		}
	}
	checkGolden(t, filepath.Join(dir, "review.md"), "testdata/review_q3_no_inventory.md.golden")
}

// checkGolden compares file with golden (go test -update rewrites it).
func checkGolden(t *testing.T, file, golden string) {
	t.Helper()
	md, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(golden, md, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(md) != string(want) {
		t.Errorf("%s differs from %s (go test -update to accept):\n%s", file, golden, md)
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
	// An ARN-shaped value goes through the page's own rendering (name
	// first, <wbr> at separators): escaped all the same.
	rep.Sections[0].Rows = [][]string{{"arn:aws:iam::111111111111:user/" + evil, "1"}}
	html.Reset()
	if err := rep.HTML(&html); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html.String(), "<script>") || strings.Count(html.String(), "&lt;script&gt;") < 4 { // chart text and title, name, ARN
		t.Errorf("HTML of an ARN cell not escaped")
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
	if err != nil || len(recs) != 2 || recs[1][0] != strings.ReplaceAll(evil, "\n", `\n`) {
		// leading "<" is not a formula trigger: the value is kept as is,
		// but for the line break, spelled out
		t.Errorf("CSV = %q, %v", recs, err)
	}
	var f strings.Builder
	Section{Result: queries.Result{Columns: []string{"a"}, Rows: [][]string{{"=HYPERLINK(\"http://x\")"}}}}.CSV(&f)
	if !strings.Contains(f.String(), "'=HYPERLINK") {
		t.Errorf("formula not defused: %q", f.String())
	}
}

func TestCoverage(t *testing.T) {
	day := func(s string) time.Time {
		t.Helper()
		d, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		name     string
		from, to string
		days     []string
		total    int
		complete bool
		gaps     []string
		text     string
	}{
		{"complete", "2026-07-01T00:00:00Z", "2026-07-08T00:00:00Z",
			[]string{"2026-07-01", "2026-07-02", "2026-07-03", "2026-07-04", "2026-07-05", "2026-07-06", "2026-07-07"},
			7, true, nil, "all 7 days have events"},
		{"gaps", "2026-07-01T00:00:00Z", "2026-07-08T00:00:00Z",
			[]string{"2026-07-01", "2026-07-03", "2026-07-04", "2026-07-07"},
			7, false, []string{"2026-07-02", "2026-07-05 to 2026-07-06"}, "4 of 7 days have events; none on 2026-07-02, 2026-07-05 to 2026-07-06"},
		{"none", "2026-07-01T00:00:00Z", "2026-07-08T00:00:00Z", nil,
			7, false, []string{"2026-07-01 to 2026-07-07"}, "0 of 7 days have events"},
		{"within a day", "2026-07-03T11:30:00Z", "2026-07-03T12:30:00Z", []string{"2026-07-03"}, 1, true, nil, "1 of 1 day has events"},
		{"across midnight", "2026-07-03T23:00:00Z", "2026-07-04T01:00:00Z", []string{"2026-07-04"}, 2, false,
			[]string{"2026-07-03"}, "1 of 2 days has events; none on 2026-07-03"},
		{"across a year", "2026-12-31T00:00:00Z", "2027-01-02T00:00:00Z", []string{"2026-12-31", "2027-01-01"}, 2, true, nil, "all 2 days have events"},
		{"empty window", "2026-07-03T00:00:00Z", "2026-07-03T00:00:00Z", nil, 0, false, nil, "0 of 0 days have events"},
		{"many gaps", "2026-07-01T00:00:00Z", "2026-07-15T00:00:00Z",
			[]string{"2026-07-01", "2026-07-03", "2026-07-05", "2026-07-07", "2026-07-09", "2026-07-11", "2026-07-13"},
			14, false, []string{"2026-07-02", "2026-07-04", "2026-07-06", "2026-07-08", "2026-07-10", "2026-07-12", "2026-07-14"},
			"7 of 14 days have events; none on 2026-07-02, 2026-07-04, 2026-07-06, 2026-07-08, 2026-07-10 and 2 more gaps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Coverage{From: day(tt.from), To: day(tt.to), Days: tt.days}
			if c.Total() != tt.total || c.Complete() != tt.complete || !slices.Equal(c.Gaps(), tt.gaps) || c.String() != tt.text {
				t.Errorf("total %d complete %v gaps %q %q\nwant %d %v %q %q", c.Total(), c.Complete(), c.Gaps(), c.String(),
					tt.total, tt.complete, tt.gaps, tt.text)
			}
		})
	}
}

func TestCoverageOfLake(t *testing.T) {
	_, db, _ := scenarioLake(t)
	// e16 at 2026-07-08 00:00 is outside [07-01, 07-08); the June history
	// is outside too.
	c, err := CoverageOf(context.Background(), db, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 8, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-07-01", "2026-07-02", "2026-07-03", "2026-07-04", "2026-07-05", "2026-07-06", "2026-07-07"}
	if !slices.Equal(c.Days, want) || !c.Complete() {
		t.Errorf("days %v, want %v", c.Days, want)
	}
}

// TestBuildRefusesNoData: a period without a single event is an error,
// not a report with "None." in every section.
func TestBuildRefusesNoData(t *testing.T) {
	for _, lakeDir := range []string{"scenario", "empty"} {
		t.Run(lakeDir, func(t *testing.T) {
			var db *duck.DB
			if lakeDir == "scenario" {
				_, db, _ = scenarioLake(t)
			} else {
				var err error
				if db, err = duck.Open(context.Background(), t.TempDir()); err != nil {
					t.Fatal(err)
				}
				defer db.Close()
			}
			p, _ := Quarter("2025-Q1")
			r := &countingRunner{Runner: db}
			rep, err := Build(context.Background(), r, p, Options{})
			if !errors.Is(err, ErrNoData) || rep != nil || !strings.Contains(err.Error(), "0 of 90 days") {
				t.Fatalf("Build = %v, %v; want ErrNoData", rep, err)
			}
			if !slices.Equal(r.ran, []string{"review_coverage"}) {
				t.Errorf("ran %v after finding no data", r.ran)
			}
		})
	}
}

func writeQuarantine(t *testing.T, dir, key string, rows []event.Event) {
	t.Helper()
	var b bytes.Buffer
	if err := event.WriteParquet(&b, rows); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestQuarantineSection(t *testing.T) {
	dir, db, objs := scenarioLake(t)
	q := func(id, at, name, principal, object string, index int64) event.Event {
		tm, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatal(err)
		}
		return event.Event{EventID: id, EventTime: tm, EventName: name, PrincipalARN: principal, ResourceARN: testlake.S1,
			ResourceARNs: []string{testlake.S1}, SourceObject: object, SourceIndex: index}
	}
	const obj = "AWSLogs/111111111111/CloudTrail/us-east-1/2026/07/03/x.json.gz"
	writeQuarantine(t, dir, lake.QuarantineKey("2026-07-03", "a"), []event.Event{
		q("q2", "1970-01-01T00:00:00Z", "PutSecretValue", testlake.Alice, obj, 7),
		q("q1", "2031-05-05T05:05:05Z", "GetSecretValue", "arn:aws:iam::111111111111:user/m\u202eallory", obj, 2),
	})
	writeQuarantine(t, dir, lake.QuarantineKey("2026-06-30", "b"), []event.Event{q("q0", "2040-01-01T00:00:00Z", "GetSecretValue", testlake.Alice, obj, 0)})
	writeQuarantine(t, dir, lake.QuarantineKey("2026-10-01", "c"), []event.Event{q("q9", "2040-01-01T00:00:00Z", "GetSecretValue", testlake.Alice, obj, 0)})
	os.WriteFile(filepath.Join(dir, "quarantine", "README.txt"), []byte("not a partition"), 0o644)

	p, _ := Quarter("2026-Q3")
	rep, err := Build(context.Background(), db, p, Options{Lake: objs})
	if err != nil {
		t.Fatal(err)
	}
	got := section(t, rep, "quarantine", "delivered", "event_time", "event_name", "principal_arn", "event_id", "source_object", "source_index")
	want := []string{
		"2026-07-03|2031-05-05 05:05:05.000|GetSecretValue|arn:aws:iam::111111111111:user/m\u202eallory|q1|" + obj + "|2",
		"2026-07-03|1970-01-01 00:00:00.000|PutSecretValue|" + testlake.Alice + "|q2|" + obj + "|7",
	}
	if !slices.Equal(got, want) {
		t.Errorf("quarantine:\n got %q\nwant %q", got, want)
	}
	var md strings.Builder
	rep.Markdown(&md)
	if !strings.Contains(md.String(), "| Records kept apart for an implausible time | 2 |") || !strings.Contains(md.String(), `m\u202eallory`) {
		t.Errorf("review.md does not list the quarantined rows:\n%s", md.String())
	}

	// Without the lake's objects (Athena without --lake), the section
	// says it was not checked, in every output, and writes no CSV.
	rep, err = Build(context.Background(), db, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	names, err := Write(out, rep)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(names, "review_quarantine.csv") {
		t.Errorf("wrote a CSV for a section not checked: %v", names)
	}
	mdText, _ := os.ReadFile(filepath.Join(out, "review.md"))
	html, _ := os.ReadFile(filepath.Join(out, "review.html"))
	if !strings.Contains(string(mdText), "| Records kept apart for an implausible time | not checked |") ||
		!strings.Contains(string(mdText), "**Not checked:**") || !strings.Contains(string(html), "Not checked:") {
		t.Errorf("the unchecked quarantine is not marked so:\n%s", mdText)
	}
}

// TestHiddenRunesVisible: controls, bidi, zero-width and tag characters
// are spelled out in review.md, review.html and the CSVs, so two names
// that look alike are told apart.
func TestHiddenRunesVisible(t *testing.T) {
	cells := []struct{ in, spelled string }{
		{"adm\u200bin", `adm\u200bin`},
		{"a\u200cb\u200dc", `a\u200cb\u200dc`},
		{"\ufeffbom", `\ufeffbom`},
		{"ops\U000e0041\U000e007f", `ops\U000e0041\U000e007f`},
		{"user/\u202egnp.exe", `user/\u202egnp.exe`},
		{"\u2066iso\u2069\u200e\u200f\u061c", `\u2066iso\u2069\u200e\u200f\u061c`},
		{"esc\x1b(Bbel\x07nul\x00cr\r", `esc\u001b(Bbel\u0007nul\u0000cr\r`},
		{"c1\u0085\u009b", `c1\u0085\u009b`},
	}
	var rows [][]string
	var top []Bar
	for _, c := range cells {
		rows = append(rows, []string{c.in, "1"})
		top = append(top, Bar{c.in, 1})
	}
	rep := &Report{Period: Period{From: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 7, 2, 0, 0, 0, 0, time.UTC), Label: "2026-07-01 to 2026-07-01"},
		Coverage: Coverage{From: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 7, 2, 0, 0, 0, 0, time.UTC), Days: []string{"2026-07-01"}},
		Sections: []Section{{ID: "access", Title: "T", Result: queries.Result{Columns: []string{"principal_arn", "calls"}, Rows: rows}}},
		Top:      top}
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
	for name, text := range map[string]string{"review.md": md.String(), "review.html": html.String(), "review_access.csv": csvOut.String()} {
		for i, r := range text {
			if r != '\n' && visible.Hidden(r) {
				t.Errorf("%s holds %U raw at byte %d", name, r, i)
			}
		}
		for _, c := range cells {
			// In HTML the chart label and the cell both show it.
			if n := strings.Count(text, c.spelled); n == 0 || name == "review.html" && n < 3 {
				t.Errorf("%s shows %q %d times spelled out as %q", name, c.in, n, c.spelled)
			}
		}
	}
}

// The review with the inventory: what it read, per resource, and the
// options that tune its sections.
func TestReportWithInventory(t *testing.T) {
	rep := buildQ3Inventory(t, Options{})
	inv := rep.Inventory
	if inv.Day != testlake.InventoryDay || !slices.Equal(inv.Accounts, []string{testlake.Home}) ||
		!slices.Equal(inv.Regions, []string{"us-east-1"}) || len(inv.NotRead) != 0 {
		t.Errorf("inventory = %+v", inv)
	}
	// One table per secret or key, named by its name (a key by its
	// alias), its alias never a key of its own.
	var titles []string
	for _, g := range rep.Sections[0].Groups() {
		titles = append(titles, g.Title)
		if slices.Contains(g.Columns, "resource_arn") || g.Col("principal_arn") < 0 {
			t.Errorf("group %s columns %v", g.Title, g.Columns)
		}
	}
	if want := []string{"alias/app", "alias/old", "api", "db", "legacy"}; !slices.Equal(titles, want) {
		t.Errorf("resources %v, want %v", titles, want)
	}
	// The page leaves out what it shows otherwise (PageHide); the CSV and
	// review.md keep it.
	v := newSectionView(rep.Sections[0])
	for _, g := range v.Groups {
		for _, c := range g.Cols {
			if slices.Contains([]string{"principal name", "via", "outside", "public", "resource arn"}, c.Label) {
				t.Errorf("page table %s shows %s", g.Title, c.Label)
			}
		}
	}
	if len(v.Groups) != len(titles) || rep.Sections[0].Col("via") < 0 {
		t.Errorf("page groups %d, section columns %v", len(v.Groups), rep.Sections[0].Columns)
	}
	if about := rep.Sections[3].About; rep.Sections[3].ID != "delete" || !strings.Contains(about, "saves $0.80 a month, at $0.40 a secret a month as AWS prices it") {
		t.Errorf("delete: %q", about)
	}
	if got := section(t, rep, "delete", "secret_name"); !slices.Equal(got, []string{"api", "legacy"}) {
		t.Errorf("delete = %v", got)
	}

	// A year of idleness: legacy was accessed in February, api is too
	// young. Rotation every 200 days: legacy (178 days) is not overdue.
	// The app role named as keytrail's own: apart, and never to revoke.
	rep = buildQ3Inventory(t, Options{IdleDays: 365, MaxRotationDays: 200, SelfPrincipals: []string{testlake.AppRole}})
	if got := section(t, rep, "delete", "secret_name"); len(got) != 0 {
		t.Errorf("delete over a year = %v", got)
	}
	if got := section(t, rep, "rotation", "resource_name", "issue"); !slices.Equal(got, []string{
		"alias/reports|key rotation off", "alias/old|pending deletion", "api|rotation off"}) {
		t.Errorf("rotation at 200 days = %v", got)
	}
	// The outside role on keytrail's path (testlake.Lookalike) stays listed.
	if got := section(t, rep, "revoke", "principal_name"); slices.Contains(got, "app") || !slices.Contains(got, "keytrail-ingest") || len(got) != 5 {
		t.Errorf("revoke with app as keytrail's = %v", got)
	}
	for _, c := range section(t, rep, "permissions", "principal_arn", "principal_class") {
		if arn, class, _ := strings.Cut(c, "|"); (arn == testlake.AppRole) != (class == "keytrail") && arn != testlake.Ingest {
			t.Errorf("permissions: %s", c)
		}
	}
}

// The chart of busiest principals is of people and workloads: AWS services
// and keytrail's own roles are left out, as the permissions section sets
// them apart.
func TestTopPrincipalsLeavesOutServicesAndKeytrail(t *testing.T) {
	const (
		app        = "arn:aws:iam::111111111111:role/app"
		ingestRole = "arn:aws:iam::111111111111:role/keytrail/ingest"
		self       = "arn:aws:iam::111111111111:role/kt-detect"
		// keytrail's path in an account outside: anyone can make one.
		lookalike = "arn:aws:iam::999999999999:role/keytrail/ingest"
	)
	inside := []string{"111111111111"}
	access := queries.Result{Columns: []string{"principal_arn", "calls"}, Rows: [][]string{
		{app, "5"}, {"cloudtrail.amazonaws.com", "50"}, {ingestRole, "40"}, {self, "30"},
		{"arn:aws:iam::111111111111:user/alice", "2"}, {app, "1"}, {lookalike, "3"},
	}}
	got := topPrincipals(access, 10, []string{self}, inside)
	want := []Bar{{app, 6}, {lookalike, 3}, {"arn:aws:iam::111111111111:user/alice", 2}}
	if !slices.Equal(got, want) {
		t.Errorf("top = %v, want %v", got, want)
	}
	if got := topPrincipals(access, 1, nil, inside); len(got) != 1 || got[0].Label != self {
		t.Errorf("top 1 without self = %v", got)
	}
}
