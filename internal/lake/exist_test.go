package lake_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/lake"
)

func TestCheckDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct{ dir, want string }{
		{dir, ""},
		{missing, "does not exist"},
		{file, "is not a folder"},
		{"s3://bucket/lake", "use --athena"},
	} {
		err := lake.CheckDir(tc.dir)
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckDir(%s) = %v, want %q", tc.dir, err, tc.want)
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("CheckDir created the missing folder: %v", err)
	}
}

// A lake with no events is an error naming it; stray objects do not count.
func TestEventDays(t *testing.T) {
	ctx := context.Background()
	d, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Put(ctx, lake.FindingsPrefix+"day=2026-06-01/f.parquet", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := lake.EventDays(ctx, d, "my-lake"); err == nil || !strings.Contains(err.Error(), "lake my-lake holds no events") {
		t.Errorf("empty lake: %v", err)
	}
	for _, day := range []string{"2026-06-02", "2026-06-01"} {
		if err := d.Put(ctx, lake.EventKey(day, "p"), strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
	}
	days, err := lake.EventDays(ctx, d, "my-lake")
	if err != nil || strings.Join(days, ",") != "2026-06-01,2026-06-02" {
		t.Errorf("EventDays = %v, %v", days, err)
	}
}

func TestOpenDir(t *testing.T) {
	dir := t.TempDir()
	if d, err := lake.OpenDir(dir); err != nil || d.Root() != dir {
		t.Errorf("OpenDir(%s) = %v, %v", dir, d, err)
	}
	missing := filepath.Join(dir, "missing")
	if _, err := lake.OpenDir(missing); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("OpenDir(missing) = %v", err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("OpenDir created the missing folder: %v", err)
	}
}
