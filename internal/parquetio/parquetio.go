// Package parquetio writes and reads keytrail's Parquet files with one set of
// writer options, chosen for readers other than parquet-go (Athena/Trino,
// DuckDB): data page v1, statistics in the footer and the page index,
// zstd, bounded row groups.
package parquetio

import (
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
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
	// fastCodec is zstd's fastest level: about half the compression time
	// for files about 10 % larger.
	fastCodec = &zstd.Codec{Level: zstd.SpeedFastest}
)

// options are the writer options for schema with codec.
func options(schema *parquet.Schema, codec *zstd.Codec) []parquet.WriterOption {
	return []parquet.WriterOption{
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
		parquet.MaxRowsPerRowGroup(RowsPerRowGroup),
		parquet.CreatedBy("keytrail", "", ""),
	}
}

// Write writes rows as one Parquet file with the schema of T.
//
// Each call builds a new writer. Reusing one with GenericWriter.Reset would
// save its allocations, but in parquet-go v0.32.0 every file after the first
// then loses its columns' path_in_schema, which Athena cannot read
// (parquet-go/parquet-go#602); TestWriteIsFresh guards against a change
// that reuses writers before that is fixed.
func Write[T any](w io.Writer, rows []T) error { return write(w, rows, codec) }

// WriteFast is Write with zstd's fastest level, for files that are soon
// rewritten: ingest's parts, which compaction merges within the hour.
func WriteFast[T any](w io.Writer, rows []T) error { return write(w, rows, fastCodec) }

func write[T any](w io.Writer, rows []T, codec *zstd.Codec) error {
	opts := append(options(parquet.SchemaOf(new(T)), codec), parquet.PageBufferSize(pageBufferSize(len(rows))))
	pw := parquet.NewGenericWriter[T](w, opts...)
	if _, err := pw.Write(rows); err != nil {
		return fmt.Errorf("write rows: %w", err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("close parquet writer: %w", err)
	}
	return nil
}

// pageBufferSize sizes each column's page buffer for n rows. parquet-go
// allocates (and zeroes) a full buffer per column per writer: at the default
// 256 KiB that is megabytes for a part of a few rows, most of ingest's cost
// on small CloudTrail files. Large files keep the default page size.
func pageBufferSize(n int) int {
	return min(parquet.DefaultPageBufferSize, max(16<<10, 256*n))
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
