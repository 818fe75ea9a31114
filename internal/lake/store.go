package lake

import (
	"context"
	"errors"
	"io"
	"time"
)

// Errors returned by stores.
var (
	ErrNotFound = errors.New("object not found")
	// ErrPrecondition reports a conditional write that lost: the object
	// exists (PutIfAbsent) or changed since it was read (PutIfMatch).
	ErrPrecondition = errors.New("precondition failed")
)

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key      string
	Size     int64
	ETag     string // opaque version tag for PutIfMatch
	Modified time.Time
}

// Store is a lake root: a local folder (Dir) or an S3 prefix (S3). Keys are
// slash-separated and relative to the root. Consumers should declare the
// subset they use as their own small interface.
type Store interface {
	Put(ctx context.Context, key string, body io.Reader) error
	PutIfAbsent(ctx context.Context, key string, body io.Reader) error
	PutIfMatch(ctx context.Context, key string, body io.Reader, etag string) error
	Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error)
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	Delete(ctx context.Context, key string) error
}
