package ingest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/keytrail/keytrail/internal/lake"
)

// DateRange reads a backfill's first and last CloudTrail date folders,
// since and until (YYYY-MM-DD; "" leaves that end unbounded, the zero time).
func DateRange(since, until string) (first, last time.Time, err error) {
	for _, d := range []struct {
		name, v string
		t       *time.Time
	}{{"--since", since, &first}, {"--until", until, &last}} {
		if d.v == "" {
			continue
		}
		if *d.t, err = time.Parse(time.DateOnly, d.v); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("%s %q: want YYYY-MM-DD", d.name, d.v)
		}
	}
	if !first.IsZero() && !last.IsZero() && last.Before(first) {
		return time.Time{}, time.Time{}, fmt.Errorf("--until %s is before --since %s", until, since)
	}
	return first, last, nil
}

// Sources are the sources the CLI names: files and folders (reporting to
// ignored the files a folder passes over), and s3://bucket/prefix
// backfills through client, limited to CloudTrail's date folders from
// since to until (zero for unbounded). client may be nil when no path is
// in S3.
func Sources(paths []string, client S3API, since, until time.Time, ignored func(path string)) ([]Source, error) {
	var srcs []Source
	for _, p := range paths {
		if !strings.HasPrefix(p, "s3://") {
			srcs = append(srcs, LocalSource{Path: p, Ignored: ignored})
			continue
		}
		bucket, prefix, err := lake.ParseS3URI(p)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, S3Source{Client: client, Bucket: bucket, Prefix: prefix, Since: since, Until: until})
	}
	return srcs, nil
}

// Size lists the sources once and adds up their objects' sizes, for a
// progress bar; folders report nothing to their Ignored while listed.
func Size(ctx context.Context, srcs []Source) (int64, error) {
	var total int64
	for _, src := range srcs {
		if l, ok := src.(LocalSource); ok {
			l.Ignored = nil
			src = l
		}
		if err := src.Walk(ctx, func(o Object) error { total += o.Size; return nil }); err != nil {
			return 0, fmt.Errorf("list %s: %w", src, err)
		}
	}
	return total, nil
}

// Backfill sets the options of a run that reads S3: concurrency objects
// at once (0 means 8, S3 being far from the CPU), each object read in full
// marked in store, and unless redo the objects an earlier run marked
// passed over, reading only the markers of the delivery days from since
// to until when both are set.
func (o *RunOptions) Backfill(store markerStore, redo bool, since, until time.Time) {
	if o.Concurrency == 0 {
		o.Concurrency = 8
	}
	o.Markers = &Markers{Store: store}
	o.Resume = !redo
	if !since.IsZero() && !until.IsZero() {
		o.ResumeDays = lake.Days(since, until)
	}
}
