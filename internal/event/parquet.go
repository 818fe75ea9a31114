package event

import (
	"cmp"
	"io"
	"slices"

	"github.com/keytrail/keytrail/internal/parquetio"
	"github.com/parquet-go/parquet-go"
)

// Schema is the Parquet schema of Event.
var Schema = parquet.SchemaOf(Event{})

// Sort orders rows by event time, then event id, then lineage, so every file
// is sorted by time and the same rows always produce the same bytes.
func Sort(rows []Event) { slices.SortFunc(rows, Compare) }

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
func WriteParquet(w io.Writer, rows []Event) error { return parquetio.Write(w, rows) }

// ReadParquet reads every row of a Parquet file.
func ReadParquet(r io.ReaderAt, size int64) ([]Event, error) {
	return parquetio.Read[Event](r, size)
}
