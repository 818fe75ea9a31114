package event

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestSchemaGolden pins the Parquet schema: a struct tag typo (or any column
// change) fails here rather than in a Lambda or in Athena. Run
// `go test ./internal/event -update` after an intended change, and update
// the Athena DDL and the infra template's Glue table with it.
func TestSchemaGolden(t *testing.T) {
	got := []byte(Schema.String() + "\n")
	path := filepath.Join("testdata", "schema.golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("schema changed:\n%s\nwant:\n%s", got, want)
	}
}

func TestParquetRoundTrip(t *testing.T) {
	yes := true
	rows := []Event{
		{EventID: "b", EventTime: time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC), ReadOnly: &yes, ResourceARNs: []string{"x", "y"}, Failed: true, SourceIndex: 7},
		{EventID: "a", EventTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), ResourceARNs: []string{}},
	}
	Sort(rows)
	if rows[0].EventID != "a" {
		t.Fatalf("Sort: first %q, want a", rows[0].EventID)
	}
	var buf bytes.Buffer
	if err := WriteParquet(&buf, rows); err != nil {
		t.Fatal(err)
	}
	got, err := ReadParquet(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].EventID != "b" || !got[1].EventTime.Equal(rows[1].EventTime) ||
		got[1].ReadOnly == nil || !*got[1].ReadOnly || got[0].ReadOnly != nil ||
		len(got[1].ResourceARNs) != 2 || !got[1].Failed || got[1].SourceIndex != 7 {
		t.Fatalf("round trip lost data: %+v", got)
	}
}
