package lake_test

import (
	"bytes"
	"io"
	"path/filepath"
	"testing"

	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/s3test"
)

// BenchmarkPut reports throughput and memory per 20 MiB Put: a seekable
// body should cost almost no memory, a stream about one part.
func BenchmarkPut(b *testing.B) {
	srv := s3test.Start(b)
	s3store, err := lake.NewS3(srv.Client(b), srv.Bucket(b, "bench"), "lake", lake.S3Options{})
	if err != nil {
		b.Fatal(err)
	}
	dir, err := lake.NewDir(filepath.Join(b.TempDir(), "lake"))
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat([]byte("x"), largeSize)
	bodies := map[string]func() io.Reader{
		"seekable": func() io.Reader { return bytes.NewReader(data) },
		"stream":   func() io.Reader { return struct{ io.Reader }{bytes.NewReader(data)} },
	}
	for _, st := range []struct {
		name  string
		store lake.Store
	}{{"S3", s3store}, {"Dir", dir}} {
		for _, name := range []string{"seekable", "stream"} {
			b.Run(st.name+"/"+name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(largeSize)
				for b.Loop() {
					if err := st.store.Put(b.Context(), "events/day=2024-01-01/bench.parquet", bodies[name]()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
