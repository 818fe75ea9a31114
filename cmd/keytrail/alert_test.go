package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/slack-go/slack/slacktest"
)

const alertFixtures = "../../alert/testdata/findings.jsonl"

func alertEnv(vars map[string]string) (*environ, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &environ{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}, &out, &errb
}

func TestAlertCommand(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		vars     map[string]string
		wantCode int
		wantOut  []string
		wantErr  string
	}{
		{"dry run", []string{"--findings", alertFixtures, "--dry-run", "--timezone", "Europe/Berlin", "--region", "eu-central-1"}, nil, 0,
			[]string{"# message 1 of 4", "# message 4 of 4", `"event_type": "keytrail_finding"`, "CET", "https://eu-central-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-central-1#/events/d1|event 1>"}, ""},
		{"dry run athena link", []string{"--findings", alertFixtures, "--dry-run", "--region", "eu-central-1", "--workgroup", "keytrail"}, nil, 0,
			[]string{"https://eu-central-1.console.aws.amazon.com/athena/home?region=eu-central-1#/query-editor|Open in Athena>"}, ""},
		{"dry run summary", []string{"--findings", alertFixtures, "--dry-run", "--threshold", "2"}, nil, 0,
			[]string{"# message 1 of 5", "keytrail: 4 new findings"}, ""},
		{"dry run floor", []string{"--findings", alertFixtures, "--dry-run", "--min-severity", "critical"}, nil, 0,
			[]string{"# message 2 of 2"}, ""},
		{"help", []string{"--help"}, nil, 0, nil, "Usage: keytrail alert"},
		{"no input", []string{"--dry-run"}, nil, 1, nil, "--findings FILE or --lake DIR"},
		{"bad zone", []string{"--findings", alertFixtures, "--dry-run", "--timezone", "Mars/Olympus"}, nil, 1, nil, "--timezone"},
		{"post without lake", []string{"--findings", alertFixtures}, map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}, 1, nil, "--lake"},
		{"post without credential", []string{"--findings", alertFixtures, "--lake", "LAKE"}, nil, 1, nil, "no Slack credential"},
		{"token without channel", []string{"--findings", alertFixtures, "--lake", "LAKE"}, map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}, 1, nil, "--channel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, a := range tt.args {
				if a == "LAKE" {
					tt.args[i] = t.TempDir()
				}
			}
			env, out, errb := alertEnv(tt.vars)
			code := run(context.Background(), env, append([]string{"alert"}, tt.args...))
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, errb)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%.2000s", w, out)
				}
			}
			if !strings.Contains(errb.String(), tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, errb)
			}
		})
	}
}

// TestAlertDryRunRebuildsQuery: the dry run shows the follow-up query
// rebuilt from each finding's fields, not the SQL in the input file, and
// says on stderr which stored queries differ.
func TestAlertDryRunRebuildsQuery(t *testing.T) {
	env, out, errb := alertEnv(nil)
	if code := run(context.Background(), env, []string{"alert", "--findings", alertFixtures, "--dry-run"}); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	// Rebuilt from the library (its header comments stripped for Slack).
	if !strings.Contains(out.String(), "WITH ev AS") || strings.Contains(out.String(), "-- @name") {
		t.Errorf("dry run does not show the rebuilt query:\n%.3000s", out)
	}
	// The fixture's stored query for failed-access-1.
	if strings.Contains(out.String(), "AND failed") {
		t.Errorf("dry run shows a stored query:\n%.3000s", out)
	}
	if !strings.Contains(errb.String(), "finding_id=failed-access-1") || !strings.Contains(errb.String(), "differs from the rebuilt one") {
		t.Errorf("stderr does not report the differing stored query:\n%s", errb)
	}
}

func TestAlertCommandPosts(t *testing.T) {
	var posts atomic.Int32
	srv := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/hook", func(w http.ResponseWriter, r *http.Request) {
			posts.Add(1)
			_, _ = w.Write([]byte("ok"))
		})
	})
	srv.Start()
	t.Cleanup(srv.Stop)
	lakeDir := t.TempDir()
	vars := map[string]string{"KEYTRAIL_SLACK_WEBHOOK_URL": strings.TrimSuffix(srv.GetAPIURL(), "/") + "/hook"}
	for i, want := range []int32{4, 4} { // the second run posts nothing new
		env, out, errb := alertEnv(vars)
		if code := run(context.Background(), env, []string{"alert", "--findings", alertFixtures, "--lake", lakeDir}); code != 0 {
			t.Fatalf("run %d: exit %d\n%s", i, code, errb)
		}
		if got := posts.Load(); got != want {
			t.Errorf("run %d: %d posts, want %d; stdout %s", i, got, want, out)
		}
	}
}
