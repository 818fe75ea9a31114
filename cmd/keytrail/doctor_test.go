package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
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

// Credentials come first: refused ones give one line with the fix and
// exit 1, before the stack is read (whose error would be the SDK's).
func TestDoctorCredentialsFirst(t *testing.T) {
	var calls []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		calls = append(calls, string(b))
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code><Message>expired</Message></Error></ErrorResponse>`)
	}))
	defer srv.Close()
	vars := map[string]string{"AWS_ENDPOINT_URL": srv.URL, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET"}
	var out, errb bytes.Buffer
	env := &environ{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	if code := run(context.Background(), env, []string{"doctor", "--stack", "kt"}); code != 1 {
		t.Errorf("exit %d; stderr:\n%s", code, errb.String())
	}
	want := "✗ AWS credentials: AWS refused the credentials (ExpiredToken)\n    fix: refresh them: aws sso login --profile NAME, or export new keys\n"
	if out.String() != want || len(calls) != 1 || !strings.Contains(calls[0], "Action=GetCallerIdentity") {
		t.Errorf("output:\n%s\ncalls %q", out.String(), calls)
	}
}
