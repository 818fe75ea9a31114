package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/internal/output"
)

// TestSummaryCappedRows: the text summary says when rows were cut to the
// resource cap, not only the JSON one.
func TestSummaryCappedRows(t *testing.T) {
	for _, tc := range []struct {
		capped int
		want   bool
	}{{0, false}, {3, true}} {
		var b bytes.Buffer
		output.IngestSummary(&b, &ingest.Summary{Kept: 5, CappedRows: tc.capped, BySource: map[string]int{}}, nil, "lake", false)
		if got := strings.Contains(b.String(), "3 rows name more secrets and keys than a row keeps"); got != tc.want {
			t.Errorf("capped %d: summary mentions the cap = %v, want %v:\n%s", tc.capped, got, tc.want, b.String())
		}
	}
}
