package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestInventoryFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"inventory"}, 2, "--regions must list the regions"},
		{[]string{"inventory", "-h"}, 0, "Usage: keytrail inventory"},
		{[]string{"inventory", "--nope"}, 2, "flag provided but not defined"},
	} {
		var out, errb bytes.Buffer
		env := &environ{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
		if code := run(context.Background(), env, tc.args); code != tc.code || !strings.Contains(errb.String()+out.String(), tc.want) {
			t.Errorf("%v: exit %d, want %d with %q; stderr %s", tc.args, code, tc.code, tc.want, errb.String())
		}
	}
}

func TestArnPartition(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:iam::111122223333:user/a":       "aws",
		"arn:aws-cn:sts::111122223333:assumed/x": "aws-cn",
		"arn:aws-us-gov:iam::111122223333:root":  "aws-us-gov",
		"not an arn":                             "",
	} {
		if got := arnPartition(in); got != want {
			t.Errorf("arnPartition(%q) = %q, want %q", in, got, want)
		}
	}
}
