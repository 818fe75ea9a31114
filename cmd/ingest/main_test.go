package main

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/lambdaenv"
	"github.com/keytrail/keytrail/internal/s3test"
)

// The lake's variables are lambdaenv's (TestLoad); these are the
// function's own.
func TestNewHandler(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "lake-bucket")
	base := srv.Env()
	base["KEYTRAIL_LAKE"] = "s3://lake-bucket/keytrail"
	base["KEYTRAIL_LAKE_KMS_KEY_ARN"] = "arn:aws:kms:eu-central-1:111122223333:key/k"
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
	// The cold start wrote the lake's schema marker.
	if v, found, err := lake.ReadSchema(context.Background(), lakeAt(t, srv)); err != nil || !found || v != lake.SchemaVersion {
		t.Errorf("schema marker: version %d, found %v, %v", v, found, err)
	}
}

// A lake of a newer schema stops the function at cold start, before it
// writes anything.
func TestNewHandlerRefusesNewerLake(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "lake-bucket")
	st := lakeAt(t, srv)
	if err := st.Put(context.Background(), lake.SchemaKey, strings.NewReader(`{"version":99}`)); err != nil {
		t.Fatal(err)
	}
	env := srv.Env()
	env["KEYTRAIL_LAKE"] = "s3://lake-bucket/keytrail"
	env["KEYTRAIL_LAKE_KMS_KEY_ARN"] = "arn:aws:kms:eu-central-1:111122223333:key/k"
	e, err := lambdaenv.Load(context.Background(), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newHandler(context.Background(), e); !errors.Is(err, lake.ErrSchemaNewer) {
		t.Fatalf("newHandler on a version-99 lake: %v", err)
	}
}

func lakeAt(t *testing.T, srv *s3test.Server) *lake.S3 {
	t.Helper()
	st, err := lake.NewS3(srv.Client(t), "lake-bucket", "keytrail", lake.S3Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}
