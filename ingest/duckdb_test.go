package ingest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/keytrail/keytrail/internal/event"

	_ "github.com/duckdb/duckdb-go/v2"
)

// TestParquetReadsInDuckDB checks the written files with another engine:
// Go-written Parquet has had reader bugs elsewhere (equality filters that
// return no rows with data page v2), so filter on each kind of column.
func TestParquetReadsInDuckDB(t *testing.T) {
	cases := loadNormalizeCases(t)
	var recs []json.RawMessage
	for _, c := range cases {
		recs = append(recs, c.Record)
	}
	d := newLake(t)
	ctx := context.Background()
	if _, err := New(d, Config{RowsPerPart: 5}).Ingest(ctx, "dd.json.gz", bytes.NewReader(logFile(t, recs, true))); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	glob := filepath.Join(d.Root(), "events", "*", "*.parquet")
	from := "read_parquet('" + glob + "', hive_partitioning = true)"

	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + from).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(cases) {
		t.Fatalf("duckdb counts %d rows, want %d", n, len(cases))
	}
	rows := readLake(t, d)
	count := func(pred func(e event.Event) bool) int {
		n := 0
		for _, r := range rows {
			if pred(r) {
				n++
			}
		}
		return n
	}
	t0 := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	t1 := time.Date(2026, 6, 1, 10, 1, 30, 0, time.UTC)
	role := "arn:aws:iam::111122223333:role/service/payments-api"
	two := "arn:aws:secretsmanager:us-east-1:111122223333:secret:two"
	queries := []struct {
		name  string
		where string
		args  []any
		want  func(e event.Event) bool
	}{
		{"dict string equality", "principal_arn = ?", []any{role}, func(e event.Event) bool { return e.PrincipalARN == role }},
		{"plain string equality", "event_id = ?", []any{"e-batch"}, func(e event.Event) bool { return e.EventID == "e-batch" }},
		{"boolean", "failed = ?", []any{true}, func(e event.Event) bool { return e.Failed }},
		{"optional boolean", "mfa_authenticated = ?", []any{true}, func(e event.Event) bool { return e.MFAAuthenticated != nil && *e.MFAAuthenticated }},
		{"list membership", "list_contains(resource_arns, ?)", []any{two}, func(e event.Event) bool { return slices.Contains(e.ResourceARNs, two) }},
		{"timestamp range", "event_time >= ? AND event_time < ?", []any{t0, t1}, func(e event.Event) bool { return !e.EventTime.Before(t0) && e.EventTime.Before(t1) }},
		{"hive partition", "day = ?", []any{"2026-06-01"}, func(e event.Event) bool { return e.Day() == "2026-06-01" }},
		{"dictionary string in", "event_name IN ('Decrypt', 'GetSecretValue')", nil, func(e event.Event) bool { return e.EventName == "Decrypt" || e.EventName == "GetSecretValue" }},
	}
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			var got int
			if err := db.QueryRow("SELECT count(*) FROM "+from+" WHERE "+q.where, q.args...).Scan(&got); err != nil {
				t.Fatal(err)
			}
			want := count(q.want)
			if want == 0 {
				t.Fatal("fixtures have no matching row: the check would prove nothing")
			}
			if got != want {
				t.Fatalf("%s: duckdb finds %d rows, parquet-go %d", q.where, got, want)
			}
		})
	}
	var typ string
	if err := db.QueryRow("SELECT typeof(event_time) FROM " + from + " LIMIT 1").Scan(&typ); err != nil {
		t.Fatal(err)
	}
	if typ != "TIMESTAMP WITH TIME ZONE" && typ != "TIMESTAMP" && typ != "TIMESTAMP_MS" {
		t.Fatalf("event_time is %s, want a timestamp", typ)
	}
}

// TestInvalidUTF8StaysReadable feeds a record whose strings and request
// parameters carry bytes that are not UTF-8 (JSON allows them raw; the
// caller chooses user agents and parameters). Parquet strings must be
// UTF-8, and DuckDB refuses a file that breaks the rule, so every column
// must come out valid and the file must read.
func TestInvalidUTF8StaysReadable(t *testing.T) {
	rec := json.RawMessage(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u","accountId":"111122223333"},` +
		`"eventTime":"2026-06-01T10:00:00Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt","awsRegion":"eu-central-1",` +
		"\"userAgent\":\"agent\xff\xfe\",\"errorMessage\":\"bad \xc3\",\"requestParameters\":{\"keyId\":\"k\",\"encryptionContext\":{\"n\":\"\xff\"}},\"eventID\":\"utf8\"}")
	d := newLake(t)
	res, err := New(d, Config{}).Ingest(context.Background(), "u.json", bytes.NewReader(logFile(t, []json.RawMessage{rec}, false)))
	if err != nil || res.Kept != 1 {
		t.Fatalf("kept %d: %v %s", res.Kept, err, res.Reason)
	}
	rows := readLake(t, d)
	e := rows[0]
	for name, v := range map[string]string{"user_agent": e.UserAgent, "error_message": e.ErrorMessage,
		"request_parameters": e.RequestParameters, "encryption_context": e.EncryptionContext} {
		if !utf8.ValidString(v) || !strings.ContainsRune(v, utf8.RuneError) {
			t.Errorf("%s = %q: want valid UTF-8 with U+FFFD for the bad bytes", name, v)
		}
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ua, params string
	q := "SELECT user_agent, request_parameters FROM read_parquet('" + filepath.Join(d.Root(), "events", "*", "*.parquet") + "')"
	if err := db.QueryRow(q).Scan(&ua, &params); err != nil {
		t.Fatalf("duckdb: %v", err)
	}
	if ua != e.UserAgent || params != e.RequestParameters {
		t.Fatalf("duckdb read %q %q, parquet-go %q %q", ua, params, e.UserAgent, e.RequestParameters)
	}
}
