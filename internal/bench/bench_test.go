package bench

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fastest keeps the quickest floor and ingest of the runs, and the largest
// peak RSS ingest reached in any of them.
func TestFastest(t *testing.T) {
	floors := []measure{{seconds: 3}, {seconds: 1}, {seconds: 2}}
	ingests := []measure{{seconds: 5, maxRSS: 90}, {seconds: 6, maxRSS: 120}, {seconds: 4, maxRSS: 100}}
	var fi, ii int
	b := &Config{Runs: 3}
	f, in, err := b.fastest(func() (measure, error) { fi++; return floors[fi-1], nil },
		func() (measure, error) { ii++; return ingests[ii-1], nil })
	if err != nil || f.seconds != 1 || in.seconds != 4 || in.maxRSS != 120 || fi != 3 || ii != 3 {
		t.Fatalf("fastest = %+v, %+v, %v after %d and %d runs; want 1s, 4s with 120 B", f, in, err, fi, ii)
	}
	boom := errors.New("boom")
	if _, _, err := b.fastest(func() (measure, error) { return measure{}, boom }, nil); !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "floor: ") {
		t.Errorf("a failing floor: %v", err)
	}
}

// The floor inflates every byte of a generated corpus, and the DuckDB peer
// keeps exactly the corpus's Secrets Manager and KMS records, also from a
// file whose name needs quoting in SQL, one query per file or for all.
func TestFloorAndPeer(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a corpus and runs DuckDB")
	}
	out := filepath.Join(t.TempDir(), "it's here")
	var stderr bytes.Buffer
	b := &Config{Out: out, Stderr: &stderr}
	c, err := b.corpusFor("corpus", 3, 2_000_000, 3)
	if err != nil {
		t.Fatal(err)
	}
	if c.sum.Files != 3 || len(c.files) != 3 || c.sum.Kept == 0 || !strings.Contains(stderr.String(), "generating corpus") {
		t.Fatalf("corpus %+v, stderr %q", c.sum, stderr.String())
	}
	tick := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { tick = tick.Add(time.Second); return tick }
	m, n, err := floor(clock, c.files, 2)
	if err != nil || n != c.sum.Bytes || m.seconds != 1 {
		t.Fatalf("floor read %d bytes in %vs (%v); the corpus has %d, the clock ticked once", n, m.seconds, err, c.sum.Bytes)
	}
	for _, perObject := range []bool{false, true} {
		dst := filepath.Join(out, "peer.parquet")
		if perObject {
			dst = filepath.Join(out, "peer-per-object")
		}
		rows, err := Peer(context.Background(), 1, dst, perObject, c.files)
		if err != nil || rows != c.sum.Kept {
			t.Errorf("peer (per object %v) kept %d rows (%v), corpus has %d", perObject, rows, err, c.sum.Kept)
		}
	}

	// A second run reuses the corpus.
	stderr.Reset()
	again, err := b.corpusFor("corpus", 3, 2_000_000, 3)
	if err != nil || stderr.Len() != 0 || again.sum.Records != c.sum.Records {
		t.Errorf("corpus regenerated (%q, %v)", stderr.String(), err)
	}
}
