package lake_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/keytrail/keytrail/internal/lake"
)

func TestParseS3URI(t *testing.T) {
	tests := []struct {
		uri            string
		bucket, prefix string
		wantErr        string
	}{
		{uri: "s3://bucket", bucket: "bucket"},
		{uri: "s3://bucket/", bucket: "bucket"},
		{uri: "s3://bucket/lake", bucket: "bucket", prefix: "lake"},
		{uri: "s3://bucket/lake/", bucket: "bucket", prefix: "lake/"},
		{uri: "s3://my.trail-logs-1/AWSLogs/o-abc123/111122223333/", bucket: "my.trail-logs-1", prefix: "AWSLogs/o-abc123/111122223333/"},
		{uri: "s3://bucket/AWSLogs/1111", bucket: "bucket", prefix: "AWSLogs/1111"},
		{uri: "s3://bucket/a b/day=2024-01-01/", bucket: "bucket", prefix: "a b/day=2024-01-01/"},
		{uri: "s3://", wantErr: "s3://: missing bucket"},
		{uri: "s3:///lake", wantErr: "s3:///lake: missing bucket"},
		{uri: "s3://Bucket/x", wantErr: "invalid bucket name"},
		{uri: "s3://my_bucket", wantErr: "invalid bucket name"},
		{uri: "s3://ab", wantErr: "length"},
		{uri: "s3://" + strings.Repeat("a", 64), wantErr: "length"},
		{uri: "s3://-bucket", wantErr: "begin and end"},
		{uri: "s3://bucket-", wantErr: "begin and end"},
		{uri: "s3://my..bucket", wantErr: "adjacent dots"},
		{uri: "s3://192.168.1.10", wantErr: "IP address"},
		{uri: "gs://bucket/x", wantErr: "not an s3:// URI"},
		{uri: "S3://bucket/x", wantErr: "not an s3:// URI"},
		{uri: "bucket/lake", wantErr: "not an s3:// URI"},
	}
	for _, tc := range tests {
		t.Run(tc.uri, func(t *testing.T) {
			bucket, prefix, err := lake.ParseS3URI(tc.uri)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseS3URI = %q, %q, %v; want error containing %q", bucket, prefix, err, tc.wantErr)
				}
				return
			}
			if err != nil || bucket != tc.bucket || prefix != tc.prefix {
				t.Fatalf("ParseS3URI = %q, %q, %v; want %q, %q", bucket, prefix, err, tc.bucket, tc.prefix)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	tmp := t.TempDir()
	// Open builds no connection, so a client with no endpoint is enough.
	client := s3.New(s3.Options{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}})
	tests := []struct {
		name       string
		uri        string
		client     lake.S3API
		wantDir    string // Root of the Dir
		wantBucket string
		wantPrefix string
		wantErr    string
	}{
		{name: "absolute path", uri: filepath.Join(tmp, "a"), wantDir: filepath.Join(tmp, "a")},
		{name: "path with spaces", uri: filepath.Join(tmp, "my lake"), wantDir: filepath.Join(tmp, "my lake")},
		{name: "file URL", uri: "file://" + filepath.ToSlash(filepath.Join(tmp, "b")), wantDir: filepath.Join(tmp, "b")},
		{name: "file URL localhost", uri: "file://localhost" + filepath.ToSlash(filepath.Join(tmp, "c")), wantDir: filepath.Join(tmp, "c")},
		{name: "folder needs no client", uri: filepath.Join(tmp, "d"), client: client, wantDir: filepath.Join(tmp, "d")},
		{name: "s3 root", uri: "s3://lake-bucket", client: client, wantBucket: "lake-bucket", wantPrefix: ""},
		{name: "s3 prefix", uri: "s3://lake-bucket/keytrail", client: client, wantBucket: "lake-bucket", wantPrefix: "keytrail/"},
		{name: "s3 prefix with slash", uri: "s3://lake-bucket/org/keytrail/", client: client, wantBucket: "lake-bucket", wantPrefix: "org/keytrail/"},
		{name: "empty", uri: "", wantErr: "no location"},
		{name: "s3 without bucket", uri: "s3://", client: client, wantErr: "lake s3://: missing bucket"},
		{name: "s3 bad bucket", uri: "s3://Lake/x", client: client, wantErr: "lake s3://Lake/x: invalid bucket name"},
		{name: "s3 bad prefix", uri: "s3://lake-bucket//x", client: client, wantErr: "invalid prefix"},
		{name: "s3 without client", uri: "s3://lake-bucket/x", wantErr: "no S3 client"},
		{name: "file URL with host", uri: "file://server/share/lake", wantErr: "want file:///absolute/path"},
		{name: "file URL relative", uri: "file:lake", wantErr: "want file:///absolute/path"},
		{name: "other scheme", uri: "gs://bucket/lake", wantErr: `unsupported scheme "gs"`},
		{name: "https", uri: "https://bucket.s3.amazonaws.com/lake", wantErr: `unsupported scheme "https"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := lake.Open(t.Context(), tc.uri, tc.client, lake.S3Options{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Open = %T, %v; want error containing %q", st, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch s := st.(type) {
			case *lake.Dir:
				if tc.wantDir == "" || s.Root() != tc.wantDir {
					t.Fatalf("Open = Dir %q, want dir %q / s3 %q", s.Root(), tc.wantDir, tc.wantBucket)
				}
			case *lake.S3:
				if tc.wantBucket == "" || s.Bucket() != tc.wantBucket || s.Prefix() != tc.wantPrefix {
					t.Fatalf("Open = S3 %q %q, want %q %q", s.Bucket(), s.Prefix(), tc.wantBucket, tc.wantPrefix)
				}
			default:
				t.Fatalf("Open = %T", st)
			}
		})
	}
}
