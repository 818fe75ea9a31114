package event

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// RowsPerRowGroup bounds a row group. At roughly 1 KiB per row uncompressed
// this keeps a group near Athena's preferred 64–128 MB while bounding the
// memory a writer (or a compacting Lambda) buffers.
const RowsPerRowGroup = 128 * 1024

// Schema is the Parquet schema of Event.
var Schema = parquet.SchemaOf(Event{})

// writerOptions are chosen for readers other than parquet-go: data page v1
// (Trino and older Athena engines mis-filter v2 pages written by some
// writers), page statistics for pruning, zstd, and our own created-by tag.
func writerOptions() []parquet.WriterOption {
	return []parquet.WriterOption{
		Schema,
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedDefault}),
		parquet.DataPageVersion(1),
		parquet.DataPageStatistics(true),
		parquet.MaxRowsPerRowGroup(RowsPerRowGroup),
		parquet.CreatedBy("keytrail", "", ""),
	}
}

// Sort orders rows by event time, then event id, then lineage, so every file
// is sorted by time and the same rows always produce the same bytes.
func Sort(rows []Event) {
	slices.SortFunc(rows, Compare)
}

// Compare orders two events by time, id and lineage.
func Compare(a, b Event) int {
	if c := a.EventTime.Compare(b.EventTime); c != 0 {
		return c
	}
	if c := cmp.Compare(a.EventID, b.EventID); c != 0 {
		return c
	}
	if c := cmp.Compare(a.SourceObject, b.SourceObject); c != 0 {
		return c
	}
	return cmp.Compare(a.SourceIndex, b.SourceIndex)
}

// WriteParquet writes rows, which the caller has sorted, as one Parquet file.
func WriteParquet(w io.Writer, rows []Event) error {
	pw := parquet.NewGenericWriter[Event](w, writerOptions()...)
	if _, err := pw.Write(rows); err != nil {
		return fmt.Errorf("write rows: %w", err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("close parquet writer: %w", err)
	}
	return nil
}

// ReadParquet reads every row of a Parquet file written by WriteParquet.
func ReadParquet(r io.ReaderAt, size int64) ([]Event, error) {
	f, err := parquet.OpenFile(r, size)
	if err != nil {
		return nil, fmt.Errorf("open parquet: %w", err)
	}
	pr := parquet.NewGenericReader[Event](f)
	defer pr.Close()
	rows := make([]Event, 0, pr.NumRows())
	buf := make([]Event, 256)
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
