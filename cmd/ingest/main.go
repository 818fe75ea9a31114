// Command ingest is keytrail's ingest Lambda: SQS messages announcing new
// CloudTrail objects (S3 notifications, directly or through SNS or
// EventBridge) in, Secrets Manager and KMS events written to the lake.
//
// Configuration, validated at cold start (with the lake's schema marker,
// written when absent; a newer lake stops the function):
//
//	KEYTRAIL_LAKE              s3://bucket/prefix of the lake (required)
//	KEYTRAIL_LAKE_KMS_KEY_ARN  the lake's customer-managed key (required)
//	KEYTRAIL_SOURCES           event sources to keep (default Secrets Manager and KMS)
//
// AWS access follows the SDK's standard chain, including AWS_ENDPOINT_URL_S3.
// The garbage collector is tuned as for the ingest command (memlimit.Ingest).
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/lambdaenv"
	"github.com/keytrail/keytrail/internal/memlimit"
)

func main() {
	lambdaenv.Main(memlimit.Ingest, func(ctx context.Context, e *lambdaenv.Env) (any, error) {
		h, err := newHandler(ctx, e)
		if err != nil {
			return nil, err
		}
		return h.HandleSQS, nil
	})
}

func newHandler(ctx context.Context, e *lambdaenv.Env) (*ingest.Handler, error) {
	// The lake's schema marker, written when absent: a lake newer than
	// this code is refused before anything is written into it.
	if err := lake.EnsureSchema(ctx, e.Lake); err != nil {
		return nil, fmt.Errorf("KEYTRAIL_LAKE: %w", err)
	}
	return &ingest.Handler{
		Ingester: ingest.New(e.Lake, ingest.Config{Sources: sources(e.Getenv("KEYTRAIL_SOURCES")), Logger: e.Logger}),
		S3:       e.S3,
		Markers:  &ingest.Markers{Store: e.Lake},
		Metrics:  os.Stdout,
		Logger:   e.Logger,
	}, nil
}

// sources splits KEYTRAIL_SOURCES; nil (none given) keeps ingest's default.
func sources(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
