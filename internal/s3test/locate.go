package s3test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Module is the versitygw version tests run against; keep it equal to the
// Makefile's VERSITYGW_VERSION.
const Module = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// locator finds versitygw; its fields are the outside world, so the search
// order can be tested without touching the real one.
type locator struct {
	getenv   func(string) string
	getwd    func() (string, error)
	lookPath func(string) (string, error)
	install  func(ctx context.Context, gobin string) error
}

func (l locator) locate(ctx context.Context) (string, error) {
	if p := l.getenv("KEYTRAIL_VERSITYGW"); p != "" {
		if !isExecutable(p) {
			return "", fmt.Errorf("KEYTRAIL_VERSITYGW=%s: not an executable file", p)
		}
		return p, nil
	}
	root, rootErr := l.repoRoot()
	var bin string
	if rootErr == nil {
		bin = filepath.Join(root, "bin", "versitygw")
		if isExecutable(bin) {
			return bin, nil
		}
	}
	if p, err := l.lookPath("versitygw"); err == nil {
		return p, nil
	}
	if rootErr != nil {
		return "", fmt.Errorf("%w (set KEYTRAIL_VERSITYGW or put it on PATH): %v", errNoBinary, rootErr)
	}
	gobin := filepath.Dir(bin)
	if err := os.MkdirAll(gobin, 0o755); err != nil {
		return "", fmt.Errorf("install versitygw: %w", err)
	}
	unlock, err := lockPath(filepath.Join(gobin, ".versitygw.lock"))
	if err != nil {
		return "", fmt.Errorf("install versitygw: %w", err)
	}
	defer unlock()
	// Another test binary may have built it while this one waited.
	if isExecutable(bin) {
		return bin, nil
	}
	if err := l.install(ctx, gobin); err != nil {
		return "", fmt.Errorf("install versitygw: %w", err)
	}
	if !isExecutable(bin) {
		return "", fmt.Errorf("install versitygw: %s missing after go install", bin)
	}
	return bin, nil
}

// repoRoot walks up from the working directory to the folder with go.mod.
func (l locator) repoRoot() (string, error) {
	dir, err := l.getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repository root: no go.mod above the working directory")
		}
		dir = parent
	}
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// goInstall builds versitygw into gobin with the go command that runs the
// tests (go test puts its GOROOT/bin first on PATH).
func goInstall(ctx context.Context, gobin string) error {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("find go command: %w", err)
	}
	cmd := exec.CommandContext(ctx, goCmd, "install", Module)
	cmd.Env = append(os.Environ(), "GOBIN="+gobin)
	cmd.Dir = gobin
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go install %s: %w\n%s", Module, err, out)
	}
	return nil
}
