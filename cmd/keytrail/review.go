package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/keytrail/keytrail/review"
)

func runReview(ctx context.Context, env *environ, args []string) int {
	fs := newFlagSet(env, "review", "Usage: keytrail review --quarter 2026-Q3 | --from DAY --to DAY [flags]\n\nWrites the quarterly access review of secrets and keys: review.md, review.html and CSV files.\n\nFlags:\n")
	quarter := fs.String("quarter", "", "calendar `quarter` to review, such as 2026-Q3")
	from := fs.String("from", "", "first `day` of the period (YYYY-MM-DD), instead of --quarter")
	to := fs.String("to", "", "last `day` of the period (YYYY-MM-DD), inclusive")
	history := fs.String("history-from", "", "look for known secrets and keys since this `day` (default: a year before the period)")
	out := fs.String("out", "", "output `folder` (default: review-<period>)")
	top := fs.Int("top", 10, "principals in the top-principals chart")
	var eng engineFlags
	eng.register(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "keytrail review: unexpected arguments %q\n", fs.Args())
		return 2
	}
	var p review.Period
	var err error
	switch {
	case *quarter != "" && *from == "" && *to == "":
		p, err = review.Quarter(*quarter)
	case *quarter == "" && *from != "" && *to != "":
		p, err = review.Range(*from, *to)
	default:
		err = errors.New("give either --quarter, or --from and --to")
	}
	if err != nil {
		fmt.Fprintf(env.stderr, "keytrail review: %v\n", err)
		return 2
	}
	opt := review.Options{Top: *top}
	if *history != "" {
		if opt.HistoryFrom, err = time.Parse(time.DateOnly, *history); err != nil {
			fmt.Fprintf(env.stderr, "keytrail review: --history-from %q: want YYYY-MM-DD\n", *history)
			return 2
		}
	}
	dir := *out
	if dir == "" {
		dir = "review-" + strings.ReplaceAll(p.Label, " ", "_")
	}
	r, done, err := eng.open(ctx)
	if err != nil {
		fmt.Fprintf(env.stderr, "keytrail review: %v\n", err)
		return 1
	}
	defer done()
	lakeSet := false
	fs.Visit(func(f *flag.Flag) { lakeSet = lakeSet || f.Name == "lake" })
	if opt.Lake, err = eng.objects(ctx, env, lakeSet); err != nil {
		fmt.Fprintf(env.stderr, "keytrail review: %v\n", err)
		return 1
	}
	if opt.Lake == nil {
		fmt.Fprintf(env.stderr, "keytrail review: quarantined records not checked: give the lake's --lake s3://bucket/prefix with --athena\n")
	}
	rep, err := review.Build(ctx, r, p, opt)
	if errors.Is(err, review.ErrNoData) {
		// No report at all: one saying "None." everywhere could be filed
		// and signed as a clean quarter.
		fmt.Fprintf(env.stderr, "keytrail review: %v: no report written; check --lake (or --database) and that ingestion ran for the period\n", err)
		return 1
	}
	if err != nil {
		fmt.Fprintf(env.stderr, "keytrail review: %v\n", err)
		return 1
	}
	fmt.Fprintf(env.stderr, "coverage of %s: %s\n", p.Label, rep.Coverage)
	names, err := review.Write(dir, rep)
	if err != nil {
		fmt.Fprintf(env.stderr, "keytrail review: %v\n", err)
		return 1
	}
	for _, n := range names {
		fmt.Fprintln(env.stdout, filepath.Join(dir, n))
	}
	return 0
}
