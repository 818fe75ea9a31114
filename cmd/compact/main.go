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
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/internal/awsconf"
	"github.com/keytrail/keytrail/internal/lake"
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
	slog.SetDefault(lambdacontext.NewLogger())
	h, err := newHandler(context.Background(), os.Getenv)
	if err != nil {
		slog.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.handle)
}

func newHandler(ctx context.Context, getenv func(string) string) (*handler, error) {
	lakeURI := getenv("KEYTRAIL_LAKE")
	if !strings.HasPrefix(lakeURI, "s3://") {
		return nil, fmt.Errorf("KEYTRAIL_LAKE must be s3://bucket/prefix, got %q", lakeURI)
	}
	keyARN := getenv("KEYTRAIL_LAKE_KMS_KEY_ARN")
	if keyARN == "" {
		return nil, fmt.Errorf("KEYTRAIL_LAKE_KMS_KEY_ARN must name the lake's KMS key")
	}
	days := 3
	if v := getenv("KEYTRAIL_COMPACT_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 60 {
			return nil, fmt.Errorf("KEYTRAIL_COMPACT_DAYS must be a whole number of days from 1 to 60, got %q", v)
		}
		days = n
	}
	bucket, prefix, err := lake.ParseS3URI(lakeURI)
	if err != nil {
		return nil, fmt.Errorf("KEYTRAIL_LAKE: %w", err)
	}
	cfg, err := awsconf.Load(ctx, getenv)
	if err != nil {
		return nil, err
	}
	store, err := lake.NewS3(s3.NewFromConfig(cfg, awsconf.S3Options(getenv)), bucket, prefix, lake.S3Options{KMSKeyID: keyARN})
	if err != nil {
		return nil, err
	}
	return &handler{c: &ingest.Compactor{Store: store, Logger: slog.Default()}, lookback: time.Duration(days) * 24 * time.Hour}, nil
}
