package scan

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/internal/gen"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/queries"
	"github.com/keytrail/keytrail/queries/duck"
)

// dayCorpus is one day of CloudTrail at the bench's 20 % Secrets
// Manager/KMS mix: 150 MB of JSON in 288 five-minute files (issue #19's
// day), from gen.Corpus as keytrail bench generates its corpora.
var dayCorpus = gen.CorpusConfig{Seed: 1, Bytes: 150_000_000, Files: 288}

// orgLake is 90 days of a generated organization (three accounts and a
// partner, three times the default routine volume: about 270,000 Secrets
// Manager/KMS events in 88,000 log files), as keytrail gen writes it.
var orgLake = gen.Config{Seed: 1, Days: 90, Scale: 3}

// buildLake writes log files with write under dir/logs, ingests them into
// dir/lake and compacts every day. It returns the lake and the gzip bytes
// of the log files.
func buildLake(tb testing.TB, dir string, write func(gen.Output) error) (lakeDir string, gz int64) {
	tb.Helper()
	ctx := context.Background()
	logs := filepath.Join(dir, "logs")
	if err := write(gen.WriteDir(logs)); err != nil {
		tb.Fatal(err)
	}
	err := filepath.WalkDir(logs, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json.gz") || ingest.SkipReason(filepath.ToSlash(p)) != "" {
			return err
		}
		fi, err := d.Info()
		gz += fi.Size()
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	lakeDir = filepath.Join(dir, "lake")
	store, err := lake.NewDir(lakeDir)
	if err != nil {
		tb.Fatal(err)
	}
	// The generated events are in 2026; the clock only bounds how far
	// in the future an event may be.
	now := func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }
	sum, err := ingest.New(store, ingest.Config{Now: now}).Run(ctx, []ingest.Source{ingest.LocalSource{Path: logs}}, ingest.RunOptions{Now: now})
	if err != nil || sum.HasFailures() {
		tb.Fatalf("ingest: %v (%d failed, %d partial)", err, sum.Failed, sum.Partial)
	}
	c := &ingest.Compactor{Store: store}
	days, err := filepath.Glob(filepath.Join(lakeDir, lake.EventsPrefix, "day=*"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, d := range days {
		// Twice: a day of more parts than one batch compacts to a few
		// files the first time, which the second merges.
		for range 2 {
			if _, err := c.CompactDay(ctx, strings.TrimPrefix(filepath.Base(d), "day=")); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return lakeDir, gz
}

// investigation picks the parameters of a day's investigations from the
// lake: the busiest principal, a typical one (the principal whose share of
// the day is closest to 5 %), the busiest resource and KMS key.
type investigation struct {
	busiest, typical, user, resource, key string
}

func pick(tb testing.TB, db *duck.DB) investigation {
	ctx := context.Background()
	var inv investigation
	res, err := db.Exec(ctx, `SELECT principal_arn, count(*) * 1.0 / sum(count(*)) OVER () AS share FROM events WHERE principal_arn LIKE 'arn:%' GROUP BY 1 ORDER BY 2 DESC, 1`)
	if err != nil || len(res.Rows) == 0 {
		tb.Fatalf("principals: %v", err)
	}
	inv.busiest = res.Rows[0][0]
	for _, r := range res.Rows {
		if strings.Contains(r[0], ":user/") {
			inv.user = r[0] // the busiest IAM user: its sessions are a second scan
			break
		}
	}
	best := 1.0
	for _, r := range res.Rows {
		var share float64
		fmt.Sscan(r[1], &share)
		if d := max(share-0.05, 0.05-share); d < best {
			best, inv.typical = d, r[0]
		}
	}
	for _, c := range []struct {
		where string
		to    *string
	}{{"resource_arn <> ''", &inv.resource}, {"resource_arn LIKE 'arn:aws:kms:%:key/%'", &inv.key}} {
		res, err := db.Exec(ctx, `SELECT resource_arn FROM events WHERE `+c.where+` GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`)
		if err != nil || len(res.Rows) == 0 {
			tb.Fatalf("resources: %v", err)
		}
		*c.to = res.Rows[0][0]
	}
	return inv
}

// args fills a library query's parameters for an investigation of one day
// (from, to) with principal.
func (inv investigation) args(q queries.Query, principal string, from, to time.Time) (map[string]string, bool) {
	a := map[string]string{}
	for _, p := range q.Params {
		switch p.Name {
		case "principal":
			a[p.Name] = principal
		case "resource":
			a[p.Name] = inv.resource
		case "key":
			a[p.Name] = inv.key
		case "from", "baseline_from", "history_from", "idle_from":
			a[p.Name] = from.Format(time.RFC3339)
		case "to":
			a[p.Name] = to.Format(time.RFC3339)
		case "tz":
			a[p.Name] = "Europe/Berlin"
		default:
			if !p.Optional {
				return nil, false
			}
		}
	}
	return a, true
}

// BenchmarkQueryBytes prints, for every library query over the events of
// one compacted day of dayCorpus, the bytes an engine that prunes like
// Athena reads (Explain, Measure) against the raw gzip of that day, which
// Athena's standard CloudTrail table reads whole.
func BenchmarkQueryBytes(b *testing.B) {
	ctx := context.Background()
	lakeDir, gz := buildLake(b, b.TempDir(), func(o gen.Output) error {
		_, err := gen.Corpus(dayCorpus, o)
		return err
	})
	db, err := duck.Open(ctx, lakeDir)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	inv := pick(b, db)
	from := dayCorpus.Start
	if from.IsZero() {
		from = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	}
	to := from.AddDate(0, 0, 1)
	type line struct {
		name  string
		q     queries.Query
		who   string
		label string
	}
	var lines []line
	for _, q := range queries.All() {
		if !strings.Contains(q.SQL, "FROM events") {
			continue // review_findings reads findings, which this lake has none of
		}
		lines = append(lines, line{q.Name, q, inv.busiest, "busiest"})
		if slices.ContainsFunc(q.Params, func(p queries.Param) bool { return p.Name == "principal" }) {
			lines = append(lines, line{q.Name, q, inv.typical, "typical"})
			if inv.user != "" {
				lines = append(lines, line{q.Name, q, inv.user, "user"})
			}
		}
	}
	var out strings.Builder
	for range b.N {
		out.Reset()
		fmt.Fprintf(&out, "\none compacted day: %.1f MB of CloudTrail gzip; typical principal %s, busiest %s, user %s, resource %s\n", float64(gz)/1e6, inv.typical, inv.busiest, inv.user, inv.resource)
		fmt.Fprintf(&out, "%-24s %-9s %11s %10s %10s %10s %10s %10s %8s\n", "query", "principal", "bytes read", "footers", "data", "index", "bloom", "row groups", "gzip ÷")
		for _, l := range lines {
			a, ok := inv.args(l.q, l.who, from, to)
			if !ok {
				b.Fatalf("%s: a parameter this benchmark does not know", l.name)
			}
			plans, err := Explain(ctx, db, l.q, a)
			if err != nil {
				b.Fatal(err)
			}
			d0, d1, err := Days(l.q, a)
			if err != nil {
				b.Fatal(err)
			}
			r, err := MeasureAll(filepath.Join(lakeDir, lake.EventsPrefix), plans, d0, d1)
			if err != nil {
				b.Fatal(err)
			}
			who := "-"
			if slices.ContainsFunc(l.q.Params, func(p queries.Param) bool { return p.Name == "principal" }) {
				who = l.label
			}
			ratio := float64(gz) / float64(r.Bytes())
			fmt.Fprintf(&out, "%-24s %-9s %11d %10d %10d %10d %10d %4d of %-3d %7.0f×\n", l.name, who, r.Bytes(), r.Footer, r.Data, r.Index, r.Bloom, r.RowGroupsRead, r.RowGroups, ratio)
			if l.name == "principal_activity" && l.label == "typical" {
				b.ReportMetric(ratio, "principal_activity-gzip/read")
			}
		}
	}
	// Printed, not logged: the testing package cuts a benchmark's log short.
	fmt.Fprint(os.Stdout, out.String())
}

// BenchmarkQueryTime prints the DuckDB wall time of every library query
// over the whole of a 90-day lake of orgLake, compacted.
func BenchmarkQueryTime(b *testing.B) {
	ctx := context.Background()
	lakeDir, _ := buildLake(b, b.TempDir(), func(o gen.Output) error {
		_, err := gen.Org(orgLake, o)
		return err
	})
	db, err := duck.Open(ctx, lakeDir)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	inv := pick(b, db)
	from := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 0, orgLake.Days)
	var out strings.Builder
	for range b.N {
		out.Reset()
		fmt.Fprintf(&out, "\n%d days, DuckDB over a local folder, whole window:\n", orgLake.Days)
		for _, q := range queries.All() {
			a, ok := inv.args(q, inv.typical, from, to)
			if !ok {
				b.Fatalf("%s: a parameter this benchmark does not know", q.Name)
			}
			start := time.Now()
			res, err := db.Run(ctx, q, a)
			if err != nil {
				b.Fatal(err)
			}
			fmt.Fprintf(&out, "%-24s %8.0f ms %7d rows\n", q.Name, float64(time.Since(start).Microseconds())/1e3, len(res.Rows))
		}
	}
	// Printed, not logged: the testing package cuts a benchmark's log short.
	fmt.Fprint(os.Stdout, out.String())
}
