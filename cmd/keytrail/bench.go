package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/keytrail/keytrail/internal/bench"
)

func newBenchCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "bench [flags]", Short: "measure ingest throughput and memory against gzip and DuckDB", Long: help("bench")}
	fs := cmd.Flags()
	out := fs.String("out", "bench-output", "`folder` for corpora and results")
	total := fs.Int64("bytes", 1_000_000_000, "uncompressed `bytes` of each many-file corpus")
	filesFlag := fs.String("files", "1000,40", "comma-separated file counts: a many-file corpus of --bytes for each (1000 files of about 1 MB are a busy account's 5-minute CloudTrail files)")
	big := fs.Int64("big", 500_000_000, "uncompressed `bytes` of the one-file corpus (0 to skip)")
	threads := fs.String("threads", "1,2", "comma-separated thread counts to compare")
	noDuck := fs.Bool("no-duckdb", false, "skip the DuckDB peer")
	perObject := fs.Bool("duckdb-per-object", false, "also run the DuckDB peer once per file, one output each, as ingest writes (about a minute per thread count on 1,000 files)")
	seed := fs.Int64("seed", 1, "corpus seed")
	runs := fs.Int("runs", 3, "measure the floor and ingest this many times each, alternating, and keep the fastest")
	profile := fs.Bool("profile", false, "also write CPU profiles of the ingest runs to --out (go tool pprof bin/keytrail FILE)")
	peer := fs.Bool("peer-duckdb", false, "(internal) run the DuckDB peer on the named files")
	peerThreads := fs.Int("peer-threads", 1, "(internal) DuckDB threads")
	peerOut := fs.String("peer-out", "", "(internal) DuckDB output file, or folder with --peer-per-object")
	peerPerObject := fs.Bool("peer-per-object", false, "(internal) one DuckDB query and output per file")
	for _, f := range []string{"peer-duckdb", "peer-threads", "peer-out", "peer-per-object"} {
		fs.MarkHidden(f)
	}
	cmd.RunE = func(cmd *cobra.Command, files []string) error {
		ctx, env := cmd.Context(), a.env
		if *peer {
			n, err := bench.Peer(ctx, *peerThreads, *peerOut, *peerPerObject, files)
			if err != nil {
				return fmt.Errorf("duckdb peer: %w", err)
			}
			fmt.Fprintln(env.stdout, n)
			return nil
		}
		if len(files) > 0 {
			return usagef("unexpected arguments %q", files)
		}
		fileCounts, err := bench.Counts(*filesFlag)
		if err != nil {
			return usagef("--files %q: %v", *filesFlag, err)
		}
		counts, err := bench.Counts(*threads)
		if err != nil {
			return usagef("--threads %q: %v", *threads, err)
		}
		if *runs < 1 {
			return usagef("--runs %d: want at least 1", *runs)
		}
		self, err := os.Executable()
		if err != nil {
			return err
		}
		return bench.Run(ctx, bench.Config{Exe: self, Out: *out, Stdout: env.stdout, Stderr: env.stderr, Seed: *seed, Bytes: *total,
			Files: fileCounts, Big: *big, Threads: counts, Runs: *runs, DuckDB: !*noDuck, DuckDBPerObject: !*noDuck && *perObject, Profile: *profile})
	}
	return cmd
}
