package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// kmsRecord returns a minimal valid KMS record with id "e-<i>".
func kmsRecord(i int) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u","accountId":"111122223333","userName":"u"},"eventTime":"2026-06-01T10:%02d:00Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt","awsRegion":"eu-central-1","sourceIPAddress":"192.0.2.1","userAgent":"cli","requestParameters":{"keyId":"k"},"eventID":"e-%d","eventType":"AwsApiCall","recipientAccountId":"111122223333"}`, i%60, i))
}

func s3Record(i int) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"eventVersion":"1.08","eventTime":"2026-06-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"s-%d","userAgent":"[kms.amazonaws.com]"}`, i))
}

func TestCorruptInputs(t *testing.T) {
	var good []json.RawMessage
	for i := range 50 {
		good = append(good, kmsRecord(i), s3Record(i))
	}
	plain := logFile(t, good, false)
	gz := gzipBytes(t, plain)

	missingTime := append(append([]json.RawMessage{}, good[:4]...),
		json.RawMessage(`{"eventSource":"kms.amazonaws.com","eventName":"Decrypt","eventID":"no-time"}`),
		json.RawMessage(`{"eventSource":"kms.amazonaws.com","eventName":"Decrypt","eventID":"bad-time","eventTime":"yesterday"}`),
		good[4])

	tests := []struct {
		name      string
		key       string
		body      []byte
		status    Status
		kept      int
		records   int
		errors    int
		substring string // in Reason or the first record error
	}{
		{"good gzip", "a.json.gz", gz, StatusOK, 50, 100, 0, ""},
		{"good plain json", "a.json", plain, StatusOK, 50, 100, 0, ""},
		{"truncated gzip", "t.json.gz", gz[:len(gz)/2], StatusPartial, -1, -1, 0, "truncated"},
		{"gzip of garbage tail", "g.json.gz", append(append([]byte{}, gz[:len(gz)-8]...), 0, 0, 0, 0, 0, 0, 0, 0), StatusPartial, 50, 100, 0, "gzip"},
		{"truncated json", "t.json", plain[:len(plain)-300], StatusPartial, -1, -1, 0, "unexpected end of input"},
		{"invalid record json", "i.json", []byte(`{"Records":[` + string(kmsRecord(1)) + `,{"eventSource":"kms.amazonaws.com","eventTime":tru},` + string(kmsRecord(2)) + `]}`), StatusPartial, 2, 3, 1, "record 1"},
		{"not cloudtrail", "x.json", []byte(`{"hello":"world"}`), StatusFailed, 0, 0, 0, "not a CloudTrail log file"},
		{"html error page", "x.json.gz", gzipBytes(t, []byte("<html>denied</html>")), StatusFailed, 0, 0, 0, "not a CloudTrail log file"},
		{"empty object", "e.json.gz", nil, StatusFailed, 0, 0, 0, "empty object"},
		{"empty records", "e.json.gz", gzipBytes(t, []byte(`{"Records":[]}`)), StatusSkipped, 0, 0, 0, "empty Records"},
		{"digest by key", "AWSLogs/1/CloudTrail-Digest/us-east-1/2026/06/01/1_CloudTrail-Digest_us-east-1_t_20260601T000000Z.json.gz", gz, StatusSkipped, 0, 0, 0, "digest"},
		{"digest by content", "d.json.gz", gzipBytes(t, []byte(`{"awsAccountId":"1","digestStartTime":"2026-06-01T00:00:00Z","digestEndTime":"2026-06-01T01:00:00Z","logFiles":[]}`)), StatusSkipped, 0, 0, 0, "digest"},
		{"insights by key", "AWSLogs/1/CloudTrail-Insight/us-east-1/2026/06/01/x.json.gz", gz, StatusSkipped, 0, 0, 0, "Insights"},
		{"missing and bad eventTime", "m.json", logFile(t, missingTime, false), StatusPartial, 3, 7, 2, "record 4"},
		{"field of an unexpected type is kept", "w.json", []byte(`{"Records":[` + strings.Replace(string(kmsRecord(1)), `"eventType":"AwsApiCall"`, `"eventType":"AwsApiCall","readOnly":"true","resources":{"ARN":1}`, 1) + `]}`), StatusOK, 1, 1, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newLake(t)
			res, err := New(d, Config{}).Ingest(context.Background(), tt.key, bytes.NewReader(tt.body))
			if err != nil {
				t.Fatalf("lake error: %v", err)
			}
			if res.Status != tt.status {
				t.Fatalf("status %s (%s), want %s", res.Status, res.Reason, tt.status)
			}
			if tt.kept >= 0 && res.Kept != tt.kept {
				t.Errorf("kept %d, want %d", res.Kept, tt.kept)
			}
			if tt.records >= 0 && res.Records != tt.records {
				t.Errorf("records %d, want %d", res.Records, tt.records)
			}
			if res.RecordErrorCount != tt.errors {
				t.Errorf("record errors %d (%v), want %d", res.RecordErrorCount, res.RecordErrors, tt.errors)
			}
			msg := res.Reason
			for _, re := range res.RecordErrors {
				msg += fmt.Sprintf(" | record %d: %s", re.Index, re.Err)
			}
			if !strings.Contains(msg, tt.substring) {
				t.Errorf("reason %q does not mention %q", msg, tt.substring)
			}
			// Every readable record is in the lake, once.
			rows := readLake(t, d)
			if len(rows) != res.Kept {
				t.Errorf("lake has %d rows, result says %d", len(rows), res.Kept)
			}
			seen := map[string]bool{}
			for _, r := range rows {
				if seen[r.EventID] {
					t.Errorf("row %s written twice", r.EventID)
				}
				seen[r.EventID] = true
			}
		})
	}
}

// TestTruncatedKeepsPrefix checks that a file cut at any point keeps exactly
// the complete SM/KMS records before the cut.
func TestTruncatedKeepsPrefix(t *testing.T) {
	var recs []json.RawMessage
	for i := range 20 {
		recs = append(recs, kmsRecord(i), s3Record(i))
	}
	full := logFile(t, recs, false)
	for cut := 10; cut < len(full); cut += 97 {
		d := newLake(t)
		res, err := New(d, Config{}).Ingest(context.Background(), "cut.json", bytes.NewReader(full[:cut]))
		if err != nil {
			t.Fatal(err)
		}
		complete := 0
		for _, r := range recs {
			if i := bytes.Index(full, r); i >= 0 && i+len(r) <= cut && bytes.Contains(r, []byte(`"kms.amazonaws.com"`)) {
				complete++
			}
		}
		// A record whose closing brace is the last byte before the cut is
		// complete too; the scanner may return it.
		if res.Kept != complete || len(readLake(t, d)) != complete {
			t.Fatalf("cut at %d: kept %d, want %d (%s)", cut, res.Kept, complete, res.Reason)
		}
		if res.Status != StatusPartial && res.Status != StatusFailed {
			t.Fatalf("cut at %d: status %s", cut, res.Status)
		}
	}
}

// TestIngesterReusesReaders ingests good and broken objects one after the
// other with one Ingester, which reuses its readers, gzip state and
// scanner from object to object, and checks that each object gives the
// result a new Ingester gives it and that the lake holds every kept row
// once.
func TestIngesterReusesReaders(t *testing.T) {
	records := func(from int) []json.RawMessage {
		var recs []json.RawMessage
		for i := from; i < from+30; i++ {
			recs = append(recs, kmsRecord(i), s3Record(i))
		}
		return recs
	}
	gz := gzipBytes(t, logFile(t, records(0), false))
	cut := gzipBytes(t, logFile(t, records(400), false))
	objects := []struct {
		key  string
		body []byte
	}{
		{"truncated.json.gz", cut[:len(cut)/2]},
		{"good-1.json.gz", gz},
		{"html.json.gz", gzipBytes(t, []byte("<html>denied</html>"))},
		{"empty.json.gz", nil},
		{"cut.json", logFile(t, records(100), false)[:900]},
		{"good-2.json", logFile(t, records(200), false)},
		{"not-gzip.json.gz", append([]byte{0x1f, 0x8b, 0}, "garbage"...)},
		{"digest.json.gz", gzipBytes(t, []byte(`{"awsAccountId":"1","digestStartTime":"x","logFiles":[]}`))},
		{"good-3.json.gz", gzipBytes(t, logFile(t, records(300), false))},
	}
	shared := newLake(t)
	in := New(shared, Config{})
	kept := 0
	for round := range 2 { // the second round replaces the first's rows
		for _, o := range objects {
			got, err := in.Ingest(context.Background(), o.key, bytes.NewReader(o.body))
			if err != nil {
				t.Fatal(err)
			}
			want, err := New(newLake(t), Config{}).Ingest(context.Background(), o.key, bytes.NewReader(o.body))
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != want.Status || got.Reason != want.Reason || got.Records != want.Records || got.Kept != want.Kept || got.Bytes != want.Bytes {
				t.Errorf("round %d, %s after other objects: %s %q, %d records, %d kept, %d bytes; alone: %s %q, %d, %d, %d",
					round, o.key, got.Status, got.Reason, got.Records, got.Kept, got.Bytes, want.Status, want.Reason, want.Records, want.Kept, want.Bytes)
			}
			if round == 0 {
				kept += got.Kept
			}
		}
	}
	if kept < 90 {
		t.Fatalf("kept %d rows in all, want at least the three good files' 90", kept)
	}
	rows := readLake(t, shared)
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.EventID] {
			t.Errorf("row %s written twice", r.EventID)
		}
		seen[r.EventID] = true
	}
	if len(rows) != kept {
		t.Errorf("lake has %d rows, the results say %d", len(rows), kept)
	}
}
