package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Object is one input object: a local file or an S3 object.
type Object struct {
	// Key names the object in lineage and output names: an S3 key, or a
	// local path relative to the folder given on the command line.
	Key  string
	Size int64
	// Bucket is the S3 bucket, "" for a local file.
	Bucket string
	Open   func(ctx context.Context) (io.ReadCloser, error)
}

// Source lists input objects.
type Source interface {
	// Walk calls fn for each object, in a deterministic order.
	Walk(ctx context.Context, fn func(Object) error) error
	String() string
}

// LocalSource is a file or a folder walked recursively. In a folder, only
// .json and .json.gz files are read (hidden files and folders are passed
// over); a file named directly is always read.
type LocalSource struct {
	Path string
	// Ignored receives files passed over in a folder; may be nil.
	Ignored func(path string)
}

func (s LocalSource) String() string { return s.Path }

// Walk implements Source.
func (s LocalSource) Walk(ctx context.Context, fn func(Object) error) error {
	info, err := os.Stat(s.Path)
	if err != nil {
		return err
	}
	open := func(p string) func(context.Context) (io.ReadCloser, error) {
		return func(context.Context) (io.ReadCloser, error) { return os.Open(p) }
	}
	if !info.IsDir() {
		return fn(Object{Key: filepath.ToSlash(filepath.Base(s.Path)), Size: info.Size(), Open: open(s.Path)})
	}
	return filepath.WalkDir(s.Path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		name := d.Name()
		if p != s.Path && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		if !strings.HasSuffix(name, ".json.gz") && !strings.HasSuffix(name, ".json") {
			if s.Ignored != nil {
				s.Ignored(p)
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(s.Path, p)
		if err != nil {
			return err
		}
		return fn(Object{Key: filepath.ToSlash(rel), Size: fi.Size(), Open: open(p)})
	})
}

// RunOptions tune Run.
type RunOptions struct {
	// Concurrency is how many objects are ingested at once; zero means 2.
	Concurrency int
	// Progress, if set, is called after each object with the compressed
	// bytes done so far.
	Progress func(done int64, res *Result)
	// Now reads the clock for Summary.Elapsed; nil means time.Now.
	Now func() time.Time
	// Markers, if set, records finished objects; with Resume, objects
	// already marked are passed over (counted in Summary.Resumed).
	Markers *Markers
	Resume  bool
	// ResumeDays limits the markers read for Resume to these delivery
	// days (YYYY-MM-DD); nil reads every marker.
	ResumeDays []string
}

// Summary totals a run.
type Summary struct {
	Objects int `json:"objects"`
	OK      int `json:"ok"`
	Partial int `json:"partial"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	Records int `json:"records"`
	Kept    int `json:"kept"`
	Dropped int `json:"dropped"`
	Errors  int `json:"record_errors"`
	// Warnings counts kept records with a field of an unexpected type.
	Warnings int `json:"warnings,omitempty"`
	// Quarantined counts records kept apart for an implausible event time
	// (not in Kept); Quarantine lists them, the first of each object, in
	// object and record order.
	Quarantined int           `json:"quarantined"`
	Quarantine  []Quarantined `json:"quarantine,omitempty"`
	// CappedRows counts kept rows whose resource_arns was cut (see Result).
	CappedRows int            `json:"capped_rows,omitempty"`
	BySource   map[string]int `json:"by_source"`
	Bytes      int64          `json:"bytes"`
	// Problems lists every object that was not fully ingested.
	Problems []Result `json:"problems,omitempty"`
	// Resumed counts objects passed over because a marker says they are done.
	Resumed int           `json:"resumed,omitempty"`
	Elapsed time.Duration `json:"elapsed_ns"`
}

// HasFailures reports whether any object failed or was read only in part.
func (s *Summary) HasFailures() bool { return s.Failed > 0 || s.Partial > 0 }

func (s *Summary) add(r Result) {
	s.Objects++
	switch r.Status {
	case StatusOK:
		s.OK++
	case StatusPartial:
		s.Partial++
	case StatusFailed:
		s.Failed++
	case StatusSkipped:
		s.Skipped++
	}
	if r.Status != StatusOK {
		s.Problems = append(s.Problems, r)
	}
	s.Records += r.Records
	s.Kept += r.Kept
	s.Dropped += r.Dropped
	s.Errors += r.RecordErrorCount
	s.Warnings += r.Warnings
	s.Quarantined += r.Quarantined
	s.Quarantine = append(s.Quarantine, r.QuarantinedRecords...)
	s.CappedRows += r.CappedRows
	s.Bytes += r.Bytes
	for k, v := range r.BySource {
		s.BySource[k] += v
	}
}

// Run ingests every object of the sources. Problems with one object are in
// the summary and never stop the run; the error is non-nil when a source
// cannot be listed or the lake cannot be written (the summary still holds
// what was done).
func (in *Ingester) Run(ctx context.Context, sources []Source, opt RunOptions) (Summary, error) {
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	workers := opt.Concurrency
	if workers <= 0 {
		workers = 2
	}
	sum := Summary{BySource: map[string]int{}}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var finished map[string]bool
	if opt.Markers != nil && opt.Resume {
		var err error
		if finished, err = opt.Markers.Done(ctx, opt.ResumeDays); err != nil {
			return sum, err
		}
	}
	objs := make(chan Object)
	var (
		mu       sync.Mutex
		done     int64
		firstErr error
		wg       sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for o := range objs {
				res, err := in.ingestObject(ctx, o)
				if err == nil && opt.Markers != nil {
					if merr := opt.Markers.Mark(ctx, o, res); merr != nil {
						err = fmt.Errorf("mark %s done: %w", o.Key, merr)
					}
				}
				mu.Lock()
				sum.add(res)
				done += o.Size
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				if opt.Progress != nil {
					opt.Progress(done, &res)
				}
				mu.Unlock()
			}
		})
	}
	var walkErr error
	for _, src := range sources {
		err := src.Walk(ctx, func(o Object) error {
			if finished != nil && IsDone(finished, o) {
				mu.Lock()
				sum.Resumed++
				mu.Unlock()
				return nil
			}
			select {
			case objs <- o:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		if err != nil {
			walkErr = fmt.Errorf("list %s: %w", src, err)
			break
		}
	}
	close(objs)
	wg.Wait()
	slices.SortFunc(sum.Problems, func(a, b Result) int { return strings.Compare(a.Object, b.Object) })
	slices.SortFunc(sum.Quarantine, func(a, b Quarantined) int {
		if c := strings.Compare(a.Object, b.Object); c != 0 {
			return c
		}
		return a.Index - b.Index
	})
	sum.Elapsed = now().Sub(start)
	if firstErr != nil {
		return sum, firstErr
	}
	if walkErr != nil && !errors.Is(walkErr, context.Canceled) {
		return sum, walkErr
	}
	return sum, ctx.Err()
}

func (in *Ingester) ingestObject(ctx context.Context, o Object) (Result, error) {
	if reason := SkipReason(o.Key); reason != "" {
		return Result{Object: o.Key, Status: StatusSkipped, Reason: reason}, nil
	}
	rc, err := o.Open(ctx)
	if err != nil {
		return Result{Object: o.Key, Status: StatusFailed, Reason: fmt.Sprintf("open: %v", err)}, nil
	}
	defer rc.Close()
	var modified time.Time
	if m, ok := rc.(lastModified); ok {
		modified = m.LastModified()
	}
	return in.ingest(ctx, o.Key, modified, rc)
}

// lastModified is an object's body that knows when the object was written
// (S3's LastModified), which bounds its events' times when its name does
// not say when CloudTrail delivered it.
type lastModified interface {
	LastModified() time.Time
}

// SortedSources returns the by-source counts in name order.
func (s *Summary) SortedSources() []string {
	return slices.Sorted(maps.Keys(s.BySource))
}
