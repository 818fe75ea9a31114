package alert_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/alert"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/queries"
)

// shownSQL returns the follow-up query a message shows as preformatted
// rich text: the text a reader copies.
func shownSQL(t *testing.T, blocks []byte) (string, bool) {
	t.Helper()
	var bs []struct {
		Type     string `json:"type"`
		Elements []struct {
			Type     string `json:"type"`
			Elements []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"elements"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(blocks, &bs); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	found := false
	for _, bl := range bs {
		for _, e := range bl.Elements {
			if bl.Type != "rich_text" || e.Type != "rich_text_preformatted" {
				continue
			}
			if found {
				t.Errorf("more than one preformatted element")
			}
			found = true
			for _, x := range e.Elements {
				if x.Type != "text" {
					t.Errorf("preformatted element of type %q", x.Type)
				}
				b.WriteString(x.Text)
			}
		}
	}
	return b.String(), found
}

// legalSecretName is a secret name of the greatest length Secrets Manager
// allows (512), in its alphabet.
func legalSecretName() string {
	const alphabet = "prod/payments_db+=.@-"
	var b strings.Builder
	for b.Len() < 512 {
		b.WriteString(alphabet)
	}
	return b.String()[:512]
}

// longRoleARN is a role ARN with the longest path IAM allows (512
// characters, "/" first and last), for role app-i.
func longRoleARN(i int) string {
	path := "/" + strings.Repeat("team-a/", 73)[:510] + "/"
	return fmt.Sprintf("arn:aws:iam::111122223333:role%sapp-%d", path, i)
}

// TestSQLAsItRuns: the follow-up query copied from Slack is, byte for
// byte, the query the alerter starts: shown whole when it fits, attached
// whole in the thread when it does not, never cut or altered.
func TestSQLAsItRuns(t *testing.T) {
	secretARN := func(name string) string {
		return "arn:aws:secretsmanager:eu-central-1:111122223333:secret:" + name + "-AbCdEf"
	}
	tests := []struct {
		name     string
		resource string
		n        int  // findings in the run (more than 5 post under a summary)
		webhook  bool // webhook mode: no threads, no files
		attached bool // the query is too long for the message
	}{
		{"backticks and markup in a literal", secretARN("a`b```c*d*_e_~f~<!here>&amp;&lt;x>"), 1, false, false},
		{"long legal secret and role names", secretARN(legalSecretName()), 1, false, true},
		{"long legal names under a summary", secretARN(legalSecretName()), 7, false, true},
		{"long legal names by webhook", secretARN(legalSecretName()), 1, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock(t0)
			s := startSlack(t, c)
			client, athenaSrv := startAthena(t, false)
			a := newAlerter(s, stores(t)["dir"](t), c)
			a.FollowUp = &alert.FollowUp{Client: client, Region: "eu-central-1", Workgroup: "keytrail"}
			if tt.webhook {
				a.Slack, a.Channel = nil, ""
				a.Webhook = &alert.Webhook{URL: s.webhookURL()}
			}
			var fs []finding.Finding
			for i := range tt.n {
				f := mkFinding(i+1, "high")
				f.Resource = tt.resource
				if tt.attached {
					// Long enough for an attachment without the library's header.
					f.Principal = longRoleARN(i + 1)
				}
				fs = append(fs, f)
			}
			rep, err := a.Run(context.Background(), fs)
			if err != nil || len(rep.Posted) != tt.n {
				t.Fatalf("run: %v %+v", err, rep)
			}
			rebuilt, err := queries.Evidence(fs[0])
			if err != nil {
				t.Fatal(err)
			}
			want := alert.StripHeader(rebuilt)
			if (len(want) > 3000) != tt.attached {
				t.Fatalf("fixture: query of %d bytes, attached %v", len(want), tt.attached)
			}
			// The message of the first finding, as Slack received it.
			var blocks []byte
			var msgTS, threadTS string
			if tt.webhook {
				s.mu.Lock()
				for _, m := range s.webhooks {
					if m.Blocks != nil && strings.Contains(m.Text, "keytrail finding") && blocks == nil {
						blocks, _ = json.Marshal(m.Blocks.BlockSet)
					}
				}
				s.mu.Unlock()
			} else {
				for _, p := range s.Posts() {
					if p.findingID() == fs[0].ID {
						blocks, msgTS, threadTS = p.Blocks, p.TS, p.ThreadTS
					}
				}
			}
			if blocks == nil {
				t.Fatal("no message for the first finding")
			}
			if len(athenaSrv.requests) != tt.n || athenaSrv.requests[0]["QueryString"] != want {
				t.Errorf("athena did not start the rebuilt query")
			}
			if !strings.Contains(string(blocks), "Open in Athena") {
				t.Errorf("no Athena link: %s", blocks)
			}
			shown, ok := shownSQL(t, blocks)
			if !tt.attached {
				if !ok || shown != want {
					t.Errorf("shown SQL differs from the SQL that runs:\n%s\nwant\n%s", shown, want)
				}
				if len(s.Files()) != 0 {
					t.Errorf("attached %d files for a query that fits", len(s.Files()))
				}
				return
			}
			if ok {
				t.Errorf("a query too long for the message is shown in it: %d bytes", len(shown))
			}
			if strings.Contains(string(blocks), "WITH ev AS") {
				t.Errorf("message shows part of the query: %s", blocks)
			}
			files := s.Files()
			if tt.webhook {
				if len(files) != 0 || !strings.Contains(string(blocks), "a webhook cannot attach it") {
					t.Errorf("webhook mode: %d files, message %s", len(files), blocks)
				}
				return
			}
			if len(files) != tt.n {
				t.Fatalf("%d files attached, want %d", len(files), tt.n)
			}
			var got *upload
			for _, f := range files {
				if strings.Contains(f.Filename, fs[0].ID) {
					got = f
				}
			}
			if got == nil {
				t.Fatalf("no file for finding %s: %+v", fs[0].ID, files)
			}
			if string(got.Content) != want || got.Length != len(want) {
				t.Errorf("attached %d bytes (declared %d), not the %d-byte query that runs", len(got.Content), got.Length, len(want))
			}
			root := msgTS
			if threadTS != "" {
				root = threadTS // Slack threads have one level: the file goes in the message's thread
			}
			if got.Channel != channelID || got.ThreadTS != root || got.SnippetType != "sql" || !strings.HasSuffix(got.Filename, ".sql") {
				t.Errorf("file %+v, want an sql snippet in %s thread %s", got, channelID, root)
			}
			if !strings.Contains(string(blocks), got.Filename) {
				t.Errorf("message does not name the file %s: %s", got.Filename, blocks)
			}
		})
	}
}

// TestAttachAfterFailure: a finding whose query could not be attached
// stays pending; the next run finds the message it posted (no repost) and
// attaches the query then.
func TestAttachAfterFailure(t *testing.T) {
	c := newClock(t0)
	s := startSlack(t, c)
	st := stores(t)["dir"](t)
	f := mkFinding(1, "critical")
	f.Resource = "arn:aws:secretsmanager:eu-central-1:111122223333:secret:" + legalSecretName() + "-AbCdEf"
	f.Principal = longRoleARN(1)
	s.failComplete = "missing_scope"
	rep, err := newAlerter(s, st, c).Run(context.Background(), []finding.Finding{f})
	if err == nil || len(rep.Failed) != 1 {
		t.Fatalf("first run: %v %+v, want the finding pending", err, rep)
	}
	if r := readRecord(t, st, f.ID); r.State != alert.StateFailed || !r.MaybePosted || !strings.Contains(r.LastError, "missing_scope") {
		t.Errorf("record %+v", r)
	}
	s.mu.Lock()
	s.failComplete = ""
	s.mu.Unlock()
	c.Advance(10 * time.Minute)
	rep, err = newAlerter(s, st, c).Run(context.Background(), []finding.Finding{f})
	if err != nil || len(rep.Recovered) != 1 {
		t.Fatalf("second run: %v %+v", err, rep)
	}
	if n := postsByFinding(s.Posts())[f.ID]; n != 1 {
		t.Errorf("posted %d times", n)
	}
	rebuilt, _ := queries.Evidence(f)
	want := alert.StripHeader(rebuilt)
	files := s.Files()
	if len(files) != 1 || string(files[0].Content) != want || files[0].ThreadTS != s.Posts()[0].TS {
		t.Errorf("files %+v, want the query in the message's thread", files)
	}
	if r := readRecord(t, st, f.ID); r.State != alert.StatePosted {
		t.Errorf("record %+v, want posted", r)
	}
}
