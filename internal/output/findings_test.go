package output

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/finding"
)

func TestFindings(t *testing.T) {
	fs := []finding.Finding{
		{ID: "f1", Kind: finding.KindOffHours, Severity: "medium", Start: time.Date(2026, 6, 1, 3, 10, 0, 0, time.FixedZone("x", 3600)),
			Count: 2, Principal: "arn:aws:iam::111111111111:role/Admin", Resource: "arn:s1", Title: "off hours"},
		{ID: "f2", Kind: finding.KindFrequency, Severity: "low", Shadow: true, Resources: []string{"a", "b", "c"}, Title: "many"},
	}
	tests := []struct {
		format Format
		want   []string
	}{
		{Table, []string{"severity      kind", "2026-06-01 02:10:00", "low (shadow)", "3 resources", "\n2 findings\n"}},
		{CSV, []string{`"medium","off_hours","2026-06-01 02:10:00","2"`}},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := Write(&b, tt.format, Findings(fs)); err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s lacks %q:\n%s", tt.format, w, b.String())
			}
		}
	}
	// JSON is each finding whole, one a line.
	var b bytes.Buffer
	if err := Write(&b, JSON, Findings(fs)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	var f finding.Finding
	if len(lines) != 2 || json.Unmarshal([]byte(lines[1]), &f) != nil || f.ID != "f2" || len(f.Resources) != 3 {
		t.Errorf("json:\n%s", b.String())
	}
	// No findings is an empty JSON output, not null.
	b.Reset()
	if err := Write(&b, JSON, Findings(nil)); err != nil || b.Len() != 0 {
		t.Errorf("json of no findings %q, %v", b.String(), err)
	}
}

func TestVolume(t *testing.T) {
	rows := []finding.VolumeRow{{Kind: "frequency", Day: "2026-06-01", Findings: 3, Shadow: 1}, {Kind: "off_hours", Day: "2026-06-01", Findings: 2, Shadow: 0}, {Kind: "off_hours", Day: "2026-06-02", Findings: 5, Shadow: 5}}
	var b bytes.Buffer
	if err := Write(&b, Table, Volume(rows)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.String(), "\nfrequency total: 3\noff_hours total: 7\n") {
		t.Errorf("table:\n%s", b.String())
	}
	b.Reset()
	if err := Write(&b, JSON, Volume(rows)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), `{"kind":"frequency","day":"2026-06-01","findings":3,"shadow":1}`+"\n") || strings.Contains(b.String(), "total") {
		t.Errorf("json:\n%s", b.String())
	}
}
