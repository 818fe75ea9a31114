package queries

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sqlglotPython finds a Python that can import sqlglot, or skips the test.
func sqlglotPython(t *testing.T) string {
	t.Helper()
	for _, py := range []string{os.Getenv("PYTHON"), "python3", "/usr/bin/python3"} {
		if py == "" {
			continue
		}
		if err := exec.Command(py, "-c", "import sqlglot").Run(); err == nil {
			return py
		}
	}
	t.Skip("no python with sqlglot (run make tools, or apt-get install python3-sqlglot): Trino SQL not checked")
	return ""
}

// sqlcheck runs scripts/sqlcheck.py on files named name → SQL.
func sqlcheck(t *testing.T, py string, sql map[string]string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for name, text := range sql {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	out, err := exec.Command(py, append([]string{"../scripts/sqlcheck.py"}, paths...)...).CombinedOutput()
	return string(out), err
}

// Every embedded statement parses as Athena SQL in an independent parser.
func TestSQLParsesAsTrino(t *testing.T) {
	py := sqlglotPython(t)
	all, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 19 {
		t.Fatalf("only %d embedded files", len(all))
	}
	// The raw library files are the selects before the dedup window is
	// placed; what Athena executes (Query.SQL, with ?) and what Render
	// shows a human must parse too.
	for _, q := range All() {
		all["expanded/"+q.Name+".sql"] = q.SQL
		args := map[string]string{}
		for _, p := range q.Params {
			switch p.Type {
			case Timestamp:
				args[p.Name] = "2026-07-01T00:00:00Z"
			case Integer:
				args[p.Name] = "3"
			case Zone:
				args[p.Name] = "Europe/Paris"
			default:
				args[p.Name] = `x' OR '1'='1 -- /* ; \`
			}
		}
		sql, err := q.Render(args)
		if err != nil {
			t.Fatal(err)
		}
		all["rendered/"+q.Name+".sql"] = sql
	}
	if out, err := sqlcheck(t, py, all); err != nil {
		t.Errorf("sqlcheck: %v\n%s", err, out)
	}
}

// The check rejects what Athena would: DuckDB-only syntax and broken SQL,
// naming the file.
func TestSQLCheckRejects(t *testing.T) {
	py := sqlglotPython(t)
	for name, sql := range map[string]string{
		"duckdb_file_scan.sql":  "SELECT * FROM 'events.parquet'",
		"duckdb_exclude.sql":    "SELECT * EXCLUDE (source_object) FROM events",
		"duckdb_from_first.sql": "FROM events SELECT event_id",
		"truncated.sql":         "SELECT event_id FROM events WHERE",
		"empty.sql":             "-- nothing here\n",
	} {
		out, err := sqlcheck(t, py, map[string]string{name: sql})
		if err == nil || !strings.Contains(out, name+":") {
			t.Errorf("%s: sqlcheck accepted %q (err %v, output %q)", name, sql, err, out)
		}
	}
}
