package lakenotify

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func s3Body(bucket, key string) string {
	return `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"` + bucket + `"},"object":{"key":"` + key + `","size":10}}}]}`
}

func ebBody(bucket, key string) string {
	return `{"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{"name":"` + bucket + `"},"object":{"key":"` + key + `","size":10}}}`
}

func TestBatch(t *testing.T) {
	l := Lake{Bucket: "lake", Root: "keytrail"}
	ev := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "s3", EventSource: "aws:sqs", Body: s3Body("lake", "keytrail/events/day%3D2025-03-18/a-p000.parquet")},
		{MessageId: "eb", EventSource: "aws:sqs", Body: ebBody("lake", "keytrail/events/day=2025-03-18/b-p000.parquet")},
		{MessageId: "again", EventSource: "aws:sqs", Body: ebBody("lake", "keytrail/events/day=2025-03-18/b-p000.parquet")},
		{MessageId: "other-table", EventSource: "aws:sqs", Body: ebBody("lake", "keytrail/findings/day=2025-03-18/x.parquet")},
		{MessageId: "other-bucket", EventSource: "aws:sqs", Body: ebBody("elsewhere", "keytrail/events/day=2025-03-18/c.parquet")},
		{MessageId: "other-root", EventSource: "aws:sqs", Body: ebBody("lake", "keytrail2/events/day=2025-03-18/c.parquet")},
		{MessageId: "tmp", EventSource: "aws:sqs", Body: ebBody("lake", "keytrail/events/day=2025-03-18/.tmp-1")},
		{MessageId: "junk", EventSource: "aws:sqs", Body: "not json"},
	}}
	if _, ok := IsSQS([]byte(`{"Records":[{"eventSource":"aws:sqs","body":"{}"}]}`)); !ok {
		t.Error("IsSQS: an SQS batch not recognized")
	}
	if _, ok := IsSQS([]byte(`{"id":"x","detail-type":"Scheduled Event","source":"aws.events"}`)); ok {
		t.Error("IsSQS: a schedule event taken for an SQS batch")
	}
	for _, tc := range []struct {
		name     string
		err      error
		failures []string
	}{
		{"ok", nil, []string{"junk"}},
		{"fn fails", errors.New("lake down"), []string{"junk", "s3", "eb", "again"}},
	} {
		var got []string
		resp := l.Batch(context.Background(), ev, "events/", nil, func(_ context.Context, keys []string) error {
			got = keys
			return tc.err
		})
		want := []string{"events/day=2025-03-18/a-p000.parquet", "events/day=2025-03-18/b-p000.parquet"}
		if !slices.Equal(got, want) {
			t.Errorf("%s: keys %q, want %q", tc.name, got, want)
		}
		var ids []string
		for _, f := range resp.BatchItemFailures {
			ids = append(ids, f.ItemIdentifier)
		}
		if !slices.Equal(ids, tc.failures) {
			t.Errorf("%s: failures %q, want %q", tc.name, ids, tc.failures)
		}
	}
}
