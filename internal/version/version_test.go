package version

import (
	"runtime/debug"
	"testing"
)

func TestText(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}}}
	for _, tc := range []struct {
		ldflags string
		bi      *debug.BuildInfo
		want    string
	}{
		{"", bi, "v1.2.3 (commit abc123, modified)"},
		{"v1.2.3-4-gabc123", bi, "v1.2.3-4-gabc123 (commit abc123, modified)"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "(devel)"},
		{"", nil, "(devel)"},
	} {
		if got := Text(tc.ldflags, tc.bi, tc.bi != nil); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.ldflags, got, tc.want)
		}
	}
}
