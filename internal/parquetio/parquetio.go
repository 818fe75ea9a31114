// Package parquetio writes and reads keytrail's Parquet files with one set of
// writer options, chosen for readers other than parquet-go (Athena/Trino,
// DuckDB): data page v1, statistics in the footer and the page index,
// zstd, bounded row groups.
package parquetio

import (
	"errors"
	"fmt"
	"io"
	"math/bits"
	"reflect"
	"sync"

	kzstd "github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// RowsPerRowGroup bounds a row group. At roughly 1 KiB per row uncompressed
// this keeps a group near Athena's preferred 64–128 MB while bounding the
// memory a writer (or a compacting Lambda) buffers.
const RowsPerRowGroup = 128 * 1024

// The codecs are shared by every writer: they pool their zstd encoders,
// whose tables are costly to allocate, so writing many small files (one per
// CloudTrail object) does not allocate an encoder per column per file.
var (
	// codec is zstd's default level, for files that stay.
	codec = &zstd.Codec{Level: zstd.SpeedDefault}
	// fastCodec is for files that are soon rewritten.
	fastCodec = &partCodec{Codec: zstd.Codec{Level: zstd.SpeedFastest}}
	// denseCodec is for files written once and read by every query
	// (Layout.Smaller): on random ids (event_id, request_id, a third of a
	// compacted file at the default level) it writes about 40 % fewer
	// bytes, close to their entropy; zstd decodes every level alike.
	denseCodec = &zstd.Codec{Level: zstd.SpeedBetterCompression}
)

// Layout is how a file's rows are grouped for readers that skip what a
// query cannot match. The zero Layout is Write's: row groups of
// RowsPerRowGroup rows and no bloom filters.
//
// Readers skip whole row groups: Athena/Trino and DuckDB compare a filter's
// value with each row group's min/max statistics and, for equality, probe
// its bloom filter. Both only help when the rows a query wants are
// clustered (the writer's caller sorts them) and the groups are small
// enough that a cluster fills a few of them rather than sharing one with
// everything else.
type Layout struct {
	// RowGroupRows bounds a row group; zero means RowsPerRowGroup.
	RowGroupRows int
	// Bloom names the top-level columns that get a split-block bloom
	// filter, BloomBitsPerValue bits per value.
	Bloom []string
	// NoBounds names columns whose min/max are left out of the footer and
	// the page index: long values no query compares (JSON text), whose
	// bounds every reader of the file would otherwise read, once per row
	// group.
	NoBounds []string
	// Smaller compresses with zstd's better-compression level
	// (denseCodec), for files written once and read often.
	Smaller bool
}

// BloomBitsPerValue sizes the bloom filters: 10 bits per value is a false
// positive rate of about 1 % (parquet-go's figures for its split-block
// filter), and about 1.25 bytes per row per filtered column.
const BloomBitsPerValue = 10

// key is l as a comparable value, for the writer pools.
func (l Layout) key() string {
	return fmt.Sprint(l.RowGroupRows, l.Bloom, l.NoBounds, l.Smaller)
}

// options are the writer options for schema with codec.
func options(schema *parquet.Schema, codec compress.Codec, l Layout) []parquet.WriterOption {
	rowGroup := l.RowGroupRows
	if rowGroup <= 0 {
		rowGroup = RowsPerRowGroup
	}
	opts := []parquet.WriterOption{
		schema,
		parquet.Compression(codec),
		// Version 1 data pages: engines have mis-read v2 pages from some
		// writers (equality filters returning no rows).
		parquet.DataPageVersion(1),
		// Min/max per page go in the column index (the page index Trino and
		// Athena read) and per row group in the footer. Repeating them in
		// every page header is what parquet-mr and Arrow stopped doing once
		// page indexes existed (PARQUET-1365); parquet-go would compute
		// them a second time per page.
		parquet.DataPageStatistics(false),
		parquet.MaxRowsPerRowGroup(int64(rowGroup)),
		parquet.CreatedBy("keytrail", "", ""),
	}
	for _, c := range l.NoBounds {
		opts = append(opts, parquet.SkipPageBounds(c))
	}
	if len(l.Bloom) > 0 {
		filters := make([]parquet.BloomFilterColumn, len(l.Bloom))
		for i, c := range l.Bloom {
			filters[i] = parquet.SplitBlockFilter(BloomBitsPerValue, c)
		}
		opts = append(opts, parquet.BloomFilters(filters...))
	}
	return opts
}

// Write writes rows as one Parquet file with the schema of T.
func Write[T any](w io.Writer, rows []T) error { return write(w, rows, codec, Layout{}) }

// WriteLayout is Write with the row groups and bloom filters of l. The
// caller sorts rows so that what queries look for clusters.
func WriteLayout[T any](w io.Writer, rows []T, l Layout) error {
	c := compress.Codec(codec)
	if l.Smaller {
		c = denseCodec
	}
	return write(w, rows, c, l)
}

// WriteFast is Write with partCodec (zstd's fastest level, small pages
// without entropy coding), for files that are soon rewritten: ingest's
// parts, which compaction merges within the hour.
func WriteFast[T any](w io.Writer, rows []T) error { return write(w, rows, fastCodec, Layout{}) }

// Building a parquet-go writer (column buffers, dictionaries, page
// buffers for every column) costs about as much as writing a few hundred
// rows, and ingest writes one small file per CloudTrail object. So writers
// are pooled and reused with Reset, per row type, codec and page buffer
// size and layout.
var writers sync.Map // writerKey → *sync.Pool of *parquet.GenericWriter[T]

type writerKey struct {
	row    reflect.Type
	codec  compress.Codec
	page   int
	layout string
}

func write[T any](w io.Writer, rows []T, codec compress.Codec, l Layout) error {
	key := writerKey{reflect.TypeFor[T](), codec, pageBufferSize(len(rows)), l.key()}
	p, ok := writers.Load(key)
	if !ok {
		p, _ = writers.LoadOrStore(key, new(sync.Pool))
	}
	pool := p.(*sync.Pool)
	pw, _ := pool.Get().(*parquet.GenericWriter[T])
	if pw == nil {
		pw = newWriter[T](w, codec, key.page, l)
	} else {
		pw.Reset(w)
	}
	if err := writeFile(pw, rows); err != nil {
		return err // the writer is dropped, not reused
	}
	recycle(pw)
	pool.Put(pw)
	return nil
}

// writeFile writes rows with pw and closes the file.
func writeFile[T any](pw *parquet.GenericWriter[T], rows []T) error {
	if _, err := pw.Write(rows); err != nil {
		return fmt.Errorf("write rows: %w", err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("close parquet writer: %w", err)
	}
	return nil
}

// recycle readies a writer that has written a file for the next one.
func recycle[T any](pw *parquet.GenericWriter[T]) {
	detachPaths(pw.File())
	pw.Reset(io.Discard) // and drops the reference to the last output
}

func newWriter[T any](w io.Writer, codec compress.Codec, pageBufferSize int, l Layout) *parquet.GenericWriter[T] {
	opts := append(options(parquet.SchemaOf(new(T)), codec, l), parquet.PageBufferSize(pageBufferSize))
	return parquet.NewGenericWriter[T](w, opts...)
}

// detachPaths works around parquet-go/parquet-go#602 (v0.32.0): the column
// chunks of a written file's footer share their path_in_schema with the
// writer's own column paths, and Reset clears the footer's in place, so
// every file after the first would name its columns "" (Athena: "not found
// in message"). Dropping the footer's references first leaves the writer's
// paths intact. TestReusedWriterMatchesFresh fails if a parquet-go release
// changes this.
func detachPaths(f parquet.FileView) {
	for _, rg := range f.Metadata().RowGroups {
		for i := range rg.Columns {
			rg.Columns[i].MetaData.PathInSchema = nil
		}
	}
}

// pageBufferSize sizes each column's page buffer for n rows, rounded up to
// a power of two so that few pools of writers serve every size. parquet-go
// allocates a full buffer per column per writer: at the default 256 KiB that
// is megabytes for a part of a few rows. Large files keep the default.
func pageBufferSize(n int) int {
	size := min(parquet.DefaultPageBufferSize, max(16<<10, 256*n))
	return 1 << bits.Len(uint(size-1))
}

// Read reads every row of a Parquet file into T.
func Read[T any](r io.ReaderAt, size int64) ([]T, error) {
	// Our files are small and read whole: no page index, no bloom filters.
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("open parquet: %w", err)
	}
	pr := parquet.NewGenericReader[T](f)
	defer pr.Close()
	rows := make([]T, 0, pr.NumRows())
	buf := make([]T, 256)
	for {
		n, err := pr.Read(buf)
		rows = append(rows, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return rows, fmt.Errorf("read rows: %w", err)
		}
	}
}

// partCodec is zstd at its fastest level (about half the compression time
// of the default level, for files about 10 % larger) and, for pages under
// smallPage bytes, without entropy coding of the literals. The pages of a
// part of a few hundred rows (one CloudTrail file's) are mostly that
// small, and building their Huffman tables is then most of zstd's work:
// such a part is written about 14 % faster for about 16 % more bytes
// (BenchmarkWriteParquet/ingest-150-rows); large parts do not change. The
// frames are ordinary zstd: entropy coding is the encoder's choice, block
// by block.
type partCodec struct {
	zstd.Codec // the fastest level, for large pages and for decoding
	small      sync.Pool
}

const smallPage = 16 << 10

func (c *partCodec) Encode(dst, src []byte) ([]byte, error) {
	if len(src) >= smallPage {
		return c.Codec.Encode(dst, src)
	}
	e, _ := c.small.Get().(*kzstd.Encoder)
	if e == nil {
		var err error
		e, err = kzstd.NewWriter(nil,
			kzstd.WithEncoderLevel(kzstd.SpeedFastest),
			kzstd.WithEncoderConcurrency(1),
			kzstd.WithZeroFrames(true),
			kzstd.WithEncoderCRC(false),
			kzstd.WithNoEntropyCompression(true),
		)
		if err != nil {
			return nil, err
		}
	}
	defer c.small.Put(e)
	return e.EncodeAll(src, dst[:0]), nil
}
