package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// ObjectRef names an S3 object a notification announced.
type ObjectRef struct {
	Bucket string
	Key    string
	Size   int64
}

// ErrUnknownNotification reports a message in none of the shapes below.
var ErrUnknownNotification = errors.New("not an S3, SNS or EventBridge object-created notification")

// ParseNotification returns the objects announced by one queue message
// body. It accepts every way a CloudTrail bucket can announce new files,
// because a bucket that already notifies someone else cannot add a second
// notification:
//
//   - an S3 event notification sent straight to SQS (keys URL-encoded);
//   - the same wrapped in an SNS envelope (S3 → SNS → SQS);
//   - CloudTrail's own SNS notice {"s3Bucket": …, "s3ObjectKey": [...]};
//   - an EventBridge "Object Created" event (keys not encoded).
//
// S3's s3:TestEvent and events other than object creation yield no objects
// and no error.
func ParseNotification(body []byte) ([]ObjectRef, error) {
	body = bytes.TrimSpace(body)
	var probe struct {
		Records    json.RawMessage `json:"Records"`
		Type       string          `json:"Type"`
		Message    *string         `json:"Message"`
		DetailType string          `json:"detail-type"`
		Source     string          `json:"source"`
		Detail     json.RawMessage `json:"detail"`
		Event      string          `json:"Event"`
		S3Bucket   string          `json:"s3Bucket"`
		S3Keys     []string        `json:"s3ObjectKey"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, fmt.Errorf("%w: invalid JSON: %v", ErrUnknownNotification, err)
	}
	switch {
	case probe.Event == "s3:TestEvent":
		return nil, nil
	case probe.Records != nil:
		var ev events.S3Event
		if err := json.Unmarshal(body, &ev); err != nil {
			return nil, fmt.Errorf("s3 event: %w", err)
		}
		var refs []ObjectRef
		for _, r := range ev.Records {
			if r.EventSource != "aws:s3" || !strings.HasPrefix(r.EventName, "ObjectCreated:") {
				continue
			}
			if r.S3.Bucket.Name == "" || r.S3.Object.URLDecodedKey == "" {
				return nil, fmt.Errorf("s3 event: record without bucket or key")
			}
			refs = append(refs, ObjectRef{Bucket: r.S3.Bucket.Name, Key: r.S3.Object.URLDecodedKey, Size: r.S3.Object.Size})
		}
		return refs, nil
	case probe.Type == "Notification" && probe.Message != nil:
		refs, err := ParseNotification([]byte(*probe.Message))
		if err != nil {
			return nil, fmt.Errorf("sns message: %w", err)
		}
		return refs, nil
	case probe.S3Bucket != "":
		var refs []ObjectRef
		for _, k := range probe.S3Keys {
			refs = append(refs, ObjectRef{Bucket: probe.S3Bucket, Key: k})
		}
		return refs, nil
	case probe.Source == "aws.s3" && probe.Detail != nil:
		if probe.DetailType != "Object Created" {
			return nil, nil
		}
		var d struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key  string `json:"key"`
				Size int64  `json:"size"`
			} `json:"object"`
		}
		if err := json.Unmarshal(probe.Detail, &d); err != nil {
			return nil, fmt.Errorf("eventbridge detail: %w", err)
		}
		if d.Bucket.Name == "" || d.Object.Key == "" {
			return nil, fmt.Errorf("eventbridge detail: missing bucket or key")
		}
		return []ObjectRef{{Bucket: d.Bucket.Name, Key: d.Object.Key, Size: d.Object.Size}}, nil
	}
	return nil, ErrUnknownNotification
}
