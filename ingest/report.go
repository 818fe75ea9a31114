package ingest

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/output"
	"github.com/keytrail/keytrail/internal/visible"
)

// Report is what the CLI prints after a run: the summary, the local files
// passed over (not .json or .json.gz) and the lake written to. Its JSON is
// the summary's fields plus ignored and lake.
type Report struct {
	Summary
	Ignored []string `json:"ignored,omitempty"`
	Lake    string   `json:"lake"`
}

// Examples is how many files of each reason an ingest summary names
// unless asked for all: a year of backfill skips thousands of digest files,
// and a list of every one would bury the one file that failed.
const Examples = 3

// WriteText writes the report for a terminal. Files not fully ingested are
// counted per status and reason, with the first Examples of each (all with
// verbose).
func (r *Report) WriteText(w io.Writer, verbose bool) {
	s := &r.Summary
	fmt.Fprintf(w, "Ingested %d files into %s in %s (%.0f MB of JSON, %.0f MB/s)\n",
		s.Objects, output.Cell(r.Lake), s.Elapsed.Round(time.Millisecond), float64(s.Bytes)/1e6, output.Rate(s.Bytes, s.Elapsed))
	fmt.Fprintf(w, "  files:   %d ok, %d partial, %d failed, %d skipped\n", s.OK, s.Partial, s.Failed, s.Skipped)
	if s.Warnings > 0 {
		fmt.Fprintf(w, "           %d kept records had a field of an unexpected type (the rest of each was kept)\n", s.Warnings)
	}
	if s.Resumed > 0 {
		fmt.Fprintf(w, "           %d finished by an earlier run (use --redo to ingest them again)\n", s.Resumed)
	}
	fmt.Fprintf(w, "  records: %d read, %d kept, %d other services, %d unreadable, %d quarantined\n", s.Records, s.Kept, s.Dropped, s.Errors, s.Quarantined)
	for _, src := range s.SortedSources() {
		fmt.Fprintf(w, "    %-32s %d\n", output.Cell(src), s.BySource[src])
	}
	if s.CappedRows > 0 {
		fmt.Fprintf(w, "  %d rows name more secrets and keys than a row keeps: resource_arns holds the first 1000\n", s.CappedRows)
	}
	problems(w, s.Problems, verbose)
	if s.Quarantined > 0 {
		// Not a failure (the files are done), but rows detection does
		// not see: each is named.
		fmt.Fprintf(w, "Quarantined %d records whose eventTime is implausible for their file (kept under %s, not in detection):\n",
			s.Quarantined, lake.QuarantinePrefix)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, q := range s.Quarantine {
			fmt.Fprintf(tw, "  %s\trecord %d\t%s\t%s\n", OneLine(q.Object), q.Index, q.EventTime.Format(time.RFC3339Nano), OneLine(q.Reason))
		}
		if extra := s.Quarantined - len(s.Quarantine); extra > 0 {
			fmt.Fprintf(tw, "  … and %d more records\t\t\t\n", extra)
		}
		tw.Flush()
	}
	if len(r.Ignored) > 0 {
		fmt.Fprintf(w, "Passed over %d files that are not .json or .json.gz (first: %s)\n", len(r.Ignored), OneLine(r.Ignored[0]))
	}
}

// problems groups the files not fully ingested by status and reason.
func problems(w io.Writer, ps []Result, verbose bool) {
	if len(ps) == 0 {
		return
	}
	type group struct {
		status Status
		reason string
		files  []*Result
	}
	var groups []*group
	at := map[[2]string]*group{}
	for i := range ps {
		p := &ps[i]
		k := [2]string{string(p.Status), p.Reason}
		g := at[k]
		if g == nil {
			g = &group{status: p.Status, reason: p.Reason}
			at[k] = g
			groups = append(groups, g)
		}
		g.files = append(g.files, p)
	}
	// Failures first, then the largest groups.
	slices.SortStableFunc(groups, func(a, b *group) int {
		if d := rank(a.status) - rank(b.status); d != 0 {
			return d
		}
		return len(b.files) - len(a.files)
	})
	fmt.Fprintf(w, "Not fully ingested: %d files\n", len(ps))
	for _, g := range groups {
		fmt.Fprintf(w, "  %d %s: %s\n", len(g.files), g.status, OneLine(g.reason))
		show := g.files
		if !verbose && len(show) > Examples {
			show = show[:Examples]
		}
		for _, p := range show {
			fmt.Fprintf(w, "    %s\n", OneLine(p.Object))
			for _, re := range p.RecordErrors {
				off := ""
				if re.Offset > 0 {
					off = fmt.Sprintf(" (offset %d)", re.Offset)
				}
				fmt.Fprintf(w, "      record %d%s: %s\n", re.Index, off, OneLine(re.Err))
			}
			if extra := p.RecordErrorCount - len(p.RecordErrors); extra > 0 {
				fmt.Fprintf(w, "      … and %d more records\n", extra)
			}
		}
		if n := len(g.files) - len(show); n > 0 {
			fmt.Fprintf(w, "    … and %d more (--verbose lists them all)\n", n)
		}
	}
}

func rank(s Status) int {
	switch s {
	case StatusFailed:
		return 0
	case StatusPartial:
		return 1
	}
	return 2
}

// OneLine keeps caller-controlled text (file names, error messages quoting
// record content) on one line of the terminal: what visible hides (line
// breaks, controls, bidi and zero-width characters) becomes a space, and
// it is cut at 300 bytes.
func OneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if visible.Hidden(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
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
