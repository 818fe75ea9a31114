package evalorg

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/parquet-go/parquet-go"
)

// TestIngest runs keytrail's ingest over the world's bucket folder: no
// file fails, digests are passed over, and the lake holds one row for each
// Secrets Manager or KMS record delivered. Each label's principal, as
// keytrail derives it from the records, is the one the label names.
func TestIngest(t *testing.T) {
	t.Parallel()
	_, world, dir := generated(t)
	d, err := lake.NewDir(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	sum, err := ingest.New(d, ingest.Config{}).Run(context.Background(),
		[]ingest.Source{ingest.LocalSource{Path: dir}}, ingest.RunOptions{})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	st := world.Stats
	if sum.HasFailures() || sum.Errors > 0 || sum.Warnings > 0 {
		t.Fatalf("ingest: %d failed, %d partial, %d record errors, %d warnings; first problems %+v",
			sum.Failed, sum.Partial, sum.Errors, sum.Warnings, sum.Problems[:min(3, len(sum.Problems))])
	}
	if sum.Objects != st.Files+st.Digests || sum.Skipped != st.Digests || sum.OK != st.Files {
		t.Errorf("ingest saw %d objects (%d ok, %d skipped), want %d files and %d digests", sum.Objects, sum.OK, sum.Skipped, st.Files, st.Digests)
	}
	if sum.Records != st.Records || sum.Kept != st.Kept || sum.Dropped != st.Records-st.Kept {
		t.Errorf("ingest read %d records, kept %d, dropped %d; want %d, %d, %d", sum.Records, sum.Kept, sum.Dropped, st.Records, st.Kept, st.Records-st.Kept)
	}
	for src, n := range st.BySource {
		if sum.BySource[src] != n {
			t.Errorf("%s: ingest kept %d, want %d", src, sum.BySource[src], n)
		}
	}

	objs, err := d.List(context.Background(), lake.EventsPrefix)
	if err != nil {
		t.Fatal(err)
	}
	labels := slices.Concat(world.Incidents, world.Benign)
	seen := map[string]bool{}
	rows := 0
	for _, o := range objs {
		p, err := d.Path(o.Key)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		pf, err := parquet.OpenFile(f, o.Size)
		if err != nil {
			f.Close()
			t.Fatalf("open %s: %v", o.Key, err)
		}
		prs, err := principals(pf)
		f.Close()
		if err != nil {
			t.Fatalf("read %s: %v", o.Key, err)
		}
		if int64(len(prs)) != pf.NumRows() {
			t.Fatalf("%s: %d rows read, footer says %d", o.Key, len(prs), pf.NumRows())
		}
		rows += len(prs)
		for _, e := range prs {
			for _, l := range labels {
				if e.arn == l.Principal && !e.t.Before(l.Start) && !e.t.After(l.End) {
					seen[l.ID] = true
				}
			}
		}
	}
	if rows != st.Kept {
		t.Errorf("the lake holds %d rows, want %d", rows, st.Kept)
	}
	for _, l := range labels {
		if !seen[l.ID] {
			t.Errorf("label %s: keytrail has no row of principal %s in %v..%v", l.ID, l.Principal, l.Start, l.End)
		}
	}
	t.Logf("ingested %d objects, %d rows in %d parts in %v (generation took %v)", sum.Objects, rows, len(objs), took, fixture.took)
}
