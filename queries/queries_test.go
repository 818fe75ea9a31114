package queries

import (
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/parquet-go/parquet-go"
)

var update = flag.Bool("update", false, "rewrite golden files")

var columnLine = regexp.MustCompile("(?m)^  `([a-z_]+)` ([a-z<>]+),?$")

// The DDL declares exactly the columns ingest writes, in order.
func TestDDLMatchesSchema(t *testing.T) {
	for _, tc := range []struct {
		file   string
		schema *parquet.Schema
	}{
		{"ddl/events.sql", event.Schema},
		{"ddl/findings.sql", parquet.SchemaOf(finding.Finding{})},
	} {
		want, err := Columns(tc.schema)
		if err != nil {
			t.Fatal(err)
		}
		b, err := files.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		var got []Column
		for _, m := range columnLine.FindAllStringSubmatch(string(b), -1) {
			got = append(got, Column{m[1], m[2]})
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s columns:\n got %v\nwant %v", tc.file, got, want)
		}
		for _, prop := range []string{
			"PARTITIONED BY (`day` string)", "STORED AS PARQUET",
			"'projection.enabled' = 'true'", "'projection.day.type' = 'date'",
			"'projection.day.format' = 'yyyy-MM-dd'", "'projection.day.range' = '2020-01-01,NOW'",
			"'projection.day.interval' = '1'", "'projection.day.interval.unit' = 'DAYS'",
			"'storage.location.template' = '${lake}/",
		} {
			if !strings.Contains(string(b), prop) {
				t.Errorf("%s lacks %s", tc.file, prop)
			}
		}
	}
}

func TestColumnsRejectsUnknownTypes(t *testing.T) {
	type row struct {
		N float64 `parquet:"n"`
	}
	if _, err := Columns(parquet.SchemaOf(row{})); err == nil || !strings.Contains(err.Error(), "column n") {
		t.Errorf("float column: err = %v, want an error naming column n", err)
	}
	type ok struct {
		S []string `parquet:"s,list"`
		I int64    `parquet:"i"`
	}
	cols, err := Columns(parquet.SchemaOf(ok{}))
	if err != nil || !slices.Equal(cols, []Column{{"s", "array<string>"}, {"i", "bigint"}}) {
		t.Errorf("Columns = %v, %v", cols, err)
	}
}

func TestDDL(t *testing.T) {
	stmts, err := DDL("s3://my-lake/keytrail/")
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 4 || !strings.Contains(stmts[0], "LOCATION 's3://my-lake/keytrail/events/'") ||
		!strings.Contains(stmts[1], "'s3://my-lake/keytrail/findings/day=${day}/'") || strings.Contains(strings.Join(stmts, ""), "${lake}") {
		t.Errorf("DDL did not fill the location:\n%s", strings.Join(stmts, "\n"))
	}
	for _, bad := range []string{"my-lake", "s3://b", "s3://bucket/x'y", "s3://bucket/a b", "s3://bucket/x\n", "s3://bucket/${lake}", "https://bucket/x"} {
		if _, err := DDL(bad); err == nil {
			t.Errorf("DDL(%q) accepted", bad)
		}
	}
}

// Every library query reads events (or findings) once, through the one
// dedup definition (a "-- @unique" select, see unique.go), prunes partitions
// on day with values derived from its time window, and filters inside that
// select, below the window. A query that deduplicates by itself, reads a
// table outside its @unique select or filters only after the window fails
// here.
// inventoryPrune is a read of an inventory table bounded by day.
var inventoryPrune = regexp.MustCompile(`FROM inventory_[a-z]+ (\w+)\n(?:\s*CROSS JOIN [^\n]*\n)?\s*WHERE (\w+)\.day >= \? AND (\w+)\.day < \?`)

func TestLibraryShape(t *testing.T) {
	prune := regexp.MustCompile(`WHERE [ef]\.day BETWEEN \? AND \?`)
	// Its own dedup: a dup_rank, or a window partitioned by day.
	ownDedup := regexp.MustCompile(`(?i)dup_rank|PARTITION BY [a-z_.]*\bday\b`)
	directive := regexp.MustCompile(`(?m)^\s*-- @unique (\w+)$`)
	// Parameters used only over several rows (a period inside a longer
	// history, a rank) or to compute a value no scan can use: they stay
	// above the window. Every other parameter filters the scan.
	above := map[string][]string{
		"first_seen":       {"from"},
		"review_unused":    {"from"},
		"top_talkers":      {"top"},
		"off_hours_access": {"tz", "start_hour", "end_hour"},
		// The inventory day's bounds, and a class or an age: outside
		// the events' scan.
		"review_permissions": {"self_principals"},
		"review_revoke":      {"self_principals"},
		"review_delete":      {"from"},
		"review_rotation":    {"max_rotation_days"},
	}
	// Filters without a parameter that must reach the scan too.
	scanFilters := map[string]string{
		"cross_account":          "principal_account_id <> e.resource_account_id",
		"principal_activity":     "AND e.principal_arn = ?",
		"finding_evidence":       "AND e.principal_arn = ?",
		"decrypts_by_context":    "event_name = 'Decrypt'",
		"destructive_and_policy": "event_name IN (",
		"failures_by_principal":  "AND e.failed",
		"off_hours_access":       "caller_kind <> 'service'",
		"review_access":          "event_name IN (",
		"review_weekly":          "event_name IN (",
	}
	qs := All()
	if len(qs) < 15 {
		t.Fatalf("library has %d queries", len(qs))
	}
	for _, q := range qs {
		b, err := files.ReadFile("library/" + q.Name + ".sql")
		if err != nil {
			t.Fatal(err)
		}
		raw := string(b)
		if loc := ownDedup.FindStringIndex(raw); loc != nil {
			t.Errorf("%s deduplicates by itself (%q): mark its select -- @unique instead", q.Name, raw[loc[0]:loc[1]])
		}
		m := directive.FindAllStringSubmatch(raw, -1)
		if len(m) != 1 {
			t.Errorf("%s has %d -- @unique selects, want 1", q.Name, len(m))
			continue
		}
		window := uniqueKeys[m[0][1]].window("u")
		w := strings.Index(q.SQL, window)
		if w < 0 || strings.Count(q.SQL, window) != 1 {
			t.Errorf("%s: the %s window is not in its SQL once", q.Name, m[0][1])
			continue
		}
		// The scan: the select inside the window.
		from := w + strings.Index(q.SQL[w:], "FROM (\n") + len("FROM (\n")
		to, err := enclosingEnd(q.SQL, from)
		if err != nil {
			t.Fatal(err)
		}
		scan := q.SQL[from:to]
		// Every read of a table is inside the window (a query may read
		// its table in more than one branch there, each branch pruned by
		// its own filter), and each branch prunes by day.
		n := strings.Count(q.SQL, "FROM events") + strings.Count(q.SQL, "FROM findings")
		if in := strings.Count(scan, "FROM "+m[0][1]); in == 0 || n != in {
			t.Errorf("%s reads the tables %d times, %d of them inside the dedup window: want every read inside", q.Name, n, in)
		}
		if got := len(prune.FindAllStringIndex(scan, -1)); got < n {
			t.Errorf("%s: %d reads but %d day-pruning filters in the scan", q.Name, n, got)
		}
		if f, ok := scanFilters[q.Name]; ok && !strings.Contains(scan, f) {
			t.Errorf("%s: the filter %q is not in the scan", q.Name, f)
		}
		if !prune.MatchString(scan) {
			t.Errorf("%s: no day pruning in the scan", q.Name)
		}
		marks, _ := Placeholders(q.SQL)
		first := q.SQL[marks[0]-len("BETWEEN "):]
		if !strings.HasPrefix(first, "BETWEEN ? AND ?") || !q.Binds[0].Day || !q.Binds[1].Day {
			t.Errorf("%s: the first two parameters must be the day range, got %v", q.Name, q.Binds[:2])
		}
		inside := map[string]bool{}
		for i, b := range q.Binds {
			if marks[i] >= from && marks[i] < to {
				inside[b.Param] = true
			}
		}
		for _, p := range q.Params {
			if inside[p.Name] == slices.Contains(above[q.Name], p.Name) {
				t.Errorf("%s: parameter %s bound inside the scan: %v, want %v", q.Name, p.Name, inside[p.Name], !inside[p.Name])
			}
		}
		// Every read of the inventory is bounded to the period's days by
		// plain comparisons (partition projection prunes on them), besides
		// picking the latest inventory day of the period.
		reads := strings.Count(q.SQL, "FROM inventory_")
		if got := len(inventoryPrune.FindAllString(q.SQL, -1)); got != reads {
			t.Errorf("%s: %d inventory reads, %d bounded to the period's days", q.Name, reads, got)
		}
		if q.Description == "" || strings.Contains(q.SQL, "${") {
			t.Errorf("%s: no description or a template placeholder", q.Name)
		}
	}
	for _, name := range []string{"principal_activity", "resource_access", "failures_by_principal", "off_hours_access",
		"decrypts_by_context", "top_talkers", "first_seen", "cross_account", "destructive_and_policy", "finding_evidence"} {
		if _, err := Get(name); err != nil {
			t.Error(err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	head := "-- @name q\n-- @description d\n"
	tests := []struct{ name, text, want string }{
		{"no name", "-- @description d\nSELECT 1", "missing @name"},
		{"wrong name", "-- @name other\n-- @description d\nSELECT 1", "does not match"},
		{"no description", "-- @name q\nSELECT 1", "missing @description"},
		{"unknown header", head + "-- @limit 3\nSELECT 1", "unknown header @limit"},
		{"bad type", head + "-- @param a float A.\n-- @bind a\nSELECT ?", `unknown type "float"`},
		{"bad default", head + "-- @param a integer=x A.\n-- @bind a\nSELECT ?", "default"},
		{"undeclared bind", head + "-- @param a string A.\n-- @bind b\nSELECT ?", "undeclared parameter b"},
		{"day of string", head + "-- @param a string A.\n-- @bind a:day\nSELECT ?", "day of a string"},
		{"count mismatch", head + "-- @param a string A.\n-- @bind a\nSELECT ?, ?", "2 placeholders but @bind lists 1"},
		{"unbound", head + "-- @param a string A.\n-- @param b string B.\n-- @bind a\nSELECT ?", "b is never bound"},
		{"duplicate", head + "-- @param a string A.\n-- @param a string A.\n-- @bind a\nSELECT ?", "declared twice"},
		{"unterminated", head + "SELECT 'abc", "unterminated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("q", tt.text)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	// ? inside strings, quoted identifiers and comments is not a parameter.
	q, err := Parse("q", head+"-- @param a string A.\n-- @bind a\n-- why?\nSELECT '?''?' AS \"?\", /* ? */ ? -- ?\n")
	if err != nil || len(q.Binds) != 1 {
		t.Fatalf("Parse = %v, %v", q.Binds, err)
	}
	sql, err := q.Render(map[string]string{"a": "v"})
	if err != nil || !strings.Contains(sql, `SELECT '?''?' AS "?", /* ? */ 'v' -- ?`) {
		t.Errorf("Render = %q, %v", sql, err)
	}
}

func TestArgsValidation(t *testing.T) {
	q, err := Get("off_hours_access")
	if err != nil {
		t.Fatal(err)
	}
	ok := map[string]string{"tz": "Europe/Paris", "from": "2026-07-01T00:00:00Z", "to": "2026-07-02T12:30:00+02:00"}
	args, err := q.Args(ok)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"'2026-07-01'", "'2026-07-02'", "TIMESTAMP '2026-07-01 00:00:00.000'", "TIMESTAMP '2026-07-02 10:30:00.000'", "'Europe/Paris'", "8", "18"}
	if !slices.Equal(args, want) {
		t.Errorf("Args = %q, want %q", args, want)
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range ok {
			m[a] = b
		}
		if v == "<delete>" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		args map[string]string
		want string
	}{
		{with("tz", "<delete>"), "missing parameter tz"},
		{with("from", "<delete>"), "missing parameter from"},
		{with("colour", "red"), "unknown parameter colour"},
		{with("tz", "Mars/Olympus"), "parameter tz: unknown time zone"},
		{with("tz", "Local"), "parameter tz: not a time zone"},
		{with("start_hour", "8; DROP TABLE events"), "parameter start_hour: not an integer"},
		{with("from", "yesterday"), "parameter from: not an RFC 3339 time"},
		{with("from", "2026-07-01' OR '1'='1"), "parameter from: not an RFC 3339 time"},
	}
	for _, tt := range tests {
		if _, err := q.Args(tt.args); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Args(%v) err = %v, want %q", tt.args, err, tt.want)
		}
	}
	if _, err := Render("no_such_query", nil); err == nil {
		t.Error("Render of an unknown query succeeded")
	}
	if _, err := (Query{Name: "q", Params: []Param{{Name: "s", Type: String}}, Binds: []Bind{{Param: "s"}}}).Args(map[string]string{"s": "\xff"}); err == nil {
		t.Error("invalid UTF-8 accepted")
	}
}

// hostile values a CloudTrail field may carry.
var hostile = []struct{ name, value, literal string }{
	{"quote", `x' OR '1'='1`, `'x'' OR ''1''=''1'`},
	{"backslash", `a\'; DROP TABLE events; --`, `'a\''; DROP TABLE events; --'`},
	{"comment", `/* x */ -- y`, `'/* x */ -- y'`},
	{"semicolon", `;`, `';'`},
	{"question", `?`, `'?'`},
	{"unicode", `ünïcödé ✓ 😀`, `'ünïcödé ✓ 😀'`},
	{"empty", ``, `''`},
	{"nul", "a\x00b'", `U&'a\0000b'''`},
	{"newline", "a\n-- b\\", `U&'a\000A-- b\\'`},
	{"bidi", "admin\u202Eexe.txt", `U&'admin\202Eexe.txt'`},
	{"astral control", "x\U000E0001", `U&'x\+0E0001'`},
}

func TestLiteralHostile(t *testing.T) {
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			lit, err := Literal(String, h.value)
			if err != nil {
				t.Fatal(err)
			}
			if lit != h.literal {
				t.Errorf("Literal = %s, want %s", lit, h.literal)
			}
			// One token: the scanner sees a single string literal and no
			// parameter or comment after it.
			if marks, err := Placeholders("SELECT " + lit + " ?"); err != nil || len(marks) != 1 {
				t.Errorf("literal %s does not end where it should: %v %v", lit, marks, err)
			}
			if got := decode(t, lit); got != h.value {
				t.Errorf("literal %s decodes to %q, want %q", lit, got, h.value)
			}
		})
	}
}

// decode reads a Trino string literal back, independently of quote.
func decode(t *testing.T, lit string) string {
	t.Helper()
	unicodeLit := strings.HasPrefix(lit, "U&'")
	body := strings.TrimPrefix(lit, "U&")
	if len(body) < 2 || body[0] != '\'' || body[len(body)-1] != '\'' {
		t.Fatalf("not a string literal: %s", lit)
	}
	body = body[1 : len(body)-1]
	if strings.Count(body, "'")%2 != 0 || strings.Contains(strings.ReplaceAll(body, "''", ""), "'") {
		t.Fatalf("lone quote inside %s", lit)
	}
	body = strings.ReplaceAll(body, "''", "'")
	if !unicodeLit {
		return body
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			b.WriteByte(body[i])
			continue
		}
		switch {
		case strings.HasPrefix(body[i:], `\\`):
			b.WriteByte('\\')
			i++
		case strings.HasPrefix(body[i:], `\+`):
			var r rune
			for _, c := range body[i+2 : i+8] {
				r = r*16 + hexVal(t, c)
			}
			b.WriteRune(r)
			i += 7
		default:
			var r rune
			for _, c := range body[i+1 : i+5] {
				r = r*16 + hexVal(t, c)
			}
			b.WriteRune(r)
			i += 4
		}
	}
	return b.String()
}

func hexVal(t *testing.T, c rune) rune {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	t.Fatalf("bad hex digit %q", c)
	return 0
}

// The detector's call, with hostile values: golden, so a change in what
// Slack readers see is reviewed.
func TestRenderFindingEvidenceGolden(t *testing.T) {
	got, err := Render("finding_evidence", map[string]string{
		"principal": "arn:aws:iam::111111111111:user/x' OR '1'='1 --",
		"resource":  "arn:aws:kms:us-east-1:111111111111:key/k'; DROP TABLE events; /*\x00",
		"from":      "2026-07-01T09:00:00Z",
		"to":        "2026-07-01T10:00:00.5+02:00",
	})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "testdata/finding_evidence.golden", "Render", got)
	if marks, _ := Placeholders(got); len(marks) != 0 {
		t.Errorf("rendered SQL still has %d placeholders", len(marks))
	}
	if strings.Count(got, "TIMESTAMP '") != 4 || !strings.Contains(got, "TIMESTAMP '2026-07-01 08:00:00.500'") {
		t.Errorf("time window not rendered as UTC timestamps:\n%s", got)
	}
}

// checkGolden compares got with a golden file, rewriting it with -update.
func checkGolden(t *testing.T, golden, what, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s = \n%s\nwant (run go test -update)\n%s", what, got, want)
	}
}
