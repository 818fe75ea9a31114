package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keytrail/keytrail/internal/s3test"
)

func TestIngestBackfillFromS3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an S3 server")
	}
	srv := s3test.Start(t)
	client := srv.Client(t)
	srv.Bucket(t, "trail")
	srv.Bucket(t, "lake")
	ctx := context.Background()
	for i, day := range []string{"2026/06/01", "2026/06/02", "2026/05/01"} {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(`{"Records":[` + strings.Replace(kmsRec, "ID", "e"+string(rune('a'+i)), 1) + `]}`))
		zw.Close()
		key := "AWSLogs/111122223333/CloudTrail/eu-central-1/" + day + "/f.json.gz"
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("trail"), Key: aws.String(key), Body: bytes.NewReader(buf.Bytes())}); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"ingest", "--lake", "s3://lake/keytrail", "--since", "2026-06-01", "--until", "2026-06-30", "s3://trail/AWSLogs/"}
	env, out, errb := testEnv()
	env.getenv = srv.Getenv
	if code := run(ctx, env, args); code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errb, out)
	}
	if !strings.Contains(out.String(), "Ingested 2 files") || !strings.Contains(out.String(), "2 read, 2 kept") {
		t.Fatalf("summary:\n%s", out)
	}
	// A second run resumes: nothing left to do.
	env, out, _ = testEnv()
	env.getenv = srv.Getenv
	if code := run(ctx, env, args); code != 0 {
		t.Fatalf("second run exit %d", code)
	}
	if !strings.Contains(out.String(), "2 finished by an earlier run") {
		t.Fatalf("second run did not resume:\n%s", out)
	}
	objs, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("lake"), Prefix: aws.String("keytrail/events/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs.Contents) != 2 {
		t.Fatalf("lake has %d event files, want 2", len(objs.Contents))
	}
}

func TestCompactCommand(t *testing.T) {
	src := t.TempDir()
	for i := range 3 {
		writeGz(t, src+"/AWSLogs/1/CloudTrail/r/2026/06/01/f"+string(rune('a'+i))+".json.gz",
			`{"Records":[`+strings.Replace(kmsRec, "ID", "same", 1)+`]}`)
	}
	lakeDir := t.TempDir()
	env, _, _ := testEnv()
	if code := run(context.Background(), env, []string{"ingest", "--lake", lakeDir, src}); code != 0 {
		t.Fatalf("ingest exit %d", code)
	}
	env, out, errb := testEnv()
	if code := run(context.Background(), env, []string{"compact", "--lake", lakeDir}); code != 0 {
		t.Fatalf("compact exit %d: %s", code, errb)
	}
	if !strings.Contains(out.String(), "Compacted 1 days: 3 small files merged, 1 events kept, 2 duplicates dropped") {
		t.Fatalf("compact output: %s", out)
	}
}
