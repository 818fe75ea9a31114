package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseNotification(t *testing.T) {
	tests := []struct {
		file string
		want []ObjectRef
	}{
		{"s3-sqs.json", []ObjectRef{{"org-cloudtrail", "logs/AWSLogs/o-abc123/111122223333/CloudTrail/eu-central-1/2026/06/01/111122223333_CloudTrail_eu-central-1_20260601T1005Z_AbCdEf0123456789.json.gz", 2048}}},
		{"s3-sqs-encoded.json", []ObjectRef{{"b", "my trail/AWSLogs/111122223333/CloudTrail/eu-central-1/2026/06/01/a=b.json.gz", 1}}},
		{"s3-sns-sqs.json", []ObjectRef{{"org-cloudtrail", "logs/AWSLogs/o-abc123/111122223333/CloudTrail/eu-central-1/2026/06/01/111122223333_CloudTrail_eu-central-1_20260601T1005Z_AbCdEf0123456789.json.gz", 2048}}},
		{"cloudtrail-sns.json", []ObjectRef{
			{"org-cloudtrail", "AWSLogs/111122223333/CloudTrail/eu-central-1/2026/06/01/111122223333_CloudTrail_eu-central-1_20260601T1005Z_a.json.gz", 0},
			{"org-cloudtrail", "AWSLogs/111122223333/CloudTrail/us-east-1/2026/06/01/111122223333_CloudTrail_us-east-1_20260601T1005Z_b.json.gz", 0},
		}},
		{"eventbridge.json", []ObjectRef{{"org-cloudtrail", "AWSLogs/111122223333/CloudTrail/eu-central-1/2026/06/01/x y.json.gz", 5}}},
		{"s3-test-event.json", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", "notify", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseNotification(body)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseNotificationRejects(t *testing.T) {
	for _, body := range []string{``, `{}`, `{"hello":1}`, `[1]`, `{"Type":"Notification","Message":"not json"}`,
		`{"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{}}}`} {
		if refs, err := ParseNotification([]byte(body)); err == nil {
			t.Errorf("%q: accepted as %v", body, refs)
		} else if body != `{"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{}}}` && !errors.Is(err, ErrUnknownNotification) {
			t.Errorf("%q: err %v, want ErrUnknownNotification", body, err)
		}
	}
}
