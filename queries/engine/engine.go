// Package engine opens where the library's queries run for a person at
// a terminal: DuckDB over a local lake folder, or Amazon Athena over the
// deployed lake. Both answer queries.Query the same way, so a command
// (query, sql, review) is written once for either.
//
// A local lake must exist: DuckDB takes a missing folder, or an s3://
// location, for a lake with no files, and every query would answer
// "nothing" as if nothing had happened.
package engine

import (
	"context"

	awsathena "github.com/aws/aws-sdk-go-v2/service/athena"

	"github.com/keytrail/keytrail/internal/awsconf"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/queries"
	"github.com/keytrail/keytrail/queries/athena"
	"github.com/keytrail/keytrail/queries/duck"
)

// Runner runs a library query.
type Runner interface {
	Run(ctx context.Context, q queries.Query, args map[string]string) (queries.Result, error)
}

// Config says where queries run.
type Config struct {
	// Athena runs them on Athena; otherwise on DuckDB over the folder Lake.
	Athena bool
	Lake   string
	// Workgroup, Database, Region and OutputLocation are Athena's ("" for
	// the workgroup's, the SDK's).
	Workgroup, Database, Region, OutputLocation string
	// Getenv is the environment the AWS configuration is read from (nil
	// means the process's).
	Getenv func(string) string
}

// Open returns the runner and a function that releases it.
func Open(ctx context.Context, c Config) (Runner, func(), error) {
	if !c.Athena {
		if _, err := lake.OpenDir(c.Lake); err != nil { // an existing lake this code reads
			return nil, nil, err
		}
		db, err := duck.Open(ctx, c.Lake)
		if err != nil {
			return nil, nil, err
		}
		return db, func() { db.Close() }, nil
	}
	cfg, err := awsconf.Load(ctx, awsconf.WithRegion(c.Getenv, c.Region))
	if err != nil {
		return nil, nil, err
	}
	return &athena.Runner{Client: awsathena.NewFromConfig(cfg), WorkGroup: c.Workgroup, Database: c.Database, OutputLocation: c.OutputLocation}, func() {}, nil
}

// Table is a table of the lake DuckDB adds for Exec: a view Name over the
// Parquet files under Prefix (when the lake has any).
type Table struct{ Name, Prefix string }

// Exec runs a statement of the caller's, neither checked nor rewritten and
// with no parameters bound: on DuckDB over the lake folder with the views
// of tables added, on Athena in the stack's database as it is.
func Exec(ctx context.Context, r Runner, lakeDir, sql string, tables ...Table) (queries.Result, error) {
	db, ok := r.(*duck.DB)
	if !ok {
		return r.Run(ctx, queries.Query{Name: "sql", SQL: sql}, nil)
	}
	for _, t := range tables {
		if _, err := db.AddLakeTable(ctx, t.Name, lakeDir, t.Prefix); err != nil {
			return queries.Result{}, err
		}
	}
	return db.Exec(ctx, sql)
}
