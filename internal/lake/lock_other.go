//go:build !unix

package lake

import (
	"context"
	"sync"
)

type localLock struct{ mu sync.Mutex }

// lock serialises commits within this process only: without flock, two
// processes writing one folder can race a PutIfMatch (PutIfAbsent stays
// safe: it relies on link failing when the target exists).
func (d *Dir) lock(ctx context.Context, key string) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.local.mu.Lock()
	return d.local.mu.Unlock, nil
}

func isENOTDIR(error) bool { return false }
