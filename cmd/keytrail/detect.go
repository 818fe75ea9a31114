package main

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/keytrail/keytrail/detect"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/output"
	"github.com/keytrail/keytrail/queries"
)

func newDetectCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "detect [flags]", Short: "run the detection rules over the lake and print (or store) the findings",
		Long: help("detect"), Args: args(cobra.NoArgs)}
	f := cmd.Flags()
	lakeFlag(cmd, "lake `folder` (or s3://bucket/prefix)")
	kmsKey := f.String("lake-kms-key", "", "KMS `key` for writes to an S3 lake")
	fromS := f.String("from", "", "window start (RFC 3339 or YYYY-MM-DD)")
	toS := f.String("to", "", "window end, exclusive (RFC 3339 or YYYY-MM-DD)")
	f.String("timezone", "", "the team's IANA time `zone` (default: $KEYTRAIL_TIMEZONE or the config's)")
	f.String("business-hours", "", "business `hours`, e.g. 'Mon-Fri 09:00-18:00' or 'Mon-Thu 09:00-18:00,Fri 09:00-15:00'")
	f.String("holidays", "", "holiday `dates` YYYY-MM-DD,... or @file with one per line")
	outFormat := a.addOutput(cmd, "", output.Table, output.JSON, output.CSV)
	deprecated(cmd, "format", "", "output format (deprecated: --output)")
	write := f.Bool("write-findings", false, "write the findings to the lake's findings table")
	shadow := f.Bool("shadow-report", false, "print per rule the findings per day instead of the findings")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx, env := cmd.Context(), a.env
		format, err := outFormat()
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
		v, err := a.values(cmd, map[string]string{"timezone": "timezone", "business-hours": "business_hours", "holidays": "holidays"})
		if err != nil {
			return err
		}
		o := detect.Overrides{Timezone: v["timezone"], BusinessHours: v["business-hours"], Holidays: v["holidays"]}
		if err := cfg.Apply(o, os.ReadFile); err != nil {
			return err
		}
		store, days, err := a.readLake(ctx, cmd, *kmsKey)
		if err != nil {
			return err
		}
		from, to, future, err := detect.Window(days, *fromS, *toS, time.Now())
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
			return output.Write(env.stdout, format, output.Volume(finding.Volume(findings)))
		}
		return output.Write(env.stdout, format, output.Findings(findings))
	}
	return cmd
}
