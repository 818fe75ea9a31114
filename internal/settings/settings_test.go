package settings

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each key comes from the environment over the file over the default,
// and says where it came from; the file's detector keys are kept for
// detect, the CLI's own removed.
func TestLoadPrecedence(t *testing.T) {
	xdg := t.TempDir()
	file := filepath.Join(xdg, "keytrail", "config.yaml")
	os.MkdirAll(filepath.Dir(file), 0o755)
	os.WriteFile(file, []byte("lake: /data/lake\ntimezone: Europe/Berlin\nholidays: [2026-12-24, 2026-12-25]\nathena:\n  workgroup: team\nself_principals: [\"arn:aws:iam::111122223333:role/keytrail/x\"]\n"), 0o644)
	env := map[string]string{"XDG_CONFIG_HOME": xdg, "KEYTRAIL_TIMEZONE": "Asia/Tokyo", "HOME": "/nonexistent"}
	s, err := Load(func(k string) string { return env[k] }, os.ReadFile, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ key, value, source string }{
		{"lake", "/data/lake", "config " + file},
		{"timezone", "Asia/Tokyo", "env KEYTRAIL_TIMEZONE"},
		{"holidays", "2026-12-24,2026-12-25", "config " + file},
		{"athena.workgroup", "team", "config " + file},
		{"athena.database", "keytrail", "default"},
	} {
		if s.Get(tc.key) != tc.value || s.Source(tc.key) != tc.source {
			t.Errorf("%s = %q from %q, want %q from %q", tc.key, s.Get(tc.key), s.Source(tc.key), tc.value, tc.source)
		}
	}
	det := string(s.Detector)
	if !strings.Contains(det, "self_principals") || !strings.Contains(det, "timezone") || strings.Contains(det, "lake") || strings.Contains(det, "athena") {
		t.Errorf("detector YAML:\n%s", det)
	}
	var b bytes.Buffer
	s.Print(&b)
	if !strings.Contains(b.String(), `timezone:         "Asia/Tokyo"`) || !strings.Contains(b.String(), "# env KEYTRAIL_TIMEZONE") {
		t.Errorf("print:\n%s", b.String())
	}
}

func TestLoadFiles(t *testing.T) {
	none := func(string) string { return "" }
	// No file anywhere: the defaults.
	s, err := Load(func(k string) string { return map[string]string{"HOME": t.TempDir()}[k] }, os.ReadFile, "")
	if err != nil || s.File != "" || s.Get("lake") != "lake" || s.Get("athena.workgroup") != "keytrail" {
		t.Fatalf("no file: %+v, %v", s, err)
	}
	// A file named with --config must exist.
	if _, err := Load(none, os.ReadFile, filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("a missing --config file is no error")
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("athena:\n  worgroup: x\n"), 0o644)
	if _, err := Load(none, os.ReadFile, bad); err == nil || !strings.Contains(err.Error(), "athena.worgroup: unknown setting") {
		t.Errorf("misspelt key: %v", err)
	}
	// A detector-only file (the old detect --config) is passed on as is.
	old := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(old, []byte("# rules\ntimezone: UTC\n"), 0o644)
	if s, err := Load(none, os.ReadFile, old); err != nil || string(s.Detector) != "# rules\ntimezone: UTC\n" {
		t.Errorf("detector file: %q, %v", s.Detector, err)
	}
}
