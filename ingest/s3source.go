package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keytrail/keytrail/internal/lake"
)

// S3API is the part of the S3 client that reading CloudTrail needs: the
// ingest role gets s3:GetObject on the trail's objects and s3:ListBucket
// (for backfill) on its bucket, nothing else.
type S3API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// S3Object returns the Object for bucket/key; Open streams its body.
func S3Object(client S3API, bucket, key string, size int64) Object {
	return Object{Key: key, Size: size, Bucket: bucket, Open: func(ctx context.Context) (io.ReadCloser, error) {
		out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			return nil, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
		}
		return s3Body{out.Body, aws.ToTime(out.LastModified)}, nil
	}}
}

// s3Body is an S3 object's content and when it was written.
type s3Body struct {
	io.ReadCloser
	modified time.Time
}

func (b s3Body) LastModified() time.Time { return b.modified }

// S3Source lists CloudTrail log files under s3://Bucket/Prefix, optionally
// limited to the date folders from Since to Until (inclusive, UTC days). The
// date folders are CloudTrail's delivery dates; events near midnight may
// sit in the next day's folder, so a backfill of a day range should extend
// Until by a day.
type S3Source struct {
	Client       S3API
	Bucket       string
	Prefix       string
	Since, Until time.Time // zero means unbounded
}

func (s S3Source) String() string { return "s3://" + s.Bucket + "/" + s.Prefix }

// logDate finds the YYYY/MM/DD delivery folders in a CloudTrail key.
var logDate = regexp.MustCompile(`/CloudTrail/[^/]+/(\d{4})/(\d{2})/(\d{2})/`)

// DeliveryDay returns the key's delivery date folder as YYYY-MM-DD, or "".
func DeliveryDay(key string) string {
	m := logDate.FindStringSubmatch(key)
	if m == nil {
		return ""
	}
	return m[1] + "-" + m[2] + "-" + m[3]
}

// Walk implements Source: keys in S3's (lexicographic) order.
func (s S3Source) Walk(ctx context.Context, fn func(Object) error) error {
	since, until := "", ""
	if !s.Since.IsZero() {
		since = s.Since.UTC().Format(time.DateOnly)
	}
	if !s.Until.IsZero() {
		until = s.Until.UTC().Format(time.DateOnly)
	}
	p := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket), Prefix: aws.String(s.Prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", s.Bucket, s.Prefix, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if strings.HasSuffix(key, "/") || SkipReason(key) != "" {
				continue
			}
			if !strings.HasSuffix(key, ".json.gz") && !strings.HasSuffix(key, ".json") {
				continue
			}
			if since != "" || until != "" {
				d := DeliveryDay(key)
				if d == "" || (since != "" && d < since) || (until != "" && d > until) {
					continue
				}
			}
			if err := fn(S3Object(s.Client, s.Bucket, key, aws.ToInt64(o.Size))); err != nil {
				return err
			}
		}
	}
	return nil
}

// markerStore is where completion markers live (the lake).
type markerStore interface {
	Put(ctx context.Context, key string, body io.Reader) error
	List(ctx context.Context, prefix string) ([]lake.ObjectInfo, error)
}

// Markers record which source objects were ingested in full, so a backfill
// can be interrupted and re-run without redoing finished objects. Markers
// only save work: re-ingesting an object is always safe, because its output
// names are deterministic.
type Markers struct {
	Store markerStore
}

const markerPrefix = lake.StatePrefix + "ingest/done/"

func markerKey(o Object) string {
	sum := sha256.Sum256([]byte(o.Bucket + "/" + o.Key))
	day := DeliveryDay(o.Key)
	if day == "" {
		day = "undated"
	}
	return markerPrefix + day + "/" + hex.EncodeToString(sum[:16]) + ".json"
}

// Mark records o as done when res says it was read in full (or skipped
// deliberately); partial and failed objects stay to be retried.
func (m *Markers) Mark(ctx context.Context, o Object, res Result) error {
	if res.Status != StatusOK && res.Status != StatusSkipped {
		return nil
	}
	b, _ := json.Marshal(struct {
		Bucket string `json:"bucket"`
		Key    string `json:"key"`
		Status Status `json:"status"`
		Kept   int    `json:"kept"`
	}{o.Bucket, o.Key, res.Status, res.Kept})
	return m.Store.Put(ctx, markerKey(o), strings.NewReader(string(b)))
}

// Done returns the marker keys present for the given delivery days
// ("undated" for keys without date folders); nil days lists every marker.
func (m *Markers) Done(ctx context.Context, days []string) (map[string]bool, error) {
	done := map[string]bool{}
	prefixes := []string{markerPrefix}
	if days != nil {
		prefixes = prefixes[:0]
		for _, d := range days {
			prefixes = append(prefixes, markerPrefix+d+"/")
		}
	}
	for _, p := range prefixes {
		objs, err := m.Store.List(ctx, p)
		if err != nil && !errors.Is(err, lake.ErrNotFound) {
			return nil, fmt.Errorf("list markers: %w", err)
		}
		for _, o := range objs {
			done[o.Key] = true
		}
	}
	return done, nil
}

// IsDone reports whether o has a marker in done (from Done).
func IsDone(done map[string]bool, o Object) bool { return done[markerKey(o)] }
