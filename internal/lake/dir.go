package lake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Names Dir reserves for its own bookkeeping; keys may not use them.
const (
	tmpPrefix = ".tmp-"     // a file being written, renamed into place when complete
	metaDir   = ".keytrail" // top-level folder: lock files
)

// Dir is a lake in a local folder: the embedded default, and what tests and
// the demo use.
//
// Writes are atomic: the body goes to a temporary file next to the target,
// which is then renamed (Put, PutIfMatch) or hard-linked (PutIfAbsent) into
// place, so a reader never sees half an object and a killed writer leaves no
// partial object (only a stray .tmp- file, which List ignores). Files are not
// fsynced: a process crash is safe, a power loss may lose the latest writes.
//
// The commit step of every write and delete holds an exclusive flock on a
// lock file chosen by hashing the key (256 files under .keytrail/locks),
// so conditional writes are atomic across goroutines and processes sharing
// the folder, a waiting writer honours its context, and a crashed writer's
// lock is released by the kernel. Lock files are never removed.
//
// An ETag is the file's size and modification time in nanoseconds: every
// write renames a new file into place, so it changes with every write, and
// List and Get return it without reading the object (a lake folder can hold
// many files, and readers list often).
type Dir struct {
	root string
	//lint:ignore U1000 used by lock_other.go, where flock is unavailable
	local localLock
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

// Path returns the file path of key. Keys are checked as by every store
// (see checkKey); in addition no segment may begin with ".tmp-" and the
// first may not be ".keytrail".
func (d *Dir) Path(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	first, _, _ := strings.Cut(key, "/")
	if first == metaDir {
		return "", fmt.Errorf("invalid key %q: %s/ is reserved", key, metaDir)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if strings.HasPrefix(seg, tmpPrefix) {
			return "", fmt.Errorf("invalid key %q: names beginning with %s are reserved", key, tmpPrefix)
		}
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

// checkKey enforces the key rules common to all stores: not empty, relative,
// no empty, "." or ".." segments, no trailing slash, no NUL byte, valid UTF-8 (as S3 requires). Keys that
// break them would name different objects in a folder and in S3.
func checkKey(key string) error {
	if key == "" {
		return errors.New("invalid key: empty")
	}
	if strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") || path.Clean(key) != key ||
		key == "." || key == ".." || strings.HasPrefix(key, "../") || strings.ContainsRune(key, 0) ||
		!utf8.ValidString(key) {
		return fmt.Errorf("invalid key %q", key)
	}
	return nil
}

// Put writes body at key, replacing any object there.
func (d *Dir) Put(ctx context.Context, key string, body io.Reader) error {
	return d.commit(ctx, key, body, func(tmp, p string) error {
		return os.Rename(tmp, p)
	})
}

// PutIfAbsent writes body at key unless an object is there already, in
// which case it returns ErrPrecondition.
func (d *Dir) PutIfAbsent(ctx context.Context, key string, body io.Reader) error {
	return d.commit(ctx, key, body, func(tmp, p string) error {
		// link fails if the target exists: create-if-absent even against
		// a writer that does not take the lock.
		err := os.Link(tmp, p)
		if errors.Is(err, fs.ErrExist) {
			return ErrPrecondition
		}
		if err == nil {
			os.Remove(tmp) // the object keeps its own name
		}
		return err
	})
}

// PutIfMatch replaces the object at key only if its ETag is still etag; a
// missing object does not match. An empty etag means "only if absent".
func (d *Dir) PutIfMatch(ctx context.Context, key string, body io.Reader, etag string) error {
	if etag == "" {
		return d.PutIfAbsent(ctx, key, body)
	}
	return d.commit(ctx, key, body, func(tmp, p string) error {
		cur, err := fileETag(p)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && cur != etag) {
			return ErrPrecondition
		}
		if err != nil {
			return err
		}
		return os.Rename(tmp, p)
	})
}

// commit writes body to a temporary file, then runs publish(tmp, path)
// under the key's lock; publish moves or removes tmp when it succeeds.
func (d *Dir) commit(ctx context.Context, key string, body io.Reader, publish func(tmp, p string) error) error {
	p, err := d.Path(key)
	if err != nil {
		return err
	}
	tmp, err := writeTemp(p, body)
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	unlock, err := d.lock(ctx, key)
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("put %s: %w", key, err)
	}
	defer unlock()
	if err := stampAfter(tmp, p); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := publish(tmp, p); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// stampAfter makes tmp's modification time later than that of the object
// at p, if there is one. An ETag is a file's size and modification time,
// and file systems stamp times from a clock that ticks every few
// milliseconds: two commits of the same size to one key within a tick
// would share an ETag, and a PutIfMatch holding the first would replace
// the second. Commits to a key hold its lock, so its times only increase.
// (A file system that keeps whole seconds only still has the problem.)
func stampAfter(tmp, p string) error {
	cur, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
		return nil // publish says what is wrong, if anything
	}
	if err != nil {
		return err
	}
	st, err := os.Stat(tmp)
	if err != nil {
		return err
	}
	if st.ModTime().After(cur.ModTime()) {
		return nil
	}
	return os.Chtimes(tmp, time.Time{}, cur.ModTime().Add(time.Nanosecond))
}

// Get opens the object at key.
func (d *Dir) Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error) {
	p, err := d.Path(key)
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
		return nil, ObjectInfo{}, fmt.Errorf("get %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
	}
	info, err := openInfo(f, key)
	if err != nil {
		f.Close()
		return nil, ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
	}
	return f, info, nil
}

// openInfo describes the open file f.
func openInfo(f *os.File, key string) (ObjectInfo, error) {
	st, err := f.Stat()
	if err != nil {
		return ObjectInfo{}, err
	}
	if st.IsDir() {
		return ObjectInfo{}, ErrNotFound
	}
	return ObjectInfo{Key: key, Size: st.Size(), ETag: statETag(st), Modified: st.ModTime()}, nil
}

// statETag is the ETag of a file from its metadata.
func statETag(st fs.FileInfo) string {
	return fmt.Sprintf("%x-%x", st.Size(), st.ModTime().UnixNano())
}

// List returns the objects whose keys start with prefix, sorted by key.
// Temporary files and Dir's own .keytrail folder are not objects and are
// never listed.
func (d *Dir) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	var out []ObjectInfo
	err := filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if e.IsDir() {
			if key == "." {
				return nil
			}
			if key == metaDir || (!strings.HasPrefix(key+"/", prefix) && !strings.HasPrefix(prefix, key+"/")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() || !strings.HasPrefix(key, prefix) || strings.HasPrefix(e.Name(), tmpPrefix) {
			return nil
		}
		st, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted since the folder was read
		}
		if err != nil {
			return err
		}
		out = append(out, ObjectInfo{Key: key, Size: st.Size(), ETag: statETag(st), Modified: st.ModTime()})
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
	unlock, err := d.lock(ctx, key)
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	defer unlock()
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) && !isNotDir(err) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// lockPath returns the lock file that serialises commits to key: one of
// 256, by the first byte of the key's SHA-256, so unrelated keys rarely
// wait for each other and the number of files stays bounded.
func (d *Dir) lockPath(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(d.root, metaDir, "locks", hex.EncodeToString(sum[:1]))
}

// writeTemp writes body to a new temporary file beside p, creating p's
// folder when it is missing, and returns the temporary file's path.
func writeTemp(p string, body io.Reader) (string, error) {
	dir := filepath.Dir(p)
	f, err := createTemp(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		f, err = createTemp(dir)
	}
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

// createTemp creates a file in dir that List does not see, readable like
// any file the user writes (0644 less the umask; os.CreateTemp's files are
// private).
func createTemp(dir string) (*os.File, error) {
	for {
		name := filepath.Join(dir, tmpPrefix+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
}

func fileETag(p string) (string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return "", err
	}
	return statETag(st), nil
}

// isNotDir reports ENOTDIR: a key below an existing object ("a/b" when "a"
// is a file) names no object.
func isNotDir(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && isENOTDIR(pe.Err)
}

var _ Store = (*Dir)(nil)
