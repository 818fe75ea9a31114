package gen

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// WriteDir returns an Output that writes each object to dir/<key>, creating
// folders as needed: a local mirror of the trail bucket.
func WriteDir(dir string) Output { return &dirOutput{root: dir, made: map[string]bool{}} }

type dirOutput struct {
	root string
	mu   sync.Mutex
	made map[string]bool // folders already created
}

func (d *dirOutput) Create(key string) (io.WriteCloser, error) {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "..") {
		return nil, fmt.Errorf("object key %q: not a relative path", key)
	}
	p := filepath.Join(d.root, filepath.FromSlash(key))
	dir := filepath.Dir(p)
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.made[dir] {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create %s: %w", key, err)
		}
		d.made[dir] = true
	}
	f, err := os.Create(p)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", key, err)
	}
	return f, nil
}
