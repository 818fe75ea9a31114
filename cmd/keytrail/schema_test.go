package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A lake written by a newer keytrail stops every reading command with
// what to do, before anything is read.
func TestNewerLakeSchema(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "_keytrail"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "_keytrail", "schema.json"), []byte(`{"version":7}`), 0o644); err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	writeGz(t, filepath.Join(src, "AWSLogs", "111122223333", "CloudTrail", "eu-central-1", "2026", "06", "01", "a.json.gz"),
		`{"Records":[`+strings.Replace(kmsRec, "ID", "e1", 1)+`]}`)
	for _, args := range [][]string{
		{"ingest", "--lake", dir, src},
		{"detect", "--lake", dir},
		{"query", "top_talkers", "--lake", dir, "--param", "from=2026-07-01", "--param", "to=2026-07-08"},
		{"sql", "--lake", dir, "SELECT 1"},
		{"compact", "--lake", dir},
	} {
		var out, errb bytes.Buffer
		env := &environ{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
		code := run(context.Background(), env, args)
		if code != 1 || !strings.Contains(errb.String(), "schema version 7, this keytrail reads version 1") {
			t.Errorf("%v: exit %d, stderr:\n%s", args, code, errb.String())
		}
	}
}

// keytrail ingest leaves the marker in a new lake.
func TestIngestWritesSchema(t *testing.T) {
	src := t.TempDir()
	writeGz(t, filepath.Join(src, "AWSLogs", "111122223333", "CloudTrail", "eu-central-1", "2026", "06", "01", "a.json.gz"),
		`{"Records":[`+strings.Replace(kmsRec, "ID", "e1", 1)+`]}`)
	dir := filepath.Join(t.TempDir(), "lake")
	env, _, errb := testEnv()
	if code := run(context.Background(), env, []string{"ingest", "--lake", dir, src}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	b, err := os.ReadFile(filepath.Join(dir, "_keytrail", "schema.json"))
	if err != nil || string(b) != `{"version":1}` {
		t.Errorf("marker %q, %v", b, err)
	}
}
