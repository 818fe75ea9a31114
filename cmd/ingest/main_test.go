package main

import (
	"context"
	"strings"
	"testing"
)

func TestNewHandlerValidatesEnvironment(t *testing.T) {
	base := map[string]string{
		"KEYTRAIL_LAKE":             "s3://lake-bucket/keytrail",
		"KEYTRAIL_LAKE_KMS_KEY_ARN": "arn:aws:kms:eu-central-1:111122223333:key/k",
		"AWS_REGION":                "eu-central-1",
		"AWS_ACCESS_KEY_ID":         "test",
		"AWS_SECRET_ACCESS_KEY":     "test",
		"AWS_ENDPOINT_URL_S3":       "http://127.0.0.1:1",
	}
	tests := []struct {
		name   string
		change map[string]string
		err    string
	}{
		{"valid", nil, ""},
		{"sources", map[string]string{"KEYTRAIL_SOURCES": "kms.amazonaws.com, secretsmanager.amazonaws.com"}, ""},
		{"no lake", map[string]string{"KEYTRAIL_LAKE": ""}, "KEYTRAIL_LAKE must be s3://bucket/prefix"},
		{"local lake", map[string]string{"KEYTRAIL_LAKE": "/tmp/lake"}, "KEYTRAIL_LAKE must be s3://bucket/prefix"},
		{"bad bucket", map[string]string{"KEYTRAIL_LAKE": "s3://Bad_Bucket/x"}, "KEYTRAIL_LAKE"},
		{"no key", map[string]string{"KEYTRAIL_LAKE_KMS_KEY_ARN": ""}, "KEYTRAIL_LAKE_KMS_KEY_ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tt.change {
				env[k] = v
			}
			h, err := newHandler(context.Background(), func(k string) string { return env[k] })
			if tt.err == "" {
				if err != nil || h == nil || h.Ingester == nil || h.S3 == nil {
					t.Fatalf("newHandler: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.err)
			}
		})
	}
}
