package parquetio

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
)

type row struct {
	ID    string    `parquet:"id"`
	Time  time.Time `parquet:"time,timestamp(millisecond:utc)"`
	Kind  string    `parquet:"kind,dict"`
	Flag  *bool     `parquet:"flag,optional"`
	Names []string  `parquet:"names,list"`
	N     int64     `parquet:"n"`
}

func rows(n, seed int) []row {
	out := make([]row, n)
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := range out {
		v := (i+seed)%3 == 0
		out[i] = row{
			ID:    fmt.Sprintf("id-%d-%d", seed, i),
			Time:  t0.Add(time.Duration(i) * time.Millisecond),
			Kind:  fmt.Sprint("kind", (i*seed)%4),
			Names: []string{fmt.Sprint("a", i), fmt.Sprint("b", seed)}[:i%3],
			N:     int64(i * seed),
		}
		if i%2 == 0 {
			out[i].Flag = &v
		}
	}
	return out
}

// Write reuses writers: every file it produces, however many came before,
// reads back whole and names each column chunk's path (parquet-go#602
// loses it when a writer is reused without detachPaths; Athena then fails
// with "not found in message").
func TestWriteIsFresh(t *testing.T) {
	for i, n := range []int{1000, 3, 1, 5000, 200, 2, 40} {
		in := rows(n, i+1)
		if n == 40 {
			// Values far larger than a small part's page buffer: several
			// pages per column.
			for j := range in {
				in[j].ID = strings.Repeat(fmt.Sprint(j), 4000)
			}
		}
		var buf bytes.Buffer
		write := Write[row]
		if i%2 == 1 {
			write = WriteFast[row]
		}
		if err := write(&buf, in); err != nil {
			t.Fatal(err)
		}
		f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		for _, rg := range f.Metadata().RowGroups {
			for j, c := range rg.Columns {
				want := f.Schema().Columns()[j]
				if !slices.Equal(c.MetaData.PathInSchema, want) {
					t.Fatalf("file %d column %d: path_in_schema %q, want %q", i, j, c.MetaData.PathInSchema, want)
				}
			}
		}
		got, err := Read[row](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n {
			t.Fatalf("file %d: read %d rows, want %d", i, len(got), n)
		}
		for j := range got {
			a, b := got[j], in[j]
			if a.ID != b.ID || !a.Time.Equal(b.Time) || a.Kind != b.Kind || a.N != b.N ||
				(a.Flag == nil) != (b.Flag == nil) || (a.Flag != nil && *a.Flag != *b.Flag) ||
				len(a.Names)+len(b.Names) > 0 && !slices.Equal(a.Names, b.Names) {
				t.Fatalf("file %d row %d: read %+v, wrote %+v", i, j, a, b)
			}
		}
	}
}

// A writer that has written other files writes the same bytes as a new
// one: nothing of an earlier file (column paths, statistics, dictionaries,
// page indexes, row counts) leaks into the next.
func TestReusedWriterMatchesFresh(t *testing.T) {
	for _, c := range []compress.Codec{codec, fastCodec} {
		for _, page := range []int{16 << 10, parquet.DefaultPageBufferSize} {
			reused := newWriter[row](io.Discard, c, page, Layout{})
			for i, n := range []int{1000, 3, 1, 5000, 200, 40} {
				in := rows(n, i+1)
				if n == 40 {
					for j := range in {
						in[j].ID = strings.Repeat(fmt.Sprint(j), 4000)
					}
				}
				var got, want bytes.Buffer
				reused.Reset(&got)
				if err := writeFile(reused, in); err != nil {
					t.Fatal(err)
				}
				recycle(reused)
				if err := writeFile(newWriter[row](&want, c, page, Layout{}), in); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Fatalf("codec %T, page buffer %d, file %d (%d rows): the reused writer wrote %d bytes that differ from a new writer's %d",
						c, page, i, n, got.Len(), want.Len())
				}
			}
		}
	}
}

// Readers prune with the footer's column statistics and the page index:
// every column must carry both.
func TestStatistics(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, rows(100, 3)); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	rg := f.Metadata().RowGroups[0]
	indexes := f.ColumnIndexes()
	if len(indexes) != len(rg.Columns) {
		t.Fatalf("%d column indexes for %d columns", len(indexes), len(rg.Columns))
	}
	for i, c := range rg.Columns {
		st := c.MetaData.Statistics
		if st.MinValue == nil || st.MaxValue == nil {
			t.Errorf("column %q: no min/max in the footer", c.MetaData.PathInSchema)
		}
		if len(indexes[i].MinValues) == 0 || len(indexes[i].MaxValues) == 0 {
			t.Errorf("column %q: no min/max in the page index", c.MetaData.PathInSchema)
		}
	}
	if got := string(rg.Columns[0].MetaData.Statistics.MinValue); got != "id-3-0" {
		t.Errorf("min id = %q, want id-3-0", got)
	}
}

// A Layout bounds row groups, writes bloom filters that find what the file
// holds, and leaves the named columns' bounds out; a reused writer with a
// layout writes the same bytes as a new one.
func TestLayout(t *testing.T) {
	l := Layout{RowGroupRows: 300, Bloom: []string{"kind", "id"}, NoBounds: []string{"n"}, Smaller: true}
	in := rows(1000, 5)
	var first bytes.Buffer
	for i := range 2 {
		var buf bytes.Buffer
		if err := WriteLayout(&buf, in, l); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = buf
			continue
		}
		if !bytes.Equal(buf.Bytes(), first.Bytes()) {
			t.Fatal("a reused writer wrote other bytes than the first")
		}
	}
	// Smaller: zstd's denser level, on random ids like CloudTrail's.
	dense, plain := Layout{Smaller: true}, Layout{}
	big := rows(20000, 7)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i].ID = fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xffff, rng.Uint32()&0xffff, rng.Uint64()&0xffffffffffff)
	}
	var a, b bytes.Buffer
	if err := WriteLayout(&a, big, dense); err != nil {
		t.Fatal(err)
	}
	if err := WriteLayout(&b, big, plain); err != nil {
		t.Fatal(err)
	}
	if a.Len() >= b.Len() {
		t.Errorf("Smaller: %d bytes, default level: %d", a.Len(), b.Len())
	}
	f, err := parquet.OpenFile(bytes.NewReader(first.Bytes()), int64(first.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.RowGroups()); n != 4 {
		t.Fatalf("%d row groups, want 4 of at most 300 rows", n)
	}
	got, err := Read[row](bytes.NewReader(first.Bytes()), int64(first.Len()))
	if err != nil || len(got) != len(in) || got[999].ID != in[999].ID {
		t.Fatalf("read back %d rows (%v)", len(got), err)
	}
	cols := f.Schema().Columns()
	for g, rg := range f.RowGroups() {
		for j, cc := range rg.ColumnChunks() {
			name := strings.Join(cols[j], ".")
			bf := cc.BloomFilter()
			if want := name == "kind" || name == "id"; (bf != nil) != want {
				t.Errorf("row group %d column %s: bloom filter %v, want %v", g, name, bf != nil, want)
			}
			if bf != nil {
				v := in[g*300].ID
				if name == "kind" {
					v = in[g*300].Kind
				}
				if ok, err := bf.Check(parquet.ValueOf(v)); err != nil || !ok {
					t.Errorf("row group %d column %s: bloom filter misses %q (%v)", g, name, v, err)
				}
				if ok, _ := bf.Check(parquet.ValueOf("not-there")); ok && name == "id" {
					t.Logf("row group %d: false positive", g)
				}
			}
			st := f.Metadata().RowGroups[g].Columns[j].MetaData.Statistics
			if bounded := st.MinValue != nil; bounded == (name == "n") {
				t.Errorf("row group %d column %s: bounds %v", g, name, bounded)
			}
		}
	}
}
