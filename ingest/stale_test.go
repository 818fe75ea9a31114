package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/lake"
)

// TestCompactRecentRemovesStaleTemps leaves what a killed ingest leaves (a
// temporary file in a partition, and one in the state folder) beside the
// file of an ingest still writing: compaction removes the first two and
// keeps the third.
func TestCompactRecentRemovesStaleTemps(t *testing.T) {
	d := newLake(t)
	ingestObjects(t, d, 2)
	now := time.Date(2026, 6, 1, 18, 0, 0, 0, time.UTC)
	part := filepath.Join(d.Root(), "events", "day=2026-06-01")
	temps := []struct {
		path string
		age  time.Duration
		gone bool
	}{
		{filepath.Join(part, ".tmp-killed"), 3 * time.Hour, true},
		{filepath.Join(d.Root(), "state", ".tmp-killed"), 2 * lake.StaleTempAge, true},
		{filepath.Join(part, ".tmp-writing"), time.Minute, false},
	}
	for _, tmp := range temps {
		if err := os.MkdirAll(filepath.Dir(tmp.path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(tmp.path, []byte("half a part"), 0o644); err != nil {
			t.Fatal(err)
		}
		mtime := now.Add(-tmp.age)
		if err := os.Chtimes(tmp.path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	res, err := (&Compactor{Store: d}).CompactRecent(context.Background(), now, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].InputFiles != 3 {
		t.Fatalf("compacted %+v, want the day's three files", res)
	}
	for _, tmp := range temps {
		_, err := os.Stat(tmp.path)
		if tmp.gone != errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s (%v old): stat %v, want removed %v", tmp.path, tmp.age, err, tmp.gone)
		}
	}
}

// TestIngestRefusesLinkedPartition makes the day partition an ingest
// writes to a symbolic link out of the lake: the ingest fails naming the
// link, and nothing is written where it points.
func TestIngestRefusesLinkedPartition(t *testing.T) {
	d := newLake(t)
	outside := t.TempDir()
	link := filepath.Join(d.Root(), "events", "day=2026-06-01")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, link); err != nil {
		t.Skipf("cannot create symbolic links here: %v", err)
	}
	in := New(d, Config{})
	body := logFile(t, []json.RawMessage{kmsRecord(0)}, false)
	_, err := in.Ingest(context.Background(), "obj.json", strings.NewReader(string(body)))
	if !errors.Is(err, lake.ErrSymlink) || !strings.Contains(err.Error(), link) {
		t.Fatalf("Ingest = %v, want ErrSymlink naming %s", err, link)
	}
	entries, err := os.ReadDir(outside)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("the link's target holds %d files, want none", len(entries))
	}
}
