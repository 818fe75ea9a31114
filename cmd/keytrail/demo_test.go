package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/alert"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/gen"
)

// TestDemoEndToEnd runs the demo's steps in-process on a smaller
// organization and checks what each step left behind.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and processes two weeks of CloudTrail")
	}
	out := filepath.Join(t.TempDir(), "demo")
	env, stdout, stderr := testEnv()
	args := []string{"demo", "--out", out, "--days", "16", "--scale", "0.4", "--seed", "3", "--timezone", "Asia/Tokyo"}
	if code := run(context.Background(), env, args); code != 0 {
		t.Fatalf("demo exit %d\n%s\n%s", code, stdout, stderr)
	}
	text := stdout.String()
	for _, want := range []string{"== 1. Generate", "== 2. Ingest", "kms.amazonaws.com", "== 4. Detect", "WHEN (Asia/Tokyo)",
		"most severe first", "== 5. Alert", "== 6. Investigate", "== 8. Access review", "review/review.html"} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}

	// The findings: every planted incident kind the detector covers, most
	// severe first, and none for keytrail's own roles.
	raw, err := os.ReadFile(filepath.Join(out, "findings.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := alert.ReadJSONLines(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	labels := readLabels(t, filepath.Join(out, "cloudtrail", "labels.jsonl"))
	kinds := map[string]bool{}
	for i, f := range fs {
		kinds[f.Kind] = true
		if i > 0 && finding.SeverityRank(f.Severity) > finding.SeverityRank(fs[i-1].Severity) {
			t.Errorf("finding %d (%s) is more severe than the one before", i, f.Severity)
		}
		if strings.Contains(f.Principal, ":role/keytrail/") {
			t.Errorf("a finding on keytrail's own role: %+v", f)
		}
		if f.Query == "" || !strings.Contains(f.Query, "SELECT") {
			t.Errorf("finding %s has no follow-up query", f.ID)
		}
	}
	for _, l := range labels {
		if l.Kind != "decoy" && !kinds[l.Kind] {
			t.Errorf("no %s finding although the generator planted one (%s)", l.Kind, l.Detail)
		}
	}

	// The Slack messages parse as Block Kit payloads.
	var msgs []map[string]any
	b, err := os.ReadFile(filepath.Join(out, "slack-messages.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &msgs); err != nil || len(msgs) < len(fs) {
		t.Fatalf("slack messages: %d for %d findings (%v)", len(msgs), len(fs), err)
	}
	// The review names the secrets and keys that were used.
	md, err := os.ReadFile(filepath.Join(out, "review", "review.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "secretsmanager") || !strings.Contains(string(md), ":key/") {
		t.Errorf("review.md does not list secrets and keys:\n%.2000s", md)
	}
	if _, err := os.Stat(filepath.Join(out, "review", "review.html")); err != nil {
		t.Error(err)
	}
	// Issue 17's bar: the demo leaves an inventory, the review's first
	// screen states coverage and the inventory read, and permissions.csv
	// holds used and unused grants.
	if days, err := filepath.Glob(filepath.Join(out, "lake", "inventory", "permissions", "day=*")); err != nil || len(days) == 0 {
		t.Errorf("no inventory in the demo lake (%v)", err)
	}
	first, _, _ := strings.Cut(string(md), "\n## ")
	for _, want := range []string{"Coverage: all 16 days have events", "Inventory: inventory of "} {
		if !strings.Contains(first, want) {
			t.Errorf("review.md's first screen lacks %q:\n%s", want, first)
		}
	}
	f, err := os.Open(filepath.Join(out, "review", "permissions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("permissions.csv: %d rows, %v", len(rows), err)
	}
	lastUsed := slices.Index(rows[0], "last_used")
	var used, unused int
	for _, r := range rows[1:] {
		if r[lastUsed] == "" {
			unused++
		} else {
			used++
		}
	}
	if lastUsed < 0 || used == 0 || unused == 0 {
		t.Errorf("permissions.csv: %d used and %d unused grants (header %q), want both", used, unused, rows[0])
	}
}

func readLabels(t *testing.T, path string) []gen.Label {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []gen.Label
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var l gen.Label
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// TestMakeDemo runs `make demo` as a user would, checks its summary and
// findings table, then runs every command line it printed, exactly as
// printed, from where make ran: each must exit 0.
func TestMakeDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds keytrail and runs the full demo")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "demo-output")
	cmd := exec.Command("make", "-s", "demo", "DEMO_OUT="+out)
	cmd.Dir = root
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make demo: %v\n%s", err, b)
	}
	text := string(b)
	for _, want := range []string{"records: ", "kept", "secretsmanager.amazonaws.com", "SEVERITY", "critical", "findings, most severe first",
		"--holidays 2026-06-04,2026-06-15", "Done in"} {
		if !strings.Contains(text, want) {
			t.Fatalf("make demo output lacks %q:\n%s", want, text)
		}
	}
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if cmdline, ok := strings.CutPrefix(l, "$ "); ok {
			lines = append(lines, cmdline)
		}
	}
	if len(lines) < 9 {
		t.Fatalf("the demo printed %d command lines:\n%s", len(lines), text)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "./bin/keytrail ") {
			t.Errorf("command line %q does not name ./bin/keytrail", l)
		}
		c := exec.Command("sh", "-c", l)
		c.Dir = root
		if o, err := c.CombinedOutput(); err != nil {
			t.Errorf("$ %s\n%v\n%.2000s", l, err, o)
		}
	}
}
