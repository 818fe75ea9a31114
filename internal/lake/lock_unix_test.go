//go:build unix

package lake

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestLockHelperProcess is not a test: TestDirLockAcrossProcesses runs the
// test binary as a second process that holds a Dir lock until it is killed.
func TestLockHelperProcess(t *testing.T) {
	p := os.Getenv("KEYTRAIL_LOCK_HELPER")
	if p == "" {
		t.Skip("helper process for TestDirLockAcrossProcesses; runs only when started by it")
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("locked\n")
	io.Copy(io.Discard, os.Stdin) // hold the lock until killed
	os.Exit(0)
}

// TestDirLockAcrossProcesses holds a key's lock in another process: a
// PutIfMatch waits for it, gives up when its context ends, and proceeds once
// the holder dies without releasing it (as a crashed writer would).
func TestDirLockAcrossProcesses(t *testing.T) {
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const key = "state/delivery.json"
	if err := d.Put(t.Context(), key, strings.NewReader("v1")); err != nil {
		t.Fatal(err)
	}
	rc, info, err := d.Get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if err := os.MkdirAll(d.root+"/"+metaDir+"/locks", 0o755); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), "KEYTRAIL_LOCK_HELPER="+d.lockPath(key))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper said %q, %v; want locked", line, err)
	}

	content := func() string {
		b, err := os.ReadFile(d.root + "/" + key)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	// While the lock is held elsewhere, a write can only end by its
	// context being cancelled.
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- d.PutIfMatch(ctx, key, strings.NewReader("v2"), info.ETag) }()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("PutIfMatch with the lock held and ctx cancelled = %v, want context.Canceled", err)
	}
	if got := content(); got != "v1" {
		t.Fatalf("object = %q after a cancelled write, want v1", got)
	}

	go func() { errc <- d.PutIfMatch(t.Context(), key, strings.NewReader("v2"), info.ETag) }()
	select {
	case err := <-errc:
		t.Fatalf("PutIfMatch finished (%v) while another process held the lock", err)
	default:
	}
	// Kill the holder: the kernel releases its lock.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if err := <-errc; err != nil {
		t.Fatalf("PutIfMatch after the holder died: %v", err)
	}
	if got := content(); got != "v2" {
		t.Fatalf("object = %q, want v2", got)
	}
}
