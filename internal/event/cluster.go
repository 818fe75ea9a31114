package event

import (
	"cmp"
	"io"
	"slices"

	"github.com/keytrail/keytrail/internal/parquetio"
)

// Investigations ask about one principal or one resource over a window
// (queries/library). A file sorted by time holds every principal in every
// row group, so no reader can skip any of it. A compacted file is sorted
// by principal, then resource, then time instead, and cut into small row
// groups: a principal's rows fill a few consecutive groups, whose min/max
// statistics and bloom filters let Athena and DuckDB skip the rest, when
// the query's filter reaches the scan (a single-column predicate below the
// dedup step; see queries/scan).
//
// principal_arn leads the order: it is the role for a role's sessions,
// which also share session_issuer_arn, so one sort clusters both columns
// the principal queries filter on. resource_arn second clusters a
// principal's calls to one secret or key.

// CompactedLayout is the row-group size, bloom filters and compression of
// compacted files (see WriteParquetClustered).
//
// 4,096 rows a group, measured on a day of the bench corpus (22,585 rows;
// queries/scan's benchmark): principal_activity of a role with 8 % of the
// day read 153 KB at 4,096 rows, 192 KB at 2,048 (the footer, which every
// query reads whole, doubles: one entry per column per group), 227 KB at
// 1,024, and 249 KB at 8,192 (a group then holds most principals). A group
// is about 150 KB compressed: small for Athena, which merges nearby column
// chunks into one read, and DuckDB scans groups in parallel.
func CompactedLayout() parquetio.Layout {
	return parquetio.Layout{
		RowGroupRows: 4096,
		// The columns investigations filter on with equality. event_id
		// has none: no library query looks an event up by id, and its
		// filter would be the largest (every value distinct).
		Bloom: []string{"principal_arn", "session_issuer_arn", "resource_arn"},
		// JSON text and user agents: long values nobody compares, whose
		// bounds cost footer bytes on every read.
		NoBounds: []string{"request_parameters", "response_elements", "additional_event_data", "encryption_context", "user_agent"},
		// A third of a file is random ids (event_id, request_id):
		// zstd's better level stores them near their entropy.
		Smaller: true,
	}
}

// SortClustered orders rows by principal, resource and time (then as Sort
// does), the order of compacted files. Like Sort it moves each row once.
func SortClustered(rows []Event) {
	if slices.IsSortedFunc(rows, CompareClustered) {
		return
	}
	perm := make([]int32, len(rows))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(a, b int32) int {
		if c := compareClustered(&rows[a], &rows[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	permute(rows, perm)
}

// CompareClustered is SortClustered's order.
func CompareClustered(a, b Event) int { return compareClustered(&a, &b) }

func compareClustered(a, b *Event) int {
	if c := cmp.Compare(a.PrincipalARN, b.PrincipalARN); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ResourceARN, b.ResourceARN); c != 0 {
		return c
	}
	return compare(a, b)
}

// permute makes rows[k] the old rows[perm[k]], following each cycle once
// and marking placed positions with -1.
func permute(rows []Event, perm []int32) {
	for start := range perm {
		if perm[start] < 0 || int(perm[start]) == start {
			continue
		}
		tmp := rows[start]
		k := start
		for {
			src := int(perm[k])
			perm[k] = -1
			if src == start {
				rows[k] = tmp
				break
			}
			rows[k] = rows[src]
			k = src
		}
	}
}

// WriteParquetClustered writes rows, which the caller has sorted with
// SortClustered, as one Parquet file in CompactedLayout.
func WriteParquetClustered(w io.Writer, rows []Event) error {
	return parquetio.WriteLayout(w, rows, CompactedLayout())
}
