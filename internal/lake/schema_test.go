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
	if err := lake.EnsureSchema(ctx, st); err != nil {
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
	if err := lake.EnsureSchema(ctx, st); err != nil {
		t.Errorf("again: %v", err)
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
	// A read-only store is checked, not written.
	if err := lake.EnsureSchema(ctx, readOnly{st}); !errors.Is(err, lake.ErrSchemaNewer) {
		t.Errorf("read-only store on a newer lake: %v", err)
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

// readOnly hides a store's writes.
type readOnly struct{ st lake.Store }

func (r readOnly) Get(ctx context.Context, key string) (io.ReadCloser, lake.ObjectInfo, error) {
	return r.st.Get(ctx, key)
}

// An empty read-only lake stays without a marker.
func TestEnsureSchemaReadOnly(t *testing.T) {
	st, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := lake.EnsureSchema(context.Background(), readOnly{st}); err != nil {
		t.Fatal(err)
	}
	if _, found, err := lake.ReadSchema(context.Background(), st); found || err != nil {
		t.Errorf("marker written through a read-only store: %v %v", found, err)
	}
}
