package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/queries/duck/testlake"
)

// Issue 18's CLI criteria, in-process: --version, completion, help on
// stdout, suggestions, KEYTRAIL_LAKE, typed JSON, missing lakes, sql.
func TestCLI(t *testing.T) {
	lakeDir := scenarioLake(t)
	invLake := scenarioLake(t)
	if err := testlake.WriteInventory(invLake); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "no-lake")
	badConf := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(badConf, []byte("rules:\n  nope: {}\n"), 0o644)
	week := []string{"--param", "from=2026-07-01", "--param", "to=2026-07-08"}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		code    int
		out     []string // on stdout
		errOut  []string // on stderr
		noOut   bool     // stdout must be empty
		checkFn func(t *testing.T, stdout string)
	}{
		{"version", []string{"--version"}, nil, 0, []string{"keytrail "}, nil, false, nil},
		{"completion", []string{"completion", "bash"}, nil, 0, []string{"bash completion V2 for keytrail"}, nil, false, nil},
		{"help on stdout", []string{"query", "--help"}, nil, 0, []string{"keytrail query NAME", "--output format"}, nil, false, nil},
		{"help CMD", []string{"help", "detect"}, nil, 0, []string{"Runs the detection rules"}, nil, false, nil},
		{"suggestion", []string{"detcet"}, nil, 2, nil, []string{`unknown command "detcet"`, "Did you mean this?", "    detect\n"}, true, nil},
		{"lake from the environment", append([]string{"query", "top_talkers", "--output", "json"}, week...), map[string]string{"KEYTRAIL_LAKE": lakeDir}, 0,
			[]string{`"calls":`}, nil, false, func(t *testing.T, out string) {
				line, _, _ := strings.Cut(out, "\n")
				var row map[string]any
				if err := json.Unmarshal([]byte(line), &row); err != nil {
					t.Fatal(err)
				}
				if _, ok := row["calls"].(float64); !ok {
					t.Errorf("calls is %T, want a number: %s", row["calls"], line)
				}
			}},
		{"missing lake from the environment", append([]string{"query", "top_talkers"}, week...), map[string]string{"KEYTRAIL_LAKE": missing}, 1, nil, []string{"does not exist"}, true, nil},
		{"ingest bad --since", []string{"ingest", "--lake", t.TempDir(), "--since", "2026/06/01", "s3://trail/AWSLogs/"}, nil, 2, nil, []string{`--since "2026/06/01": want YYYY-MM-DD`}, true, nil},
		{"detect missing lake", []string{"detect", "--lake", missing}, nil, 1, nil, []string{"does not exist"}, true, nil},
		{"compact missing lake", []string{"compact", "--lake", missing}, nil, 1, nil, []string{"does not exist"}, true, nil},
		{"sql missing lake", []string{"sql", "--lake", missing, "SELECT 1"}, nil, 1, nil, []string{"does not exist"}, true, nil},
		{"sql empty lake", []string{"sql", "--lake", t.TempDir(), "SELECT 1"}, nil, 1, nil, []string{"holds no events"}, true, nil},
		{"sql", []string{"sql", "--lake", lakeDir, "-o", "json", "SELECT count(*) AS n, bool_or(event_name = 'GetSecretValue') AS r, max(event_time) AS t FROM events_unique"}, nil, 0,
			[]string{`"n":`, `"r":true`, `"t":"2026-07-08T`}, nil, false, nil},
		{"sql tables", []string{"sql", "--lake", lakeDir, "-o", "csv", "SELECT (SELECT count(*) FROM findings) + (SELECT count(*) FROM findings_unique) AS f"}, nil, 0,
			[]string{"\"f\"\n\"7\"\n"}, nil, false, nil},
		{"sql inventory tables", []string{"sql", "--lake", invLake, "-o", "csv", "SELECT count(*) > 0 AS granted FROM inventory_permissions"}, nil, 0,
			[]string{"\"granted\"\n\"true\"\n"}, nil, false, nil},
		{"sql inventory tables, none taken", []string{"sql", "--lake", lakeDir, "-o", "csv", "SELECT count(*) AS n FROM inventory_permissions"}, nil, 0,
			[]string{"\"n\"\n\"0\"\n"}, nil, false, nil},
		{"deprecated --format", append([]string{"query", "top_talkers", "--lake", lakeDir, "--format", "csv"}, week...), nil, 0,
			[]string{`"principal_arn"`}, []string{"--format is deprecated; use --output"}, false, nil},
		{"bad --output", []string{"query", "top_talkers", "-o", "yaml"}, nil, 2, nil, []string{`--output "yaml": want table, json, csv`}, true, nil},
		{"config error lines", []string{"detect", "--config", badConf, "--lake", lakeDir}, nil, 1, nil, []string{"\n    line 2: field nope not found"}, true, nil},
		{"config", []string{"config"}, map[string]string{"KEYTRAIL_LAKE": lakeDir}, 0, []string{"# env KEYTRAIL_LAKE", `athena.workgroup: "keytrail"`}, nil, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, stdout, stderr := testEnv()
			env.getenv = func(k string) string { return tt.env[k] }
			if code := run(context.Background(), env, tt.args); code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tt.code, stdout, stderr)
			}
			for _, w := range tt.out {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%.2000s", w, stdout)
				}
			}
			for _, w := range tt.errOut {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if strings.Contains(stderr.String(), `\u000a`) {
				t.Errorf("stderr spells out a line break:\n%s", stderr)
			}
			if tt.noOut && stdout.Len() > 0 {
				t.Errorf("stdout not empty:\n%s", stdout)
			}
			if tt.checkFn != nil {
				tt.checkFn(t, stdout.String())
			}
		})
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("a reading command created the missing lake: %v", err)
	}
}
