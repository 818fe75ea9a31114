// Package lambdaenv is what every keytrail Lambda function starts from: the
// lake named by its environment, the AWS configuration, the memory limit and
// the structured logger. Each cmd/<function> keeps only what is its own
// (its variables, its handler); this is the setup they all repeated.
//
// Configuration every function validates at cold start:
//
//	KEYTRAIL_LAKE              s3://bucket/prefix of the lake (required)
//	KEYTRAIL_LAKE_KMS_KEY_ARN  the lake's customer-managed key (required)
//
// AWS access follows the SDK's standard chain (internal/awsconf), including
// AWS_ENDPOINT_URL_S3.
package lambdaenv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keytrail/keytrail/internal/awsconf"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/memlimit"
)

// Env is a function's validated environment and the clients built from it.
type Env struct {
	Getenv func(string) string // the function's own variables
	AWS    aws.Config
	S3     *s3.Client
	Lake   *lake.S3 // writes encrypted with the lake's KMS key
	Logger *slog.Logger
}

// Load validates the lake's variables and builds the AWS configuration, the
// S3 client and the lake store. Logger is slog.Default().
func Load(ctx context.Context, getenv func(string) string) (*Env, error) {
	uri := getenv("KEYTRAIL_LAKE")
	if !strings.HasPrefix(uri, "s3://") {
		return nil, fmt.Errorf("KEYTRAIL_LAKE must be s3://bucket/prefix, got %q", uri)
	}
	keyARN := getenv("KEYTRAIL_LAKE_KMS_KEY_ARN")
	if keyARN == "" {
		return nil, errors.New("KEYTRAIL_LAKE_KMS_KEY_ARN must name the lake's KMS key")
	}
	bucket, prefix, err := lake.ParseS3URI(uri)
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
	return &Env{Getenv: getenv, AWS: cfg, S3: client, Lake: store, Logger: slog.Default()}, nil
}

// Main runs a function: the Lambda logger (with request ids) as the
// default, the memory limit of profile p, the environment, then
// newHandler's handler under lambda.Start. A configuration error is
// logged and ends the process, so the function fails at cold start
// rather than on every event.
func Main(p memlimit.Profile, newHandler func(context.Context, *Env) (any, error)) {
	slog.SetDefault(lambdacontext.NewLogger())
	memlimit.Apply(os.Getenv, p)
	ctx := context.Background()
	env, err := Load(ctx, os.Getenv)
	var h any
	if err == nil {
		h, err = newHandler(ctx, env)
	}
	if err != nil {
		slog.Error("configuration", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(h)
}
