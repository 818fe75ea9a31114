// Package lakenotify turns a queue's batch of lake-bucket notifications
// into lake keys, for the functions the lake itself triggers: a new events
// part wakes the fast detector, a new findings file the alerter. The
// notifications are S3's object-created events in any of the shapes the
// ingest queue accepts (ingest.ParseNotification): the template routes
// them through EventBridge, whose rules filter by prefix, so that the lake
// bucket's notifications need no queue policy naming the bucket (a
// dependency cycle in CloudFormation).
//
// Only objects of the lake's own bucket, under its root and the table
// asked for, become keys: a notification for anything else is logged and
// dropped, since retrying cannot change where it points.
package lakenotify

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keytrail/keytrail/ingest"
)

// Lake is where a lake lives in S3: its bucket and the root prefix of
// its keys ("", "a/b" or "a/b/").
type Lake struct {
	Bucket, Root string
}

// Key returns the lake key (relative to the root) of the bucket key, and
// whether it is under the root and the table prefix (lake.EventsPrefix
// and the like).
func (l Lake) Key(bucket, key, table string) (string, bool) {
	if bucket != l.Bucket {
		return "", false
	}
	if root := strings.Trim(l.Root, "/"); root != "" {
		var ok bool
		if key, ok = strings.CutPrefix(key, root+"/"); !ok {
			return "", false
		}
	}
	return key, strings.HasPrefix(key, table) && strings.HasSuffix(key, ".parquet")
}

// IsSQS reports whether an invocation's payload is an SQS batch.
func IsSQS(payload json.RawMessage) (events.SQSEvent, bool) {
	var ev events.SQSEvent
	if json.Unmarshal(payload, &ev) != nil || len(ev.Records) == 0 {
		return ev, false
	}
	for _, r := range ev.Records {
		if r.EventSource != "aws:sqs" {
			return ev, false
		}
	}
	return ev, true
}

// Batch calls fn once with the keys, under table, that the batch's
// messages announce (sorted, each once), and returns the messages to
// retry: those not understood (they reach the dead-letter queue after the
// queue's retries, for an operator) and, when fn fails, every message
// that announced a key. fn must be idempotent: SQS delivers at least once.
func (l Lake) Batch(ctx context.Context, ev events.SQSEvent, table string, log *slog.Logger,
	fn func(ctx context.Context, keys []string) error) events.SQSEventResponse {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var resp events.SQSEventResponse
	var keys, withKeys []string
	for _, msg := range ev.Records {
		refs, err := ingest.ParseNotification([]byte(msg.Body))
		if err != nil {
			log.LogAttrs(ctx, slog.LevelError, "unreadable notification",
				slog.String("message_id", msg.MessageId), slog.String("error", err.Error()))
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
			continue
		}
		n := len(keys)
		for _, ref := range refs {
			k, ok := l.Key(ref.Bucket, ref.Key, table)
			if !ok {
				log.LogAttrs(ctx, slog.LevelWarn, "notification for another object, ignored",
					slog.String("message_id", msg.MessageId), slog.String("bucket", ref.Bucket), slog.String("key", ref.Key))
				continue
			}
			keys = append(keys, k)
		}
		if len(keys) > n {
			withKeys = append(withKeys, msg.MessageId)
		}
	}
	if len(keys) == 0 {
		return resp
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	if err := fn(ctx, keys); err != nil {
		log.LogAttrs(ctx, slog.LevelError, "notified objects not processed, retried",
			slog.Int("keys", len(keys)), slog.String("error", err.Error()))
		for _, id := range withKeys {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
		}
	}
	return resp
}
