package main

import (
	"context"
	"slices"
	"testing"

	"github.com/keytrail/keytrail/internal/lambdaenv"
)

// The lake's variables are lambdaenv's (TestLoad); these are the
// function's own.
func TestNewHandler(t *testing.T) {
	base := map[string]string{
		"KEYTRAIL_LAKE":             "s3://lake-bucket/keytrail",
		"KEYTRAIL_LAKE_KMS_KEY_ARN": "arn:aws:kms:eu-central-1:111122223333:key/k",
		"AWS_REGION":                "eu-central-1",
		"AWS_ACCESS_KEY_ID":         "test",
		"AWS_SECRET_ACCESS_KEY":     "test",
		"AWS_ENDPOINT_URL_S3":       "http://127.0.0.1:1",
	}
	tests := []struct {
		name    string
		sources string
		want    []string
	}{
		{"default sources", "", nil},
		{"sources", "kms.amazonaws.com, ,secretsmanager.amazonaws.com ", []string{"kms.amazonaws.com", "secretsmanager.amazonaws.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"KEYTRAIL_SOURCES": tt.sources}
			for k, v := range base {
				env[k] = v
			}
			e, err := lambdaenv.Load(context.Background(), func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			h, err := newHandler(context.Background(), e)
			if err != nil || h == nil || h.Ingester == nil || h.S3 == nil || h.Markers == nil {
				t.Fatalf("newHandler: %v", err)
			}
			if got := sources(env["KEYTRAIL_SOURCES"]); !slices.Equal(got, tt.want) {
				t.Errorf("sources %q, want %q", got, tt.want)
			}
		})
	}
}
