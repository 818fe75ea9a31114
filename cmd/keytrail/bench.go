package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/keytrail/keytrail/internal/bench"
)

const benchUsage = `Usage: keytrail bench [flags]

Measures ingest on a reproducible synthetic CloudTrail corpus (about 20 %
Secrets Manager and KMS records) and prints, from the same run on the same
files and the same thread counts:

  floor    gzip decompression alone (the most any reader of these files can do)
  ingest   keytrail ingest, uncompressed JSON MB/s, as a separate process
  duckdb   the peer: DuckDB read_json → filter → COPY TO parquet (zstd)

and the peak memory (RSS) of ingest and DuckDB on one large file. The floor
and ingest are measured --runs times each, alternating, and the fastest of
each is kept (a busy machine only ever slows a run down); --profile also
writes a CPU profile of each ingest run. Generated corpora are kept in --out
and reused by later runs.

Flags:
`

func runBench(ctx context.Context, env *environ, args []string) int {
	fs := newFlagSet(env, "bench", benchUsage)
	out := fs.String("out", "bench-output", "`folder` for corpora and results")
	total := fs.Int64("bytes", 1_000_000_000, "uncompressed `bytes` of each many-file corpus")
	files := fs.String("files", "1000,40", "comma-separated file counts: a many-file corpus of --bytes for each (1000 files of about 1 MB are a busy account's 5-minute CloudTrail files)")
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
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *peer {
		n, err := bench.Peer(ctx, *peerThreads, *peerOut, *peerPerObject, fs.Args())
		if err != nil {
			fmt.Fprintf(env.stderr, "duckdb peer: %v\n", err)
			return 1
		}
		fmt.Fprintln(env.stdout, n)
		return 0
	}
	fileCounts, err := positiveInts(*files)
	if err != nil {
		fmt.Fprintf(env.stderr, "keytrail bench: --files %q: %v\n", *files, err)
		return 2
	}
	counts, err := positiveInts(*threads)
	if err != nil {
		fmt.Fprintf(env.stderr, "keytrail bench: --threads %q: %v\n", *threads, err)
		return 2
	}
	if *runs < 1 {
		fmt.Fprintf(env.stderr, "keytrail bench: --runs %d: want at least 1\n", *runs)
		return 2
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(env.stderr, "keytrail bench: %v\n", err)
		return 1
	}
	c := bench.Config{Exe: self, Out: *out, Stdout: env.stdout, Stderr: env.stderr, Seed: *seed, Bytes: *total, Files: fileCounts,
		Big: *big, Threads: counts, Runs: *runs, DuckDB: !*noDuck, DuckDBPerObject: !*noDuck && *perObject, Profile: *profile}
	if err := bench.Run(ctx, c); err != nil {
		fmt.Fprintf(env.stderr, "keytrail bench: %v\n", err)
		return 1
	}
	return 0
}

// positiveInts parses a comma-separated list of whole numbers ≥ 1.
func positiveInts(list string) ([]int, error) {
	var ns []int
	for _, f := range splitList(list) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, errors.New("want whole numbers ≥ 1, separated by commas")
		}
		ns = append(ns, n)
	}
	if len(ns) == 0 {
		return nil, errors.New("want at least one number")
	}
	return ns, nil
}
