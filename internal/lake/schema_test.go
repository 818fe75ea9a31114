package lake_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/lake"
)

func TestSchema(t *testing.T) {
	ctx := context.Background()
	st, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// A lake without a marker (new, or older than markers) is version 1.
	if v, found, err := lake.ReadSchema(ctx, st); err != nil || found || v != lake.SchemaVersion {
		t.Fatalf("no marker: %d %v %v", v, found, err)
	}
	w := lake.WithSchema(st)
	if err := w.Put(ctx, lake.EventKey("2026-03-01", "a"), strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	rc, _, err := st.Get(ctx, lake.SchemaKey)
	if err != nil {
		t.Fatalf("no marker after a write: %v", err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != `{"version":1}` {
		t.Errorf("marker %s", b)
	}
	if v, found, err := lake.ReadSchema(ctx, st); err != nil || !found || v != 1 {
		t.Errorf("after a write: %d %v %v", v, found, err)
	}

	// A newer lake stops readers and writers, with what to do.
	if err := st.Put(ctx, lake.SchemaKey, strings.NewReader(`{"version": 2}`)); err != nil {
		t.Fatal(err)
	}
	err = lake.CheckSchema(ctx, st)
	if !errors.Is(err, lake.ErrSchemaNewer) || !strings.Contains(err.Error(), "schema version 2, this keytrail reads version 1") ||
		!strings.Contains(err.Error(), "upgrade keytrail") {
		t.Errorf("newer lake: %v", err)
	}
	if err := lake.EnsureSchema(ctx, st); !errors.Is(err, lake.ErrSchemaNewer) {
		t.Errorf("writer on a newer lake: %v", err)
	}
	if err := lake.WithSchema(st).Put(ctx, lake.EventKey("2026-03-01", "b"), strings.NewReader("x")); !errors.Is(err, lake.ErrSchemaNewer) {
		t.Errorf("write to a newer lake: %v", err)
	}
	if _, _, err := st.Get(ctx, lake.EventKey("2026-03-01", "b")); !errors.Is(err, lake.ErrNotFound) {
		t.Errorf("written into a newer lake: %v", err)
	}

	for _, bad := range []string{`{"version": 0}`, `not json`} {
		if err := st.Put(ctx, lake.SchemaKey, strings.NewReader(bad)); err != nil {
			t.Fatal(err)
		}
		if err := lake.CheckSchema(ctx, st); err == nil || !strings.Contains(err.Error(), "not a schema marker") {
			t.Errorf("marker %s: %v", bad, err)
		}
	}
}
