// Package review produces the quarterly access review: for each secret and
// key, who used it; what nobody used; who only failed; who came from other
// accounts; what was deleted or re-permissioned; and the period's findings.
// A reviewer reads it (Markdown or a self-contained HTML page), signs it off,
// and keeps the CSV files as evidence.
//
// Every number comes from the query library (review_* and a few
// investigation queries), run by a Runner: DuckDB on a laptop, Athena in
// AWS. The period is always explicit; nothing here reads the clock.
//
// An empty report must never pass for a clean one. Build first asks which
// days of the period the lake holds events for (Coverage): a period with
// none is an error (ErrNoData), not a report of "None." everywhere, and a
// partly covered one says so at the top of every output. The rows ingest
// kept apart for an implausible event time (quarantine/) are listed too,
// read from the lake's objects, since no table holds them; a review that
// cannot read them says "not checked" rather than "none".
package review

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/keytrail/keytrail/queries"
)

// Runner runs a library query (queries/duck.DB and queries/athena.Runner).
type Runner interface {
	Run(ctx context.Context, q queries.Query, args map[string]string) (queries.Result, error)
}

// Period is the half-open interval [From, To), in UTC.
type Period struct {
	From, To time.Time
	Label    string // "2026-Q3", or "2026-07-01 to 2026-09-30"
}

var quarterRE = regexp.MustCompile(`^(\d{4})-Q([1-4])$`)

// Quarter returns the calendar quarter named like "2026-Q3".
func Quarter(s string) (Period, error) {
	m := quarterRE.FindStringSubmatch(s)
	if m == nil {
		return Period{}, fmt.Errorf("quarter %q: want YYYY-Qn, such as 2026-Q3", s)
	}
	y, _ := strconv.Atoi(m[1])
	q, _ := strconv.Atoi(m[2])
	from := time.Date(y, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, time.UTC)
	return Period{From: from, To: from.AddDate(0, 3, 0), Label: s}, nil
}

// Range returns the days from..to, both inclusive (YYYY-MM-DD).
func Range(from, to string) (Period, error) {
	f, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return Period{}, fmt.Errorf("from %q: want YYYY-MM-DD", from)
	}
	t, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return Period{}, fmt.Errorf("to %q: want YYYY-MM-DD", to)
	}
	if t.Before(f) {
		return Period{}, fmt.Errorf("period ends (%s) before it starts (%s)", to, from)
	}
	return Period{From: f, To: t.AddDate(0, 0, 1), Label: from + " to " + to}, nil
}

// Last returns the last day of the period.
func (p Period) Last() time.Time { return p.To.AddDate(0, 0, -1) }

func (p Period) args() map[string]string {
	return map[string]string{"from": p.From.Format(time.RFC3339), "to": p.To.Format(time.RFC3339)}
}

// Section is one part of the report: a titled table.
type Section struct {
	ID    string // file name stem of its CSV
	Title string
	About string // one sentence on what it shows and why it matters
	// NotChecked, if set, says why the section could not be filled: it is
	// shown instead of "None." and the section has no CSV.
	NotChecked string
	queries.Result
}

// Report is a finished review.
type Report struct {
	Period      Period
	HistoryFrom time.Time
	// Coverage is which days of the period the lake holds events for.
	Coverage Coverage
	Sections []Section
	// Weekly is use per week; Top is the busiest principals over all
	// secrets and keys (for the charts).
	Weekly []Bar
	Top    []Bar
}

// Bar is one bar of a chart.
type Bar struct {
	Label string
	Value int64
}

var sections = []struct {
	id, query, title, about string
	history                 bool
}{
	{"access", "review_access", "Who used each secret and key",
		"Data calls (reading or writing a secret value, cryptographic operations with a key) per principal: confirm each one still needs its access.", false},
	{"unused", "review_unused", "Secrets and keys nobody used",
		"Known from earlier activity, but no successful use in the period: candidates for deletion.", true},
	{"failed_only", "review_failed_only", "Principals whose every call failed",
		"Denied or broken: probing, or credentials and permissions that should be cleaned up.", false},
	{"cross_account", "cross_account", "Principals from other accounts",
		"Calls by principals of another AWS account: confirm each trust is intended.", false},
	{"changes", "destructive_and_policy", "Deletions, policy and grant changes",
		"Every attempt to delete or disable, change a resource or key policy, or create or retire a grant.", false},
	{"findings", "review_findings", "Findings",
		"What the detector raised in the period, most severe first.", false},
}

// Options tune a review.
type Options struct {
	// HistoryFrom is how far back "known" secrets and keys are looked up;
	// zero means one year before the period.
	HistoryFrom time.Time
	// Top is how many principals the chart shows; zero means 10.
	Top int
	// Lake is where the quarantined rows are read from; nil leaves that
	// section marked not checked.
	Lake Objects
}

// Build runs the review's queries for period p. It returns an error
// wrapping ErrNoData, and runs nothing else, when the lake holds no events
// for any day of the period.
func Build(ctx context.Context, r Runner, p Period, opt Options) (*Report, error) {
	rep := &Report{Period: p, HistoryFrom: opt.HistoryFrom}
	if rep.HistoryFrom.IsZero() {
		rep.HistoryFrom = p.From.AddDate(-1, 0, 0)
	}
	cov, err := CoverageOf(ctx, r, p.From, p.To)
	if err != nil {
		return nil, fmt.Errorf("review: %w", err)
	}
	if len(cov.Days) == 0 {
		return nil, fmt.Errorf("%s: %w (%s)", p.Label, ErrNoData, cov)
	}
	rep.Coverage = cov
	for _, s := range sections {
		args := p.args()
		if s.history {
			args["history_from"] = rep.HistoryFrom.Format(time.RFC3339)
		}
		res, err := run(ctx, r, s.query, args)
		if err != nil {
			return nil, err
		}
		rep.Sections = append(rep.Sections, Section{ID: s.id, Title: s.title, About: s.about, Result: res})
	}
	weekly, err := run(ctx, r, "review_weekly", p.args())
	if err != nil {
		return nil, err
	}
	rep.Weekly = bars(weekly, "week", "calls")
	q, err := quarantine(ctx, opt.Lake, p)
	if err != nil {
		return nil, err
	}
	rep.Sections = append(rep.Sections, q)
	top := opt.Top
	if top <= 0 {
		top = 10
	}
	rep.Top = topPrincipals(rep.Sections[0].Result, top)
	return rep, nil
}

func run(ctx context.Context, r Runner, name string, args map[string]string) (queries.Result, error) {
	q, err := queries.Get(name)
	if err != nil {
		return queries.Result{}, err
	}
	res, err := r.Run(ctx, q, args)
	if err != nil {
		return res, fmt.Errorf("review: %w", err)
	}
	return res, nil
}

func bars(r queries.Result, label, value string) []Bar {
	li, vi := r.Col(label), r.Col(value)
	if li < 0 || vi < 0 {
		return nil
	}
	var out []Bar
	for _, row := range r.Rows {
		n, _ := strconv.ParseInt(row[vi], 10, 64)
		out = append(out, Bar{Label: row[li], Value: n})
	}
	return out
}

// topPrincipals sums calls per principal over every resource.
func topPrincipals(access queries.Result, n int) []Bar {
	sum := map[string]int64{}
	for _, b := range bars(access, "principal_arn", "calls") {
		sum[b.Label] += b.Value
	}
	var out []Bar
	for l, v := range sum {
		out = append(out, Bar{Label: l, Value: v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Value != out[j].Value {
			return out[i].Value > out[j].Value
		}
		return out[i].Label < out[j].Label
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}
