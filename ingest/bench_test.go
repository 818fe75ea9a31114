package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/keytrail/keytrail/internal/cloudtrail"
	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/gen"
	"github.com/keytrail/keytrail/internal/source"
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
		// Decompressed input: ingest's own cost without inflation.
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			b.Fatal(err)
		}
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

// BenchmarkWriteParquet measures encoding one part (DefaultRowsPerPart
// normalized rows from the generated corpus) as ingest writes it, and as
// compaction does.
func BenchmarkWriteParquet(b *testing.B) {
	out := &memOutput{files: map[string]*bytes.Buffer{}}
	if _, err := gen.Corpus(gen.CorpusConfig{Seed: 1, Bytes: 32 << 20, Files: 1}, out); err != nil {
		b.Fatal(err)
	}
	var rows []event.Event
	for _, f := range out.files {
		zr, err := gzip.NewReader(f)
		if err != nil {
			b.Fatal(err)
		}
		s := cloudtrail.NewScanner(zr)
		for s.Next() && len(rows) < DefaultRowsPerPart {
			var rec cloudtrail.Record
			if err := json.Unmarshal(s.Record(), &rec); err != nil {
				b.Fatal(err)
			}
			if rec.EventSource != source.KMS.EventSource && rec.EventSource != source.SecretsManager.EventSource {
				continue
			}
			e, err := Normalize(&rec, s.Record())
			if err != nil {
				b.Fatal(err)
			}
			rows = append(rows, e)
		}
	}
	event.Sort(rows)
	for _, bc := range []struct {
		name  string
		write func(io.Writer, []event.Event) error
		rows  []event.Event
	}{
		{"ingest", event.WriteParquetFast, rows},
		{"compact", event.WriteParquet, rows},
		// The kept rows of one 1 MB log file, the most common size.
		{"ingest-150-rows", event.WriteParquetFast, rows[:150]},
		// A part of one row: what every object costs however small.
		{"ingest-1-row", event.WriteParquetFast, rows[:1]},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var buf bytes.Buffer
			for range b.N {
				buf.Reset()
				if err := bc.write(&buf, bc.rows); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(bc.rows)), "ns/row")
			b.ReportMetric(float64(buf.Len())/float64(len(bc.rows)), "B/row")
		})
	}
}
