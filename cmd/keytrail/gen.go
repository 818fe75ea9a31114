package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/keytrail/keytrail/internal/gen"
)

// newGenCmd writes a synthetic organization's CloudTrail logs and labels,
// or a benchmark corpus, into a folder laid out like the trail bucket.
func newGenCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "gen [flags]", Args: args(cobra.NoArgs),
		Short: "generate a synthetic organization's CloudTrail logs with labeled incidents",
		Long:  "Writes gzip CloudTrail log files shaped like a real organization trail, with digest\nfiles and labels.jsonl (the ground truth for evaluation), or with --corpus-bytes a\nbenchmark corpus. Output is deterministic for a seed."}
	fs := cmd.Flags()
	out := fs.String("out", "keytrail-gen", "output folder (a local mirror of the trail bucket)")
	var cfg gen.Config
	fs.Int64Var(&cfg.Seed, "seed", 1, "random seed: the same seed writes the same files")
	fs.IntVar(&cfg.Days, "days", 21, "number of UTC days")
	start := fs.String("start", "2026-06-01", "first UTC day, YYYY-MM-DD")
	tz := fs.String("timezone", "Europe/Berlin", "office time zone (IANA name) for business hours")
	fs.Float64Var(&cfg.Scale, "scale", 1, "volume of routine activity")
	fs.IntVar(&cfg.Accounts, "accounts", 3, "organization accounts (an external partner is added)")
	regions := fs.String("regions", "eu-central-1,us-east-1", "comma-separated regions, the first holding secrets and keys")
	noise := fs.Float64("noise", 0.8, "share of records from other services (0 for none)")
	dups := fs.Float64("duplicates", 0.002, "share of records repeated in a later file (0 for none)")
	fs.StringVar(&cfg.OrgID, "org-id", "", "organization id for the org-trail layout (default derived from the seed)")
	fs.BoolVar(&cfg.NoOrgLayout, "no-org-layout", false, "write AWSLogs/<account>/... instead of AWSLogs/<org-id>/<account>/...")
	fs.BoolVar(&cfg.Insights, "insights", true, "write a CloudTrail-Insight file")
	var corpus gen.CorpusConfig
	fs.Int64Var(&corpus.Bytes, "corpus-bytes", 0, "write a benchmark corpus of this many uncompressed bytes instead")
	fs.IntVar(&corpus.Files, "corpus-files", 1, "number of files in the benchmark corpus")
	fs.Float64Var(&corpus.KeepShare, "keep-share", 0.2, "share of Secrets Manager and KMS records in the corpus")
	cmd.RunE = func(*cobra.Command, []string) error {
		w, dir := a.env.stdout, gen.WriteDir(*out)
		if corpus.Bytes > 0 {
			corpus.Seed = cfg.Seed
			if corpus.KeepShare == 0 {
				corpus.KeepShare = -1
			}
			s, err := gen.Corpus(corpus, dir)
			if err != nil {
				return err
			}
			fmt.Fprintln(w, s.Text(*out))
			return nil
		}
		var err error
		if cfg.Start, err = time.Parse(time.DateOnly, *start); err != nil {
			return usagef("--start %q: want YYYY-MM-DD", *start)
		}
		if cfg.Location, err = time.LoadLocation(*tz); err != nil {
			return usagef("--timezone %q: %v", *tz, err)
		}
		cfg.Regions, cfg.NoiseShare, cfg.DuplicateRate = splitList(*regions), orNone(*noise), orNone(*dups)
		s, err := gen.Org(cfg, dir)
		if err != nil {
			return err
		}
		fmt.Fprintln(w, s.Text(cfg.Days, *out))
		return nil
	}
	return cmd
}

// orNone maps a flag's 0 ("none") to the config's negative "none".
func orNone(v float64) float64 {
	if v == 0 {
		return -1
	}
	return v
}
