package alert_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/alert"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/queries"
)

// logLines decodes a JSON log.
func logLines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// TestFollowUpRebuilt: the SQL the alerter starts in Athena and shows in
// Slack is rebuilt from the finding's fields, never the SQL stored in the
// finding, which whoever can write findings/ chooses.
func TestFollowUpRebuilt(t *testing.T) {
	const tampered = "SELECT secret_string FROM prod.secrets_dump -- <!channel>"
	tests := []struct {
		name      string
		mod       func(f *finding.Finding)
		query     alert.QueryFunc
		wantSQL   bool   // a follow-up query is shown and started
		wantLevel string // the log record about the query ("" for none)
	}{
		{"tampered stored query", func(f *finding.Finding) { f.Query = tampered }, queries.Evidence, true, "WARN"},
		{"stored query from an older detector", func(f *finding.Finding) {}, queries.Evidence, true, "WARN"},
		{"stored query as rebuilt", func(f *finding.Finding) { f.Query, _ = queries.Evidence(*f) }, queries.Evidence, true, ""},
		{"no stored query", func(f *finding.Finding) { f.Query = "" }, queries.Evidence, true, ""},
		{"rebuild fails", func(f *finding.Finding) { f.Query, f.Principal = tampered, "arn:aws:iam::111122223333:role/\xff" }, queries.Evidence, false, "ERROR"},
		{"rebuilt SQL hides a rune", func(f *finding.Finding) { f.Query = tampered },
			func(finding.Finding) (string, error) { return "SELECT 1 -- \u202e", nil }, false, "ERROR"},
		{"query func errs", func(f *finding.Finding) { f.Query = tampered },
			func(finding.Finding) (string, error) { return "", errors.New("no such query") }, false, "ERROR"},
		{"no query func", func(f *finding.Finding) { f.Query = tampered }, nil, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock(t0)
			s := startSlack(t, c)
			client, athenaSrv := startAthena(t, false)
			var logs bytes.Buffer
			a := newAlerter(s, stores(t)["dir"](t), c)
			a.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
			a.Query = tt.query
			a.FollowUp = &alert.FollowUp{Client: client, Region: "eu-central-1", Workgroup: "keytrail"}
			f := mkFinding(1, "high")
			tt.mod(&f)
			rep, err := a.Run(context.Background(), []finding.Finding{f})
			if err != nil || len(rep.Posted) != 1 {
				t.Fatalf("run: %v %+v", err, rep)
			}
			blocks := string(s.Posts()[0].Blocks)
			rebuilt, _ := queries.Evidence(f)
			want := alert.StripHeader(rebuilt)
			if tt.wantSQL {
				if len(athenaSrv.requests) != 1 || athenaSrv.requests[0]["QueryString"] != want {
					t.Errorf("athena got %v, want the rebuilt query", athenaSrv.requests)
				}
				if !strings.Contains(blocks, "WITH ev AS") {
					t.Errorf("message does not show the rebuilt query: %s", blocks)
				}
				if strings.Contains(blocks, "-- @") || strings.Contains(want, "-- @") {
					t.Errorf("the query library's header is shown or run: %s", blocks)
				}
			} else {
				if len(athenaSrv.requests) != 0 {
					t.Errorf("started %v without a rebuilt query", athenaSrv.requests)
				}
				if strings.Contains(blocks, "Follow-up query") {
					t.Errorf("message shows a follow-up query: %s", blocks)
				}
			}
			if strings.Contains(blocks, "secret_string") {
				t.Errorf("message shows the stored query: %s", blocks)
			}
			var got []map[string]any
			for _, l := range logLines(t, &logs) {
				if m, _ := l["msg"].(string); strings.Contains(m, "follow-up query") {
					got = append(got, l)
				}
			}
			if tt.wantLevel == "" {
				if len(got) != 0 {
					t.Errorf("logged %v", got)
				}
				return
			}
			if len(got) != 1 || got[0]["level"] != tt.wantLevel || got[0]["finding_id"] != f.ID {
				t.Errorf("log %v, want one %s record with the finding id", got, tt.wantLevel)
			}
			if strings.Contains(logs.String(), "secret_string") {
				t.Errorf("the log carries the stored query: %s", logs.String())
			}
		})
	}
}
