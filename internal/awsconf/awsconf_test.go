package awsconf_test

import (
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/keytrail/keytrail/internal/awsconf"
	"github.com/keytrail/keytrail/internal/s3test"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestS3Options(t *testing.T) {
	tests := []struct {
		name         string
		env          map[string]string
		preset       *string // endpoint the SDK resolved before the option runs
		wantEndpoint string
		wantPath     bool
	}{
		{name: "aws", env: nil, wantPath: false},
		{name: "s3 endpoint", env: map[string]string{"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9"}, wantEndpoint: "http://127.0.0.1:9", wantPath: true},
		{name: "endpoint from shared config or AWS_ENDPOINT_URL", preset: aws.String("https://s3.example.internal"), wantEndpoint: "https://s3.example.internal", wantPath: true},
		{name: "s3 endpoint overrides global", env: map[string]string{"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9"}, preset: aws.String("https://global.example"), wantEndpoint: "http://127.0.0.1:9", wantPath: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := s3.Options{BaseEndpoint: tc.preset}
			awsconf.S3Options(env(tc.env))(&o)
			if got := aws.ToString(o.BaseEndpoint); got != tc.wantEndpoint {
				t.Errorf("BaseEndpoint = %q, want %q", got, tc.wantEndpoint)
			}
			if o.UsePathStyle != tc.wantPath {
				t.Errorf("UsePathStyle = %v, want %v", o.UsePathStyle, tc.wantPath)
			}
			if o.RequestChecksumCalculation != aws.RequestChecksumCalculationWhenRequired ||
				o.ResponseChecksumValidation != aws.ResponseChecksumValidationWhenRequired {
				t.Errorf("checksums = %v/%v, want when required", o.RequestChecksumCalculation, o.ResponseChecksumValidation)
			}
		})
	}
}

func TestLoadFromGetenv(t *testing.T) {
	cfg, err := awsconf.Load(t.Context(), env(map[string]string{
		"AWS_DEFAULT_REGION":    "eu-west-3",
		"AWS_ACCESS_KEY_ID":     "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_SESSION_TOKEN":     "token",
		"AWS_ENDPOINT_URL":      "http://127.0.0.1:9",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-3" {
		t.Errorf("Region = %q, want eu-west-3", cfg.Region)
	}
	if got := aws.ToString(cfg.BaseEndpoint); got != "http://127.0.0.1:9" {
		t.Errorf("BaseEndpoint = %q", got)
	}
	creds, err := cfg.Credentials.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "AKIDEXAMPLE" || creds.SessionToken != "token" {
		t.Errorf("credentials = %s/%s, want the ones from getenv", creds.AccessKeyID, creds.SessionToken)
	}
	if cfg.RequestChecksumCalculation != aws.RequestChecksumCalculationWhenRequired {
		t.Errorf("RequestChecksumCalculation = %v", cfg.RequestChecksumCalculation)
	}
}

// A --region wins over the environment's region and leaves the rest of it.
func TestWithRegion(t *testing.T) {
	base := env(map[string]string{"AWS_REGION": "eu-west-3", "AWS_DEFAULT_REGION": "eu-west-2", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"})
	for _, tc := range []struct{ region, want string }{{"ap-south-1", "ap-south-1"}, {"", "eu-west-3"}} {
		cfg, err := awsconf.Load(t.Context(), awsconf.WithRegion(base, tc.region))
		if err != nil {
			t.Fatal(err)
		}
		creds, err := cfg.Credentials.Retrieve(t.Context())
		if cfg.Region != tc.want || err != nil || creds.AccessKeyID != "AKIDEXAMPLE" {
			t.Errorf("WithRegion(%q): region %q, credentials %s (%v); want %s and the environment's key", tc.region, cfg.Region, creds.AccessKeyID, err, tc.want)
		}
	}
}

// TestAgainstS3Server loads the configuration the way the Lambda functions
// and the CLI do, from nothing but standard variables, and uses it against a
// real S3-compatible server: it works only with the endpoint, the
// credentials and path-style addressing all in effect.
func TestAgainstS3Server(t *testing.T) {
	srv := s3test.Start(t)
	cfg, err := awsconf.Load(t.Context(), srv.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	c := s3.NewFromConfig(cfg, awsconf.S3Options(srv.Getenv))
	ctx := t.Context()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("conf")}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("conf"), Key: aws.String("k"), Body: strings.NewReader("v"),
	}); err != nil {
		t.Fatalf("put: %v", err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("conf"), Key: aws.String("k")})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	defer out.Body.Close()
	if b, _ := io.ReadAll(out.Body); string(b) != "v" {
		t.Fatalf("get = %q, want v", b)
	}
}
