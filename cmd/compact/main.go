// Command compact is keytrail's compaction Lambda, run on an EventBridge
// schedule: it merges the small event files of recent day partitions into
// larger ones and drops duplicate events. See ingest.Compactor for why it is
// safe to run concurrently with ingest and to kill at any point.
//
// Configuration, validated at cold start:
//
//	KEYTRAIL_LAKE              s3://bucket/prefix of the lake (required)
//	KEYTRAIL_LAKE_KMS_KEY_ARN  the lake's customer-managed key (required)
//	KEYTRAIL_COMPACT_DAYS      how many past days to revisit (default 3)
package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/lambdaenv"
	"github.com/keytrail/keytrail/internal/memlimit"
)

type handler struct {
	c        *ingest.Compactor
	lookback time.Duration
}

func (h *handler) handle(ctx context.Context) error {
	res, err := h.c.CompactRecent(ctx, time.Now(), h.lookback)
	for _, r := range res {
		slog.InfoContext(ctx, "compacted", "day", r.Day, "input_files", r.InputFiles, "rows", r.OutputRows, "duplicates", r.Duplicates)
	}
	return err
}

func main() {
	lambdaenv.Main(memlimit.Function, func(ctx context.Context, e *lambdaenv.Env) (any, error) {
		h, err := newHandler(ctx, e)
		if err != nil {
			return nil, err
		}
		return h.handle, nil
	})
}

func newHandler(ctx context.Context, e *lambdaenv.Env) (*handler, error) {
	days := 3
	if v := e.Getenv("KEYTRAIL_COMPACT_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 60 {
			return nil, fmt.Errorf("KEYTRAIL_COMPACT_DAYS must be a whole number of days from 1 to 60, got %q", v)
		}
		days = n
	}
	// Compaction rewrites the lake's parts: never those of a newer schema.
	if err := lake.EnsureSchema(ctx, e.Lake); err != nil {
		return nil, fmt.Errorf("KEYTRAIL_LAKE: %w", err)
	}
	return &handler{c: &ingest.Compactor{Store: e.Lake, Logger: e.Logger}, lookback: time.Duration(days) * 24 * time.Hour}, nil
}
