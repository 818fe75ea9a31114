package lambdaenv

import (
	"context"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	base := map[string]string{
		"KEYTRAIL_LAKE":             "s3://lake-bucket/keytrail",
		"KEYTRAIL_LAKE_KMS_KEY_ARN": "arn:aws:kms:eu-central-1:111122223333:key/k",
		"AWS_REGION":                "eu-central-1",
		"AWS_ACCESS_KEY_ID":         "test",
		"AWS_SECRET_ACCESS_KEY":     "test",
		"AWS_ENDPOINT_URL_S3":       "http://127.0.0.1:1",
	}
	for _, tc := range []struct {
		name   string
		change map[string]string
		err    string
	}{
		{"valid", nil, ""},
		{"no lake", map[string]string{"KEYTRAIL_LAKE": ""}, `KEYTRAIL_LAKE must be s3://bucket/prefix, got ""`},
		{"local lake", map[string]string{"KEYTRAIL_LAKE": "/tmp/lake"}, `KEYTRAIL_LAKE must be s3://bucket/prefix, got "/tmp/lake"`},
		{"relative lake", map[string]string{"KEYTRAIL_LAKE": "lake"}, "KEYTRAIL_LAKE must be s3://"},
		{"bad bucket", map[string]string{"KEYTRAIL_LAKE": "s3://Bad_Bucket/x"}, "KEYTRAIL_LAKE: "},
		{"no key", map[string]string{"KEYTRAIL_LAKE_KMS_KEY_ARN": ""}, "KEYTRAIL_LAKE_KMS_KEY_ARN must name the lake's KMS key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tc.change {
				env[k] = v
			}
			e, err := Load(context.Background(), func(k string) string { return env[k] })
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.Lake == nil || e.S3 == nil || e.Logger == nil || e.AWS.Region != "eu-central-1" || e.Getenv("KEYTRAIL_LAKE") != base["KEYTRAIL_LAKE"] {
				t.Fatalf("env not built: %+v", e)
			}
			if e.Lake.Bucket() != "lake-bucket" || e.Lake.Prefix() != "keytrail/" {
				t.Errorf("lake at %s/%s, want lake-bucket/keytrail/", e.Lake.Bucket(), e.Lake.Prefix())
			}
		})
	}
}
