package detect

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
)

// peerDir holds a peer's own detection test cases (see its PROVENANCE.md).
const peerDir = "../../shared/data/peers/panther-analysis"

type peerCase struct {
	Case      int    `json:"case"`
	Rule      string `json:"rule"`
	Test      string `json:"test"`
	Expected  bool   `json:"expected"`
	Threshold string `json:"threshold"`
	Out       string `json:"out"`
}

// TestPeerCases runs panther-analysis' own Secrets Manager and KMS rule
// tests through ingest and the detector with the default configuration. A
// case the peer expects to alert must give a finding; a case it expects to
// stay quiet must give nothing high or critical.
//
// The peer's threshold rules alert once that many matching events share a
// dedup key within the rule's period, so a case it expects to alert is
// repeated to its threshold as the rule describes it (distinct event ids,
// a minute apart; the multi-region rule's copies each in another region).
// A quiet case is run as written: it says one such event does not count.
func TestPeerCases(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(peerDir, "manifest.json"))
	if err != nil {
		t.Skipf("peer cases not available (%v): they live in ../shared/data/peers beside the repository", err)
	}
	var cases []peerCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	agree := 0
	for _, c := range cases {
		ok := t.Run(fmt.Sprintf("%02d-%s", c.Case, strings.ReplaceAll(c.Test, " ", "_")), func(t *testing.T) {
			fs := runPeerCase(t, c)
			var high []string
			for _, f := range fs {
				if finding.SeverityRank(f.Severity) >= finding.SeverityRank(finding.SeverityHigh) {
					high = append(high, f.Kind+" "+f.Severity+": "+f.Reason)
				}
			}
			switch {
			case c.Expected && len(fs) == 0:
				t.Errorf("%s expects an alert; keytrail gave no finding", c.Rule)
			case !c.Expected && len(high) > 0:
				t.Errorf("%s expects no alert; keytrail gave %s", c.Rule, strings.Join(high, "; "))
			}
			for _, f := range fs {
				t.Logf("%s %s: %s", f.Kind, f.Severity, f.Reason)
			}
		})
		if ok {
			agree++
		}
	}
	t.Logf("keytrail agrees with %d of %d peer cases", agree, len(cases))
}

// multiRegions are the regions the multi-region rule's copies are put in.
var multiRegions = []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"}

func runPeerCase(t *testing.T, c peerCase) []finding.Finding {
	t.Helper()
	f, err := os.Open(filepath.Join(peerDir, "cases", c.Out))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Records []map[string]any `json:"Records"`
	}
	if err := json.NewDecoder(zr).Decode(&doc); err != nil {
		t.Fatalf("%s: %v", c.Out, err)
	}
	n := 1
	if c.Expected {
		if n, err = strconv.Atoi(c.Threshold); err != nil {
			t.Fatalf("threshold %q: %v", c.Threshold, err)
		}
	}
	var recs []map[string]any
	var first time.Time
	for _, r := range doc.Records {
		at, err := time.Parse(time.RFC3339, r["eventTime"].(string))
		if err != nil {
			t.Fatal(err)
		}
		first = at
		for k := range n {
			cp := map[string]any{}
			for key, v := range r {
				cp[key] = v
			}
			if n > 1 {
				cp["eventTime"] = at.Add(time.Duration(k) * time.Minute).Format(time.RFC3339)
				id, _ := cp["eventID"].(string)
				cp["eventID"] = fmt.Sprintf("%s-copy-%d", id, k)
				if strings.Contains(c.Rule, "MultiRegion") {
					cp["awsRegion"] = multiRegions[k%len(multiRegions)]
				}
			}
			recs = append(recs, cp)
		}
	}
	dir := t.TempDir()
	writeLogFile(t, filepath.Join(dir, c.Out), recs)
	st, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sum, err := ingest.New(st, ingest.Config{}).Run(ctx, []ingest.Source{ingest.LocalSource{Path: dir}}, ingest.RunOptions{})
	if err != nil || sum.HasFailures() {
		t.Fatalf("ingest: %+v %v", sum, err)
	}
	day := DayStart(first)
	cfg := DefaultConfig()
	r := &Runner{Store: st, Detector: &Detector{Config: cfg, Now: func() time.Time { return day.AddDate(0, 0, 1) }}}
	fs, err := r.Run(ctx, day, day.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func writeLogFile(t *testing.T, path string, recs []map[string]any) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	if err := json.NewEncoder(zw).Encode(map[string]any{"Records": recs}); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
