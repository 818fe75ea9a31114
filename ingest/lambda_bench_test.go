package ingest

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keytrail/keytrail/internal/gen"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/s3test"
)

type fileOutput struct{ dir string }

func (f fileOutput) Create(key string) (io.WriteCloser, error) {
	p := filepath.Join(f.dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	return os.Create(p)
}

// peakHeap samples the Go heap while fn runs and returns its peak: what a
// Lambda function's memory must hold, less the runtime's fixed ~20 MB.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse+m.StackInuse)
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	return peak
}

// BenchmarkLambdaS3 runs the ingest Lambda's handler on one CloudTrail file
// of about 50 MB compressed (CloudTrail's largest), read from and written to
// a real S3-compatible server on loopback. It reports MB/s of uncompressed
// JSON and the peak heap, which must fit a 256 MB function.
func BenchmarkLambdaS3(b *testing.B) {
	srv := s3test.Start(b)
	client := srv.Client(b)
	srv.Bucket(b, "trail")
	srv.Bucket(b, "lake")
	dir := b.TempDir()
	sum, err := gen.Corpus(gen.CorpusConfig{Seed: 1, Bytes: 390 << 20, Files: 1}, fileOutput{dir})
	if err != nil {
		b.Fatal(err)
	}
	key := sum.Keys[0]
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(key)))
	if err != nil {
		b.Fatal(err)
	}
	st, _ := f.Stat()
	if _, err := client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("trail"), Key: aws.String(key), Body: f}); err != nil {
		b.Fatal(err)
	}
	f.Close()
	store, err := lake.NewS3(client, "lake", "keytrail", lake.S3Options{})
	if err != nil {
		b.Fatal(err)
	}
	h := &Handler{Ingester: New(store, Config{}), S3: client}
	msg := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m", Body: s3Notification("trail", key)}}}
	b.SetBytes(sum.Bytes)
	b.ResetTimer()
	var peak uint64
	for range b.N {
		peak = max(peak, peakHeap(func() {
			resp, err := h.HandleSQS(context.Background(), msg)
			if err != nil || len(resp.BatchItemFailures) != 0 {
				b.Fatalf("handler: %v %+v", err, resp)
			}
		}))
	}
	b.ReportMetric(float64(st.Size())/1e6, "compressed-MB")
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
}
