package main

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keytrail/keytrail/internal/awsconf"
	"github.com/keytrail/keytrail/internal/lake"
)

// openLake opens a lake folder, or an s3://bucket/prefix lake through the
// SDK's standard configuration (AWS_PROFILE, AWS_REGION,
// AWS_ENDPOINT_URL_S3, …). kmsKey, if set, encrypts S3 writes with SSE-KMS.
func openLake(ctx context.Context, env *environ, uri, kmsKey string) (lake.Store, error) {
	var client lake.S3API
	if strings.HasPrefix(uri, "s3://") {
		c, err := s3Client(ctx, env)
		if err != nil {
			return nil, err
		}
		client = c
	}
	return lake.Open(ctx, uri, client, lake.S3Options{KMSKeyID: kmsKey})
}

func s3Client(ctx context.Context, env *environ) (*s3.Client, error) {
	cfg, err := awsconf.Load(ctx, env.getenv)
	if err != nil {
		return nil, err
	}
	return s3.NewFromConfig(cfg, awsconf.S3Options(env.getenv)), nil
}
