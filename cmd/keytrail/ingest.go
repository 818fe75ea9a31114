package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/memlimit"
	"github.com/keytrail/keytrail/internal/output"
)

const ingestLong = `Reads CloudTrail log files (gzip or plain JSON, as CloudTrail writes them to S3),
keeps the Secrets Manager and KMS events and writes them to the lake as Parquet,
partitioned by event day. SRC is a file, a folder (walked recursively for
*.json and *.json.gz files) or s3://bucket/prefix (a backfill of a trail's
bucket; --since and --until limit it to CloudTrail's date folders). Digest and
Insights files are skipped. The lake is a folder or s3://bucket/prefix; S3 is
reached through the AWS SDK's standard configuration (AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL_S3 …).

Ingesting the same files again replaces their rows; it never duplicates them.
A backfill from S3 records each finished object in the lake, so an interrupted
run resumes where it stopped (--redo ingests everything again).
The exit status is 1 when any file could not be read in full; the summary
still lists everything that was written, files not fully ingested counted per
reason with a few examples each (--verbose names them all).`

func newIngestCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "ingest [flags] SRC...", Short: "read CloudTrail log files and write Secrets Manager and KMS events to the lake",
		Long: ingestLong, Args: args(cobra.MinimumNArgs(1))}
	f := cmd.Flags()
	lakeFlag(cmd, "lake `folder` or s3://bucket/prefix to write to")
	kmsKey := f.String("kms-key", "", "KMS key `ARN` for SSE-KMS writes to an S3 lake")
	since := f.String("since", "", "first CloudTrail date folder (YYYY-MM-DD) of an S3 backfill")
	until := f.String("until", "", "last CloudTrail date folder (YYYY-MM-DD) of an S3 backfill")
	redo := f.Bool("redo", false, "ingest S3 objects again even if an earlier run finished them")
	sources := f.String("sources", strings.Join(ingest.DefaultSources, ","), "comma-separated event `sources` to keep")
	workers := f.Int("concurrency", 0, "files ingested at once (default 2, 8 for S3)")
	out := addOutput(cmd, "table", output.Table, output.JSON)
	deprecated(cmd, "json", "bool", "print the summary as JSON (deprecated: --output json)")
	verbose := f.BoolP("verbose", "v", false, "log every file and list every file not fully ingested")
	cpuProfile := f.String("cpuprofile", "", "write a CPU profile to `file` (for performance work; see keytrail bench --profile)")
	cmd.RunE = func(cmd *cobra.Command, paths []string) error {
		ctx, env := cmd.Context(), a.env
		format, err := a.format(cmd, out, output.Table, output.JSON)
		if err != nil {
			return err
		}
		var sinceT, untilT time.Time
		for _, d := range []struct {
			flag string
			v    string
			t    *time.Time
		}{{"--since", *since, &sinceT}, {"--until", *until, &untilT}} {
			if d.v == "" {
				continue
			}
			if *d.t, err = time.Parse(time.DateOnly, d.v); err != nil {
				return usagef("%s %q: want YYYY-MM-DD", d.flag, d.v)
			}
		}
		if *cpuProfile != "" {
			stop, err := startCPUProfile(*cpuProfile)
			if err != nil {
				return err
			}
			defer stop()
		}
		// Ingest streams; the collector is tuned for that (see memlimit).
		memlimit.Apply(env.getenv, memlimit.Ingest)
		lakeURI, err := a.lakeURI(cmd)
		if err != nil {
			return err
		}
		store, err := a.openLake(ctx, lakeURI, *kmsKey)
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

		var ignored []string
		var srcs []ingest.Source
		var client *s3.Client
		for _, p := range paths {
			if !strings.HasPrefix(p, "s3://") {
				// Run walks the sources one after another in its own
				// goroutine, so collecting here needs no lock.
				srcs = append(srcs, ingest.LocalSource{Path: p, Ignored: func(p string) { ignored = append(ignored, p) }})
				continue
			}
			bucket, prefix, err := lake.ParseS3URI(p)
			if err != nil {
				return usage(err)
			}
			if client == nil {
				if client, err = a.s3Client(ctx); err != nil {
					return err
				}
			}
			srcs = append(srcs, ingest.S3Source{Client: client, Bucket: bucket, Prefix: prefix, Since: sinceT, Until: untilT})
		}
		opt := ingest.RunOptions{Concurrency: *workers}
		if client != nil {
			if opt.Concurrency == 0 {
				opt.Concurrency = 8
			}
			opt.Markers = &ingest.Markers{Store: store}
			opt.Resume = !*redo
			if !sinceT.IsZero() && !untilT.IsZero() {
				// Only the markers of the backfilled date folders matter.
				opt.ResumeDays = lake.Days(sinceT, untilT)
			}
		}
		var bar *progressbar.ProgressBar
		if env.stderrTerminal && !*verbose {
			if bar, err = progress(cmd, srcs, paths, &opt); err != nil {
				return err
			}
		}
		sum, err := in.Run(ctx, srcs, opt)
		if bar != nil {
			bar.Finish()
		}
		body := struct {
			ingest.Summary
			Ignored []string `json:"ignored,omitempty"`
			Lake    string   `json:"lake"`
		}{sum, ignored, lakeURI}
		if perr := output.Object(env.stdout, format, body, func(w io.Writer) {
			output.IngestSummary(w, &sum, ignored, lakeURI, *verbose)
		}); perr != nil {
			return perr
		}
		if err != nil {
			return err
		}
		if sum.HasFailures() {
			return exitCode(1)
		}
		return nil
	}
	return cmd
}

// progress sizes a bar from one listing (only when someone is watching)
// and shows on it the rate the summary reports: JSON MB/s since the start.
func progress(cmd *cobra.Command, srcs []ingest.Source, paths []string, opt *ingest.RunOptions) (*progressbar.ProgressBar, error) {
	var total int64
	for i, src := range srcs {
		if l, ok := src.(ingest.LocalSource); ok {
			l.Ignored = nil
			src = l
		}
		if err := src.Walk(cmd.Context(), func(o ingest.Object) error { total += o.Size; return nil }); err != nil {
			return nil, fmt.Errorf("list %s: %w", paths[i], err)
		}
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(cmd.ErrOrStderr()),
		progressbar.OptionSetDescription("ingest"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100_000_000),
	)
	start, jsonBytes := time.Now(), int64(0)
	opt.Progress = func(done int64, r *ingest.Result) {
		jsonBytes += r.Bytes
		bar.Describe(fmt.Sprintf("ingest %.0f MB of JSON, %.0f MB/s", float64(jsonBytes)/1e6, output.Rate(jsonBytes, time.Since(start))))
		bar.Set64(done)
	}
	return bar, nil
}

// startCPUProfile profiles the process into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
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
