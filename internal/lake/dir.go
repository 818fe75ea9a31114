package lake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Dir is a lake in a local folder: the embedded default, and what tests and
// the demo use. Writes are atomic (temporary file, then rename), so a reader
// never sees half an object and a killed writer leaves no partial object.
type Dir struct {
	root string
	mu   sync.Mutex // serialises conditional writes within a process
}

// NewDir returns a store rooted at the folder root, creating it if needed.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("create lake folder: %w", err)
	}
	return &Dir{root: root}, nil
}

// Root returns the folder.
func (d *Dir) Root() string { return d.root }

// Path returns the file path of key.
func (d *Dir) Path(key string) (string, error) {
	clean := path.Clean("/" + key)[1:]
	if clean == "" || clean != strings.TrimSuffix(key, "/") || strings.HasPrefix(key, "/") {
		return "", fmt.Errorf("invalid key %q", key)
	}
	return filepath.Join(d.root, filepath.FromSlash(clean)), nil
}

// Put writes body at key, replacing any object there.
func (d *Dir) Put(ctx context.Context, key string, body io.Reader) error {
	p, err := d.Path(key)
	if err != nil {
		return err
	}
	tmp, err := d.writeTemp(p, body)
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// PutIfAbsent writes body at key unless an object is there already, in
// which case it returns ErrPrecondition.
func (d *Dir) PutIfAbsent(ctx context.Context, key string, body io.Reader) error {
	p, err := d.Path(key)
	if err != nil {
		return err
	}
	tmp, err := d.writeTemp(p, body)
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	defer os.Remove(tmp)
	// link fails if the target exists: an atomic create-if-absent, also
	// across processes.
	if err := os.Link(tmp, p); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("put %s: %w", key, ErrPrecondition)
		}
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// PutIfMatch replaces the object at key only if its ETag is still etag.
// An empty etag means "only if absent". It is atomic within one process;
// across processes on one folder, a lock file serialises it.
func (d *Dir) PutIfMatch(ctx context.Context, key string, body io.Reader, etag string) error {
	if etag == "" {
		return d.PutIfAbsent(ctx, key, body)
	}
	p, err := d.Path(key)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	unlock, err := lockFile(p + ".lock")
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	defer unlock()
	cur, err := fileETag(p)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("put %s: %w", key, ErrPrecondition)
	}
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if cur != etag {
		return fmt.Errorf("put %s: %w", key, ErrPrecondition)
	}
	return d.Put(ctx, key, body)
}

// Get opens the object at key.
func (d *Dir) Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error) {
	p, err := d.Path(key)
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ObjectInfo{}, fmt.Errorf("get %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
	}
	etag, err := fileETag(p)
	if err != nil {
		f.Close()
		return nil, ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
	}
	return f, ObjectInfo{Key: key, Size: st.Size(), ETag: etag, Modified: st.ModTime()}, nil
}

// List returns the objects whose keys start with prefix, sorted by key.
// Temporary and lock files are not objects and are never listed.
func (d *Dir) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	var out []ObjectInfo
	err := filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(d.root, p)
		key := filepath.ToSlash(rel)
		if e.IsDir() {
			if key != "." && !strings.HasPrefix(key+"/", prefix) && !strings.HasPrefix(prefix, key+"/") {
				return filepath.SkipDir
			}
			return nil
		}
		name := e.Name()
		if !strings.HasPrefix(key, prefix) || strings.HasPrefix(name, ".tmp-") || strings.HasSuffix(name, ".lock") {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		out = append(out, ObjectInfo{Key: key, Size: info.Size(), Modified: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	slices.SortFunc(out, func(a, b ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Delete removes the object at key; a missing object is not an error.
func (d *Dir) Delete(ctx context.Context, key string) error {
	p, err := d.Path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

func (d *Dir) writeTemp(p string, body io.Reader) (string, error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-")
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, body); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func fileETag(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

// lockFile takes an exclusive lock by creating path; it is released by
// removing it.
func lockFile(p string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s (held by another writer?): %w", filepath.Base(p), err)
	}
	f.Close()
	return func() { os.Remove(p) }, nil
}

var _ Store = (*Dir)(nil)
