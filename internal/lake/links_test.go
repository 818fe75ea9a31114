package lake_test

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/lake"
)

// snapshot maps every file and link under root to its content or target,
// leaving out Dir's lock files (which a refused write may still create).
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case e.IsDir() && e.Name() == ".keytrail":
			return filepath.SkipDir
		case e.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			out[rel] = "link to " + target
			return err
		case e.Type().IsRegular():
			b, err := os.ReadFile(p)
			out[rel] = string(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("cannot create symbolic links here: %v", err)
	}
}

// TestDirRefusesLinks puts a symbolic link in each place a key's path
// goes through, pointing out of the lake or within it: every write and
// delete of a key below it, and every read where the link is on the key's
// own path, fails with ErrSymlink naming the link, and nothing changes on
// either side of it.
func TestDirRefusesLinks(t *testing.T) {
	const day = "events/day=2024-01-01"
	tests := []struct {
		name string
		// link is made at this path in the lake, to target: a path in
		// the folder outside the lake ("out/…") or in the lake ("lake/…").
		link, target string
		key          string // the key used through the link
		reads        bool   // Get of key must be refused too
	}{
		{"partition folder out of the lake", day, "out/elsewhere", day + "/a.parquet", true},
		{"table folder out of the lake", "events", "out/elsewhere", day + "/a.parquet", true},
		{"object out of the lake", day + "/a.parquet", "out/elsewhere/a.parquet", day + "/a.parquet", true},
		{"object to a missing file out of the lake", day + "/a.parquet", "out/missing.parquet", day + "/a.parquet", true},
		{"partition folder within the lake", "events/day=2024-01-02", "lake/" + day, "events/day=2024-01-02/a.parquet", true},
		{"object within the lake", "state/alias.json", "lake/state/real.json", "state/alias.json", true},
		{"lock folder out of the lake", ".keytrail/locks", "out/elsewhere", "state/real.json", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			root := filepath.Join(base, "lake")
			d, err := lake.NewDir(root)
			if err != nil {
				t.Fatal(err)
			}
			put(t, d, day+"/a.parquet", "in the lake")
			put(t, d, "state/real.json", "state")
			out := filepath.Join(base, "out")
			if err := os.MkdirAll(filepath.Join(out, "elsewhere"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(out, "elsewhere", "a.parquet"), []byte("not the lake's"), 0o644); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(root, filepath.FromSlash(tc.link))
			if _, err := os.Lstat(link); err == nil {
				// Replace what the lake holds there by the link.
				if err := os.RemoveAll(link); err != nil {
					t.Fatal(err)
				}
			}
			symlink(t, filepath.Join(base, filepath.FromSlash(tc.target)), link)
			before := snapshot(t, base)

			refused := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, lake.ErrSymlink) || !strings.Contains(err.Error(), link) {
					t.Errorf("%s %s = %v, want ErrSymlink naming %s", op, tc.key, err, link)
				}
			}
			ctx := t.Context()
			refused("Put", d.Put(ctx, tc.key, strings.NewReader("written through a link")))
			refused("PutIfAbsent", d.PutIfAbsent(ctx, tc.key, strings.NewReader("written through a link")))
			refused("PutIfMatch", d.PutIfMatch(ctx, tc.key, strings.NewReader("written through a link"), "any"))
			refused("Delete", d.Delete(ctx, tc.key))
			rc, _, err := d.Get(ctx, tc.key)
			if tc.reads {
				refused("Get", err)
			} else if err != nil {
				t.Errorf("Get %s = %v; the link is not on its path", tc.key, err)
			}
			if rc != nil {
				rc.Close()
			}
			if after := snapshot(t, base); !maps.Equal(after, before) {
				t.Errorf("files changed:\n got %q\nwant %q", after, before)
			}
			for _, k := range listKeys(t, d, "") {
				if strings.HasPrefix(k, tc.link) && tc.link != ".keytrail/locks" {
					t.Errorf("List lists %s, through the link", k)
				}
			}
		})
	}
}

// The lake folder itself may be reached through a link (a folder on
// another disk, /tmp on macOS): only links inside it are refused.
func TestDirRootThroughALink(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	symlink(t, real, filepath.Join(base, "lake"))
	d, err := lake.NewDir(filepath.Join(base, "lake"))
	if err != nil {
		t.Fatal(err)
	}
	put(t, d, "events/day=2024-01-01/a.parquet", "a")
	if body, _ := get(t, d, "events/day=2024-01-01/a.parquet"); body != "a" {
		t.Fatalf("get = %q, want a", body)
	}
	if got := listKeys(t, d, ""); !slices.Equal(got, []string{"events/day=2024-01-01/a.parquet"}) {
		t.Fatalf("List = %q", got)
	}
	if _, err := os.Stat(filepath.Join(real, "events", "day=2024-01-01", "a.parquet")); err != nil {
		t.Fatalf("object not in the linked folder: %v", err)
	}
}

// TestDirRemoveStaleTemps leaves temporary files of every age, as killed
// writers would, beside things that merely look like them: only Dir's own
// temporary files StaleTempAge old or older go.
func TestDirRemoveStaleTemps(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "lake")
	d, err := lake.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	put(t, d, "events/day=2024-01-01/a.parquet", "a")
	put(t, d, "state/wm.json", "w")
	outside := filepath.Join(base, "outside")
	if err := os.WriteFile(outside, []byte("not the lake's"), 0o644); err != nil {
		t.Fatal(err)
	}
	files := []struct {
		path string
		age  time.Duration
		dir  bool   // a folder, not a file
		link string // a link to this, not a file
		gone bool
	}{
		{path: "events/day=2024-01-01/.tmp-killed", age: 26 * time.Hour, gone: true},
		{path: "events/day=2024-01-01/.tmp-hour", age: lake.StaleTempAge, gone: true},
		{path: "state/.tmp-killed", age: 3 * time.Hour, gone: true},
		{path: ".tmp-top", age: 2 * time.Hour, gone: true},
		{path: "events/day=2024-01-01/.tmp-writing", age: lake.StaleTempAge - time.Second},
		{path: "events/day=2024-01-01/.tmp-now", age: 0},
		{path: "events/day=2024-01-01/.tmp-future", age: -time.Hour}, // a clock ahead
		{path: "events/day=2024-01-01/old.parquet", age: 1000 * time.Hour},
		{path: ".keytrail/.tmp-not-ours", age: 100 * time.Hour},
		{path: "events/.tmp-folder", age: 100 * time.Hour, dir: true},
		{path: "events/.tmp-link", age: 100 * time.Hour, link: outside},
	}
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case f.dir:
			err = os.Mkdir(p, 0o755)
		case f.link != "":
			symlink(t, f.link, p)
			continue // a link's own time cannot be set portably; old or not, it stays
		default:
			err = os.WriteFile(p, []byte("half a file"), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
		mtime := now.Add(-f.age)
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	n, err := d.RemoveStaleTemps(t.Context(), now)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, f := range files {
		_, err := os.Lstat(filepath.Join(root, filepath.FromSlash(f.path)))
		switch {
		case f.gone && err == nil:
			t.Errorf("%s (%v old) is still there", f.path, f.age)
		case !f.gone && err != nil:
			t.Errorf("%s (%v old): %v, want it kept", f.path, f.age, err)
		}
		if f.gone {
			want++
		}
	}
	if n != want {
		t.Errorf("RemoveStaleTemps = %d, want %d", n, want)
	}
	if b, err := os.ReadFile(outside); err != nil || string(b) != "not the lake's" {
		t.Errorf("link target: %q, %v", b, err)
	}
	if got := listKeys(t, d, ""); !slices.Equal(got, []string{"events/day=2024-01-01/a.parquet", "events/day=2024-01-01/old.parquet", "state/wm.json"}) {
		t.Errorf("List = %q, want the objects untouched", got)
	}
	// Nothing left to remove.
	if n, err := d.RemoveStaleTemps(t.Context(), now); n != 0 || err != nil {
		t.Errorf("second RemoveStaleTemps = %d, %v; want 0, nil", n, err)
	}
}
