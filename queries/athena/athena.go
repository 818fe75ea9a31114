// Package athena runs the query library on Amazon Athena, over the lake's
// Glue tables, with the values bound as execution parameters: CloudTrail
// text never becomes SQL text.
//
// The caller builds the client (the CLI, from the usual AWS configuration);
// this package only needs the three calls in API, and takes its sleep as a
// field so tests never wait on the wall clock.
package athena

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/keytrail/keytrail/queries"
)

// API is what Runner needs of the Athena client (*athena.Client).
type API interface {
	StartQueryExecution(ctx context.Context, in *athena.StartQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error)
	GetQueryExecution(ctx context.Context, in *athena.GetQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error)
	GetQueryResults(ctx context.Context, in *athena.GetQueryResultsInput, optFns ...func(*athena.Options)) (*athena.GetQueryResultsOutput, error)
}

// Runner runs library queries on Athena.
type Runner struct {
	Client    API
	WorkGroup string // its settings decide the result location and limits
	Database  string // the Glue database holding events and findings
	// OutputLocation overrides the workgroup's result location if set.
	OutputLocation string
	// Poll is the wait between status checks; zero means one second.
	Poll time.Duration
	// Sleep waits d or until ctx ends; nil means a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// QueryError is a query Athena did not complete.
type QueryError struct {
	ID     string
	State  types.QueryExecutionState
	Reason string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("athena query %s %s: %s", e.ID, e.State, e.Reason)
}

// Run starts q with args as execution parameters, waits for it and returns
// every row. Result.BytesScanned is what Athena bills (see Cost).
func (r *Runner) Run(ctx context.Context, q queries.Query, args map[string]string) (queries.Result, error) {
	params, err := q.Args(args)
	if err != nil {
		return queries.Result{}, err
	}
	in := &athena.StartQueryExecutionInput{
		QueryString:           aws.String(q.SQL),
		WorkGroup:             aws.String(r.WorkGroup),
		QueryExecutionContext: &types.QueryExecutionContext{Database: aws.String(r.Database)},
	}
	if len(params) > 0 {
		in.ExecutionParameters = params
	}
	if r.OutputLocation != "" {
		in.ResultConfiguration = &types.ResultConfiguration{OutputLocation: aws.String(r.OutputLocation)}
	}
	start, err := r.Client.StartQueryExecution(ctx, in)
	if err != nil {
		return queries.Result{}, fmt.Errorf("start query %s: %w", q.Name, err)
	}
	id := aws.ToString(start.QueryExecutionId)
	scanned, err := r.wait(ctx, id)
	if err != nil {
		return queries.Result{}, fmt.Errorf("query %s: %w", q.Name, err)
	}
	res, err := r.results(ctx, id)
	if err != nil {
		return res, fmt.Errorf("query %s: %w", q.Name, err)
	}
	res.BytesScanned = scanned
	return res, nil
}

func (r *Runner) wait(ctx context.Context, id string) (int64, error) {
	poll := r.Poll
	if poll <= 0 {
		poll = time.Second
	}
	sleep := r.Sleep
	if sleep == nil {
		sleep = timerSleep
	}
	for {
		out, err := r.Client.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
		if err != nil {
			return 0, fmt.Errorf("get query execution %s: %w", id, err)
		}
		qe := out.QueryExecution
		if qe == nil || qe.Status == nil {
			return 0, fmt.Errorf("query execution %s: no status", id)
		}
		switch st := qe.Status.State; st {
		case types.QueryExecutionStateSucceeded:
			var scanned int64
			if qe.Statistics != nil {
				scanned = aws.ToInt64(qe.Statistics.DataScannedInBytes)
			}
			return scanned, nil
		case types.QueryExecutionStateFailed, types.QueryExecutionStateCancelled:
			reason := aws.ToString(qe.Status.StateChangeReason)
			if qe.Status.AthenaError != nil && aws.ToString(qe.Status.AthenaError.ErrorMessage) != "" && reason == "" {
				reason = aws.ToString(qe.Status.AthenaError.ErrorMessage)
			}
			if reason == "" {
				reason = "no reason given"
			}
			return 0, &QueryError{ID: id, State: st, Reason: reason}
		}
		if err := sleep(ctx, poll); err != nil {
			return 0, fmt.Errorf("wait for query %s: %w", id, err)
		}
	}
}

func timerSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// results pages through the query's rows. Athena repeats the column names
// as the first row of the first page of a SELECT; it is dropped.
func (r *Runner) results(ctx context.Context, id string) (queries.Result, error) {
	var res queries.Result
	var token *string
	for page := 0; ; page++ {
		out, err := r.Client.GetQueryResults(ctx, &athena.GetQueryResultsInput{QueryExecutionId: aws.String(id), NextToken: token})
		if err != nil {
			return res, fmt.Errorf("get query results %s page %d: %w", id, page+1, err)
		}
		if out.ResultSet == nil {
			return res, errors.New("get query results: no result set")
		}
		rows := out.ResultSet.Rows
		if page == 0 {
			if md := out.ResultSet.ResultSetMetadata; md != nil {
				for _, c := range md.ColumnInfo {
					res.Columns = append(res.Columns, aws.ToString(c.Name))
					res.Types = append(res.Types, aws.ToString(c.Type))
				}
			}
			if len(rows) > 0 && isHeader(rows[0], res.Columns) {
				rows = rows[1:]
			}
		}
		for _, row := range rows {
			cells := make([]string, len(row.Data))
			for i, d := range row.Data {
				cells[i] = aws.ToString(d.VarCharValue) // NULL has no value: ""
			}
			res.Rows = append(res.Rows, cells)
		}
		if token = out.NextToken; token == nil || *token == "" {
			return res, nil
		}
	}
}

func isHeader(row types.Row, cols []string) bool {
	if len(row.Data) != len(cols) || len(cols) == 0 {
		return false
	}
	for i, d := range row.Data {
		if aws.ToString(d.VarCharValue) != cols[i] {
			return false
		}
	}
	return true
}

// Athena bills $5 per TB scanned, rounded up to the next megabyte with a
// 10 MB minimum per query.
const (
	dollarsPerTB = 5.0
	tb           = 1 << 40
	mb           = 1 << 20
	minBilled    = 10 * mb
)

// Cost returns what Athena bills, in US dollars, for a query that scanned
// the given bytes.
func Cost(scanned int64) float64 {
	billed := (scanned + mb - 1) / mb * mb
	billed = max(billed, minBilled)
	return float64(billed) * dollarsPerTB / tb
}
