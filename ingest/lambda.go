package ingest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keytrail/keytrail/internal/emf"
)

// Handler is the ingest Lambda's core: a batch of queue messages, each
// announcing new CloudTrail objects, in; the messages that must be retried
// out. One poison file fails only its own message, which after the queue's
// retries lands in the dead-letter queue with its reason in the log.
type Handler struct {
	Ingester *Ingester
	S3       S3API
	// Markers, if set, records finished objects so a later backfill does
	// not redo them.
	Markers *Markers
	// Metrics receives one Embedded Metric Format line per batch (the
	// Lambda's stdout); nil disables metrics.
	Metrics io.Writer
	Logger  *slog.Logger
	Now     func() time.Time
}

// HandleSQS processes one SQS batch with partial batch responses
// (ReportBatchItemFailures).
func (h *Handler) HandleSQS(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	now := h.Now
	if now == nil {
		now = time.Now
	}
	log := h.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var resp events.SQSEventResponse
	var in, kept, dropped, quarantined, failedFiles, objects int
	var lag time.Duration
	for _, msg := range ev.Records {
		refs, err := ParseNotification([]byte(msg.Body))
		if err != nil {
			// Retrying cannot fix a message we do not understand; it
			// still goes back so the DLQ keeps it for an operator.
			log.LogAttrs(ctx, slog.LevelError, "unreadable notification",
				slog.String("message_id", msg.MessageId), slog.String("error", err.Error()))
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
			continue
		}
		msgFailed := false
		for _, ref := range refs {
			objects++
			o := S3Object(h.S3, ref.Bucket, ref.Key, ref.Size)
			res, err := h.Ingester.ingestObject(ctx, o)
			if err == nil && h.Markers != nil {
				if merr := h.Markers.Mark(ctx, o, res); merr != nil {
					err = fmt.Errorf("mark done: %w", merr)
				}
			}
			in += res.Records
			kept += res.Kept
			dropped += res.Dropped
			quarantined += res.Quarantined
			if !res.Oldest.IsZero() {
				lag = max(lag, now().Sub(res.Oldest))
			}
			switch {
			case err != nil:
				// The lake could not be written: a transient problem
				// worth a retry.
				msgFailed = true
				log.LogAttrs(ctx, slog.LevelError, "lake write failed",
					slog.String("message_id", msg.MessageId), slog.String("bucket", ref.Bucket),
					slog.String("key", ref.Key), slog.String("error", err.Error()))
			case res.Failed():
				msgFailed = true
				failedFiles++
				log.LogAttrs(ctx, slog.LevelError, "object not fully ingested",
					slog.String("message_id", msg.MessageId), slog.String("bucket", ref.Bucket),
					slog.String("key", ref.Key), slog.String("status", string(res.Status)),
					slog.String("reason", res.Reason), slog.Int("records", res.Records),
					slog.Int("kept", res.Kept), slog.Int("record_errors", res.RecordErrorCount),
					slog.Any("first_record_errors", res.RecordErrors), slog.Int("quarantined", res.Quarantined))
			default:
				log.LogAttrs(ctx, slog.LevelInfo, "object ingested",
					slog.String("bucket", ref.Bucket), slog.String("key", ref.Key),
					slog.String("status", string(res.Status)), slog.String("reason", res.Reason),
					slog.Int("records", res.Records), slog.Int("kept", res.Kept), slog.Int("quarantined", res.Quarantined))
			}
		}
		if msgFailed {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	log.LogAttrs(ctx, slog.LevelInfo, "batch done",
		slog.Int("messages", len(ev.Records)), slog.Int("objects", objects), slog.Int("records_in", in),
		slog.Int("kept", kept), slog.Int("quarantined", quarantined), slog.Int("files_failed", failedFiles), slog.Int("messages_failed", len(resp.BatchItemFailures)))
	if h.Metrics != nil {
		emf.Write(h.Metrics, "keytrail", map[string]string{"Function": "ingest"}, map[string]emf.Metric{
			"RecordsIn":   {Value: float64(in), Unit: "Count"},
			"RecordsKept": {Value: float64(kept), Unit: "Count"},
			// Records kept apart for an implausible event time: worth
			// an alarm, since nothing else fails for them.
			"RecordsQuarantined": {Value: float64(quarantined), Unit: "Count"},
			"FilesFailed":        {Value: float64(failedFiles), Unit: "Count"},
			"Objects":            {Value: float64(objects), Unit: "Count"},
			"LagSeconds":         {Value: lag.Seconds(), Unit: "Seconds"},
		}, now())
	}
	return resp, nil
}
