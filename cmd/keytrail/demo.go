package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/keytrail/keytrail/internal/demo"
)

const demoUsage = `Usage: keytrail demo [flags]

Runs the whole pipeline on a laptop, with no AWS account: generates three
weeks of CloudTrail for a fictional organization (applications, nightly jobs,
secret rotation, people in office hours, and a handful of incidents), ingests
it into a local lake, compacts it, runs the detector, shows the Slack messages
it would post, runs two follow-up investigation queries and the quarterly
access review on DuckDB, and says where everything was written.

Every step is an ordinary keytrail command; the demo prints each one so you
can run it yourself. Running the demo again replaces its own output folder.
With KEYTRAIL_SLACK_WEBHOOK_URL (or SLACK_BOT_TOKEN and KEYTRAIL_SLACK_CHANNEL)
set, the messages are posted for real.

Flags:
`

func runDemo(ctx context.Context, env *environ, args []string) int {
	fs := newFlagSet(env, "demo", demoUsage)
	out := fs.String("out", "demo-output", "output `folder` (replaced on every run)")
	days := fs.Int("days", 21, "days of CloudTrail to generate (the last week is evaluated)")
	start := fs.String("start", "2026-06-01", "first day (YYYY-MM-DD, UTC)")
	seed := fs.Int64("seed", 7, "generator seed")
	scale := fs.Float64("scale", 1, "volume of routine activity")
	tz := fs.String("timezone", "Europe/Berlin", "the team's time zone")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	first, err := time.Parse(time.DateOnly, *start)
	if err != nil || *days < 8 {
		fmt.Fprintln(env.stderr, "keytrail demo: --start must be YYYY-MM-DD and --days at least 8 (a week of baseline and a week to evaluate)")
		return 2
	}
	// Each step runs in this process, its output captured by the demo.
	step := func(ctx context.Context, stdout, stderr io.Writer, args []string) int {
		return run(ctx, &environ{stdout: stdout, stderr: stderr, getenv: env.getenv}, args)
	}
	c := demo.Config{Out: *out, Start: first, Days: *days, Seed: *seed, Scale: *scale, Timezone: *tz,
		Stdout: env.stdout, Getenv: env.getenv, Run: step}
	if err := demo.Run(ctx, c); err != nil {
		fmt.Fprintf(env.stderr, "keytrail demo: %v\n", err)
		return 1
	}
	return 0
}
