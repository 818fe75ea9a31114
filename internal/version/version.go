// Package version says which build a keytrail binary is: the version the
// build stamped (make's -ldflags -X, from git describe) or the module's,
// and the commit it was built from, marked when the tree was modified.
package version

import "runtime/debug"

// Text is the version for ldflags (the stamped version, "" when none) and
// the binary's build information (bi, ok as debug.ReadBuildInfo returns
// them): "v1.2.3 (commit abc123, modified)", or "(devel)" when nothing is
// known.
func Text(ldflags string, bi *debug.BuildInfo, ok bool) string {
	v, rev, dirty := ldflags, "", false
	if ok {
		if v == "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	if rev != "" {
		v += " (commit " + rev
		if dirty {
			v += ", modified"
		}
		v += ")"
	}
	return v
}
