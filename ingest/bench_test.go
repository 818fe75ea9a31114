package ingest

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"

	"github.com/keytrail/keytrail/internal/gen"
)

type memOutput struct{ files map[string]*bytes.Buffer }

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }

func (m *memOutput) Create(key string) (io.WriteCloser, error) {
	b := &bytes.Buffer{}
	m.files[key] = b
	return nopCloser{b}, nil
}

type discardSink struct{}

func (discardSink) Put(_ context.Context, _ string, r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}

// BenchmarkIngest measures the ingest core on one generated 64 MB log file
// (about 20 % Secrets Manager and KMS records), writing Parquet to memory.
// MB/s is uncompressed JSON.
func BenchmarkIngest(b *testing.B) {
	out := &memOutput{files: map[string]*bytes.Buffer{}}
	sum, err := gen.Corpus(gen.CorpusConfig{Seed: 1, Bytes: 64 << 20, Files: 1}, out)
	if err != nil {
		b.Fatal(err)
	}
	var data []byte
	for _, f := range out.files {
		data = f.Bytes()
	}
	if os.Getenv("KEYTRAIL_BENCH_PLAIN") != "" {
		data = nil
	}
	in := New(discardSink{}, Config{})
	b.SetBytes(sum.Bytes)
	b.ResetTimer()
	for range b.N {
		res, err := in.Ingest(context.Background(), "bench.json.gz", bytes.NewReader(data))
		if err != nil || int64(res.Kept) != sum.Kept {
			b.Fatalf("kept %d of %d: %v %s", res.Kept, sum.Kept, err, res.Reason)
		}
	}
}
