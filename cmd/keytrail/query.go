package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/output"
	"github.com/keytrail/keytrail/queries"
	"github.com/keytrail/keytrail/queries/athena"
	queryengine "github.com/keytrail/keytrail/queries/engine"
	"github.com/keytrail/keytrail/review"
)

// runner runs a library query: DuckDB over a local lake, or Athena.
type runner = queryengine.Runner

// engine chooses where queries run: --athena, or DuckDB on the local lake.
type engine struct {
	athena bool
	outS3  string
	lake   string // resolved by open
}

func addEngine(cmd *cobra.Command) *engine {
	e := &engine{}
	f := cmd.Flags()
	lakeFlag(cmd, "local lake `folder` (DuckDB); with --athena, the review reads its quarantine from the s3://bucket/prefix given here")
	f.BoolVar(&e.athena, "athena", false, "run on Amazon Athena instead of locally")
	f.String("workgroup", "", "Athena `workgroup` (default: $KEYTRAIL_ATHENA_WORKGROUP, the config's, or the stack's: keytrail)")
	f.String("database", "", "Glue `database` holding the events and findings tables (default: $KEYTRAIL_ATHENA_DATABASE, the config's, or keytrail)")
	f.String("region", "", "AWS `region` (default: $KEYTRAIL_REGION, the config's, or the AWS configuration's)")
	f.StringVar(&e.outS3, "output-location", "", "Athena result `s3://location` (default: the workgroup's)")
	return e
}

// open returns the runner and a function to release it.
func (e *engine) open(ctx context.Context, a *app, cmd *cobra.Command) (runner, func(), error) {
	var err error
	if e.lake, err = a.lakeURI(cmd); err != nil {
		return nil, nil, err
	}
	v, err := a.values(cmd, map[string]string{"workgroup": "athena.workgroup", "database": "athena.database", "region": "region"})
	if err != nil {
		return nil, nil, err
	}
	return queryengine.Open(ctx, queryengine.Config{Athena: e.athena, Lake: e.lake, Workgroup: v["workgroup"], Database: v["database"],
		Region: v["region"], OutputLocation: e.outS3, Getenv: a.env.getenv})
}

// objects returns the lake's objects, for what no table holds (the
// quarantine): the local folder, or with --athena the --lake s3:// location
// if one was set; nil, nil when there is none to read. After open.
func (e *engine) objects(ctx context.Context, a *app, lakeSet bool) (review.Objects, error) {
	if !e.athena {
		d, err := lake.OpenDir(e.lake)
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
	return a.openLake(ctx, e.lake, "")
}

func newQueryCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "query NAME [--param name=value ...] [flags]", Args: args(cobra.MaximumNArgs(1)),
		Short: "run a query of the investigation library on the local lake or Athena",
		Long:  "Runs a query of the library on the local lake (DuckDB) or on Athena; keytrail query --list lists them.",
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			var names []string
			for _, q := range queries.All() {
				names = append(names, q.Name+"\t"+q.Description)
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		}}
	f := cmd.Flags()
	list := f.Bool("list", false, "list the query library")
	show := f.Bool("sql", false, "print the query with its parameters filled in instead of running it")
	outFormat := a.addOutput(cmd, "table", output.Table, output.JSON, output.CSV)
	deprecated(cmd, "format", "", "output format (deprecated: --output)")
	params := queries.Params{}
	f.Var(params, "param", "query parameter `name=value` (repeatable)")
	eng := addEngine(cmd)
	cmd.RunE = func(cmd *cobra.Command, names []string) error {
		ctx, env := cmd.Context(), a.env
		format, err := outFormat()
		if err != nil {
			return err
		}
		if *list {
			queries.WriteLibrary(env.stdout)
			return nil
		}
		if len(names) == 0 {
			return usage(errors.New("name a query (keytrail query --list)"))
		}
		q, err := queries.Get(names[0])
		if err != nil {
			return usage(err)
		}
		if *show {
			sql, err := q.Render(params)
			if err != nil {
				return usage(err)
			}
			fmt.Fprintln(env.stdout, sql)
			return nil
		}
		if _, err := q.Args(params); err != nil { // check before opening anything
			return usage(err)
		}
		r, done, err := eng.open(ctx, a, cmd)
		if err != nil {
			return err
		}
		defer done()
		if from, to, ok := q.Window(params); ok {
			// Say what the answer rests on, and refuse when it rests on nothing.
			cov, err := review.Covered(ctx, r, from, to)
			if err != nil {
				return fmt.Errorf("from %s to %s: %w: an empty answer would mean nothing; check --lake and ingestion", params["from"], params["to"], err)
			}
			fmt.Fprintf(env.stderr, "coverage: %s\n", cov)
		}
		res, err := r.Run(ctx, q, params)
		if err != nil {
			return err
		}
		return printResult(env, format, res, eng.athena)
	}
	return cmd
}

// printResult prints an engine's result, typed for JSON by the column
// types it reported; on Athena it says on stderr what the scan cost.
func printResult(env *environ, format output.Format, res queries.Result, onAthena bool) error {
	if err := output.Write(env.stdout, format, output.EngineRows(res.Columns, res.Types, res.Rows)); err != nil {
		return err
	}
	if onAthena {
		fmt.Fprintf(env.stderr, "%d rows; scanned %s, about $%.4f\n", len(res.Rows), output.Bytes(res.BytesScanned), athena.Cost(res.BytesScanned))
	}
	return nil
}
