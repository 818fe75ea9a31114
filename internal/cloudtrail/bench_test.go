package cloudtrail

import (
	"bytes"
	"io"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/keytrail/keytrail/internal/gen"
)

type memFile struct{ *bytes.Buffer }

func (memFile) Close() error { return nil }

type memOutput struct{ files []*bytes.Buffer }

func (m *memOutput) Create(string) (io.WriteCloser, error) {
	b := &bytes.Buffer{}
	m.files = append(m.files, b)
	return memFile{b}, nil
}

// generatedLog is one generated CloudTrail log file of about size bytes,
// decompressed.
func generatedLog(tb testing.TB, seed, size int64) ([]byte, gen.CorpusSummary) {
	tb.Helper()
	out := &memOutput{}
	sum, err := gen.Corpus(gen.CorpusConfig{Seed: seed, Bytes: size, Files: 1}, out)
	if err != nil {
		tb.Fatal(err)
	}
	zr, err := gzip.NewReader(out.files[0])
	if err != nil {
		tb.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	return data, sum
}

// BenchmarkScanner splits a generated 32 MB log file (already decompressed)
// into records and reads each record's eventSource, as ingest does before
// deciding whether to decode, with each splitter. MB/s is JSON bytes.
func BenchmarkScanner(b *testing.B) {
	data, sum := generatedLog(b, 1, 32<<20)
	for _, blocks := range []bool{false, true} {
		name := "bytes"
		if blocks {
			name = "blocks"
			if !haveClassify {
				b.Log("no vectorised classify here: the block splitter is not used")
				continue
			}
		}
		b.Run(name, func(b *testing.B) {
			defer func(old bool) { useBlocks = old }(useBlocks)
			useBlocks = blocks
			b.SetBytes(int64(len(data)))
			for range b.N {
				s := NewScanner(bytes.NewReader(data))
				var n, src int64
				for s.Next() {
					n++
					if len(s.EventSource()) > 0 {
						src++
					}
				}
				if s.Err() != nil || n != sum.Records || src != n {
					b.Fatalf("%d records (%d with eventSource), want %d: %v", n, src, sum.Records, s.Err())
				}
			}
		})
	}
}

// BenchmarkDecodeRecord decodes the Secrets Manager and KMS records of a
// generated corpus, as ingest does for the records it keeps.
func BenchmarkDecodeRecord(b *testing.B) {
	out := &memOutput{}
	if _, err := gen.Corpus(gen.CorpusConfig{Seed: 1, Bytes: 16 << 20, Files: 1}, out); err != nil {
		b.Fatal(err)
	}
	zr, err := gzip.NewReader(out.files[0])
	if err != nil {
		b.Fatal(err)
	}
	var recs [][]byte
	var size int64
	s := NewScanner(zr)
	for s.Next() {
		switch string(s.EventSource()) {
		case "kms.amazonaws.com", "secretsmanager.amazonaws.com":
			recs = append(recs, bytes.Clone(s.Record()))
			size += int64(len(s.Record()))
		}
	}
	b.SetBytes(size)
	b.ResetTimer()
	var rec Record
	for range b.N {
		for _, r := range recs {
			if !DecodeRecord(r, &rec) {
				b.Fatalf("slow path for %s", r)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}
