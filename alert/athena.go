package alert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/smithy-go"

	"github.com/keytrail/keytrail/internal/finding"
)

// QueryStarter starts an Athena query; *athena.Client implements it.
type QueryStarter interface {
	StartQueryExecution(ctx context.Context, in *athena.StartQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error)
}

// FollowUp makes a finding's "Open in Athena" link useful. The console
// cannot pre-fill SQL from a URL, so when Client is set the alerter starts
// the finding's query itself, in Workgroup (which should have a
// bytes-scanned cutoff: the query's cost is bounded by the workgroup, not
// by trust in the SQL), and links that execution: the analyst lands on the
// results. Without a client, or when starting fails, the link opens the
// workgroup's query editor and the message says why. Without a workgroup
// there is no Athena link at all (the message links the CloudTrail event
// history, which needs no setup).
type FollowUp struct {
	Client    QueryStarter // optional
	Region    string
	Workgroup string
	Database  string
	// OutputLocation is an s3:// URI; empty uses the workgroup's setting.
	OutputLocation string
}

// Link returns the Athena link for f and a note saying what it opens; it
// starts f.Query, which the caller has rebuilt (RebuildQuery). A nil
// FollowUp, or one without a region or a workgroup, gives no link.
func (fu *FollowUp) Link(ctx context.Context, f finding.Finding) (string, string) {
	if fu == nil || fu.Region == "" || fu.Workgroup == "" {
		return "", ""
	}
	editor := EditorURL(fu.Region)
	where := " in workgroup " + code(fu.Workgroup)
	if fu.Database != "" {
		where += ", database " + code(fu.Database)
	}
	fallback := "(query editor" + where + ": paste the follow-up query)"
	if fu.Client == nil || f.Query == "" {
		return editor, fallback
	}
	id, err := fu.start(ctx, f)
	if err != nil {
		return editor, fmt.Sprintf("(query editor%s: the query could not be started (%s); paste the follow-up query)", where, code(errorCode(err)))
	}
	u := ExecutionURL(fu.Region, id)
	if u == "" {
		return editor, fallback
	}
	return u, "(query started" + where + ", execution " + code(id) + ")"
}

// start runs StartQueryExecution. The client request token is derived from
// the finding id, so a retried delivery does not start a second query.
func (fu *FollowUp) start(ctx context.Context, f finding.Finding) (string, error) {
	sum := sha256.Sum256([]byte(f.ID))
	in := &athena.StartQueryExecutionInput{
		QueryString:        aws.String(f.Query),
		ClientRequestToken: aws.String("keytrail-" + hex.EncodeToString(sum[:16])),
	}
	in.WorkGroup = aws.String(fu.Workgroup)
	if fu.Database != "" {
		in.QueryExecutionContext = &types.QueryExecutionContext{Database: aws.String(fu.Database)}
	}
	if fu.OutputLocation != "" {
		in.ResultConfiguration = &types.ResultConfiguration{OutputLocation: aws.String(fu.OutputLocation)}
	}
	out, err := fu.Client.StartQueryExecution(ctx, in)
	if err != nil {
		return "", fmt.Errorf("start athena query for finding %s: %w", f.ID, err)
	}
	if out.QueryExecutionId == nil {
		return "", errors.New("start athena query: no execution id")
	}
	return *out.QueryExecutionId, nil
}

// errorCode is a short, message-safe description of err: the AWS error
// code when there is one (messages can echo the query, which carries
// caller-controlled text).
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "timeout"
	}
	return "error"
}
