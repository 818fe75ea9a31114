package main

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/keytrail/keytrail/alert"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/queries"
)

// newAlertCmd posts findings to Slack, or with --dry-run prints the
// messages. Locally the Slack credential comes from the environment
// (KEYTRAIL_SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN with --channel); the
// Lambda reads it from Secrets Manager instead.
func newAlertCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "alert [--findings FILE | --lake DIR] [--dry-run] [flags]", Args: args(cobra.NoArgs),
		Short: "post findings to Slack (or --dry-run to print the messages)",
		Long: "Posts findings to Slack, one message per finding (a summary first when there are many).\n" +
			"Posting needs KEYTRAIL_SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN and --channel, and the lake for delivery state."}
	fl := cmd.Flags()
	findingsFile := fl.String("findings", "", "JSON-lines findings `file` (- for stdin); default: the lake's recent findings")
	lakeFlag(cmd, "lake `folder`: findings to read and delivery state to keep (required to post)")
	dryRun := fl.Bool("dry-run", false, "print the Block Kit JSON and a text preview; post nothing, need no token")
	fl.String("timezone", "", "the team's IANA time `zone`, shown next to UTC (default: $KEYTRAIL_TIMEZONE, the config's, or UTC)")
	channel := fl.String("channel", "", "Slack channel `ID` (with SLACK_BOT_TOKEN)")
	minSev := fl.String("min-severity", "", "post only findings of this `severity` or above (low, medium, high, critical)")
	fl.String("region", "", "AWS `region` for the console links (default: $KEYTRAIL_REGION, the config's, or $AWS_REGION)")
	fl.String("workgroup", "", "Athena `workgroup` named in the follow-up link (default: the stack's, keytrail)")
	fl.String("database", "", "Athena `database` named in the follow-up link (default: keytrail)")
	lookback := fl.Duration("lookback", alert.DefaultLookback, "read lake findings this far back")
	threshold := fl.Int("threshold", alert.DefaultSummaryThreshold, "more findings than this get one summary message")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx, env := cmd.Context(), a.env
		v, err := a.values(cmd, map[string]string{"timezone": "timezone", "region": "region", "workgroup": "athena.workgroup", "database": "athena.database"})
		if err != nil {
			return err
		}
		loc, err := time.LoadLocation(v["timezone"])
		if err != nil {
			return fmt.Errorf("--timezone: %w", err)
		}
		if *minSev != "" && finding.SeverityRank(*minSev) == 0 {
			return usagef("--min-severity %q: want low, medium, high or critical", *minSev)
		}
		region := cmp.Or(v["region"], env.getenv("AWS_REGION"))
		conf, err := a.settings()
		if err != nil {
			return err
		}
		var store *lake.Dir
		if fl.Changed("lake") || *findingsFile == "" || conf.Source("lake") != "default" {
			dir, err := a.lakeURI(cmd)
			if err != nil {
				return err
			}
			if store, err = lake.OpenDir(dir); err != nil {
				if *findingsFile == "" && !fl.Changed("lake") {
					return fmt.Errorf("give --findings FILE or --lake DIR: %w", err)
				}
				return err
			}
		}
		var fs []finding.Finding
		if *findingsFile != "" {
			fs, err = alert.ReadFile(*findingsFile, cmd.InOrStdin())
		} else {
			fs, err = alert.LoadLake(ctx, store, time.Now(), *lookback)
		}
		if err != nil {
			return err
		}
		al := &alert.Alerter{Store: store, Query: queries.Evidence, MinSeverity: *minSev, SummaryThreshold: *threshold,
			Render:   alert.Renderer{Location: loc, Region: region, Workgroup: v["workgroup"], Database: v["database"]},
			FollowUp: &alert.FollowUp{Region: region, Workgroup: v["workgroup"], Database: v["database"]},
			Logger:   slog.New(slog.NewTextHandler(env.stderr, nil))}
		if *dryRun {
			return al.DryRun(ctx, env.stdout, fs)
		}
		if store == nil {
			return errors.New("posting needs --lake DIR to keep delivery state (or use --dry-run)")
		}
		cred, mode, err := alert.EnvCredential(env.getenv, *channel)
		if err != nil {
			return err
		}
		al.Channel = *channel
		if err := al.Connect(cred, mode, env.getenv("SLACK_API_URL"), nil); err != nil {
			return err
		}
		rep, err := al.Run(ctx, fs)
		fmt.Fprintln(env.stdout, rep)
		return err
	}
	return cmd
}
