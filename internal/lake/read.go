package lake

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
)

// Lister is the part of a Store that ListDays needs.
type Lister interface {
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
}

// ListDays returns the day partitions present under a table prefix (such
// as EventsPrefix), sorted and each once. Keys without a valid day=
// partition are passed over: a stray object must not stop a listing.
func ListDays(ctx context.Context, store Lister, prefix string) ([]string, error) {
	objs, err := store.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	var days []string
	for _, o := range objs {
		if d, err := ParseDay(o.Key); err == nil {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	return slices.Compact(days), nil
}

// Getter is the part of a Store that ReadRows needs.
type Getter interface {
	Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error)
}

// ReadRows gets the object at key and decodes it whole with read, such as
// event.ReadParquet or finding.ReadParquet. Parquet is read from its footer
// backwards, so the object is held in memory; the lake's files are small.
// The error of Get is returned as it is (callers test for ErrNotFound).
func ReadRows[T any](ctx context.Context, store Getter, key string, read func(io.ReaderAt, int64) ([]T, error)) ([]T, error) {
	rc, _, err := store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	rows, err := read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return rows, nil
}
