// Package demo runs keytrail's whole pipeline on a generated organization,
// with no AWS account: generate CloudTrail, ingest, compact, detect, show
// the Slack messages, investigate, review. Each step is an ordinary
// keytrail command, run through the Runner the CLI passes in (so the demo
// is exactly what a user would type) and printed so the reader can run it
// too; this package only sequences them and says what each found.
package demo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/keytrail/keytrail/alert"
	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/gen"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/visible"
)

// demoMarker marks a folder as the demo's own, so it may replace it.
const demoMarker = ".keytrail-demo"

// Runner runs one keytrail command line (args without "keytrail") with
// its output to stdout and stderr, and returns its exit status.
type Runner func(ctx context.Context, stdout, stderr io.Writer, args []string) int

// Config is one demo run.
type Config struct {
	Out      string    // output folder, replaced on every run (only if the demo wrote it)
	Start    time.Time // first day (UTC)
	Days     int       // days generated; the last week is evaluated
	Seed     int64
	Scale    float64 // volume of routine activity
	Timezone string  // the team's IANA zone
	Stdout   io.Writer
	Getenv   func(string) string // Slack credentials: posted for real when set
	Run      Runner
	// Program is how the printed command lines name keytrail, so that they
	// run as printed (see Program); "" means "keytrail".
	Program string
	Now     func() time.Time // for "Done in"; nil means time.Now
}

// Program spells the keytrail binary exe for command lines printed to a
// shell in the folder cwd: ./bin/keytrail when it is below cwd, else its
// full path; "keytrail" when exe is unknown or a `go run` build (gone
// once the demo ends).
func Program(exe, cwd string) string {
	if exe == "" || strings.Contains(exe, string(filepath.Separator)+"go-build") {
		return "keytrail"
	}
	if rel, err := filepath.Rel(cwd, exe); err == nil && !strings.HasPrefix(rel, "..") && !filepath.IsAbs(rel) {
		return "./" + filepath.ToSlash(rel)
	}
	return shellLine([]string{exe})
}

type demo struct {
	Config
	started time.Time
	step    int
}

func (d *demo) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Run runs the demo: every step is a keytrail command run through c.Run,
// printed to c.Stdout with what it found.
func Run(ctx context.Context, c Config) error {
	d := &demo{Config: c}
	d.started = d.now()
	return d.run(ctx, c.Out, c.Start, c.Days, c.Seed, c.Scale)
}

// prepare empties the output folder, refusing one it did not create.
func prepare(dir string) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			return fmt.Errorf("%s exists and is not a demo output folder; choose another --out", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, demoMarker), []byte("written by keytrail demo; replaced on every run\n"), 0o644)
}

func (d *demo) program() string {
	if d.Program == "" {
		return "keytrail"
	}
	return d.Program
}

// cmd runs one keytrail command in-process, capturing its output; the
// command line is printed so the reader can run it too, exactly as printed.
func (d *demo) cmd(ctx context.Context, title string, args ...string) ([]byte, error) {
	return d.cmdTo(ctx, title, "", args...)
}

// cmdTo is cmd with the output also written to the file into, the printed
// command line redirecting it there.
func (d *demo) cmdTo(ctx context.Context, title, into string, args ...string) ([]byte, error) {
	d.step++
	line := d.program() + " " + shellLine(args)
	if into != "" {
		line += " > " + shellLine([]string{into})
	}
	fmt.Fprintf(d.Stdout, "\n== %d. %s\n$ %s\n", d.step, title, line)
	var out, errb bytes.Buffer
	defer func() {
		if into != "" {
			os.WriteFile(into, out.Bytes(), 0o644)
		}
	}()
	if code := d.Run(ctx, &out, &errb, args); code != 0 {
		// A failing step is shown whole: it is what the user must fix.
		return out.Bytes(), fmt.Errorf("keytrail %s: exit %d\n%s%s", args[0], code, out.String(), errb.String())
	}
	return out.Bytes(), nil
}

func shellLine(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " '\"$*?;&|<>()`\\#~!{}[]\t\n") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

func (d *demo) run(ctx context.Context, out string, first time.Time, days int, seed int64, scale float64) error {
	out, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if err := prepare(out); err != nil {
		return err
	}
	w := d.Stdout
	trail := filepath.Join(out, "cloudtrail")
	lakeDir := filepath.Join(out, "lake")
	end := first.AddDate(0, 0, days)
	evalFrom := end.AddDate(0, 0, -7)
	day := func(t time.Time) string { return t.Format(time.DateOnly) }

	fmt.Fprintf(w, "keytrail demo: %d days of CloudTrail for a fictional organization, from %s, evaluated over the last week.\n", days, day(first))

	o, err := d.cmd(ctx, "Generate CloudTrail logs (a local mirror of a trail's bucket)",
		"gen", "--out", trail, "--days", fmt.Sprint(days), "--start", day(first), "--seed", fmt.Sprint(seed),
		"--scale", fmt.Sprint(scale), "--timezone", d.Timezone)
	if err != nil {
		return err
	}
	fmt.Fprint(w, wrap(string(o), 100))

	o, err = d.cmd(ctx, "Ingest: keep the Secrets Manager and KMS events, write Parquet by day", "ingest", "--lake", lakeDir, trail)
	if err != nil {
		return err
	}
	fmt.Fprint(w, string(o))

	if o, err = d.cmd(ctx, "Compact: merge each day's small files, drop repeated events", "compact", "--lake", lakeDir); err != nil {
		return err
	}
	fmt.Fprint(w, string(o))

	// keytrail's own roles in the generated organization, named exactly as
	// a deployed stack names them for the detect function.
	self, err := gen.SelfPrincipals(gen.Config{Seed: seed, Start: first, Days: days})
	if err != nil {
		return err
	}
	confFile := filepath.Join(out, "detect.yaml")
	conf := "# keytrail's own roles, exactly (the stack passes them to the detect function)\nself_principals:\n"
	for _, a := range self {
		conf += fmt.Sprintf("  - %q\n", a)
	}
	if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
		return err
	}

	// The organization's calendar, as its team would configure it.
	holidays, err := gen.Holidays(gen.Config{Seed: seed, Start: first, Days: days})
	if err != nil {
		return err
	}
	findingsFile := filepath.Join(out, "findings.jsonl")
	o, err = d.cmdTo(ctx, "Detect: the rules over the last week, with the weeks before as baseline", findingsFile,
		"detect", "--lake", lakeDir, "--config", confFile, "--from", day(evalFrom), "--to", day(end), "--timezone", d.Timezone,
		"--business-hours", "Mon-Fri 09:00-18:00", "--holidays", strings.Join(holidays, ","), "--output", "json", "--write-findings")
	if err != nil {
		return err
	}
	fs, err := alert.ReadJSONLines(bytes.NewReader(o))
	if err != nil {
		return err
	}
	loc, _ := time.LoadLocation(d.Timezone)
	fmt.Fprintf(w, "The findings in %s, in short:\n", findingsFile)
	printFindings(w, fs, loc)

	slackFile := filepath.Join(out, "slack-messages.json")
	if err := d.slack(ctx, fs, findingsFile, lakeDir, slackFile, loc); err != nil {
		return err
	}

	if len(fs) > 0 {
		top := fs[0]
		from, to := top.Start.Add(-time.Hour), top.End.Add(time.Hour)
		args := []string{"query", "finding_evidence", "--lake", lakeDir, "--param", "principal=" + top.Principal,
			"--param", "resource=" + top.Resource, "--param", "from=" + from.Format(time.RFC3339), "--param", "to=" + to.Format(time.RFC3339)}
		if o, err = d.cmd(ctx, "Investigate: the raw events behind the most severe finding", args...); err != nil {
			return err
		}
		fmt.Fprint(w, head(string(o), 12, 160))
		if top.Resource != "" {
			o, err = d.cmd(ctx, "Investigate: who else used that secret or key in the period", "query", "resource_access", "--lake", lakeDir,
				"--param", "resource="+top.Resource, "--param", "from="+day(first), "--param", "to="+day(end))
			if err != nil {
				return err
			}
			fmt.Fprint(w, head(string(o), 12, 160))
		}
	}

	if err := d.inventory(ctx, lakeDir, gen.Config{Seed: seed, Start: first, Days: days, Scale: scale, Location: loc}); err != nil {
		return err
	}

	reviewDir := filepath.Join(out, "review")
	if _, err = d.cmd(ctx, "Access review: who used which secret and key in the period", "review", "--lake", lakeDir,
		"--from", day(first), "--to", day(end.AddDate(0, 0, -1)), "--out", reviewDir); err != nil {
		return err
	}
	html := filepath.Join(reviewDir, "review.html")
	if _, err := os.Stat(html); err != nil {
		return fmt.Errorf("review page missing: %w", err)
	}

	fmt.Fprintf(w, "\n== Done in %s. Written to %s:\n", d.now().Sub(d.started).Round(100*time.Millisecond), out)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, row := range [][2]string{
		{"cloudtrail/", "the generated CloudTrail files (and labels.jsonl, the incidents planted)"},
		{"lake/events/", "the normalized events, Parquet by day (query them with DuckDB or Athena)"},
		{"lake/findings/", "the findings, Parquet by day"},
		{"lake/inventory/", "the organization's secrets, keys, principals and who may use them, on the last day"},
		{"findings.jsonl", "the findings as JSON lines"},
		{"slack-messages.json", "the Slack messages as Block Kit JSON"},
		{"review/review.html", "the quarterly access review page (also .md and .csv)"},
	} {
		fmt.Fprintf(tw, "  %s\t%s\n", row[0], row[1])
	}
	tw.Flush()
	fmt.Fprintf(w, "Open the review: %s\nTry:\n$ %s query --list\n$ %s %s\n", html, d.program(), d.program(),
		shellLine([]string{"query", "top_talkers", "--lake", lakeDir, "--param", "from=" + day(first), "--param", "to=" + day(end)}))
	return nil
}

// inventory writes the generated organization's inventory of its last
// day into the lake, as the daily inventory function would have: the
// secrets, keys and principals the events name, the policies that let
// them, and who may, evaluated by the inventory's own code. No AWS call
// makes it, so it is written here rather than by a keytrail command.
func (d *demo) inventory(ctx context.Context, lakeDir string, cfg gen.Config) error {
	snap, err := gen.Inventory(cfg)
	if err != nil {
		return fmt.Errorf("inventory: %w", err)
	}
	store, err := lake.NewDir(lakeDir)
	if err != nil {
		return err
	}
	if _, err := snap.Write(ctx, store); err != nil {
		return fmt.Errorf("inventory: %w", err)
	}
	fmt.Fprintf(d.Stdout, "\nInventory of %s (what the daily inventory would have read): %d secrets, %d keys, %d principals, %d who-may rows, in %s\n",
		snap.Day, len(snap.Secrets), len(snap.Keys), len(snap.Principals), len(snap.Permissions), filepath.Join(lakeDir, "inventory"))
	return nil
}

// slack shows the messages the alerter would post, or posts them when a
// Slack credential is configured.
func (d *demo) slack(ctx context.Context, fs []finding.Finding, findingsFile, lakeDir, slackFile string, loc *time.Location) error {
	w := d.Stdout
	if d.Getenv("KEYTRAIL_SLACK_WEBHOOK_URL") != "" || d.Getenv("SLACK_BOT_TOKEN") != "" {
		o, err := d.cmd(ctx, "Alert: post the findings to Slack", "alert", "--findings", findingsFile, "--lake", lakeDir,
			"--timezone", d.Timezone, "--channel", d.Getenv("KEYTRAIL_SLACK_CHANNEL"))
		if err != nil {
			return err
		}
		fmt.Fprint(w, string(o))
		return nil
	}
	d.step++
	fmt.Fprintf(w, "\n== %d. Alert: the Slack messages (no Slack credential set, so printed, not posted)\n$ %s %s\n",
		d.step, d.program(), shellLine([]string{"alert", "--findings", findingsFile, "--dry-run", "--timezone", d.Timezone}))
	r := alert.Renderer{Location: loc, Database: "keytrail"}
	var msgs []alert.Message
	if len(fs) > alert.DefaultSummaryThreshold {
		msgs = append(msgs, r.Summary(fs, 0, true))
	}
	for _, f := range fs {
		msgs = append(msgs, r.Finding(f, alert.Extras{}))
	}
	b, err := json.MarshalIndent(msgs, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(slackFile, b, 0o644); err != nil {
		return err
	}
	show := min(len(msgs), 2)
	for _, m := range msgs[:show] {
		fmt.Fprintf(w, "---\n%s\n", head(m.Preview(), 30, 160))
	}
	fmt.Fprintf(w, "--- (%d messages in all; Block Kit JSON in %s)\n", len(msgs), slackFile)
	return nil
}

func printFindings(w io.Writer, fs []finding.Finding, loc *time.Location) {
	if len(fs) == 0 {
		fmt.Fprintln(w, "No findings.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "SEVERITY\tKIND\tWHEN (%s)\tCOUNT\tWHO\tWHAT\n", loc)
	for _, f := range fs {
		what := shortARN(f.Resource)
		if f.Resource == "" && len(f.Resources) > 0 {
			what = fmt.Sprintf("%d secrets and keys", len(f.Resources))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", f.Severity, f.Kind, f.Start.In(loc).Format("Mon 01-02 15:04"),
			f.Count, clip(visible.String(shortARN(f.Principal)), 48), clip(visible.String(what), 48))
	}
	tw.Flush()
	fmt.Fprintf(w, "%d findings, most severe first (all fields in findings.jsonl).\n", len(fs))
}

// shortARN keeps the readable end of an ARN: role/app/x, secret:prod/db, key/….
func shortARN(s string) string {
	if a, ok := ingest.ParseARN(s); ok {
		r := a.Resource
		if strings.HasPrefix(r, "role/aws-reserved/") {
			r = "role/" + r[strings.LastIndex(r, "/")+1:]
		}
		return a.Account + ":" + r
	}
	return s
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// head keeps the first n lines of s, each at most width bytes.
func head(s string, n, width int) string {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	lines := 0
	total := strings.Count(s, "\n")
	for sc.Scan() {
		if lines == n {
			fmt.Fprintf(&b, "… (%d more lines)\n", total-n)
			break
		}
		b.WriteString(clip(sc.Text(), width))
		b.WriteByte('\n')
		lines++
	}
	return b.String()
}

// wrap folds a paragraph at width columns.
func wrap(s string, width int) string {
	var b strings.Builder
	for _, para := range strings.Split(strings.TrimSpace(s), "\n") {
		col := 0
		for _, word := range strings.Fields(para) {
			if col > 0 && col+1+len(word) > width {
				b.WriteByte('\n')
				col = 0
			} else if col > 0 {
				b.WriteByte(' ')
				col++
			}
			b.WriteString(word)
			col += len(word)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
