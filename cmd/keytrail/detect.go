package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/keytrail/keytrail/detect"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/output"
	"github.com/keytrail/keytrail/queries"
)

const detectLong = `Runs the detection rules over the lake's events in a window and prints the
findings whose evidence falls in it: JSON lines when stdout is not a terminal,
a table on a terminal (--output overrides). The lake before --from is the
history for baselines (per-day aggregates kept under state/detect/).

Default window: the last 24 hours of the latest event day in the lake
(--to = the end of that UTC day, --from = 24h earlier), which on a local lake
is more useful than "now". Times are RFC 3339 or YYYY-MM-DD (midnight UTC).
The rules, suppressions and self_principals come from the config file
(--config), next to the team's defaults.

Replaying a past period gives the findings the scheduled Lambda gave (same
ids), so a threshold can be backtested: change it in the config (or run the
rule with shadow: true) and compare with --shadow-report.`

func newDetectCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "detect [flags]", Short: "run the detection rules over the lake and print (or store) the findings",
		Long: detectLong, Args: args(cobra.NoArgs)}
	f := cmd.Flags()
	lakeFlag(cmd, "lake `folder` (or s3://bucket/prefix)")
	kmsKey := f.String("lake-kms-key", "", "KMS `key` for writes to an S3 lake")
	fromS := f.String("from", "", "window start (RFC 3339 or YYYY-MM-DD)")
	toS := f.String("to", "", "window end, exclusive (RFC 3339 or YYYY-MM-DD)")
	f.String("timezone", "", "the team's IANA time `zone` (default: $KEYTRAIL_TIMEZONE or the config's)")
	f.String("business-hours", "", "business `hours`, e.g. 'Mon-Fri 09:00-18:00' or 'Mon-Thu 09:00-18:00,Fri 09:00-15:00'")
	f.String("holidays", "", "holiday `dates` YYYY-MM-DD,... or @file with one per line")
	out := addOutput(cmd, "", output.Table, output.JSON, output.CSV)
	deprecated(cmd, "format", "", "output format (deprecated: --output)")
	write := f.Bool("write-findings", false, "write the findings to the lake's findings table")
	shadow := f.Bool("shadow-report", false, "print per rule the findings per day instead of the findings")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx, env := cmd.Context(), a.env
		format, err := a.format(cmd, out, output.Table, output.JSON, output.CSV)
		if err != nil {
			return err
		}
		s, err := a.settings()
		if err != nil {
			return err
		}
		cfg, err := detect.LoadConfig(s.Detector)
		if err != nil {
			return err
		}
		var o detect.Overrides
		for _, v := range []struct {
			flag, key string
			dst       *string
		}{{"timezone", "timezone", &o.Timezone}, {"business-hours", "business_hours", &o.BusinessHours}, {"holidays", "holidays", &o.Holidays}} {
			if *v.dst, err = a.value(cmd, v.flag, v.key); err != nil {
				return err
			}
		}
		if err := cfg.Apply(o, os.ReadFile); err != nil {
			return err
		}
		uri, err := a.lakeURI(cmd)
		if err != nil {
			return err
		}
		store, err := a.readLake(ctx, uri, *kmsKey)
		if err != nil {
			return err
		}
		from, to, future, err := detectWindow(ctx, store, *fromS, *toS, time.Now())
		if err != nil {
			return err
		}
		if len(future) > 0 {
			fmt.Fprintf(env.stderr, "keytrail detect: passed over %d event day partitions after tomorrow (the latest: day=%s); the default window ignores them\n",
				len(future), output.Cell(future[len(future)-1]))
		}
		logger := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		runner := &detect.Runner{Store: store, Logger: logger, Detector: &detect.Detector{Config: cfg, Query: queries.Evidence}}
		findings, err := runner.Run(ctx, from, to)
		if err != nil {
			return err
		}
		if *write {
			if _, err := runner.WriteFindings(ctx, from, to, findings); err != nil {
				return err
			}
		}
		if *shadow {
			return output.Write(env.stdout, format, volumeRows(detect.Volume(findings)))
		}
		return output.Write(env.stdout, format, findingRows(findings))
	}
	return cmd
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

// findingRows are the findings as rows; JSON prints each finding whole.
func findingRows(fs []finding.Finding) output.Rows {
	rs := output.Rows{Columns: []output.Column{{Name: "severity"}, {Name: "kind"}, {Name: "start", Type: "timestamp"},
		{Name: "count", Type: "bigint"}, {Name: "principal"}, {Name: "resource"}, {Name: "title"}, {Name: "id"}},
		Footer: fmt.Sprintf("%d findings", len(fs)), Records: []any{}}
	for _, f := range fs {
		sev := f.Severity
		if f.Shadow {
			sev += " (shadow)"
		}
		res := f.Resource
		if res == "" && len(f.Resources) > 0 {
			res = fmt.Sprintf("%d resources", len(f.Resources))
		}
		rs.Rows = append(rs.Rows, []string{sev, f.Kind, f.Start.UTC().Format("2006-01-02 15:04:05"), strconv.FormatInt(f.Count, 10), f.Principal, res, f.Title, f.ID})
		rs.Records = append(rs.Records, f)
	}
	return rs
}

// volumeRows are the shadow report's rows, with a total per rule in a table.
func volumeRows(rows []detect.VolumeRow) output.Rows {
	rs := output.Rows{Columns: []output.Column{{Name: "rule"}, {Name: "day"}, {Name: "findings", Type: "bigint"}, {Name: "shadow", Type: "bigint"}}, Records: []any{}}
	kinds := map[string]int{}
	for _, r := range rows {
		rs.Rows = append(rs.Rows, []string{r.Kind, r.Day, strconv.Itoa(r.Findings), strconv.Itoa(r.Shadow)})
		rs.Records = append(rs.Records, r)
		kinds[r.Kind] += r.Findings
	}
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		rs.Footer += fmt.Sprintf("%s total: %d\n", k, kinds[k])
	}
	return rs
}
