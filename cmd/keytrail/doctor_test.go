package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// Usage errors are found before any AWS call.
func TestDoctorUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"doctor"}, 2, "give --stack, or --lake and --trail-bucket"},
		{[]string{"doctor", "--lake", "s3://lake"}, 2, "give --stack, or --lake and --trail-bucket"},
		{[]string{"doctor", "--lake", "lake-bucket/x", "--trail-bucket", "t", "--region", "us-east-1"}, 2, "--lake: \"lake-bucket/x\" is not s3://"},
		{[]string{"doctor", "--stack", "kt", "extra"}, 2, "unknown command \"extra\""},
		{[]string{"doctor", "-h"}, 0, "keytrail doctor --stack NAME"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			env := &environ{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
			if code := run(context.Background(), env, tc.args); code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, errb.String())
			}
			if !strings.Contains(errb.String()+out.String(), tc.msg) {
				t.Errorf("stderr lacks %q:\n%s", tc.msg, errb.String())
			}
		})
	}
}
