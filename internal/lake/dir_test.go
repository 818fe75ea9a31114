package lake_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/lake"
)

func TestDirConformance(t *testing.T) {
	testStore(t, func(t *testing.T) lake.Store {
		d, err := lake.NewDir(filepath.Join(t.TempDir(), "lake"))
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

// TestDirHidesBookkeeping checks that what Dir keeps for itself (temporary
// files a killed writer left, lock files) is never an object, and that keys
// cannot reach it.
func TestDirHidesBookkeeping(t *testing.T) {
	d, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	put(t, d, "events/day=2024-01-01/a.parquet", "a")
	if err := d.PutIfMatch(t.Context(), "state/x", strings.NewReader("x"), ""); err != nil {
		t.Fatal(err) // creates a lock file
	}
	stray := filepath.Join(d.Root(), "events", "day=2024-01-01", ".tmp-12345")
	if err := os.WriteFile(stray, []byte("half a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := listKeys(t, d, ""), []string{"events/day=2024-01-01/a.parquet", "state/x"}; !slices.Equal(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(d.Root(), ".keytrail", "locks")); err != nil {
		t.Errorf("lock folder: %v", err)
	}
	for _, key := range []string{".keytrail/locks/00", "events/day=2024-01-01/.tmp-12345", ".tmp-x/y"} {
		if err := d.Put(t.Context(), key, strings.NewReader("x")); err == nil || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("Put(%q) = %v, want a reserved-name error", key, err)
		}
		if _, _, err := d.Get(t.Context(), key); err == nil || errors.Is(err, lake.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want a reserved-name error", key, err)
		}
	}
	// A key below an object names nothing.
	if _, _, err := d.Get(t.Context(), "events/day=2024-01-01/a.parquet/b"); !errors.Is(err, lake.ErrNotFound) {
		t.Errorf("Get below an object = %v, want ErrNotFound", err)
	}
	// A folder is not an object.
	if _, _, err := d.Get(t.Context(), "events"); !errors.Is(err, lake.ErrNotFound) {
		t.Errorf("Get of a folder = %v, want ErrNotFound", err)
	}
}

// Every way of writing leaves no temporary file behind, whether it wins or
// loses its precondition.
func TestDirLeavesNoTemporaryFiles(t *testing.T) {
	d, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	put(t, d, "k/a", "1")
	put(t, d, "k/a", "2")
	if err := d.PutIfAbsent(ctx, "k/b", strings.NewReader("b")); err != nil {
		t.Fatal(err)
	}
	if err := d.PutIfAbsent(ctx, "k/b", strings.NewReader("b2")); !errors.Is(err, lake.ErrPrecondition) {
		t.Fatalf("second PutIfAbsent = %v, want ErrPrecondition", err)
	}
	if err := d.PutIfMatch(ctx, "k/a", strings.NewReader("3"), "wrong"); !errors.Is(err, lake.ErrPrecondition) {
		t.Fatalf("PutIfMatch with a stale ETag = %v, want ErrPrecondition", err)
	}
	entries, err := os.ReadDir(filepath.Join(d.Root(), "k"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"a", "b"}) {
		t.Fatalf("folder holds %q, want only the objects a and b", names)
	}
}

// An object is as readable as any file the user writes, not private like a
// temporary file, however deep its folder.
func TestDirObjectsAreReadableLikeUserFiles(t *testing.T) {
	d, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	put(t, d, "a/b/c/object", "x")
	ref := filepath.Join(t.TempDir(), "reference")
	if err := os.WriteFile(ref, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := os.Stat(filepath.Join(d.Root(), "a", "b", "c", "object"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.Stat(ref)
	if err != nil {
		t.Fatal(err)
	}
	if got.Mode() != want.Mode() {
		t.Fatalf("object mode %v, want %v (os.WriteFile with 0644)", got.Mode(), want.Mode())
	}
}

// TestDirETagChangesOnEveryPut writes the same key over and over with
// bodies of one size, faster than the file system's clock ticks: each
// write must still get an ETag of its own, or a PutIfMatch holding an old
// ETag would replace a newer object.
func TestDirETagChangesOnEveryPut(t *testing.T) {
	d, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for i := range 50 {
		put(t, d, "state/k", fmt.Sprintf("%02d", i))
		_, info := get(t, d, "state/k")
		if j, ok := seen[info.ETag]; ok {
			t.Fatalf("writes %d and %d have the same ETag %s", j, i, info.ETag)
		}
		seen[info.ETag] = i
	}
}
