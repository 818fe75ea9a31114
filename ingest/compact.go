package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/lake"
)

// Compaction keeps the lake at file sizes Athena reads efficiently: ingest
// writes one small file per CloudTrail object, and the compactor merges a
// day partition's small files into larger ones, dropping duplicate events
// (CloudTrail sometimes delivers an event twice, in two files).
//
// It is safe to run at any time, concurrently with ingest and with itself,
// and to kill at any point, because it only ever adds a file holding rows
// that are already in the lake before deleting the files it read:
//
//  1. list the partition and pick small files (at most BatchBytes at once);
//  2. read them and write their rows, deduplicated and sorted by
//     principal, resource and time in small row groups with bloom filters
//     (event.SortClustered, event.CompactedLayout: what lets a query of one
//     principal or resource skip the rest of the file), to
//     compact-<hash of the input names>.parquet (the same inputs always
//     give the same name and bytes);
//  3. delete the inputs.
//
// Between 2 and 3 (or after a crash there) a row is in two files; queries
// count each event_id once (see queries/), and the next compaction removes
// the duplicate. A row is never in no file.

// Compactor merges small event files.
type Compactor struct {
	Store compactStore
	// SmallBytes: files under this size are merged; larger files are left
	// alone. Zero means 32 MiB.
	SmallBytes int64
	// BatchBytes bounds the compressed input of one merged file, and so
	// the compactor's memory (rows take about ten times their compressed
	// size). Zero means 12 MiB.
	BatchBytes int64
	// MinFiles is how many small files a day needs before it is compacted;
	// zero means 2.
	MinFiles int
	Logger   *slog.Logger
}

type compactStore interface {
	List(ctx context.Context, prefix string) ([]lake.ObjectInfo, error)
	Get(ctx context.Context, key string) (io.ReadCloser, lake.ObjectInfo, error)
	Put(ctx context.Context, key string, body io.Reader) error
	Delete(ctx context.Context, key string) error
}

// CompactResult reports one day.
type CompactResult struct {
	Day        string   `json:"day"`
	InputFiles int      `json:"input_files"`
	InputRows  int      `json:"input_rows"`
	OutputRows int      `json:"output_rows"`
	Duplicates int      `json:"duplicates"`
	Outputs    []string `json:"outputs,omitempty"`
}

func (c *Compactor) defaults() (small, batch int64, minFiles int, log *slog.Logger) {
	small, batch, minFiles, log = c.SmallBytes, c.BatchBytes, c.MinFiles, c.Logger
	if small <= 0 {
		small = 32 << 20
	}
	if batch <= 0 {
		batch = 12 << 20
	}
	if minFiles <= 0 {
		minFiles = 2
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return
}

// CompactDay compacts one day partition (YYYY-MM-DD).
func (c *Compactor) CompactDay(ctx context.Context, day string) (CompactResult, error) {
	small, batchBytes, minFiles, log := c.defaults()
	res := CompactResult{Day: day}
	objs, err := c.Store.List(ctx, lake.PartitionPrefix(lake.EventsPrefix, day))
	if err != nil {
		return res, fmt.Errorf("compact %s: %w", day, err)
	}
	var cands []lake.ObjectInfo
	for _, o := range objs {
		if strings.HasSuffix(o.Key, ".parquet") && o.Size < small {
			cands = append(cands, o)
		}
	}
	if len(cands) < minFiles {
		return res, nil
	}
	// Batches in key order: deterministic for a given listing.
	var batch []lake.ObjectInfo
	var size int64
	flush := func() error {
		if len(batch) < 2 {
			batch, size = batch[:0], 0
			return nil
		}
		if err := c.merge(ctx, day, batch, &res); err != nil {
			return err
		}
		batch, size = batch[:0], 0
		return nil
	}
	for _, o := range cands {
		if len(batch) > 0 && size+o.Size > batchBytes {
			if err := flush(); err != nil {
				return res, err
			}
		}
		batch = append(batch, o)
		size += o.Size
	}
	if err := flush(); err != nil {
		return res, err
	}
	log.LogAttrs(ctx, slog.LevelInfo, "compacted day", slog.String("day", day),
		slog.Int("input_files", res.InputFiles), slog.Int("rows", res.OutputRows), slog.Int("duplicates", res.Duplicates))
	return res, nil
}

func (c *Compactor) merge(ctx context.Context, day string, batch []lake.ObjectInfo, res *CompactResult) error {
	h := sha256.New()
	for _, o := range batch {
		fmt.Fprintf(h, "%s\n", o.Key)
	}
	// Read the inputs a few at a time: small files cost more to open and
	// decode than to read, and that work spreads over cores.
	parts := make([][]event.Event, len(batch))
	errs := make([]error, len(batch))
	sem := make(chan struct{}, readers)
	var wg sync.WaitGroup
	for i, o := range batch {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			parts[i], errs[i] = c.read(ctx, o.Key)
		})
	}
	wg.Wait()
	var rows []event.Event
	for i := range batch {
		if errs[i] != nil {
			return errs[i]
		}
		rows = append(rows, parts[i]...)
	}
	in := len(rows)
	res.InputFiles += len(batch)
	res.InputRows += in
	// Keep one row per event (event.Event.Key): the first by (source
	// object, index), so the choice does not depend on listing order.
	slices.SortFunc(rows, func(a, b event.Event) int {
		if c := event.CompareKey(a.Key(), b.Key()); c != 0 {
			return c
		}
		if c := strings.Compare(a.SourceObject, b.SourceObject); c != 0 {
			return c
		}
		return int(a.SourceIndex - b.SourceIndex)
	})
	rows = slices.CompactFunc(rows, func(a, b event.Event) bool { return a.Key() == b.Key() })
	res.Duplicates += in - len(rows)
	res.OutputRows += len(rows)
	event.SortClustered(rows)
	name := "compact-" + hex.EncodeToString(h.Sum(nil)[:12])
	key := lake.EventKey(day, name)
	var buf bytes.Buffer
	if err := event.WriteParquetClustered(&buf, rows); err != nil {
		return fmt.Errorf("compact: encode %s: %w", key, err)
	}
	if err := c.Store.Put(ctx, key, &buf); err != nil {
		return fmt.Errorf("compact: write %s: %w", key, err)
	}
	res.Outputs = append(res.Outputs, key)
	for _, o := range batch {
		if o.Key == key {
			continue // the same inputs were compacted before and left
		}
		if err := c.Store.Delete(ctx, o.Key); err != nil {
			return fmt.Errorf("compact: delete %s: %w", o.Key, err)
		}
	}
	return nil
}

// readers is how many input files a merge reads at once.
const readers = 4

func (c *Compactor) read(ctx context.Context, key string) ([]event.Event, error) {
	rows, err := lake.ReadRows(ctx, c.Store, key, event.ReadParquet)
	if err != nil {
		return nil, fmt.Errorf("compact: %w", err)
	}
	return rows, nil
}

// CompactRecent compacts the days from now-lookback to now (UTC), after
// removing the temporary files killed writers left (RemoveStaleTemps), and
// reports the days that had files to merge.
func (c *Compactor) CompactRecent(ctx context.Context, now time.Time, lookback time.Duration) ([]CompactResult, error) {
	res, err := c.CompactDays(ctx, now, lake.Days(now.Add(-lookback), now))
	return slices.DeleteFunc(res, func(r CompactResult) bool { return r.InputFiles == 0 }), err
}

// CompactDays compacts the given days (YYYY-MM-DD) in order, after
// removing the temporary files killed writers left (RemoveStaleTemps, at
// now), and reports each day compacted, the first failure ending the run.
func (c *Compactor) CompactDays(ctx context.Context, now time.Time, days []string) ([]CompactResult, error) {
	_, _, _, log := c.defaults()
	if err := RemoveStaleTemps(ctx, c.Store, now, log); err != nil {
		return nil, fmt.Errorf("compact: %w", err)
	}
	var out []CompactResult
	for _, d := range days {
		r, err := c.CompactDay(ctx, d)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// staleTempRemover is a store that keeps a write in progress as a file of
// its own (lake.Dir), which a writer killed mid-write leaves behind. An S3
// upload that dies leaves no object, and the S3 store is not one.
type staleTempRemover interface {
	RemoveStaleTemps(ctx context.Context, now time.Time) (int, error)
}

// The hook does nothing for a store without the method: keep Dir's in step.
var _ staleTempRemover = (*lake.Dir)(nil)

// RemoveStaleTemps removes the temporary files that killed writers left in
// store, those older than lake.StaleTempAge at now, if store keeps any.
// Nothing else ever removes them: compaction calls it, and so does the
// start of an ingest run, so that a lake written by killed runs does not
// fill up. log may be nil.
func RemoveStaleTemps(ctx context.Context, store any, now time.Time, log *slog.Logger) error {
	s, ok := store.(staleTempRemover)
	if !ok {
		return nil
	}
	n, err := s.RemoveStaleTemps(ctx, now)
	if n > 0 && log != nil {
		log.LogAttrs(ctx, slog.LevelInfo, "removed temporary files of killed writers", slog.Int("files", n))
	}
	return err
}
