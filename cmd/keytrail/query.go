package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/config"
	awsathena "github.com/aws/aws-sdk-go-v2/service/athena"

	"github.com/keytrail/keytrail/internal/athena"
	"github.com/keytrail/keytrail/internal/duck"
	"github.com/keytrail/keytrail/queries"
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
	fs.StringVar(&e.lake, "lake", "lake", "local lake `folder` (DuckDB)")
	fs.BoolVar(&e.athena, "athena", false, "run on Amazon Athena instead of locally")
	fs.StringVar(&e.workgroup, "workgroup", "primary", "Athena `workgroup`")
	fs.StringVar(&e.database, "database", "", "Glue `database` holding the events and findings tables (with --athena)")
	fs.StringVar(&e.region, "region", "", "AWS `region` (default: from the AWS configuration)")
	fs.StringVar(&e.outS3, "output-location", "", "Athena result `s3://location` (default: the workgroup's)")
}

// open returns the runner and a function to release it.
func (e *engineFlags) open(ctx context.Context) (runner, func(), error) {
	if !e.athena {
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
		cw := csv.NewWriter(w)
		cw.Write(res.Columns)
		cw.WriteAll(res.Rows)
		return cw.Error()
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
		if unicode.IsPrint(r) {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "\\u%04x", r)
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
