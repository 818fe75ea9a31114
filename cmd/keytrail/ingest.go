package main

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/cobra"

	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/ingest/report"
	"github.com/keytrail/keytrail/internal/bench"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/memlimit"
	"github.com/keytrail/keytrail/internal/output"
	"github.com/keytrail/keytrail/internal/progress"
)

func newIngestCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "ingest [flags] SRC...", Short: "read CloudTrail log files and write Secrets Manager and KMS events to the lake",
		Long: help("ingest"), Args: args(cobra.MinimumNArgs(1))}
	f := cmd.Flags()
	lakeFlag(cmd, "lake `folder` or s3://bucket/prefix to write to")
	kmsKey := f.String("kms-key", "", "KMS key `ARN` for SSE-KMS writes to an S3 lake")
	since := f.String("since", "", "first CloudTrail date folder (YYYY-MM-DD) of an S3 backfill")
	until := f.String("until", "", "last CloudTrail date folder (YYYY-MM-DD) of an S3 backfill")
	redo := f.Bool("redo", false, "ingest S3 objects again even if an earlier run finished them")
	sources := f.String("sources", strings.Join(ingest.DefaultSources, ","), "comma-separated event `sources` to keep")
	workers := f.Int("concurrency", 0, "files ingested at once (default 2, 8 for S3)")
	outFormat := a.addOutput(cmd, "table", output.Table, output.JSON)
	deprecated(cmd, "json", "bool", "print the summary as JSON (deprecated: --output json)")
	verbose := f.BoolP("verbose", "v", false, "log every file and list every file not fully ingested")
	cpuProfile := f.String("cpuprofile", "", "write a CPU profile to `file` (for performance work; see keytrail bench --profile)")
	cmd.RunE = func(cmd *cobra.Command, paths []string) error {
		ctx, env := cmd.Context(), a.env
		format, err := outFormat()
		if err != nil {
			return err
		}
		sinceT, untilT, err := ingest.DateRange(*since, *until)
		if err != nil {
			return usage(err)
		}
		if *cpuProfile != "" {
			stop, err := bench.StartCPUProfile(*cpuProfile)
			if err != nil {
				return err
			}
			defer stop()
		}
		// Ingest streams; the collector is tuned for that (see memlimit).
		memlimit.Apply(env.getenv, memlimit.Ingest)
		store, lakeURI, err := a.writeLake(ctx, cmd, *kmsKey)
		if err != nil {
			return err
		}
		// The lake's schema marker, written when absent; a newer lake is
		// refused (README: Upgrading).
		if err := lake.EnsureSchema(ctx, store); err != nil {
			return fmt.Errorf("lake %s: %w", lakeURI, err)
		}
		level := slog.LevelWarn
		if *verbose {
			level = slog.LevelInfo
		}
		logger := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: level}))
		if err := ingest.RemoveStaleTemps(ctx, store, time.Now(), logger); err != nil {
			return err
		}
		in := ingest.New(store, ingest.Config{Sources: splitList(*sources), Logger: logger})
		var client *s3.Client
		if slices.ContainsFunc(paths, func(p string) bool { return strings.HasPrefix(p, "s3://") }) {
			if client, err = a.s3Client(ctx); err != nil {
				return err
			}
		}
		rep := &report.Report{Lake: lakeURI}
		// Run walks the sources one after another in its own goroutine,
		// so collecting the ignored files needs no lock.
		srcs, err := ingest.Sources(paths, client, sinceT, untilT, func(p string) { rep.Ignored = append(rep.Ignored, p) })
		if err != nil {
			return usage(err)
		}
		opt := ingest.RunOptions{Concurrency: *workers}
		if client != nil {
			opt.Backfill(store, *redo, sinceT, untilT)
		}
		var bar *progress.Bar
		if env.stderrTerminal && !*verbose {
			total, err := ingest.Size(ctx, srcs)
			if err != nil {
				return err
			}
			bar = progress.New(env.stderr, "ingest", total, time.Now)
			opt.Progress = func(done int64, r *ingest.Result) { bar.Add(done, r.Bytes) }
		}
		rep.Summary, err = in.Run(ctx, srcs, opt)
		if bar != nil {
			bar.Finish()
		}
		if perr := output.Object(env.stdout, format, rep, func(w io.Writer) { rep.WriteText(w, *verbose) }); perr != nil {
			return perr
		}
		if err != nil {
			return err
		}
		if rep.HasFailures() {
			return exitCode(1)
		}
		return nil
	}
	return cmd
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
