//go:build unix

package s3test

import (
	"os"
	"syscall"
)

// lockPath takes an exclusive advisory lock on the file p, waiting for it;
// the lock dies with the process, so a crashed test never leaves it held.
func lockPath(p string) (func(), error) {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
