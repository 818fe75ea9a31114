//go:build unix

package lake

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lock takes the exclusive flock that serialises commits to key, waiting
// while another goroutine or process holds it. flock(2) has no timeout, so
// the wait polls a non-blocking attempt with a short backoff and gives up
// when ctx ends. The lock belongs to the open file: closing it, or the
// process dying, releases it.
func (d *Dir) lock(ctx context.Context, key string) (func(), error) {
	name := lockName(key)
	if err := d.refuseLinks(name); err != nil {
		return nil, err
	}
	f, err := d.r.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
	if errors.Is(err, fs.ErrNotExist) {
		if err := d.r.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return nil, err
		}
		f, err = d.r.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
	}
	if err != nil {
		return nil, err
	}
	p := d.lockPath(key)
	fd := int(f.Fd())
	delay := 500 * time.Microsecond
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, &os.PathError{Op: "flock", Path: p, Err: err}
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, context.Cause(ctx)
		case <-t.C:
		}
		delay = min(2*delay, 20*time.Millisecond)
	}
}

// localLock is empty: flock serialises goroutines as well as processes,
// since each lock call opens the file anew.
type localLock struct{}

func isENOTDIR(err error) bool { return errors.Is(err, syscall.ENOTDIR) }
