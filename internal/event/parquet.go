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
// is sorted by time and the same rows always produce the same bytes. Rows
// are large: it sorts a permutation, then applies it in place, moving each
// row once and allocating nothing of row size.
func Sort(rows []Event) {
	if IsSorted(rows) {
		return
	}
	// The keys hold each row's time, so most comparisons do not touch
	// the rows; ties fall back to the full order, then to the position.
	keys := make([]sortKey, len(rows))
	for i := range rows {
		t := rows[i].EventTime
		keys[i] = sortKey{sec: t.Unix(), nsec: int32(t.Nanosecond()), row: int32(i)}
	}
	slices.SortFunc(keys, func(a, b sortKey) int {
		if c := cmp.Compare(a.sec, b.sec); c != 0 {
			return c
		}
		if c := cmp.Compare(a.nsec, b.nsec); c != 0 {
			return c
		}
		if c := compare(&rows[a.row], &rows[b.row]); c != 0 {
			return c
		}
		return cmp.Compare(a.row, b.row)
	})
	perm := make([]int32, len(rows))
	for i, k := range keys {
		perm[i] = k.row
	}
	permute(rows, perm)
}

type sortKey struct {
	sec  int64
	nsec int32
	row  int32
}

// IsSorted reports whether rows are in Sort's order.
func IsSorted(rows []Event) bool {
	for i := 1; i < len(rows); i++ {
		if compare(&rows[i-1], &rows[i]) > 0 {
			return false
		}
	}
	return true
}

// Compare orders two events by time, id and lineage.
func Compare(a, b Event) int { return compare(&a, &b) }

// Key is an event's identity, what deduplication compares. CloudTrail may
// deliver one event twice (the same eventID in two files, identical
// records); records that share an eventID but differ in name, time or
// request id are different events (hand-made and edited data reuse ids),
// and must never be merged. The query library's dedup step and compaction
// use the same four fields.
type Key struct {
	ID, Name, RequestID string
	Time                int64 // Unix nanoseconds
}

// CompareKey orders keys by id, name, request id and time.
func CompareKey(a, b Key) int {
	return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Name, b.Name), cmp.Compare(a.RequestID, b.RequestID), cmp.Compare(a.Time, b.Time))
}

// Key returns e's identity.
func (e *Event) Key() Key {
	return Key{ID: e.EventID, Name: e.EventName, RequestID: e.RequestID, Time: e.EventTime.UnixNano()}
}

func compare(a, b *Event) int {
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

// WriteParquetFast is WriteParquet trading about 10 % of size for speed,
// for ingest's parts: compaction rewrites them with WriteParquet.
func WriteParquetFast(w io.Writer, rows []Event) error { return parquetio.WriteFast(w, rows) }

// ReadParquet reads every row of a Parquet file.
func ReadParquet(r io.ReaderAt, size int64) ([]Event, error) {
	return parquetio.Read[Event](r, size)
}
