package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
)

func TestDetectCommand(t *testing.T) {
	dir := t.TempDir()
	st, err := lake.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A person reads a secret at 03:10 on Saturday in Tokyo.
	rows := []event.Event{{
		EventID: "e1", EventTime: time.Date(2025, 3, 21, 18, 10, 0, 0, time.UTC), EventSource: "secretsmanager.amazonaws.com",
		EventName: "GetSecretValue", CallerKind: event.CallerPerson, PrincipalARN: "arn:aws:iam::111111111111:role/Admin",
		PrincipalAccount: "111111111111", ResourceARN: "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:s1",
		ResourceAccount: "111111111111", UserAgent: "evil\x1b[31m\nagent",
	}}
	var buf bytes.Buffer
	if err := event.WriteParquet(&buf, rows); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(context.Background(), lake.EventKey("2025-03-21", "part"), &buf); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want int // findings
	}{
		{[]string{"--timezone", "Asia/Tokyo"}, 1},
		{[]string{"--timezone", "Asia/Tokyo", "--business-hours", "Mon-Sun 00:00-24:00"}, 0},
		{[]string{"--timezone", "Asia/Tokyo", "--from", "2025-03-21T19:00:00Z", "--to", "2025-03-22"}, 0},
	} {
		var out, errb bytes.Buffer
		env := &environ{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
		code := run(context.Background(), env, append([]string{"detect", "--lake", dir, "--write-findings"}, tc.args...))
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errb.String())
		}
		var got []finding.Finding
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if line == "" {
				continue
			}
			var f finding.Finding
			if err := json.Unmarshal([]byte(line), &f); err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			got = append(got, f)
		}
		if len(got) != tc.want {
			t.Fatalf("%v: %d findings, want %d: %s", tc.args, len(got), tc.want, out.String())
		}
		if tc.want > 0 && (got[0].Kind != finding.KindOffHours || !strings.Contains(got[0].Query, "event_time")) {
			t.Errorf("finding %+v", got[0])
		}
	}
	var out, errb bytes.Buffer
	env := &environ{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	if code := run(context.Background(), env, []string{"detect", "--lake", dir, "--timezone", "Asia/Tokio"}); code != 1 || !strings.Contains(errb.String(), `"Asia/Tokio"`) {
		t.Errorf("bad zone: exit %d, %s", code, errb.String())
	}
	out.Reset()
	if code := run(context.Background(), env, []string{"detect", "--lake", dir, "--timezone", "Asia/Tokyo", "--output", "table"}); code != 0 || strings.Contains(out.String(), "\x1b") || !strings.Contains(out.String(), "off_hours") {
		t.Errorf("table: exit %d: %q", code, out.String())
	}
}

// Issue 16, item 4, end to end: one row dated 9999-12-31 in the lake leaves
// plain `keytrail detect` with the findings it had without it.
func TestDetectCommandFutureRow(t *testing.T) {
	dir := t.TempDir()
	st, err := lake.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	base := event.Event{EventSource: "secretsmanager.amazonaws.com", EventName: "GetSecretValue", CallerKind: event.CallerPerson,
		PrincipalARN: "arn:aws:iam::111111111111:role/Admin", PrincipalAccount: "111111111111",
		ResourceARN: "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:s1", ResourceAccount: "111111111111"}
	for _, r := range []struct {
		id string
		at time.Time
	}{
		{"e1", time.Date(2025, 3, 21, 18, 10, 0, 0, time.UTC)}, // 03:10 on a Saturday in Tokyo
		{"forged", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
	} {
		row := base
		row.EventID, row.EventTime = r.id, r.at
		var buf bytes.Buffer
		if err := event.WriteParquet(&buf, []event.Event{row}); err != nil {
			t.Fatal(err)
		}
		if err := st.Put(context.Background(), lake.EventKey(row.Day(), "part"), &buf); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	env := &environ{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	if code := run(context.Background(), env, []string{"detect", "--lake", dir, "--timezone", "Asia/Tokyo"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if n := strings.Count(strings.TrimSpace(out.String()), "\n") + 1; strings.TrimSpace(out.String()) == "" || n != 1 || !strings.Contains(out.String(), `"e1"`) {
		t.Fatalf("findings:\n%s\nwant the one off-hours read of e1", out.String())
	}
	if !strings.Contains(errb.String(), "day=9999-12-31") {
		t.Errorf("stderr does not say the future day was passed over: %s", errb.String())
	}
}
