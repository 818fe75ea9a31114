// Package report is how the CLI tells a person what an ingest run did:
// the summary with the files not fully ingested grouped by reason, the
// quarantined records and the files passed over. It is apart from ingest,
// which the Lambda function runs, so that the function links no printing.
package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/output"
	"github.com/keytrail/keytrail/internal/visible"
)

// Report is what the CLI prints after a run: the summary, the local files
// passed over (not .json or .json.gz) and the lake written to. Its JSON is
// the summary's fields plus ignored and lake.
type Report struct {
	ingest.Summary
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
func problems(w io.Writer, ps []ingest.Result, verbose bool) {
	if len(ps) == 0 {
		return
	}
	type group struct {
		status ingest.Status
		reason string
		files  []*ingest.Result
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

func rank(s ingest.Status) int {
	switch s {
	case ingest.StatusFailed:
		return 0
	case ingest.StatusPartial:
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
