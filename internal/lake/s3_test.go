package lake_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/s3test"
)

func TestS3Conformance(t *testing.T) {
	srv := s3test.Start(t)
	client := srv.Client(t)
	var n atomic.Int64
	t.Run("BucketRoot", func(t *testing.T) {
		testStore(t, func(t *testing.T) lake.Store {
			bucket := srv.Bucket(t, fmt.Sprintf("root-%d", n.Add(1)))
			return newS3(t, client, bucket, "", lake.S3Options{})
		})
	})
	t.Run("Prefix", func(t *testing.T) {
		testStore(t, func(t *testing.T) lake.Store {
			bucket := srv.Bucket(t, fmt.Sprintf("prefix-%d", n.Add(1)))
			// Neighbours the store must never list: a sibling prefix that
			// shares the root's leading characters, and the bucket root.
			for _, k := range []string{"lake/rootX/state/wm.json", "lake/roo", "state/wm.json"} {
				if _, err := client.PutObject(t.Context(), &s3.PutObjectInput{
					Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader("neighbour"),
				}); err != nil {
					t.Fatal(err)
				}
			}
			return newS3(t, client, bucket, "lake/root", lake.S3Options{})
		})
	})
}

func newS3(t *testing.T, client lake.S3API, bucket, prefix string, opts lake.S3Options) *lake.S3 {
	t.Helper()
	s, err := lake.NewS3(client, bucket, prefix, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// recorder passes requests on to the real server and remembers what went
// over the wire.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method, query string
	header        http.Header
	length        int64
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{req.Method, req.URL.RawQuery, req.Header.Clone(), req.ContentLength})
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (r *recorder) take() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}

// kind names an S3 operation from the method and query of its request.
func (r recorded) kind() string {
	switch {
	case r.method == http.MethodPost && strings.Contains(r.query, "uploads"):
		return "CreateMultipartUpload"
	case r.method == http.MethodPut && strings.Contains(r.query, "partNumber="):
		return "UploadPart"
	case r.method == http.MethodPost && strings.Contains(r.query, "uploadId="):
		return "CompleteMultipartUpload"
	case r.method == http.MethodDelete && strings.Contains(r.query, "uploadId="):
		return "AbortMultipartUpload"
	case r.method == http.MethodPut:
		return "PutObject"
	}
	return r.method
}

func kinds(reqs []recorded) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.kind())
	}
	return out
}

// TestS3PutStreams checks how bodies go over the wire: a seekable body in
// one request read from the caller, a stream of unknown length in parts no
// larger than PartSize (the most Put holds in memory), and a small stream
// in one request.
func TestS3PutStreams(t *testing.T) {
	srv := s3test.Start(t)
	rec := &recorder{}
	client := srv.Client(t, func(o *s3.Options) { o.HTTPClient = rec })
	s := newS3(t, client, srv.Bucket(t, "streams"), "lake", lake.S3Options{})
	ctx := t.Context()
	bigFile := func() io.Reader {
		// strings.Reader is an io.ReadSeeker, as an *os.File is.
		return strings.NewReader(strings.Repeat("x", largeSize))
	}
	tests := []struct {
		name      string
		body      func() io.Reader
		wantKinds []string
		maxLength int64
	}{
		{"seekable", bigFile, []string{"PutObject"}, largeSize},
		{"stream", func() io.Reader { return randomStream(5, largeSize) },
			[]string{"CreateMultipartUpload", "UploadPart", "UploadPart", "UploadPart", "CompleteMultipartUpload"}, lake.DefaultPartSize},
		{"small stream", func() io.Reader { return iotest.OneByteReader(strings.NewReader("tiny")) }, []string{"PutObject"}, 4},
		{"exactly one part", func() io.Reader { return randomStream(6, lake.DefaultPartSize) },
			[]string{"CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"}, lake.DefaultPartSize},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := "events/day=2024-01-01/" + strings.ReplaceAll(tc.name, " ", "-")
			rec.take()
			if err := s.Put(ctx, key, tc.body()); err != nil {
				t.Fatal(err)
			}
			reqs := rec.take()
			if got := kinds(reqs); !slices.Equal(got, tc.wantKinds) {
				t.Fatalf("requests = %v, want %v", got, tc.wantKinds)
			}
			var largest int64
			for _, r := range reqs {
				largest = max(largest, r.length)
			}
			if largest != tc.maxLength {
				t.Errorf("largest request body = %d, want %d", largest, tc.maxLength)
			}
			rc, info, err := s.Get(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			got, n := streamSum(t, rc)
			rc.Close()
			want, wantN := streamSum(t, tc.body())
			if n != wantN || info.Size != wantN || string(got) != string(want) {
				t.Fatalf("stored %d bytes (info %d), want %d with the same sha256", n, info.Size, wantN)
			}
		})
	}
}

func TestS3KMSHeaders(t *testing.T) {
	srv := s3test.Start(t)
	rec := &recorder{}
	client := srv.Client(t, func(o *s3.Options) { o.HTTPClient = rec })
	bucket := srv.Bucket(t, "kms")
	const keyARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	tests := []struct {
		name  string
		keyID string
		body  func() io.Reader
	}{
		{"kms single put", keyARN, func() io.Reader { return strings.NewReader("small") }},
		{"kms multipart", keyARN, func() io.Reader { return randomStream(7, lake.DefaultPartSize+1) }},
		{"bucket default single put", "", func() io.Reader { return strings.NewReader("small") }},
		{"bucket default multipart", "", func() io.Reader { return randomStream(7, lake.DefaultPartSize+1) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newS3(t, client, bucket, strings.ReplaceAll(tc.name, " ", "-"), lake.S3Options{KMSKeyID: tc.keyID})
			rec.take()
			if err := s.Put(t.Context(), "state/x", tc.body()); err != nil {
				t.Fatal(err)
			}
			reqs := rec.take()
			if len(reqs) == 0 {
				t.Fatal("no requests recorded")
			}
			for _, r := range reqs {
				sse := r.header.Get("X-Amz-Server-Side-Encryption")
				kid := r.header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id")
				// SSE-KMS is chosen when the object is created: on
				// PutObject and CreateMultipartUpload, never on parts.
				wantSSE, wantKey := "", ""
				if tc.keyID != "" && (r.kind() == "PutObject" || r.kind() == "CreateMultipartUpload") {
					wantSSE, wantKey = "aws:kms", tc.keyID
				}
				if sse != wantSSE || kid != wantKey {
					t.Errorf("%s: SSE headers %q, %q; want %q, %q", r.kind(), sse, kid, wantSSE, wantKey)
				}
			}
		})
	}
}

// TestS3FailedUploadsLeaveNothing checks that a multipart upload that
// fails, by a lost condition or a broken body, is aborted: no object
// changes and no parts are left behind to be billed.
func TestS3FailedUploadsLeaveNothing(t *testing.T) {
	srv := s3test.Start(t)
	client := srv.Client(t)
	bucket := srv.Bucket(t, "failures")
	s := newS3(t, client, bucket, "", lake.S3Options{})
	ctx := t.Context()
	put(t, s, "exists", "original")
	broken := errors.New("disk on fire")
	tests := []struct {
		name    string
		key     string
		write   func(key string) error
		wantErr error
		want    string // content of key afterwards; "" for absent
	}{
		{"PutIfAbsent over an object", "exists", func(k string) error {
			return s.PutIfAbsent(ctx, k, randomStream(8, 2*lake.DefaultPartSize))
		}, lake.ErrPrecondition, "original"},
		{"PutIfMatch with a stale ETag", "exists", func(k string) error {
			return s.PutIfMatch(ctx, k, randomStream(8, 2*lake.DefaultPartSize), `"0123456789abcdef0123456789abcdef"`)
		}, lake.ErrPrecondition, "original"},
		{"body fails in the second part", "new", func(k string) error {
			return s.Put(ctx, k, io.MultiReader(randomStream(9, lake.DefaultPartSize+10), iotest.ErrReader(broken)))
		}, broken, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.write(tc.key); !errors.Is(err, tc.wantErr) {
				t.Fatalf("write = %v, want %v", err, tc.wantErr)
			}
			rc, _, err := s.Get(ctx, tc.key)
			switch {
			case tc.want == "" && !errors.Is(err, lake.ErrNotFound):
				t.Errorf("get after failure: %v, want ErrNotFound", err)
			case tc.want != "":
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(rc)
				rc.Close()
				if string(b) != tc.want {
					t.Errorf("object = %.20q, want %q", b, tc.want)
				}
			}
			ups, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
			if err != nil {
				t.Fatal(err)
			}
			if len(ups.Uploads) != 0 {
				t.Errorf("%d multipart uploads left behind", len(ups.Uploads))
			}
		})
	}
}

// TestS3ServerDown checks that an unreachable server is an error, never
// mistaken for a missing object, and that the store works again after the
// server restarts.
func TestS3ServerDown(t *testing.T) {
	srv := s3test.Start(t)
	client := srv.Client(t, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	s := newS3(t, client, srv.Bucket(t, "down"), "lake", lake.S3Options{})
	put(t, s, "state/wm.json", "1")
	srv.Kill()
	if _, _, err := s.Get(t.Context(), "state/wm.json"); err == nil || errors.Is(err, lake.ErrNotFound) {
		t.Fatalf("get from a dead server = %v, want a connection error", err)
	}
	if _, err := s.List(t.Context(), ""); err == nil {
		t.Fatal("list from a dead server succeeded")
	}
	srv.Restart(t)
	if body, _ := get(t, s, "state/wm.json"); body != "1" {
		t.Fatalf("after restart: %q, want 1", body)
	}
}

func TestNewS3Validates(t *testing.T) {
	srv := s3test.Start(t)
	client := srv.Client(t)
	tests := []struct {
		name    string
		client  lake.S3API
		bucket  string
		prefix  string
		opts    lake.S3Options
		wantErr string
		want    string // Prefix()
	}{
		{name: "no client", bucket: "b-1", wantErr: "no S3 client"},
		{name: "bad bucket", client: client, bucket: "Bad_Bucket", wantErr: "invalid bucket name"},
		{name: "bad prefix", client: client, bucket: "b-1", prefix: "a//b", wantErr: "invalid prefix"},
		{name: "prefix starting with slash", client: client, bucket: "b-1", prefix: "/a", wantErr: "invalid prefix"},
		{name: "small parts", client: client, bucket: "b-1", opts: lake.S3Options{PartSize: 1 << 20}, wantErr: "part size"},
		{name: "root", client: client, bucket: "b-1", want: ""},
		{name: "prefix", client: client, bucket: "b-1", prefix: "lake", want: "lake/"},
		{name: "prefix with slash", client: client, bucket: "b-1", prefix: "org/lake/", want: "org/lake/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := lake.NewS3(tc.client, tc.bucket, tc.prefix, tc.opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("NewS3 = %v, want error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Bucket() != tc.bucket || s.Prefix() != tc.want {
				t.Fatalf("bucket, prefix = %q, %q; want %q, %q", s.Bucket(), s.Prefix(), tc.bucket, tc.want)
			}
		})
	}
}
