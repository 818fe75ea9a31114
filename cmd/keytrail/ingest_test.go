package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	run(context.Background(), env, []string{"ingest", "--output", "json", "--lake", lakeDir, src})
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
	if !strings.Contains(errb.String(), "requires at least 1 arg") || !strings.Contains(errb.String(), "keytrail ingest --help") {
		t.Fatalf("no usage: %s", errb)
	}
	env, _, _ = testEnv()
	if code := run(context.Background(), env, []string{"ingest", "-h"}); code != 0 {
		t.Fatalf("-h exit %d", code)
	}
}

// The summary names every record ingest could not take as it came: a
// record dated 9999 (quarantined: the file is fine, the row is kept apart)
// and a record over the size limit (skipped with its offset, the records
// after it read), in text and in JSON.
func TestIngestCommandQuarantineAndOversized(t *testing.T) {
	src := t.TempDir()
	day := filepath.Join(src, "AWSLogs", "111122223333", "CloudTrail", "eu-central-1", "2026", "06", "01")
	name := "111122223333_CloudTrail_eu-central-1_20260601T1005Z_Mu0KsOhtH1ar15ZZ.json.gz"
	forged := strings.Replace(strings.Replace(kmsRec, "ID", "forged", 1), "2026-06-01T10:00:00Z", "9999-12-31T23:59:59Z", 1)
	writeGz(t, filepath.Join(day, name), `{"Records":[`+strings.Replace(kmsRec, "ID", "e1", 1)+`,`+forged+`]}`)
	head := `{"Records":[` + strings.Replace(kmsRec, "ID", "e2", 1) + `,`
	huge := strings.Replace(strings.Replace(kmsRec, "ID", "huge", 1), `"eventVersion"`, `"userAgent":"`+strings.Repeat("A", 9<<20)+`","eventVersion"`, 1)
	writeGz(t, filepath.Join(day, "big.json.gz"), head+huge+`,`+strings.Replace(kmsRec, "ID", "e3", 1)+`]}`)
	lakeDir := filepath.Join(t.TempDir(), "lake")

	env, out, errb := testEnv()
	if code := run(context.Background(), env, []string{"ingest", "--lake", lakeDir, src}); code != 1 {
		t.Fatalf("exit %d, want 1 (a record could not be read); stderr %s", code, errb)
	}
	for _, want := range []string{
		"5 read, 3 kept, 0 other services, 1 unreadable, 1 quarantined",
		fmt.Sprintf("record 1 (offset %d)", len(head)),
		"record exceeds the size limit",
		"Quarantined 1 records",
		name + "  record 1  9999-12-31T23:59:59Z  more than 1 hour after the object's delivery (2026-06-01T10:05:00Z, from its name)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if parts, _ := filepath.Glob(filepath.Join(lakeDir, "quarantine", "day=2026-06-01", "*.parquet")); len(parts) != 1 {
		t.Errorf("quarantine parts %v, want one under the delivery day", parts)
	}
	if parts, _ := filepath.Glob(filepath.Join(lakeDir, "events", "day=9999-12-31", "*")); len(parts) != 0 {
		t.Errorf("events/ has a 9999 partition: %v", parts)
	}

	env, out, _ = testEnv()
	run(context.Background(), env, []string{"ingest", "--output", "json", "--lake", lakeDir, src})
	var sum struct {
		Quarantined int `json:"quarantined"`
		Quarantine  []struct {
			Object    string    `json:"object"`
			Index     int       `json:"index"`
			EventTime time.Time `json:"event_time"`
			Reason    string    `json:"reason"`
		} `json:"quarantine"`
		Problems []struct {
			RecordErrors []struct {
				Index  int   `json:"index"`
				Offset int64 `json:"offset"`
			} `json:"record_errors"`
		} `json:"problems"`
	}
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s", err, out)
	}
	if sum.Quarantined != 1 || len(sum.Quarantine) != 1 || sum.Quarantine[0].Index != 1 || sum.Quarantine[0].EventTime.Year() != 9999 ||
		!strings.HasSuffix(sum.Quarantine[0].Object, name) || sum.Quarantine[0].Reason == "" {
		t.Errorf("json quarantine %+v", sum)
	}
	if len(sum.Problems) != 1 || len(sum.Problems[0].RecordErrors) != 1 || sum.Problems[0].RecordErrors[0].Offset != int64(len(head)) {
		t.Errorf("json problems %+v, want the oversized record with its offset", sum.Problems)
	}
}
