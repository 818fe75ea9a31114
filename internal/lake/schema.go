package lake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// SchemaVersion is the version of the lake's layout and tables this code
// reads and writes. It changes only when a change is not backward
// compatible: a column renamed, retyped or given a new meaning, a table
// moved. Adding a nullable column is not such a change (Parquet readers
// and Athena's tables take files without it), so it keeps the version.
const SchemaVersion = 1

// SchemaKey holds the lake's schema marker, outside every table's prefix
// (Athena, DuckDB and the detector never read it as data).
const SchemaKey = "_keytrail/schema.json"

// Schema is the marker's content.
type Schema struct {
	Version int `json:"version"`
}

// ErrSchemaNewer reports a lake written by a newer keytrail than this one.
var ErrSchemaNewer = errors.New("lake schema newer than this keytrail")

// SchemaGetter reads the marker; every Store is one.
type SchemaGetter interface {
	Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error)
}

// ReadSchema returns the lake's schema version: the marker's, or
// SchemaVersion for a lake without one (a new lake, or one written before
// markers existed, which is version 1). found says whether the marker
// exists.
func ReadSchema(ctx context.Context, st SchemaGetter) (version int, found bool, err error) {
	rc, _, err := st.Get(ctx, SchemaKey)
	if errors.Is(err, ErrNotFound) {
		return SchemaVersion, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read lake schema %s: %w", SchemaKey, err)
	}
	defer rc.Close()
	var s Schema
	if err := json.NewDecoder(io.LimitReader(rc, 1<<16)).Decode(&s); err != nil || s.Version < 1 {
		return 0, true, fmt.Errorf("read lake schema %s: not a schema marker (want {\"version\": N}): %v", SchemaKey, err)
	}
	return s.Version, true, nil
}

// CheckSchema fails, with what to do, when the lake is newer than this
// code: an older keytrail must neither misread nor write into it.
func CheckSchema(ctx context.Context, st SchemaGetter) error {
	v, _, err := ReadSchema(ctx, st)
	if err != nil {
		return err
	}
	return checkVersion(v)
}

func checkVersion(v int) error {
	if v > SchemaVersion {
		return fmt.Errorf("%w: the lake is at schema version %d, this keytrail reads version %d; "+
			"upgrade keytrail (the CLI and the stack's functions) to a release for version %d (README: Upgrading)",
			ErrSchemaNewer, v, SchemaVersion, v)
	}
	return nil
}

// SchemaStore is what writing the marker needs.
type SchemaStore interface {
	SchemaGetter
	Put(ctx context.Context, key string, body io.Reader) error
	PutIfAbsent(ctx context.Context, key string, body io.Reader) error
}

// EnsureSchema checks the lake's marker and, when st can create objects
// (PutIfAbsent), writes it when absent, before a writer (ingest,
// compaction) adds data.
func EnsureSchema(ctx context.Context, st SchemaGetter) error {
	v, found, err := ReadSchema(ctx, st)
	if err != nil {
		return err
	}
	if w, writable := st.(SchemaStore); !found && writable {
		body, _ := json.Marshal(Schema{Version: SchemaVersion})
		err := w.PutIfAbsent(ctx, SchemaKey, bytes.NewReader(body))
		if errors.Is(err, ErrPrecondition) {
			// Another writer was first: check what it wrote.
			return CheckSchema(ctx, st)
		}
		if err != nil {
			return fmt.Errorf("write lake schema %s: %w", SchemaKey, err)
		}
		return nil
	}
	return checkVersion(v)
}
