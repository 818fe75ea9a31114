package lake

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// CheckDir checks that dir is an existing lake folder, for a command that
// reads one. DuckDB takes a folder that does not exist, or an s3://
// location, for a lake with no files, and every query would answer
// "nothing" as if nothing happened.
func CheckDir(dir string) error {
	if strings.Contains(dir, "://") {
		return fmt.Errorf("lake %s: DuckDB reads a local folder; for a lake in S3 use --athena", dir)
	}
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("lake folder %s does not exist (give --lake or set KEYTRAIL_LAKE, or ingest first)", dir)
	}
	if err != nil {
		return fmt.Errorf("lake %s: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("lake %s is not a folder", dir)
	}
	return nil
}

// EventDays lists the days of the events table (ListDays) of the lake at
// uri, and is an error when there are none: a command that reads events
// must not take a typo in a location for a quiet lake.
func EventDays(ctx context.Context, store Lister, uri string) ([]string, error) {
	days, err := ListDays(ctx, store, EventsPrefix)
	if err != nil {
		return nil, err
	}
	if len(days) == 0 {
		return nil, fmt.Errorf("lake %s holds no events (check --lake or KEYTRAIL_LAKE, or ingest first)", uri)
	}
	return days, nil
}

// OpenDir opens the existing lake folder dir (see CheckDir) for a command
// that reads it, after checking that this code reads its schema
// (CheckSchema): nothing is created.
func OpenDir(dir string) (*Dir, error) {
	if err := CheckDir(dir); err != nil {
		return nil, err
	}
	d, err := NewDir(dir)
	if err != nil {
		return nil, err
	}
	if err := CheckSchema(context.Background(), d); err != nil {
		return nil, fmt.Errorf("lake %s: %w", dir, err)
	}
	return d, nil
}
