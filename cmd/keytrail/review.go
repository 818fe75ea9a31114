package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keytrail/keytrail/detect"
	"github.com/keytrail/keytrail/review"
)

func newReviewCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "review --quarter 2026-Q3 | --from DAY --to DAY [flags]", Args: args(cobra.NoArgs),
		Short: "write the quarterly access review of secrets and keys",
		Long: "Writes the quarterly access review of secrets and keys: review.md, review.html and one CSV per section\n" +
			"(permissions.csv, revoke.csv, leavers.csv, delete.csv, outside.csv, rotation.csv, …), from the period's\n" +
			"events and its latest inventory (keytrail inventory). keytrail's own roles are the config's self_principals\n" +
			"and the roles under the path /keytrail/ in the accounts the inventory covers."}
	f := cmd.Flags()
	quarter := f.String("quarter", "", "calendar `quarter` to review, such as 2026-Q3")
	from := f.String("from", "", "first `day` of the period (YYYY-MM-DD), instead of --quarter")
	to := f.String("to", "", "last `day` of the period (YYYY-MM-DD), inclusive")
	history := f.String("history-from", "", "look for known secrets and keys since this `day` (default: a year before the period)")
	out := f.String("out", "", "output `folder` (default: review-<period>)")
	top := f.Int("top", 10, "principals in the top-principals chart")
	maxRotation := f.Int("max-rotation-days", 90, "longest acceptable `days` between two rotations of a secret")
	idle := f.Int("idle-days", 90, "list a secret for deletion when unused for these `days` up to the period's end")
	eng := addEngine(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx, env := cmd.Context(), a.env
		p, err := review.PeriodOf(*quarter, *from, *to)
		if err != nil {
			return usage(err)
		}
		if *maxRotation <= 0 || *idle <= 0 {
			return usagef("--max-rotation-days and --idle-days must be positive")
		}
		opt := review.Options{Top: *top, MaxRotationDays: *maxRotation, IdleDays: *idle}
		if *history != "" {
			if opt.HistoryFrom, err = time.Parse(time.DateOnly, *history); err != nil {
				return usagef("--history-from %q: want YYYY-MM-DD", *history)
			}
		}
		dir := *out
		if dir == "" {
			dir = "review-" + strings.ReplaceAll(p.Label, " ", "_")
		}
		r, done, err := eng.open(ctx, a, cmd)
		if err != nil {
			return err
		}
		defer done()
		conf, err := a.settings()
		if err != nil {
			return err
		}
		// keytrail's own roles, as the detector knows them, are set apart.
		det, err := detect.LoadConfig(conf.Detector)
		if err != nil {
			return err
		}
		opt.SelfPrincipals = det.SelfPrincipals
		lakeSet := cmd.Flags().Changed("lake") || conf.Source("lake") != "default"
		if opt.Lake, err = eng.objects(ctx, a, lakeSet); err != nil {
			return err
		}
		if opt.Lake == nil {
			fmt.Fprintf(env.stderr, "keytrail review: quarantined records not checked: give the lake's --lake s3://bucket/prefix with --athena\n")
		}
		rep, err := review.Build(ctx, r, p, opt)
		if errors.Is(err, review.ErrNoData) {
			// No report at all: one saying "None." everywhere could be filed
			// and signed as a clean quarter.
			return fmt.Errorf("%w: no report written; check --lake (or --database) and that ingestion ran for the period", err)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stderr, "coverage of %s: %s; %s\n", p.Label, rep.Coverage, rep.Inventory.Summary())
		names, err := review.Write(dir, rep)
		if err != nil {
			return err
		}
		for _, n := range names {
			fmt.Fprintln(env.stdout, filepath.Join(dir, n))
		}
		return nil
	}
	return cmd
}
