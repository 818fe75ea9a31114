package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/cobra"

	"github.com/keytrail/keytrail/internal/awsconf"
	"github.com/keytrail/keytrail/internal/lake"
)

// lakeFlag adds --lake; its default is the lake setting.
func lakeFlag(cmd *cobra.Command, help string) {
	cmd.Flags().String("lake", "", help+" (default: $KEYTRAIL_LAKE, the config file's lake, or ./lake)")
}

// lakeURI is --lake, or the lake setting.
func (a *app) lakeURI(cmd *cobra.Command) (string, error) { return a.value(cmd, "lake", "lake") }

// openLake opens the lake for a command that writes it (ingest): a folder
// is created if need be. An s3://bucket/prefix lake goes through the SDK's
// standard configuration (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_S3, …);
// kmsKey, if set, encrypts S3 writes with SSE-KMS.
func (a *app) openLake(ctx context.Context, uri, kmsKey string) (lake.Store, error) {
	var client lake.S3API
	if strings.HasPrefix(uri, "s3://") {
		c, err := a.s3Client(ctx)
		if err != nil {
			return nil, err
		}
		client = c
	}
	return lake.Open(ctx, uri, client, lake.S3Options{KMSKeyID: kmsKey})
}

// writeLake opens --lake (or the lake setting) for a command that writes
// it, and says which lake that is.
func (a *app) writeLake(ctx context.Context, cmd *cobra.Command, kmsKey string) (lake.Store, string, error) {
	uri, err := a.lakeURI(cmd)
	if err != nil {
		return nil, "", err
	}
	st, err := a.openLake(ctx, uri, kmsKey)
	return st, uri, err
}

// readLake opens --lake (or the lake setting), which must already hold
// events, and lists their days: a missing folder, or a prefix with nothing
// under it, is an error, never an empty answer, and nothing is created (a
// typo must not leave an empty lake behind).
func (a *app) readLake(ctx context.Context, cmd *cobra.Command, kmsKey string) (lake.Store, []string, error) {
	uri, err := a.lakeURI(cmd)
	if err != nil {
		return nil, nil, err
	}
	if !strings.HasPrefix(uri, "s3://") {
		if err := lake.CheckDir(uri); err != nil {
			return nil, nil, err
		}
	}
	st, err := a.openLake(ctx, uri, kmsKey)
	if err != nil {
		return nil, nil, err
	}
	if err := lake.CheckSchema(ctx, st); err != nil {
		return nil, nil, fmt.Errorf("lake %s: %w", uri, err)
	}
	days, err := lake.EventDays(ctx, st, uri)
	return st, days, err
}

func (a *app) s3Client(ctx context.Context) (*s3.Client, error) {
	cfg, err := awsconf.Load(ctx, a.env.getenv)
	if err != nil {
		return nil, err
	}
	return s3.NewFromConfig(cfg, awsconf.S3Options(a.env.getenv)), nil
}
