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

// StaleTempAge is how old a temporary file must be before RemoveStaleTemps
// takes it for a killed writer's. A write fills its temporary file from a
// body the writer already holds (an encoded part, a state document) in
// well under a second, and every write to the file moves its time on; an
// hour leaves room for a slow disk and a clock that is a little off. A
// write that does take longer (a body read from a stalled stream, a lock
// held elsewhere all that time) fails rather than publishing: its file is
// gone when it comes to rename it.
const StaleTempAge = time.Hour

// ErrSymlink reports a symbolic link inside a lake folder. Dir follows
// none, wherever it points: a link would let whoever can write the folder
// send writes, reads and deletes elsewhere, and a lake that is a tree of
// its own is simpler to reason about than one that is mostly so.
var ErrSymlink = errors.New("a symbolic link inside the lake folder, which keytrail does not follow")

// Dir is a lake in a local folder: the embedded default, and what tests and
// the demo use.
//
// Writes are atomic: the body goes to a temporary file next to the target,
// which is then renamed (Put, PutIfMatch) or hard-linked (PutIfAbsent) into
// place, so a reader never sees half an object and a killed writer leaves no
// partial object (only a stray .tmp- file, which List ignores and
// RemoveStaleTemps removes once it is old). Files are not fsynced: a
// process crash is safe, a power loss may lose the latest writes.
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
//
// Links: the folder itself may be reached through a symbolic link, but
// nothing inside it may be one. Every file operation goes through an
// os.Root, which refuses a path that leaves the folder even if a link
// appears mid-operation; before it, the folders on the way to a key and
// the key's file are checked with Lstat, and a link among them fails the
// call with ErrSymlink naming it (a link that appears between the check
// and the use can only be followed within the folder). List does not
// descend into linked folders or list linked files.
type Dir struct {
	root string
	r    *os.Root
	//lint:ignore U1000 used by lock_other.go, where flock is unavailable
	local localLock
}

// NewDir returns a store rooted at the folder root, creating it if needed.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("create lake folder: %w", err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("open lake folder: %w", err)
	}
	return &Dir{root: root, r: r}, nil
}

// Root returns the folder.
func (d *Dir) Root() string { return d.root }

// Path returns the file path of key, for tools that read the folder
// themselves (opening it does not have Dir's checks for links). Keys are
// checked as by every store (see checkKey); in addition no segment may
// begin with ".tmp-" and the first may not be ".keytrail".
func (d *Dir) Path(key string) (string, error) {
	name, err := d.name(key)
	if err != nil {
		return "", err
	}
	return filepath.Join(d.root, name), nil
}

// name returns the path of key relative to the folder, for d.r.
func (d *Dir) name(key string) (string, error) {
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
	return filepath.FromSlash(key), nil
}

// refuseLinks returns ErrSymlink, naming the link, if a folder on the way
// to name (relative to the lake folder) or name itself is a symbolic link.
// A missing folder or file ends the check: the caller either fails or
// creates a real one there.
func (d *Dir) refuseLinks(name string) error {
	for i := 0; ; {
		j := strings.IndexByte(name[i:], filepath.Separator)
		prefix := name
		if j >= 0 {
			prefix = name[:i+j]
		}
		st, err := d.r.Lstat(prefix)
		switch {
		case errors.Is(err, fs.ErrNotExist) || isNotDir(err):
			return nil
		case err != nil:
			return err
		case st.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s: %w", filepath.Join(d.root, prefix), ErrSymlink)
		}
		if j < 0 {
			return nil
		}
		i += j + 1
	}
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
		return d.r.Rename(tmp, p)
	})
}

// PutIfAbsent writes body at key unless an object is there already, in
// which case it returns ErrPrecondition.
func (d *Dir) PutIfAbsent(ctx context.Context, key string, body io.Reader) error {
	return d.commit(ctx, key, body, func(tmp, p string) error {
		// link fails if the target exists: create-if-absent even against
		// a writer that does not take the lock.
		err := d.r.Link(tmp, p)
		if errors.Is(err, fs.ErrExist) {
			return ErrPrecondition
		}
		if err == nil {
			d.r.Remove(tmp) // the object keeps its own name
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
		cur, err := d.fileETag(p)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && cur != etag) {
			return ErrPrecondition
		}
		if err != nil {
			return err
		}
		return d.r.Rename(tmp, p)
	})
}

// commit writes body to a temporary file, then runs publish(tmp, name)
// under the key's lock; publish moves or removes tmp when it succeeds.
// Both are paths relative to the folder.
func (d *Dir) commit(ctx context.Context, key string, body io.Reader, publish func(tmp, name string) error) error {
	p, err := d.name(key)
	if err != nil {
		return err
	}
	if err := d.refuseLinks(p); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	tmp, err := d.writeTemp(p, body)
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	unlock, err := d.lock(ctx, key)
	if err != nil {
		d.r.Remove(tmp)
		return fmt.Errorf("put %s: %w", key, err)
	}
	defer unlock()
	if err := d.stampAfter(tmp, p); err != nil {
		d.r.Remove(tmp)
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := publish(tmp, p); err != nil {
		d.r.Remove(tmp)
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
func (d *Dir) stampAfter(tmp, p string) error {
	cur, err := d.r.Stat(p)
	if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
		return nil // publish says what is wrong, if anything
	}
	if err != nil {
		return err
	}
	st, err := d.r.Stat(tmp)
	if err != nil {
		return err
	}
	if st.ModTime().After(cur.ModTime()) {
		return nil
	}
	return d.r.Chtimes(tmp, time.Time{}, cur.ModTime().Add(time.Nanosecond))
}

// Get opens the object at key.
func (d *Dir) Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error) {
	p, err := d.name(key)
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	if err := d.refuseLinks(p); err != nil {
		return nil, ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
	}
	f, err := d.r.Open(p)
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
// never listed, nor are symbolic links or what they point to.
func (d *Dir) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	var out []ObjectInfo
	err := d.walk(ctx,
		func(dir string) bool { return strings.HasPrefix(dir+"/", prefix) || strings.HasPrefix(prefix, dir+"/") },
		func(key, name string) bool {
			return strings.HasPrefix(key, prefix) && !strings.HasPrefix(name, tmpPrefix)
		},
		func(key string, st fs.FileInfo) error {
			out = append(out, ObjectInfo{Key: key, Size: st.Size(), ETag: statETag(st), Modified: st.ModTime()})
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	slices.SortFunc(out, func(a, b ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// walk calls fn with the info of each regular file under the root whose
// key and base name match wants, in lexical order. It enters the folders
// enter wants, never Dir's own .keytrail folder, and follows no link;
// what vanishes while it walks (deleted, published, removed since its
// folder was read) is passed over, and ctx's cancellation stops it.
func (d *Dir) walk(ctx context.Context, enter func(dir string) bool, wants func(key, name string) bool, fn func(key string, st fs.FileInfo) error) error {
	return fs.WalkDir(d.r.FS(), ".", func(key string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() {
			if key != "." && (key == metaDir || !enter(key)) {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() || !wants(key, e.Name()) {
			return nil
		}
		st, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		return fn(key, st)
	})
}

// Delete removes the object at key; a missing object is not an error.
func (d *Dir) Delete(ctx context.Context, key string) error {
	p, err := d.name(key)
	if err != nil {
		return err
	}
	unlock, err := d.lock(ctx, key)
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	defer unlock()
	if err := d.refuseLinks(p); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	if err := d.r.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) && !isNotDir(err) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// lockName returns the lock file, relative to the folder, that serialises
// commits to key: one of 256, by the first byte of the key's SHA-256, so
// unrelated keys rarely wait for each other and the number of files stays
// bounded.
func lockName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(metaDir, "locks", hex.EncodeToString(sum[:1]))
}

// lockPath is lockName's file path.
func (d *Dir) lockPath(key string) string { return filepath.Join(d.root, lockName(key)) }

// writeTemp writes body to a new temporary file beside p, creating p's
// folder when it is missing, and returns the temporary file's name.
func (d *Dir) writeTemp(p string, body io.Reader) (string, error) {
	dir := filepath.Dir(p)
	f, name, err := d.createTemp(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := d.r.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		f, name, err = d.createTemp(dir)
	}
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, body); err != nil {
		f.Close()
		d.r.Remove(name)
		return "", err
	}
	if err := f.Close(); err != nil {
		d.r.Remove(name)
		return "", err
	}
	return name, nil
}

// createTemp creates a file in dir that List does not see, readable like
// any file the user writes (0644 less the umask; os.CreateTemp's files are
// private). O_EXCL also refuses a link in the file's place.
func (d *Dir) createTemp(dir string) (*os.File, string, error) {
	for {
		name := filepath.Join(dir, tmpPrefix+strconv.FormatUint(rand.Uint64(), 36))
		f, err := d.r.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			return f, name, err
		}
	}
}

func (d *Dir) fileETag(p string) (string, error) {
	st, err := d.r.Stat(p)
	if err != nil {
		return "", err
	}
	return statETag(st), nil
}

// RemoveStaleTemps removes the temporary files that writers killed before
// publishing left behind: those last written StaleTempAge or more before
// now. It reports how many it removed. Only regular files named as Dir
// names its temporary files are touched; links are neither followed nor
// removed. Compaction and the start of an ingest run call it (through
// ingest.RemoveStaleTemps); it is safe beside running writers, whose files
// are younger.
func (d *Dir) RemoveStaleTemps(ctx context.Context, now time.Time) (int, error) {
	cutoff := now.Add(-StaleTempAge)
	removed := 0
	err := d.walk(ctx, func(string) bool { return true }, func(_, name string) bool { return strings.HasPrefix(name, tmpPrefix) },
		func(name string, st fs.FileInfo) error {
			if st.ModTime().After(cutoff) {
				return nil
			}
			if err := d.r.Remove(filepath.FromSlash(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			removed++
			return nil
		})
	if err != nil {
		return removed, fmt.Errorf("remove stale temporary files: %w", err)
	}
	return removed, nil
}

// isNotDir reports ENOTDIR: a key below an existing object ("a/b" when "a"
// is a file) names no object.
func isNotDir(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && isENOTDIR(pe.Err)
}

var _ Store = (*Dir)(nil)
