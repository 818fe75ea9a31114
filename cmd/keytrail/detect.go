package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/keytrail/keytrail/detect"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/queries"
)

const detectUsage = `Usage: keytrail detect --lake DIR [flags]

Runs the detection rules over the lake's events in a window and prints the
findings whose evidence falls in it: JSON lines when stdout is not a terminal,
a table on a terminal (--format overrides). The lake before --from is the
history for baselines (per-day aggregates kept under state/detect/).

Default window: the last 24 hours of the latest event day in the lake
(--to = the end of that UTC day, --from = 24h earlier), which on a local lake
is more useful than "now". Times are RFC 3339 or YYYY-MM-DD (midnight UTC).

Replaying a past period gives the findings the scheduled Lambda gave (same
ids), so a threshold can be backtested: change it in --config (or run the
rule with shadow: true) and compare with --shadow-report.

Flags:
`

func runDetect(ctx context.Context, env *environ, args []string) int {
	fs := newFlagSet(env, "detect", detectUsage)
	lakeURI := fs.String("lake", "lake", "lake `folder` (or s3://bucket/prefix)")
	kmsKey := fs.String("lake-kms-key", "", "KMS `key` for writes to an S3 lake")
	confFile := fs.String("config", "", "detector configuration `file` (YAML)")
	fromS := fs.String("from", "", "window start (RFC 3339 or YYYY-MM-DD)")
	toS := fs.String("to", "", "window end, exclusive (RFC 3339 or YYYY-MM-DD)")
	tz := fs.String("timezone", "", "the team's IANA time `zone` (overrides the config)")
	hours := fs.String("business-hours", "", "business `hours`, e.g. 'Mon-Fri 09:00-18:00' or 'Mon-Thu 09:00-18:00,Fri 09:00-15:00'")
	holidays := fs.String("holidays", "", "holiday `dates` YYYY-MM-DD,... or @file with one per line")
	format := fs.String("format", "", "output `format`: json or table (default: table on a terminal)")
	write := fs.Bool("write-findings", false, "write the findings to the lake's findings table")
	shadow := fs.Bool("shadow-report", false, "print per rule the findings per day instead of the findings")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintf(env.stderr, "keytrail detect: %s\n", printable(err.Error()))
		return 1
	}
	if *format == "" {
		*format = "json"
		if env.isTerminal {
			*format = "table"
		}
	}
	if *format != "json" && *format != "table" {
		fmt.Fprintf(env.stderr, "keytrail detect: --format %q: want json or table\n", printable(*format))
		return 2
	}
	var data []byte
	if *confFile != "" {
		var err error
		if data, err = os.ReadFile(*confFile); err != nil {
			return fail(fmt.Errorf("config: %w", err))
		}
	}
	cfg, err := detect.LoadConfig(data)
	if err != nil {
		return fail(err)
	}
	if err := cfg.Apply(detect.Overrides{Timezone: *tz, BusinessHours: *hours, Holidays: *holidays}, os.ReadFile); err != nil {
		return fail(err)
	}
	store, err := openLake(ctx, env, *lakeURI, *kmsKey)
	if err != nil {
		return fail(err)
	}
	from, to, future, err := detectWindow(ctx, store, *fromS, *toS, time.Now())
	if err != nil {
		return fail(err)
	}
	if len(future) > 0 {
		fmt.Fprintf(env.stderr, "keytrail detect: passed over %d event day partitions after tomorrow (the latest: day=%s); the default window ignores them\n",
			len(future), printable(future[len(future)-1]))
	}
	logger := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	runner := &detect.Runner{Store: store, Logger: logger, Detector: &detect.Detector{Config: cfg, Query: queries.Evidence}}
	findings, err := runner.Run(ctx, from, to)
	if err != nil {
		return fail(err)
	}
	if *write {
		if _, err := runner.WriteFindings(ctx, from, to, findings); err != nil {
			return fail(err)
		}
	}
	if *shadow {
		err = printVolume(env.stdout, *format, detect.Volume(findings))
	} else {
		err = printFindings(env.stdout, *format, findings)
	}
	if err != nil {
		return fail(err)
	}
	return 0
}

// detectWindow resolves --from/--to; the default is the 24h before the end
// of the latest event day in the lake. Days after now's tomorrow are not
// taken for the latest (ingest quarantines such event times, but a lake
// written before it did, or by something else, may hold them): one row
// dated 9999 must not move the window past every real event. Those days
// are returned, sorted, so the caller can say so.
func detectWindow(ctx context.Context, store lake.Lister, fromS, toS string, now time.Time) (from, to time.Time, future []string, err error) {
	if toS != "" {
		if to, err = parseWhen(toS); err != nil {
			return from, to, nil, fmt.Errorf("--to: %w", err)
		}
	} else {
		days, err := lake.ListDays(ctx, store, lake.EventsPrefix)
		if err != nil {
			return from, to, nil, err
		}
		// days is sorted: the future ones are at its end.
		tomorrow := lake.Day(now.Add(24 * time.Hour))
		n := sort.Search(len(days), func(i int) bool { return days[i] > tomorrow })
		latest := ""
		if n > 0 {
			latest = days[n-1]
		}
		future = days[n:]
		if latest == "" && len(future) > 0 {
			return from, to, future, fmt.Errorf("the lake holds events only after tomorrow (%d days, the first day=%s); give --to", len(future), future[0])
		}
		if latest == "" {
			return from, to, nil, errors.New("the lake holds no events; ingest some first, or give --to")
		}
		day, _ := time.Parse(time.DateOnly, latest)
		to = day.Add(24 * time.Hour)
	}
	if fromS != "" {
		if from, err = parseWhen(fromS); err != nil {
			return from, to, future, fmt.Errorf("--from: %w", err)
		}
	} else {
		from = to.Add(-24 * time.Hour)
	}
	if !from.Before(to) {
		return from, to, future, fmt.Errorf("--from %s is not before --to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return from, to, future, nil
}

func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not RFC 3339 or YYYY-MM-DD", s)
}

func printFindings(w io.Writer, format string, fs []finding.Finding) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		for _, f := range fs {
			if err := enc.Encode(f); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tKIND\tSTART (UTC)\tCOUNT\tPRINCIPAL\tRESOURCE\tTITLE")
	for _, f := range fs {
		sev := f.Severity
		if f.Shadow {
			sev += " (shadow)"
		}
		res := f.Resource
		if res == "" && len(f.Resources) > 0 {
			res = fmt.Sprintf("%d resources", len(f.Resources))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", sev, f.Kind, f.Start.Format("2006-01-02 15:04:05"), f.Count,
			cell(f.Principal), cell(res), cell(f.Title))
	}
	fmt.Fprintf(tw, "\n%d findings\n", len(fs))
	return tw.Flush()
}

// cell makes untrusted text safe for one table cell.
func cell(s string) string {
	return strings.ReplaceAll(printable(s), "\t", " ")
}

func printVolume(w io.Writer, format string, rows []detect.VolumeRow) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tDAY (UTC)\tFINDINGS\tSHADOW")
	kinds := map[string]int{}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", r.Kind, r.Day, r.Findings, r.Shadow)
		kinds[r.Kind] += r.Findings
	}
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Fprintf(tw, "%s\ttotal\t%d\t\n", k, kinds[k])
	}
	return tw.Flush()
}
