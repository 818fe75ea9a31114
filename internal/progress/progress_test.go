package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// The bar shows the JSON read so far and its rate on the injected clock
// (the bar itself throttles redraws, so only the first is checked).
func TestProgress(t *testing.T) {
	var b bytes.Buffer
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	p := New(&b, "ingest", 100, func() time.Time { return now })
	now = now.Add(2 * time.Second)
	p.Add(40, 30e6)
	if !strings.Contains(b.String(), "ingest 30 MB of JSON, 15 MB/s") {
		t.Errorf("bar %q", b.String())
	}
	p.Add(100, 20e6)
	if p.jsonBytes != 50e6 {
		t.Errorf("JSON bytes %d, want the sum of both updates", p.jsonBytes)
	}
	p.Finish()
}
