package ingest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/lake"
)

// TestCompactKeepsDistinctEventsSharingAnID: hand-made and edited data
// reuse event ids. Compaction drops only true copies (the same id, name,
// time and request id); records that share an id and differ are events of
// their own and survive it.
func TestCompactKeepsDistinctEventsSharingAnID(t *testing.T) {
	d := newLake(t)
	in := New(d, Config{})
	ctx := context.Background()
	base := string(kmsRecord(1)) // eventID "e-1", Decrypt at 10:01
	same := strings.Replace(base, `"eventID":"e-1"`, `"eventID":"e-1","requestID":"r-1"`, 1)
	recs := map[string][]string{
		"a.json": {same},
		"b.json": {same, // a true copy, delivered again
			strings.Replace(same, `"eventName":"Decrypt"`, `"eventName":"Encrypt"`, 1),
			strings.Replace(same, `10:01:00Z`, `10:02:00Z`, 1),
			strings.Replace(same, `"r-1"`, `"r-2"`, 1)},
	}
	for _, name := range []string{"a.json", "b.json"} {
		var raw []json.RawMessage
		for _, r := range recs[name] {
			raw = append(raw, json.RawMessage(r))
		}
		if _, err := in.Ingest(ctx, name, strings.NewReader(string(logFile(t, raw, false)))); err != nil {
			t.Fatal(err)
		}
	}
	res, err := (&Compactor{Store: d}).CompactDay(ctx, "2026-06-01")
	if err != nil {
		t.Fatal(err)
	}
	if res.InputRows != 5 || res.Duplicates != 1 || res.OutputRows != 4 {
		t.Fatalf("compaction %+v, want 5 rows in, 1 duplicate, 4 out", res)
	}
	rows := readLake(t, d)
	if len(rows) != 4 {
		t.Fatalf("%d rows after compaction, want 4", len(rows))
	}
	seen := map[string]bool{}
	for _, r := range rows {
		k := r.EventName + " " + r.EventTime.Format("15:04") + " " + r.RequestID
		if seen[k] {
			t.Errorf("row %s kept twice", k)
		}
		seen[k] = true
	}
	for _, k := range []string{"Decrypt 10:01 r-1", "Encrypt 10:01 r-1", "Decrypt 10:02 r-1", "Decrypt 10:01 r-2"} {
		if !seen[k] {
			t.Errorf("event %s lost; have %v", k, seen)
		}
	}
	if objs, _ := d.List(ctx, lake.EventsPrefix); len(objs) != 1 {
		t.Errorf("%d files after compaction", len(objs))
	}
}
