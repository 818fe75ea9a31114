package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/keytrail/keytrail/internal/gen"
)

// runGen writes a synthetic organization's CloudTrail logs and labels, or a
// benchmark corpus, into a folder laid out like the trail bucket.
func runGen(_ context.Context, env *environ, args []string) int {
	fs := newFlagSet(env, "gen", "Usage: keytrail gen [flags]\n\nWrites gzip CloudTrail log files shaped like a real organization trail, with digest\nfiles and labels.jsonl (the ground truth for evaluation), or with --corpus-bytes a\nbenchmark corpus. Output is deterministic for a seed.\n\nFlags:\n")
	out := fs.String("out", "keytrail-gen", "output folder (a local mirror of the trail bucket)")
	seed := fs.Int64("seed", 1, "random seed: the same seed writes the same files")
	days := fs.Int("days", 21, "number of UTC days")
	start := fs.String("start", "2026-06-01", "first UTC day, YYYY-MM-DD")
	tz := fs.String("timezone", "Europe/Berlin", "office time zone (IANA name) for business hours")
	scale := fs.Float64("scale", 1, "volume of routine activity")
	accounts := fs.Int("accounts", 3, "organization accounts (an external partner is added)")
	regions := fs.String("regions", "eu-central-1,us-east-1", "comma-separated regions, the first holding secrets and keys")
	noise := fs.Float64("noise", 0.8, "share of records from other services (0 for none)")
	dups := fs.Float64("duplicates", 0.002, "share of records repeated in a later file (0 for none)")
	orgID := fs.String("org-id", "", "organization id for the org-trail layout (default derived from the seed)")
	noOrg := fs.Bool("no-org-layout", false, "write AWSLogs/<account>/... instead of AWSLogs/<org-id>/<account>/...")
	insights := fs.Bool("insights", true, "write a CloudTrail-Insight file")
	corpusBytes := fs.Int64("corpus-bytes", 0, "write a benchmark corpus of this many uncompressed bytes instead")
	corpusFiles := fs.Int("corpus-files", 1, "number of files in the benchmark corpus")
	keepShare := fs.Float64("keep-share", 0.2, "share of Secrets Manager and KMS records in the corpus")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "keytrail gen: unexpected arguments %q\n", fs.Args())
		return 2
	}
	dir := gen.WriteDir(*out)
	if *corpusBytes > 0 {
		share := *keepShare
		if share == 0 {
			share = -1
		}
		s, err := gen.Corpus(gen.CorpusConfig{Seed: *seed, Bytes: *corpusBytes, Files: *corpusFiles, KeepShare: share}, dir)
		if err != nil {
			fmt.Fprintf(env.stderr, "keytrail gen: %v\n", err)
			return 1
		}
		fmt.Fprintf(env.stdout, "Wrote a benchmark corpus to %s: %d files, %d records (%d Secrets Manager/KMS), %d bytes uncompressed.\n",
			*out, s.Files, s.Records, s.Kept, s.Bytes)
		return 0
	}
	day, err := time.Parse(time.DateOnly, *start)
	if err != nil {
		fmt.Fprintf(env.stderr, "keytrail gen: --start %q: want YYYY-MM-DD\n", *start)
		return 2
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		fmt.Fprintf(env.stderr, "keytrail gen: --timezone %q: %v\n", *tz, err)
		return 2
	}
	cfg := gen.Config{Seed: *seed, Start: day, Days: *days, Location: loc, Scale: *scale, Accounts: *accounts,
		Regions: genRegions(*regions), NoiseShare: orNone(*noise), DuplicateRate: orNone(*dups), OrgID: *orgID,
		NoOrgLayout: *noOrg, Insights: *insights}
	s, err := gen.Org(cfg, dir)
	if err != nil {
		fmt.Fprintf(env.stderr, "keytrail gen: %v\n", err)
		return 1
	}
	byKind := s.ByKind()
	kinds := make([]string, 0, len(byKind))
	for k, n := range byKind {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(kinds)
	fmt.Fprintf(env.stdout, "Wrote %d days of CloudTrail for accounts %s (partner %s) to %s: %d log files, %d records "+
		"(%d Secrets Manager/KMS, %d repeated), %d digest and %d insight files. Labels in %s: %s.\n",
		*days, strings.Join(s.Accounts, ", "), s.Partner, *out, s.Files, s.Records, s.Kept, s.Duplicates, s.Digests, s.Insights,
		gen.LabelsKey, strings.Join(kinds, ", "))
	return 0
}

func genRegions(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// orNone maps a flag's 0 ("none") to the config's negative "none".
func orNone(v float64) float64 {
	if v == 0 {
		return -1
	}
	return v
}
