package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/lambdaenv"
	"github.com/keytrail/keytrail/internal/s3test"
)

// The lake's variables are lambdaenv's (TestLoad); these are the
// function's own.
func TestNewHandlerValidatesEnvironment(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "lake-bucket")
	base := srv.Env()
	base["KEYTRAIL_LAKE"] = "s3://lake-bucket/keytrail"
	base["KEYTRAIL_LAKE_KMS_KEY_ARN"] = "arn:aws:kms:eu-central-1:111122223333:key/k"
	st, err := lake.NewS3(srv.Client(t), "lake-bucket", "keytrail", lake.S3Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		change   map[string]string
		err      string
		lookback time.Duration
	}{
		{"valid", nil, "", 72 * time.Hour},
		{"days", map[string]string{"KEYTRAIL_COMPACT_DAYS": "7"}, "", 7 * 24 * time.Hour},
		{"bad days", map[string]string{"KEYTRAIL_COMPACT_DAYS": "a week"}, "KEYTRAIL_COMPACT_DAYS", 0},
		{"too many days", map[string]string{"KEYTRAIL_COMPACT_DAYS": "365"}, "KEYTRAIL_COMPACT_DAYS", 0},
		// Last: a lake of a newer schema is never rewritten.
		{"newer lake", nil, "schema version 99", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "newer lake" {
				if err := st.Put(context.Background(), lake.SchemaKey, strings.NewReader(`{"version":99}`)); err != nil {
					t.Fatal(err)
				}
			}
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tt.change {
				env[k] = v
			}
			e, err := lambdaenv.Load(context.Background(), func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			h, err := newHandler(context.Background(), e)
			if tt.err == "" {
				if err != nil || h.lookback != tt.lookback || h.c == nil {
					t.Fatalf("newHandler: %v, %+v", err, h)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.err)
			}
		})
	}
}
