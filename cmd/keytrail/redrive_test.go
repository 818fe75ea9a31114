package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/sqstest"
)

// keytrail redrive against a loopback SQS server, through the SDK's
// standard configuration: a dry run lists, a run moves.
func TestRedrive(t *testing.T) {
	s := sqstest.Start(t)
	s.CreateQueue("queue", "dlq")
	id := s.DeadLetter("dlq", "queue", "{\"Records\":[]}\x07")
	vars := map[string]string{"AWS_ENDPOINT_URL": s.URL, "AWS_REGION": sqstest.Region, "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET"}
	for _, tc := range []struct {
		args []string
		code int
		want string
		left int
	}{
		{[]string{"redrive"}, 2, "give --stack or --dlq", 1},
		{[]string{"redrive", "--dlq", s.QueueURL("dlq"), "--dry-run"}, 0, "would move 1 (StartMessageMoveTask)\n  " + id + " -> " + s.QueueURL("queue") + `  "{\"Records\":[]}\a"`, 1},
		{[]string{"redrive", "--dlq", s.QueueURL("dlq"), "--max", "1", "--dry-run"}, 0, "would move 1 (receive, send, delete)", 1},
		{[]string{"redrive", "--dlq", s.QueueURL("dlq")}, 0, "1 message(s) in the queue, moved 1 (StartMessageMoveTask)", 0},
	} {
		var out, errb bytes.Buffer
		env := &environ{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
		if code := run(context.Background(), env, tc.args); code != tc.code || !strings.Contains(out.String()+errb.String(), tc.want) {
			t.Errorf("%v: exit %d, want %d; output lacks %q:\n%s%s", tc.args, code, tc.code, tc.want, out.String(), errb.String())
		}
		if n := len(s.Messages("dlq")); n != tc.left {
			t.Errorf("%v: %d messages left, want %d", tc.args, n, tc.left)
		}
	}
}
