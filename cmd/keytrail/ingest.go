package main

import (
	"context"
	"fmt"
)

func runIngest(ctx context.Context, env *environ, args []string) int {
	fmt.Fprintln(env.stderr, "keytrail ingest: not yet")
	return 1
}
