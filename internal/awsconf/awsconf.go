// Package awsconf loads the AWS configuration the same way in every place
// keytrail runs: a Lambda function, the CLI on a laptop, and tests against a
// local S3-compatible server.
//
// Load follows the SDK's standard chain (config.LoadDefaultConfig:
// environment, shared config and credentials files, SSO, web identity,
// container and instance roles). The variables a test or the CLI most often
// sets are read through the getenv function the caller passes in, so a test
// can hand over a map instead of mutating the process environment:
//
//	AWS_REGION, AWS_DEFAULT_REGION            the region
//	AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
//	AWS_SESSION_TOKEN                         static credentials (as in Lambda)
//	AWS_ENDPOINT_URL                          an endpoint for every service
//	AWS_ENDPOINT_URL_S3                       an endpoint for S3 only (S3Options)
//
// With getenv = os.Getenv this is exactly what the SDK does on its own.
//
// S3Options adapts the S3 client to the endpoint: a custom endpoint (a local
// versitygw or MinIO, a VPC endpoint URL) gets path-style addressing, since
// such servers rarely have per-bucket DNS names. Checksums are computed and
// validated only when an operation requires them, everywhere: S3-compatible
// servers differ in their support for the SDK's default trailing CRC
// checksums, and SigV4 payload hashing (over HTTP) or TLS (over HTTPS)
// already protects the body in transit. Keeping the setting identical in
// Lambda, the CLI and tests means the tests exercise the production code path.
package awsconf

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Load returns the AWS configuration from the SDK's standard chain, with the
// variables listed in the package comment taken from getenv (nil means the
// SDK reads the process environment itself).
func Load(ctx context.Context, getenv func(string) string) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	}
	if getenv != nil {
		if r := first(getenv, "AWS_REGION", "AWS_DEFAULT_REGION"); r != "" {
			opts = append(opts, config.WithRegion(r))
		}
		if id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
			opts = append(opts, config.WithCredentialsProvider(
				credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))))
		}
		if ep := getenv("AWS_ENDPOINT_URL"); ep != "" {
			opts = append(opts, config.WithBaseEndpoint(ep))
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load aws config: %w", err)
	}
	return cfg, nil
}

// S3Options returns an option for s3.NewFromConfig: the S3 endpoint from
// AWS_ENDPOINT_URL_S3 (read through getenv; nil means none), path-style
// addressing whenever a custom endpoint is in effect (from getenv, from the
// environment or shared config the SDK read, or from AWS_ENDPOINT_URL), and
// checksums only when required.
func S3Options(getenv func(string) string) func(*s3.Options) {
	var endpoint string
	if getenv != nil {
		endpoint = getenv("AWS_ENDPOINT_URL_S3")
	}
	return func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		if o.BaseEndpoint != nil && *o.BaseEndpoint != "" {
			o.UsePathStyle = true
		}
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}
}

func first(getenv func(string) string, keys ...string) string {
	for _, k := range keys {
		if v := getenv(k); v != "" {
			return v
		}
	}
	return ""
}

// WithRegion is getenv with AWS_REGION answered by region, for Load when a
// command's --region (or the team's setting) names one; "" keeps getenv.
func WithRegion(getenv func(string) string, region string) func(string) string {
	if region == "" {
		return getenv
	}
	return func(k string) string {
		if k == "AWS_REGION" {
			return region
		}
		if getenv == nil {
			return os.Getenv(k)
		}
		return getenv(k)
	}
}
