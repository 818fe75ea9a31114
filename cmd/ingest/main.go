// Command ingest is keytrail's ingest Lambda: SQS messages announcing new
// CloudTrail objects (S3 notifications, directly or through SNS or
// EventBridge) in, Secrets Manager and KMS events written to the lake.
//
// Configuration, validated at cold start:
//
//	KEYTRAIL_LAKE              s3://bucket/prefix of the lake (required)
//	KEYTRAIL_LAKE_KMS_KEY_ARN  the lake's customer-managed key (required)
//	KEYTRAIL_SOURCES           event sources to keep (default Secrets Manager and KMS)
//
// AWS access follows the SDK's standard chain, including AWS_ENDPOINT_URL_S3.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/internal/awsconf"
	"github.com/keytrail/keytrail/internal/lake"
)

func main() {
	slog.SetDefault(lambdacontext.NewLogger())
	h, err := newHandler(context.Background(), os.Getenv)
	if err != nil {
		slog.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.HandleSQS)
}

func newHandler(ctx context.Context, getenv func(string) string) (*ingest.Handler, error) {
	lakeURI := getenv("KEYTRAIL_LAKE")
	if !strings.HasPrefix(lakeURI, "s3://") {
		return nil, fmt.Errorf("KEYTRAIL_LAKE must be s3://bucket/prefix, got %q", lakeURI)
	}
	keyARN := getenv("KEYTRAIL_LAKE_KMS_KEY_ARN")
	if keyARN == "" {
		return nil, fmt.Errorf("KEYTRAIL_LAKE_KMS_KEY_ARN must name the lake's KMS key")
	}
	bucket, prefix, err := lake.ParseS3URI(lakeURI)
	if err != nil {
		return nil, fmt.Errorf("KEYTRAIL_LAKE: %w", err)
	}
	cfg, err := awsconf.Load(ctx, getenv)
	if err != nil {
		return nil, err
	}
	client := s3.NewFromConfig(cfg, awsconf.S3Options(getenv))
	store, err := lake.NewS3(client, bucket, prefix, lake.S3Options{KMSKeyID: keyARN})
	if err != nil {
		return nil, err
	}
	var sources []string
	for _, s := range strings.Split(getenv("KEYTRAIL_SOURCES"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			sources = append(sources, s)
		}
	}
	return &ingest.Handler{
		Ingester: ingest.New(store, ingest.Config{Sources: sources, Logger: slog.Default()}),
		S3:       client,
		Markers:  &ingest.Markers{Store: store},
		Metrics:  os.Stdout,
		Logger:   slog.Default(),
	}, nil
}
