package review

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/queries"
)

// The coverage query lives here rather than in the library: it answers a
// question about the lake (which days did ingestion fill?), not about who
// touched what, and only the review and the CLI's query command ask it.
//
//go:embed coverage.sql
var coverageSQL string

var coverageQuery = sync.OnceValues(func() (queries.Query, error) {
	return queries.Parse("review_coverage", coverageSQL)
})

// ErrNoData reports a period for which the lake holds no events at all. A
// review of it would say "None." in every section and read as clean, so
// Build refuses it.
var ErrNoData = errors.New("no events in the lake for the period")

// Coverage is how much of a period the lake holds: the UTC days on which it
// has at least one event. The lake is partitioned by event day, so a day
// without events is a gap in ingestion or a day on which nobody touched a
// secret or key; the numbers of a review rest only on the days with events.
type Coverage struct {
	From, To time.Time // the period, [From, To)
	Days     []string  // days of the period with events (YYYY-MM-DD), in order
}

// Covered is CoverageOf for a reader that must not answer from nothing:
// an error wrapping ErrNoData (with the coverage) when no day of [from, to)
// holds events, since an empty answer would read as "nobody did anything".
func Covered(ctx context.Context, r Runner, from, to time.Time) (Coverage, error) {
	c, err := CoverageOf(ctx, r, from, to)
	if err == nil && len(c.Days) == 0 {
		err = fmt.Errorf("%w (%s)", ErrNoData, c)
	}
	return c, err
}

// CoverageOf asks r which days of [from, to) hold events. On DuckDB it
// reads the local lake; on Athena it reads the day partitions of the
// period that exist in S3 (and only the day and event_time columns).
func CoverageOf(ctx context.Context, r Runner, from, to time.Time) (Coverage, error) {
	c := Coverage{From: from.UTC(), To: to.UTC()}
	q, err := coverageQuery()
	if err != nil {
		return c, fmt.Errorf("coverage query: %w", err)
	}
	res, err := r.Run(ctx, q, map[string]string{"from": c.From.Format(time.RFC3339Nano), "to": c.To.Format(time.RFC3339Nano)})
	if err != nil {
		return c, fmt.Errorf("coverage: %w", err)
	}
	i := res.Col("day")
	if i < 0 {
		return c, fmt.Errorf("coverage: no day column in %v", res.Columns)
	}
	for _, row := range res.Rows {
		c.Days = append(c.Days, row[i])
	}
	return c, nil
}

// periodDays lists the UTC days the period touches.
func (c Coverage) periodDays() []string {
	if !c.To.After(c.From) {
		return nil
	}
	return lake.Days(c.From, c.To.Add(-time.Nanosecond))
}

// Total is the number of UTC days the period touches.
func (c Coverage) Total() int { return len(c.periodDays()) }

// Complete reports whether every day of the period holds events.
func (c Coverage) Complete() bool { return len(c.Gaps()) == 0 && len(c.Days) > 0 }

// Gaps returns the runs of days without events, each "YYYY-MM-DD" or
// "YYYY-MM-DD to YYYY-MM-DD", in order.
func (c Coverage) Gaps() []string {
	have := make(map[string]bool, len(c.Days))
	for _, d := range c.Days {
		have[d] = true
	}
	var out []string
	var start, prev string
	flush := func() {
		switch {
		case start == "":
		case start == prev:
			out = append(out, start)
		default:
			out = append(out, start+" to "+prev)
		}
		start = ""
	}
	for _, d := range c.periodDays() {
		if have[d] {
			flush()
			continue
		}
		if start == "" {
			start = d
		}
		prev = d
	}
	flush()
	return out
}

// maxGaps is how many gaps String names before it counts the rest.
const maxGaps = 5

// Summary counts the days with events: "all 92 days have events", "8 of
// 92 days have events", "1 of 1 day has events".
func (c Coverage) Summary() string {
	total := c.Total()
	if c.Complete() && total > 1 {
		return fmt.Sprintf("all %d days have events", total)
	}
	unit, verb := "days", "have"
	if total == 1 {
		unit = "day"
	}
	if len(c.Days) == 1 {
		verb = "has"
	}
	return fmt.Sprintf("%d of %d %s %s events", len(c.Days), total, unit, verb)
}

// String says the coverage in one line: the Summary, and the first gaps
// when some days have events: "8 of 92 days have events; none on
// 2026-07-09 to 2026-09-30".
func (c Coverage) String() string {
	s := c.Summary()
	gaps := c.Gaps()
	if len(c.Days) == 0 || len(gaps) == 0 {
		return s
	}
	more := ""
	if len(gaps) > maxGaps {
		more = fmt.Sprintf(" and %d more gaps", len(gaps)-maxGaps)
		gaps = gaps[:maxGaps]
	}
	return s + "; none on " + strings.Join(gaps, ", ") + more
}
