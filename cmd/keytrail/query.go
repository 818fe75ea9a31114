package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/config"
	awsathena "github.com/aws/aws-sdk-go-v2/service/athena"

	"github.com/keytrail/keytrail/internal/csvsafe"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/visible"
	"github.com/keytrail/keytrail/queries"
	"github.com/keytrail/keytrail/queries/athena"
	"github.com/keytrail/keytrail/queries/duck"
	"github.com/keytrail/keytrail/review"
)

// runner runs a library query: DuckDB over a local lake, or Athena.
type runner interface {
	Run(ctx context.Context, q queries.Query, args map[string]string) (queries.Result, error)
}

// engineFlags choose where queries run.
type engineFlags struct {
	lake                               string
	athena                             bool
	workgroup, database, region, outS3 string
}

func (e *engineFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&e.lake, "lake", "lake", "local lake `folder` (DuckDB); with --athena, the review reads its quarantine from the s3://bucket/prefix given here")
	fs.BoolVar(&e.athena, "athena", false, "run on Amazon Athena instead of locally")
	fs.StringVar(&e.workgroup, "workgroup", "primary", "Athena `workgroup`")
	fs.StringVar(&e.database, "database", "", "Glue `database` holding the events and findings tables (with --athena)")
	fs.StringVar(&e.region, "region", "", "AWS `region` (default: from the AWS configuration)")
	fs.StringVar(&e.outS3, "output-location", "", "Athena result `s3://location` (default: the workgroup's)")
}

// open returns the runner and a function to release it.
func (e *engineFlags) open(ctx context.Context) (runner, func(), error) {
	if !e.athena {
		if err := localLake(e.lake); err != nil {
			return nil, nil, err
		}
		db, err := duck.Open(ctx, e.lake)
		if err != nil {
			return nil, nil, err
		}
		return db, func() { db.Close() }, nil
	}
	if e.database == "" {
		return nil, nil, errors.New("--athena needs --database")
	}
	var opts []func(*config.LoadOptions) error
	if e.region != "" {
		opts = append(opts, config.WithRegion(e.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return &athena.Runner{Client: awsathena.NewFromConfig(cfg), WorkGroup: e.workgroup, Database: e.database, OutputLocation: e.outS3}, func() {}, nil
}

// localLake checks that dir is a lake folder DuckDB can read. DuckDB takes
// a folder that does not exist, or an s3:// location, for a lake with no
// files, and every query would answer "nothing" as if nothing happened.
// Nothing is created: a typo must not leave an empty lake behind.
func localLake(dir string) error {
	if strings.Contains(dir, "://") {
		return fmt.Errorf("lake %s: DuckDB reads a local folder; for a lake in S3 use --athena", dir)
	}
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("lake folder %s does not exist (give --lake, or ingest first)", dir)
	}
	if err != nil {
		return fmt.Errorf("lake %s: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("lake %s is not a folder", dir)
	}
	return nil
}

// objects returns the lake's objects, for what no table holds (the
// quarantine): the local folder, or with --athena the --lake s3:// location
// if one was given (lakeSet); nil, nil when there is none to read.
func (e *engineFlags) objects(ctx context.Context, env *environ, lakeSet bool) (review.Objects, error) {
	if !e.athena {
		if err := localLake(e.lake); err != nil {
			return nil, err
		}
		d, err := lake.NewDir(e.lake) // it exists: nothing is created
		if err != nil {
			return nil, err
		}
		return d, nil
	}
	if !lakeSet {
		return nil, nil
	}
	if !strings.HasPrefix(e.lake, "s3://") {
		return nil, fmt.Errorf("with --athena, --lake is the lake's s3://bucket/prefix, not %q", e.lake)
	}
	s, err := openLake(ctx, env, e.lake, "")
	if err != nil {
		return nil, err
	}
	return s, nil
}

// paramFlags collects repeated --param name=value flags.
type paramFlags map[string]string

func (p paramFlags) String() string { return "" }

func (p paramFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	if _, dup := p[k]; dup {
		return fmt.Errorf("parameter %s given twice", k)
	}
	p[k] = v
	return nil
}

func runQuery(ctx context.Context, env *environ, args []string) int {
	fs := newFlagSet(env, "query", "Usage: keytrail query NAME [--param name=value ...] [flags]\n       keytrail query --list\n\nRuns a query of the library on the local lake (DuckDB) or on Athena.\n\nFlags:\n")
	list := fs.Bool("list", false, "list the query library")
	show := fs.Bool("sql", false, "print the query with its parameters filled in instead of running it")
	format := fs.String("format", "table", "output `format`: table, csv or json")
	params := paramFlags{}
	fs.Var(params, "param", "query parameter `name=value` (repeatable)")
	var eng engineFlags
	eng.register(fs)
	// The query name may come first: keytrail query NAME --param k=v.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return 2
		}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "keytrail query: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if *list {
		printList(env.stdout)
		return 0
	}
	if name == "" {
		fs.Usage()
		return 2
	}
	q, err := queries.Get(name)
	if err != nil {
		fmt.Fprintf(env.stderr, "keytrail query: %v\n", err)
		return 2
	}
	if *show {
		sql, err := q.Render(params)
		if err != nil {
			fmt.Fprintf(env.stderr, "keytrail query: %v\n", err)
			return 2
		}
		fmt.Fprintln(env.stdout, sql)
		return 0
	}
	if _, err := q.Args(params); err != nil { // check before opening anything
		fmt.Fprintf(env.stderr, "keytrail query: %v\n", err)
		return 2
	}
	r, done, err := eng.open(ctx)
	if err != nil {
		fmt.Fprintf(env.stderr, "keytrail query: %v\n", err)
		return 1
	}
	defer done()
	if from, to, ok := window(q, params); ok {
		// An empty answer from a window the lake holds nothing for would
		// read as "nobody did anything": say what the answer rests on,
		// and refuse when it rests on nothing.
		cov, err := review.CoverageOf(ctx, r, from, to)
		if err != nil {
			fmt.Fprintf(env.stderr, "keytrail query: %v\n", err)
			return 1
		}
		if len(cov.Days) == 0 {
			fmt.Fprintf(env.stderr, "keytrail query: no events in the lake from %s to %s (%s): an empty answer would mean nothing; check --lake and ingestion\n",
				params["from"], params["to"], cov)
			return 1
		}
		fmt.Fprintf(env.stderr, "coverage: %s\n", cov)
	}
	res, err := r.Run(ctx, q, params)
	if err != nil {
		fmt.Fprintf(env.stderr, "keytrail query: %v\n", err)
		return 1
	}
	if err := printResult(env.stdout, *format, res); err != nil {
		fmt.Fprintf(env.stderr, "keytrail query: %v\n", err)
		return 2
	}
	if eng.athena {
		fmt.Fprintf(env.stderr, "%d rows; scanned %s, about $%.4f\n", len(res.Rows), bytesText(res.BytesScanned), athena.Cost(res.BytesScanned))
	}
	return 0
}

// window returns the query's from and to timestamp parameters, already
// checked by q.Args, when it has both.
func window(q queries.Query, params map[string]string) (from, to time.Time, ok bool) {
	n := 0
	for _, p := range q.Params {
		if (p.Name == "from" || p.Name == "to") && p.Type == queries.Timestamp {
			n++
		}
	}
	if n != 2 {
		return from, to, false
	}
	parse := func(v string) (time.Time, bool) {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t, true
		}
		t, err := time.Parse(time.DateOnly, v)
		return t, err == nil
	}
	from, okf := parse(params["from"])
	to, okt := parse(params["to"])
	return from, to, okf && okt
}

func printList(w io.Writer) {
	for _, q := range queries.All() {
		fmt.Fprintf(w, "%s\n    %s\n", q.Name, q.Description)
		for _, p := range q.Params {
			opt := ""
			if p.Optional {
				opt = fmt.Sprintf(" (default %q)", p.Default)
			}
			fmt.Fprintf(w, "    --param %s=%s%s  %s\n", p.Name, p.Type, opt, p.Description)
		}
		fmt.Fprintln(w)
	}
}

func printResult(w io.Writer, format string, res queries.Result) error {
	switch format {
	case "table":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(res.Columns, "\t"))
		for _, row := range res.Rows {
			cells := make([]string, len(row))
			for i, c := range row {
				cells[i] = printable(c)
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		return tw.Flush()
	case "csv":
		cw := csvsafe.NewWriter(w)
		if err := cw.Write(res.Columns); err != nil {
			return err
		}
		return cw.WriteAll(res.Rows)
	case "json":
		out := make([]map[string]string, 0, len(res.Rows))
		for _, row := range res.Rows {
			m := make(map[string]string, len(row))
			for i, c := range row {
				m[res.Columns[i]] = c
			}
			out = append(out, m)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return fmt.Errorf("unknown format %q (want table, csv or json)", format)
}

// printable keeps CloudTrail text from driving the terminal: control and
// other non-printing characters are shown escaped, tabs break no columns.
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsPrint(r) && !visible.Hidden(r) {
			b.WriteRune(r)
		} else {
			b.WriteString(visible.Escape(r))
		}
	}
	return b.String()
}

func bytesText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
