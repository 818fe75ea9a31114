package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testEnv() (*environ, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &environ{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}, &out, &errb
}

func writeGz(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(body))
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

const kmsRec = `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u","accountId":"111122223333","userName":"u"},"eventTime":"2026-06-01T10:00:00Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt","awsRegion":"eu-central-1","requestParameters":{"keyId":"k"},"eventID":"ID","recipientAccountId":"111122223333"}`

func TestIngestCommand(t *testing.T) {
	src := t.TempDir()
	day := filepath.Join(src, "AWSLogs", "111122223333", "CloudTrail", "eu-central-1", "2026", "06", "01")
	writeGz(t, filepath.Join(day, "good.json.gz"), `{"Records":[`+strings.Replace(kmsRec, "ID", "e1", 1)+`,`+strings.Replace(kmsRec, "ID", "e2", 1)+`]}`)
	writeGz(t, filepath.Join(day, "bad\nname.json.gz"), `{"Records":[`+strings.Replace(kmsRec, "ID", "e3", 1)+`,{"eventSource":`)
	writeGz(t, filepath.Join(src, "AWSLogs", "111122223333", "CloudTrail-Digest", "eu-central-1", "2026", "06", "01", "d.json.gz"), `{"digestStartTime":"x"}`)
	os.WriteFile(filepath.Join(src, "README.txt"), []byte("not a log"), 0o644)
	lakeDir := filepath.Join(t.TempDir(), "lake")

	env, out, errb := testEnv()
	code := run(context.Background(), env, []string{"ingest", "--lake", lakeDir, src})
	if code != 1 {
		t.Fatalf("exit %d, want 1 (a file was truncated); stderr %s", code, errb)
	}
	for _, want := range []string{
		"Ingested 3 files",
		"1 ok, 1 partial, 0 failed, 1 skipped",
		"3 read, 3 kept",
		"kms.amazonaws.com",
		"bad name.json.gz", // the newline in the name cannot break the line
		"digest",
		"Passed over 1 files",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	parts, _ := filepath.Glob(filepath.Join(lakeDir, "events", "day=2026-06-01", "*.parquet"))
	if len(parts) != 2 {
		t.Errorf("lake has %d parts, want 2: %v", len(parts), parts)
	}

	// JSON summary, and a second run that replaces instead of adding.
	env, out, _ = testEnv()
	run(context.Background(), env, []string{"ingest", "--json", "--lake", lakeDir, src})
	var sum struct {
		Kept     int `json:"kept"`
		Problems []struct {
			Object, Status string
		} `json:"problems"`
	}
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s", err, out)
	}
	if sum.Kept != 3 || len(sum.Problems) != 2 {
		t.Fatalf("json summary %+v", sum)
	}
	parts2, _ := filepath.Glob(filepath.Join(lakeDir, "events", "day=2026-06-01", "*.parquet"))
	if len(parts2) != len(parts) {
		t.Fatalf("second run changed the number of parts: %d → %d", len(parts), len(parts2))
	}
}

func TestIngestCommandUsage(t *testing.T) {
	env, _, errb := testEnv()
	if code := run(context.Background(), env, []string{"ingest"}); code != 2 {
		t.Fatalf("exit %d without sources, want 2", code)
	}
	if !strings.Contains(errb.String(), "Usage: keytrail ingest") {
		t.Fatalf("no usage: %s", errb)
	}
	env, _, _ = testEnv()
	if code := run(context.Background(), env, []string{"ingest", "-h"}); code != 0 {
		t.Fatalf("-h exit %d", code)
	}
}
