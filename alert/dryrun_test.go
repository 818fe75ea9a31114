package alert_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/alert"
	"github.com/keytrail/keytrail/queries"
)

// The dry run shows what Run would post: the severity floor, a summary
// above the threshold, each finding's query rebuilt (never the stored
// one), with its preview and attachment, and says so when nothing is left.
func TestDryRun(t *testing.T) {
	fs, err := alert.ReadFile("testdata/findings.jsonl", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		al        alert.Alerter
		want      []string
		wantNot   []string
		wantCount int // messages
	}{
		{"all", alert.Alerter{Query: queries.Evidence}, []string{"# message 4 of 4: preview", `"event_type": "keytrail_finding"`, "WITH ev AS"},
			[]string{"AND failed", "new findings"}, 4},
		{"summary", alert.Alerter{Query: queries.Evidence, SummaryThreshold: 2}, []string{"# message 1 of 5", "keytrail: 4 new findings"}, nil, 5},
		{"floor", alert.Alerter{Query: queries.Evidence, MinSeverity: "critical"}, []string{"# message 2 of 2", "`failed-access-1`", "`destructive-1`"}, []string{"`off-hours-1`", "`minimal`"}, 2},
		{"athena link", alert.Alerter{Query: queries.Evidence, FollowUp: &alert.FollowUp{Region: "eu-central-1", Workgroup: "keytrail"}},
			[]string{"athena/home?region=eu-central-1#/query-editor|Open in Athena>"}, nil, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, logs bytes.Buffer
			tt.al.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			if err := tt.al.DryRun(context.Background(), &out, fs); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("lacks %q:\n%.2000s", w, out.String())
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(out.String(), w) {
					t.Errorf("holds %q:\n%.2000s", w, out.String())
				}
			}
			if n := strings.Count(out.String(), ": Block Kit JSON\n"); n != tt.wantCount {
				t.Errorf("%d messages, want %d", n, tt.wantCount)
			}
		})
	}
	var out bytes.Buffer
	if err := (&alert.Alerter{}).DryRun(context.Background(), &out, nil); err != nil || out.String() != "no findings to post\n" {
		t.Errorf("no findings: %q, %v", out.String(), err)
	}
}

func TestReadFile(t *testing.T) {
	body, err := os.ReadFile("testdata/findings.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stdin string
		want  string // the error, or "" for the fixture's 4 findings
	}{
		{"testdata/findings.jsonl", "", ""},
		{"-", string(body), ""},
		{"-", "{\"id\":\"a\"}\nnot json\n", "line 2"},
		{"testdata/missing.jsonl", "", "no such file"},
	}
	for _, tt := range tests {
		fs, err := alert.ReadFile(tt.name, strings.NewReader(tt.stdin))
		switch {
		case tt.want == "" && (err != nil || len(fs) != 4):
			t.Errorf("ReadFile(%s) = %d findings, %v; want 4", tt.name, len(fs), err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("ReadFile(%s) error %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestReportString(t *testing.T) {
	r := alert.Report{Posted: []string{"a", "b"}, AlreadyPosted: 3, Recovered: []string{"c"}, Suppressed: []string{"d", "e", "f"}, Held: 4, Failed: []string{"g"}}
	if got, want := r.String(), "posted 2, already posted 3, recovered 1, suppressed 3, held by another run 4, pending 1"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
