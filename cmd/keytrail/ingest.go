package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/schollz/progressbar/v3"

	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/memlimit"
	"github.com/keytrail/keytrail/internal/visible"
)

const ingestUsage = `Usage: keytrail ingest [flags] SRC...

Reads CloudTrail log files (gzip or plain JSON, as CloudTrail writes them to S3),
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
still lists everything that was written.

Flags:
`

func runIngest(ctx context.Context, env *environ, args []string) int {
	fs := newFlagSet(env, "ingest", ingestUsage)
	lakeDir := fs.String("lake", "lake", "lake `folder` or s3://bucket/prefix to write to")
	kmsKey := fs.String("kms-key", "", "KMS key `ARN` for SSE-KMS writes to an S3 lake")
	since := fs.String("since", "", "first CloudTrail date folder (YYYY-MM-DD) of an S3 backfill")
	until := fs.String("until", "", "last CloudTrail date folder (YYYY-MM-DD) of an S3 backfill")
	redo := fs.Bool("redo", false, "ingest S3 objects again even if an earlier run finished them")
	sources := fs.String("sources", strings.Join(ingest.DefaultSources, ","), "comma-separated event `sources` to keep")
	workers := fs.Int("concurrency", 0, "files ingested at once (default 2, 8 for S3)")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	verbose := fs.Bool("v", false, "log every file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to `file` (for performance work; see keytrail bench --profile)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintf(env.stderr, "keytrail ingest: %v\n", err)
			return 2
		}
		defer stop()
	}
	// Ingest streams; the collector is tuned for that (see memlimit).
	memlimit.Apply(env.getenv, memlimit.Ingest)
	if fs.NArg() == 0 {
		fmt.Fprintln(env.stderr, "keytrail ingest: name at least one file or folder to ingest")
		fs.Usage()
		return 2
	}
	var sinceT, untilT time.Time
	for _, f := range []struct {
		flag string
		v    string
		t    *time.Time
	}{{"--since", *since, &sinceT}, {"--until", *until, &untilT}} {
		if f.v == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, f.v)
		if err != nil {
			fmt.Fprintf(env.stderr, "keytrail ingest: %s %q: want YYYY-MM-DD\n", f.flag, f.v)
			return 2
		}
		*f.t = t
	}
	store, err := openLake(ctx, env, *lakeDir, *kmsKey)
	if err != nil {
		fmt.Fprintf(env.stderr, "keytrail ingest: %v\n", err)
		return 1
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: level}))
	if err := ingest.RemoveStaleTemps(ctx, store, time.Now(), logger); err != nil {
		fmt.Fprintf(env.stderr, "keytrail ingest: %v\n", err)
		return 1
	}
	in := ingest.New(store, ingest.Config{Sources: splitList(*sources), Logger: logger})

	var ignored []string
	var srcs []ingest.Source
	var client *s3.Client
	fromS3 := false
	for _, p := range fs.Args() {
		if strings.HasPrefix(p, "s3://") {
			bucket, prefix, err := lake.ParseS3URI(p)
			if err != nil {
				fmt.Fprintf(env.stderr, "keytrail ingest: %v\n", err)
				return 2
			}
			if client == nil {
				if client, err = s3Client(ctx, env); err != nil {
					fmt.Fprintf(env.stderr, "keytrail ingest: %v\n", err)
					return 1
				}
			}
			srcs = append(srcs, ingest.S3Source{Client: client, Bucket: bucket, Prefix: prefix, Since: sinceT, Until: untilT})
			fromS3 = true
		} else {
			// Run walks the sources one after another in its own
			// goroutine, so collecting here needs no lock.
			srcs = append(srcs, ingest.LocalSource{Path: p, Ignored: func(p string) { ignored = append(ignored, p) }})
		}
	}
	opt := ingest.RunOptions{Concurrency: *workers}
	if opt.Concurrency == 0 && fromS3 {
		opt.Concurrency = 8
	}
	if fromS3 {
		opt.Markers = &ingest.Markers{Store: store}
		opt.Resume = !*redo
		if !sinceT.IsZero() && !untilT.IsZero() {
			// Only the markers of the backfilled date folders matter.
			opt.ResumeDays = lake.Days(sinceT, untilT)
		}
	}
	var bar *progressbar.ProgressBar
	if env.stderrTerminal && !*verbose {
		// Size the bar and its ETA: one listing before the run, only when
		// someone is watching.
		var total int64
		for i, src := range srcs {
			quiet := src
			if l, ok := src.(ingest.LocalSource); ok {
				l.Ignored = nil
				quiet = l
			}
			if err := quiet.Walk(ctx, func(o ingest.Object) error { total += o.Size; return nil }); err != nil {
				fmt.Fprintf(env.stderr, "keytrail ingest: list %s: %v\n", fs.Arg(i), err)
				return 1
			}
		}
		bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(env.stderr),
			progressbar.OptionSetDescription("ingest"),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100_000_000),
		)
		opt.Progress = func(done int64, _ *ingest.Result) { bar.Set64(done) }
	}
	sum, err := in.Run(ctx, srcs, opt)
	if bar != nil {
		bar.Finish()
	}
	if *asJSON {
		out := struct {
			ingest.Summary
			Ignored []string `json:"ignored,omitempty"`
			Lake    string   `json:"lake"`
		}{sum, ignored, *lakeDir}
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(out)
	} else {
		printSummary(env.stdout, &sum, ignored, *lakeDir)
	}
	if err != nil {
		fmt.Fprintf(env.stderr, "keytrail ingest: %v\n", err)
		return 1
	}
	if sum.HasFailures() {
		return 1
	}
	return 0
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

func printSummary(w io.Writer, s *ingest.Summary, ignored []string, lakeDir string) {
	mbps := 0.0
	if sec := s.Elapsed.Seconds(); sec > 0 {
		mbps = float64(s.Bytes) / 1e6 / sec
	}
	fmt.Fprintf(w, "Ingested %d files into %s in %s (%.0f MB of JSON, %.0f MB/s)\n",
		s.Objects, lakeDir, s.Elapsed.Round(1e6), float64(s.Bytes)/1e6, mbps)
	fmt.Fprintf(w, "  files:   %d ok, %d partial, %d failed, %d skipped\n", s.OK, s.Partial, s.Failed, s.Skipped)
	if s.Warnings > 0 {
		fmt.Fprintf(w, "           %d kept records had a field of an unexpected type (the rest of each was kept)\n", s.Warnings)
	}
	if s.Resumed > 0 {
		fmt.Fprintf(w, "           %d finished by an earlier run (use --redo to ingest them again)\n", s.Resumed)
	}
	fmt.Fprintf(w, "  records: %d read, %d kept, %d other services, %d unreadable, %d quarantined\n", s.Records, s.Kept, s.Dropped, s.Errors, s.Quarantined)
	for _, src := range s.SortedSources() {
		fmt.Fprintf(w, "    %-32s %d\n", src, s.BySource[src])
	}
	if s.CappedRows > 0 {
		fmt.Fprintf(w, "  %d rows name more secrets and keys than a row keeps: resource_arns holds the first 1000\n", s.CappedRows)
	}
	if len(s.Problems) > 0 {
		fmt.Fprintf(w, "Not fully ingested:\n")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, p := range s.Problems {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", p.Status, oneLine(p.Object), oneLine(p.Reason))
			for _, re := range p.RecordErrors {
				at := ""
				if re.Offset > 0 {
					at = fmt.Sprintf(" (offset %d)", re.Offset)
				}
				fmt.Fprintf(tw, "  \t  record %d%s\t%s\n", re.Index, at, oneLine(re.Err))
			}
			if extra := p.RecordErrorCount - len(p.RecordErrors); extra > 0 {
				fmt.Fprintf(tw, "  \t  … and %d more records\t\n", extra)
			}
		}
		tw.Flush()
	}
	if s.Quarantined > 0 {
		// Not a failure (the files are done), but rows detection does
		// not see: each is named.
		fmt.Fprintf(w, "Quarantined %d records whose eventTime is implausible for their file (kept under %s, not in detection):\n",
			s.Quarantined, lake.QuarantinePrefix)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, q := range s.Quarantine {
			fmt.Fprintf(tw, "  %s\trecord %d\t%s\t%s\n", oneLine(q.Object), q.Index, q.EventTime.Format(time.RFC3339Nano), oneLine(q.Reason))
		}
		if extra := s.Quarantined - len(s.Quarantine); extra > 0 {
			fmt.Fprintf(tw, "  … and %d more records\t\t\t\n", extra)
		}
		tw.Flush()
	}
	if len(ignored) > 0 {
		fmt.Fprintf(w, "Passed over %d files that are not .json or .json.gz (first: %s)\n", len(ignored), oneLine(ignored[0]))
	}
}

// oneLine keeps caller-controlled text (file names, error messages quoting
// record content) on one line of the terminal: what visible hides (line
// breaks, controls, bidi and zero-width characters) becomes a space.
func oneLine(s string) string {
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

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
