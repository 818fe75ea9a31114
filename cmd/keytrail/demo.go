package main

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/keytrail/keytrail/internal/demo"
)

func newDemoCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "demo [flags]", Short: "run the whole pipeline on a generated organization, no AWS account needed",
		Long: help("demo"), Args: args(cobra.NoArgs)}
	f := cmd.Flags()
	out := f.String("out", "demo-output", "output `folder` (replaced on every run)")
	days := f.Int("days", 21, "days of CloudTrail to generate (the last week is evaluated)")
	start := f.String("start", "2026-06-01", "first day (YYYY-MM-DD, UTC)")
	seed := f.Int64("seed", 7, "generator seed")
	scale := f.Float64("scale", 1, "volume of routine activity")
	tz := f.String("timezone", "Europe/Berlin", "the team's time zone")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		first, err := time.Parse(time.DateOnly, *start)
		if err != nil || *days < 8 {
			return usagef("--start must be YYYY-MM-DD and --days at least 8 (a week of baseline and a week to evaluate)")
		}
		// Each step runs in this process, its output captured by the
		// demo, in the environment the printed command would run in.
		step := func(ctx context.Context, stdout, stderr io.Writer, args []string) int {
			return run(ctx, &environ{stdout: stdout, stderr: stderr, getenv: a.env.getenv}, args)
		}
		self, _ := os.Executable()
		wd, _ := os.Getwd()
		return demo.Run(cmd.Context(), demo.Config{Out: *out, Start: first, Days: *days, Seed: *seed, Scale: *scale, Timezone: *tz,
			Stdout: a.env.stdout, Getenv: a.env.getenv, Run: step, Program: demo.Program(self, wd)})
	}
	return cmd
}
