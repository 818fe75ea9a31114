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
		{[]string{"inventory", "-h"}, 0, "keytrail inventory --regions"},
		{[]string{"inventory", "--nope"}, 2, "unknown flag: --nope"},
	} {
		var out, errb bytes.Buffer
		env := &environ{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
		if code := run(context.Background(), env, tc.args); code != tc.code || !strings.Contains(errb.String()+out.String(), tc.want) {
			t.Errorf("%v: exit %d, want %d with %q; stderr %s", tc.args, code, tc.code, tc.want, errb.String())
		}
	}
}
