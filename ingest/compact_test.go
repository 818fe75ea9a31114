package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/parquet-go/parquet-go"
)

// ingestObjects writes n small objects with distinct events, plus one that
// repeats an event of the first (as CloudTrail sometimes does).
func ingestObjects(t *testing.T, st lake.Store, n int) []string {
	t.Helper()
	in := New(st, Config{})
	var want []string
	for i := range n {
		var recs []json.RawMessage
		for j := range 5 {
			id := fmt.Sprintf("o%d-%d", i, j)
			recs = append(recs, json.RawMessage(strings.Replace(string(kmsRecord(j)), fmt.Sprintf(`"e-%d"`, j), `"`+id+`"`, 1)))
			want = append(want, id)
		}
		if _, err := in.Ingest(context.Background(), fmt.Sprintf("obj-%02d.json", i), strings.NewReader(string(logFile(t, recs, false)))); err != nil {
			t.Fatal(err)
		}
	}
	dup := strings.Replace(string(kmsRecord(0)), `"e-0"`, `"o0-0"`, 1)
	if _, err := in.Ingest(context.Background(), "repeat.json", strings.NewReader(string(logFile(t, []json.RawMessage{json.RawMessage(dup)}, false)))); err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	return want
}

func uniqueIDs(ids []string) []string {
	return slices.Compact(slices.Clone(ids))
}

func TestCompactDay(t *testing.T) {
	d := newLake(t)
	want := ingestObjects(t, d, 12)
	ctx := context.Background()
	before, _ := d.List(ctx, lake.EventsPrefix)
	if len(before) != 13 {
		t.Fatalf("%d files before compaction", len(before))
	}
	c := &Compactor{Store: d}
	res, err := c.CompactDay(ctx, "2026-06-01")
	if err != nil {
		t.Fatal(err)
	}
	after, _ := d.List(ctx, lake.EventsPrefix)
	if len(after) != 1 || res.InputFiles != 13 || res.Duplicates != 1 || res.OutputRows != len(want) {
		t.Fatalf("result %+v, files after %d", res, len(after))
	}
	if got := eventIDs(readLake(t, d)); !slices.Equal(got, want) {
		t.Fatalf("after compaction: %v\nwant %v", got, want)
	}
	// Idempotent: nothing more to do.
	res2, err := c.CompactDay(ctx, "2026-06-01")
	if err != nil || res2.InputFiles != 0 {
		t.Fatalf("second run %+v %v", res2, err)
	}
}

// crashOnDelete lets the compactor write its merged file, then dies on the
// first delete.
type crashOnDelete struct{ lake.Store }

func (crashOnDelete) Delete(context.Context, string) error { return errors.New("killed") }

func TestCompactKilledBeforeDelete(t *testing.T) {
	d := newLake(t)
	want := ingestObjects(t, d, 6)
	ctx := context.Background()
	if _, err := (&Compactor{Store: crashOnDelete{d}}).CompactDay(ctx, "2026-06-01"); err == nil {
		t.Fatal("no error from a killed compaction")
	}
	// Nothing is lost; each event is present, possibly twice.
	if got := uniqueIDs(eventIDs(readLake(t, d))); !slices.Equal(got, want) {
		t.Fatalf("after the crash unique ids %v, want %v", got, want)
	}
	// The next run cleans up.
	if _, err := (&Compactor{Store: d}).CompactDay(ctx, "2026-06-01"); err != nil {
		t.Fatal(err)
	}
	if got := eventIDs(readLake(t, d)); !slices.Equal(got, want) {
		t.Fatalf("after recovery %d rows, want %d", len(got), len(want))
	}
}

// TestCompactRacesIngest runs ingest and compaction at the same time on a
// real S3 server and checks that no event is ever lost.
func TestCompactRacesIngest(t *testing.T) {
	f := newTrailFixture(t)
	ctx := context.Background()
	in := New(f.lake, Config{})
	c := &Compactor{Store: f.lake, BatchBytes: 4 << 10}
	var want []string
	var recs [][]json.RawMessage
	for i := range 16 {
		var r []json.RawMessage
		for j := range 4 {
			id := fmt.Sprintf("r%d-%d", i, j)
			r = append(r, json.RawMessage(strings.Replace(string(kmsRecord(j)), fmt.Sprintf(`"e-%d"`, j), `"`+id+`"`, 1)))
			want = append(want, id)
		}
		recs = append(recs, r)
	}
	slices.Sort(want)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i, r := range recs {
			// Each object twice: a redelivered notification.
			for range 2 {
				if _, err := in.Ingest(ctx, fmt.Sprintf("race-%02d.json", i), strings.NewReader(string(logFile(t, r, false)))); err != nil {
					t.Error(err)
				}
			}
		}
	})
	for range 2 {
		wg.Go(func() {
			for range 8 {
				if _, err := c.CompactDay(ctx, "2026-06-01"); err != nil && !errors.Is(err, lake.ErrNotFound) {
					// A racing compactor may delete a file another one
					// listed: that run stops, the next one finishes.
					t.Log(err)
				}
			}
		})
	}
	wg.Wait()
	if got := uniqueIDs(eventIDs(readStore(t, f.lake))); !slices.Equal(got, want) {
		t.Fatalf("lost events: unique ids %d, want %d", len(got), len(want))
	}
	for range 3 { // settle: the last runs see everything
		if _, err := c.CompactDay(ctx, "2026-06-01"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := (&Compactor{Store: f.lake}).CompactDay(ctx, "2026-06-01"); err != nil {
		t.Fatal(err)
	}
	if got := eventIDs(readStore(t, f.lake)); !slices.Equal(got, want) {
		t.Fatalf("after settling: %d rows, want %d unique", len(got), len(want))
	}
}

// A compacted file is sorted by principal, resource and time, in row groups
// of event.CompactedLayout with bloom filters on the columns investigations
// filter on: one principal's rows fill few groups, and the statistics of the
// others exclude it (what lets Athena and DuckDB skip them).
func TestCompactClusters(t *testing.T) {
	d := newLake(t)
	ctx := context.Background()
	t0 := mustDay(t, "2026-06-01")
	principals := []string{"arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b", "arn:aws:iam::1:role/c", "arn:aws:iam::1:user/d", "arn:aws:iam::1:root"}
	const perPart = 3000
	for p := range 3 {
		rows := make([]event.Event, perPart)
		for i := range rows {
			n := p*perPart + i
			rows[i] = event.Event{
				EventID:          fmt.Sprintf("id-%05d", n),
				EventTime:        t0.Add(time.Duration(n) * time.Second),
				EventName:        "Decrypt",
				PrincipalARN:     principals[n%len(principals)],
				SessionIssuerARN: principals[n%len(principals)],
				ResourceARN:      fmt.Sprintf("arn:aws:kms:us-east-1:1:key/%d", n%7),
				ResourceARNs:     []string{},
				SourceObject:     fmt.Sprint("obj-", p),
				SourceIndex:      int64(i),
			}
		}
		event.Sort(rows)
		var buf bytes.Buffer
		if err := event.WriteParquetFast(&buf, rows); err != nil {
			t.Fatal(err)
		}
		if err := d.Put(ctx, lake.EventKey("2026-06-01", fmt.Sprint("part-", p)), &buf); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := (&Compactor{Store: d}).CompactDay(ctx, "2026-06-01"); err != nil {
		t.Fatal(err)
	}
	objs, _ := d.List(ctx, lake.EventsPrefix)
	if len(objs) != 1 {
		t.Fatalf("%d files after compaction, want 1", len(objs))
	}
	rows := readLake(t, d)
	if len(rows) != 3*perPart || !slices.IsSortedFunc(rows, event.CompareClustered) {
		t.Fatalf("%d rows, sorted by principal, resource and time: %v", len(rows), slices.IsSortedFunc(rows, event.CompareClustered))
	}
	p, _ := d.Path(objs[0].Key)
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	layout := event.CompactedLayout()
	groups := f.Metadata().RowGroups
	if want := (3*perPart + layout.RowGroupRows - 1) / layout.RowGroupRows; len(groups) != want {
		t.Fatalf("%d row groups, want %d of at most %d rows", len(groups), want, layout.RowGroupRows)
	}
	col := slices.IndexFunc(f.Schema().Columns(), func(c []string) bool { return c[0] == "principal_arn" })
	for _, pr := range principals {
		var could int
		for _, rg := range groups {
			st := rg.Columns[col].MetaData.Statistics
			if string(st.MinValue) <= pr && pr <= string(st.MaxValue) {
				could++
			}
		}
		// 1,800 rows each: within one group, or across a boundary.
		if could > 2 {
			t.Errorf("%s: %d of %d row groups may hold it", pr, could, len(groups))
		}
	}
	for _, name := range layout.Bloom {
		j := slices.IndexFunc(f.Schema().Columns(), func(c []string) bool { return c[0] == name })
		for g, rg := range f.RowGroups() {
			if rg.ColumnChunks()[j].BloomFilter() == nil {
				t.Errorf("row group %d: no bloom filter on %s", g, name)
			}
		}
	}
}

// CompactDays reports every day it was given, in order, those without
// files to merge too (CompactRecent leaves them out).
func TestCompactDays(t *testing.T) {
	d := newLake(t)
	want := ingestObjects(t, d, 3)
	now := time.Date(2026, 6, 2, 12, 0, 0, 0, time.UTC)
	res, err := (&Compactor{Store: d}).CompactDays(context.Background(), now, []string{"2026-05-31", "2026-06-01"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Day != "2026-05-31" || res[0].InputFiles != 0 || res[1].InputFiles != 4 ||
		res[1].Duplicates != 1 || res[1].OutputRows != len(want) {
		t.Fatalf("results %+v, want nothing on 05-31 and the four files of 06-01 merged", res)
	}
	if got := uniqueIDs(eventIDs(readLake(t, d))); !slices.Equal(got, want) {
		t.Errorf("events after compaction %v, want %v", got, want)
	}
	recent, err := (&Compactor{Store: d}).CompactRecent(context.Background(), now, 48*time.Hour)
	if err != nil || len(recent) != 0 {
		t.Errorf("CompactRecent after compaction: %+v, %v; want no day reported", recent, err)
	}
}
