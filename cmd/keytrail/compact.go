package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/keytrail/keytrail/ingest"
)

func newCompactCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "compact [flags]", Short: "merge the lake's small event files and drop duplicate events", Args: args(cobra.NoArgs),
		Long: "Merges each day partition's small event files into larger ones and drops\nduplicate events. Safe to run while ingesting, and to interrupt."}
	lakeFlag(cmd, "lake `folder` or s3://bucket/prefix")
	kmsKey := cmd.Flags().String("kms-key", "", "KMS key `ARN` for SSE-KMS writes to an S3 lake")
	days := cmd.Flags().String("days", "", "comma-separated `days` (YYYY-MM-DD) to compact; default every day in the lake")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		var list []string
		for _, d := range splitList(*days) {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				return usagef("--days: %q is not YYYY-MM-DD", d)
			}
			list = append(list, d)
		}
		store, all, err := a.readLake(ctx, cmd, *kmsKey)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			list = all
		}
		res, err := (&ingest.Compactor{Store: store}).CompactDays(ctx, time.Now(), list)
		if err != nil {
			return err
		}
		var files, rows, dups int
		for _, r := range res {
			files, rows, dups = files+r.InputFiles, rows+r.OutputRows, dups+r.Duplicates
		}
		fmt.Fprintf(a.env.stdout, "Compacted %d days: %d small files merged, %d events kept, %d duplicates dropped\n", len(list), files, rows, dups)
		return nil
	}
	return cmd
}
