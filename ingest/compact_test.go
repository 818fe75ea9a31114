package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/keytrail/keytrail/internal/lake"
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
