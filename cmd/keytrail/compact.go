package main

import (
	"context"
	"fmt"
	"time"

	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/internal/lake"
)

const compactUsage = `Usage: keytrail compact [flags]

Merges each day partition's small event files into larger ones and drops
duplicate events. Safe to run while ingesting, and to interrupt.

Flags:
`

func runCompact(ctx context.Context, env *environ, args []string) int {
	fs := newFlagSet(env, "compact", compactUsage)
	lakeURI := fs.String("lake", "lake", "lake `folder` or s3://bucket/prefix")
	kmsKey := fs.String("kms-key", "", "KMS key `ARN` for SSE-KMS writes to an S3 lake")
	days := fs.String("days", "", "comma-separated `days` (YYYY-MM-DD) to compact; default every day in the lake")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	store, err := openLake(ctx, env, *lakeURI, *kmsKey)
	if err != nil {
		fmt.Fprintf(env.stderr, "keytrail compact: %v\n", err)
		return 1
	}
	var list []string
	if *days != "" {
		for _, d := range splitList(*days) {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				fmt.Fprintf(env.stderr, "keytrail compact: --days: %q is not YYYY-MM-DD\n", d)
				return 2
			}
			list = append(list, d)
		}
	} else if list, err = lake.ListDays(ctx, store, lake.EventsPrefix); err != nil {
		fmt.Fprintf(env.stderr, "keytrail compact: %v\n", err)
		return 1
	}
	c := &ingest.Compactor{Store: store}
	if err := ingest.RemoveStaleTemps(ctx, store, time.Now(), nil); err != nil {
		fmt.Fprintf(env.stderr, "keytrail compact: %v\n", err)
		return 1
	}
	var files, rows, dups int
	for _, d := range list {
		r, err := c.CompactDay(ctx, d)
		if err != nil {
			fmt.Fprintf(env.stderr, "keytrail compact: %v\n", err)
			return 1
		}
		files += r.InputFiles
		rows += r.OutputRows
		dups += r.Duplicates
	}
	fmt.Fprintf(env.stdout, "Compacted %d days: %d small files merged, %d events kept, %d duplicates dropped\n", len(list), files, rows, dups)
	return 0
}
