package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/ingest"
)

// The summary counts skipped and failed files per reason and names a few
// of each, not thousands of digest files; verbose names them all.
func TestReportGroups(t *testing.T) {
	s := &ingest.Summary{Objects: 1002, Bytes: 50e6, Elapsed: 2 * time.Second, BySource: map[string]int{}, CappedRows: 3}
	for i := range 1000 {
		s.Problems = append(s.Problems, ingest.Result{Object: fmt.Sprintf("digest-%d.json.gz", i), Status: ingest.StatusSkipped, Reason: "CloudTrail digest file"})
	}
	s.Problems = append(s.Problems, ingest.Result{Object: "bad\nname.json.gz", Status: ingest.StatusFailed, Reason: "not gzip"})
	var b bytes.Buffer
	r := &Report{Summary: *s, Lake: "lake"}
	r.WriteText(&b, false)
	out := b.String()
	for _, want := range []string{"(50 MB of JSON, 25 MB/s)", "Not fully ingested: 1001 files", "  1 failed: not gzip\n    bad name.json.gz\n",
		"  1000 skipped: CloudTrail digest file\n", "… and 997 more (--verbose lists them all)", "3 rows name more secrets and keys than a row keeps"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n > 15 {
		t.Errorf("summary has %d lines for 1000 digest files", n)
	}
	b.Reset()
	r.WriteText(&b, true)
	if !strings.Contains(b.String(), "digest-999.json.gz") {
		t.Error("verbose summary does not list every file")
	}
}

func TestOneLine(t *testing.T) {
	if got := OneLine("a\nb\x1b[31m\u202ec\u200bd\U000e0041"); got != "a b [31m c d " {
		t.Errorf("OneLine = %q", got)
	}
}
