// Package e2e measures keytrail end to end as it runs in AWS: a CloudTrail
// object lands in the trail bucket, and the single-event findings it holds
// reach Slack through the fast path (ingest → the lake's new part → detect
// over that part → the new findings file → alert), with the schedules
// overlapping it. Its tests hold the whole pipeline to "each finding is
// posted once"; its benchmark (BenchmarkE2E, in make bench) times the path
// from object landed to message received.
//
// Everything that runs is keytrail's own: the ingest, detect and alert
// handlers wired as cmd/ingest, cmd/detect and cmd/alert wire them, a real
// S3 server (versitygw, internal/s3test) and slack-go's test server. What
// AWS does between the functions is stood in for by the harness, from the
// outside: a proxy in front of the S3 server sees each object created and
// sends the notification AWS would (S3's for the trail bucket, EventBridge's
// for the lake's events/ and findings/, as infra/template.yaml routes them)
// to an in-memory queue, whose pollers invoke the next handler with SQS
// batches, with the template's batch sizes, batching windows, concurrency
// and per-message retries. Nothing is mocked inside a handler.
//
// The package has no code outside its tests.
package e2e
