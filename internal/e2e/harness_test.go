package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/slack-go/slack/slacktest"

	"github.com/keytrail/keytrail/alert"
	"github.com/keytrail/keytrail/detect"
	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/lakenotify"
	"github.com/keytrail/keytrail/internal/s3test"
	"github.com/keytrail/keytrail/queries"
)

const (
	trailBucket = "trail"
	lakeBucket  = "lake"
	lakeRoot    = "keytrail"
	channel     = "C0E2E0001"
	secretARN   = "arn:aws:secretsmanager:us-east-1:111122223333:secret:kt/slack-AbCdEf"
)

// invoke is a Lambda function as the runtime calls it: a JSON payload in,
// a JSON-able result out.
type invoke func(ctx context.Context, payload json.RawMessage) (any, error)

// pipeline is keytrail's functions over a real S3 server, with the
// harness standing in for the notifications and queues between them.
type pipeline struct {
	tb     testing.TB
	srv    *s3test.Server
	client *s3.Client // through the proxy: the functions' S3
	store  *lake.S3
	slack  *slackRecorder

	ingestQ, partsQ, findingsQ *queue
	schedule                   *detect.Schedule
	alerter                    *alert.Handler

	mu     sync.Mutex
	landed map[string]time.Time // trail object key → when its PUT completed
	bodies map[string]string    // queue/key → the last notification body sent
	work   sync.WaitGroup       // messages not yet acknowledged
	errs   []error
}

func newPipeline(tb testing.TB) *pipeline {
	tb.Helper()
	p := &pipeline{tb: tb, landed: map[string]time.Time{}, bodies: map[string]string{}}
	p.srv = s3test.Start(tb)
	p.srv.Bucket(tb, trailBucket)
	p.srv.Bucket(tb, lakeBucket)
	target, err := url.Parse(p.srv.Endpoint)
	if err != nil {
		tb.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = p.observe
	front := httptest.NewServer(proxy)
	tb.Cleanup(front.Close)
	p.client = p.srv.Client(tb, func(o *s3.Options) { o.BaseEndpoint = aws.String(front.URL) })
	if p.store, err = lake.NewS3(p.client, lakeBucket, lakeRoot, lake.S3Options{}); err != nil {
		tb.Fatal(err)
	}
	p.slack = startSlack(tb)
	quiet := slog.New(slog.DiscardHandler)
	l := lakenotify.Lake{Bucket: lakeBucket, Root: lakeRoot}

	// ingest, as cmd/ingest builds it.
	ing := &ingest.Handler{
		Ingester: ingest.New(p.store, ingest.Config{Logger: quiet}),
		S3:       p.client,
		Markers:  &ingest.Markers{Store: p.store},
		Logger:   quiet,
	}
	// detect, as cmd/detect builds it (default configuration).
	cfg, err := detect.LoadConfig(nil)
	if err != nil {
		tb.Fatal(err)
	}
	runner := &detect.Runner{Store: p.store, Logger: quiet, Detector: &detect.Detector{Config: cfg, Query: queries.Evidence}}
	p.schedule = &detect.Schedule{Runner: runner, Lag: 15 * time.Minute, Lookback: 3 * time.Hour}
	// alert, as cmd/alert builds it, without Athena (no follow-up query
	// to start, none to attach).
	p.alerter = &alert.Handler{
		Alerter: alert.Alerter{
			Store: p.store, Channel: channel,
			Render:           alert.Renderer{Location: time.UTC, Region: "us-east-1"},
			Events:           alert.LakeEvents{Store: p.store},
			SummaryThreshold: 5, SuppressWindow: 24 * time.Hour, Logger: quiet,
		},
		Secrets:     staticSecret(`{"token":"xoxb-e2e-token"}`),
		SecretARN:   secretARN,
		Mode:        alert.ModeToken,
		Lookback:    72 * time.Hour,
		SlackAPIURL: p.slack.GetAPIURL(),
	}

	// The template's event source mappings: batch size 10, a batching
	// window (20 s for ingest, 1 s for the lake queues), two pollers.
	p.ingestQ = p.newQueue("ingest", 20*time.Second, func(ctx context.Context, payload json.RawMessage) (any, error) {
		var ev events.SQSEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		return ing.HandleSQS(ctx, ev)
	})
	// cmd/detect's dispatch: an SQS batch is the fast path.
	p.partsQ = p.newQueue("parts", time.Second, func(ctx context.Context, payload json.RawMessage) (any, error) {
		ev, ok := lakenotify.IsSQS(payload)
		if !ok {
			return nil, fmt.Errorf("parts queue: not an SQS batch")
		}
		return l.Batch(ctx, ev, lake.EventsPrefix, quiet, runner.Parts), nil
	})
	// cmd/alert's dispatch, likewise.
	p.findingsQ = p.newQueue("findings", time.Second, func(ctx context.Context, payload json.RawMessage) (any, error) {
		ev, ok := lakenotify.IsSQS(payload)
		if !ok {
			return nil, fmt.Errorf("findings queue: not an SQS batch")
		}
		return l.Batch(ctx, ev, lake.FindingsPrefix, quiet, func(ctx context.Context, keys []string) error {
			_, err := p.alerter.HandleFindings(ctx, keys)
			return err
		}), nil
	})
	return p
}

// setIngestWindow sets the ingest queue's batching window: the template's
// is 20 s, which the benchmark keeps; the exactly-once test shortens it.
func (p *pipeline) setIngestWindow(d time.Duration) { p.ingestQ.window = d }

// observe sees every response of the S3 server: an object created (a PUT
// of a whole object, or a completed multipart upload) is announced as AWS
// would announce it.
func (p *pipeline) observe(resp *http.Response) error {
	r := resp.Request
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	q := r.URL.Query()
	created := r.Method == http.MethodPut && !q.Has("partNumber") && r.Header.Get("X-Amz-Copy-Source") == "" ||
		r.Method == http.MethodPost && q.Has("uploadId")
	if !created {
		return nil
	}
	bucket, key, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if !ok || key == "" {
		return nil
	}
	now := time.Now()
	switch {
	case bucket == trailBucket:
		p.mu.Lock()
		p.landed[key] = now
		p.mu.Unlock()
		p.send(p.ingestQ, key, s3Notification(bucket, key, now))
	case bucket == lakeBucket && strings.HasPrefix(key, lakeRoot+"/"+lake.EventsPrefix):
		p.send(p.partsQ, key, eventBridgeNotification(bucket, key, now))
	case bucket == lakeBucket && strings.HasPrefix(key, lakeRoot+"/"+lake.FindingsPrefix):
		p.send(p.findingsQ, key, eventBridgeNotification(bucket, key, now))
	}
	return nil
}

func (p *pipeline) send(q *queue, key, body string) {
	p.mu.Lock()
	p.bodies[q.name+"/"+key] = body
	p.mu.Unlock()
	q.enqueue(body)
}

// redeliver sends the last notification of key on q again, as SQS and S3
// may.
func (p *pipeline) redeliver(q *queue, key string) {
	p.mu.Lock()
	body, ok := p.bodies[q.name+"/"+key]
	p.mu.Unlock()
	if !ok {
		p.tb.Fatalf("no notification of %s was sent on %s", key, q.name)
	}
	q.enqueue(body)
}

// wait returns when every message sent has been acknowledged.
func (p *pipeline) wait() {
	p.work.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, err := range p.errs {
		p.tb.Error(err)
	}
	p.errs = nil
}

// put puts one gzipped CloudTrail object into the trail bucket.
func (p *pipeline) put(ctx context.Context, key string, records []map[string]any) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(map[string]any{"Records": records}); err != nil {
		p.tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		p.tb.Fatal(err)
	}
	if _, err := p.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(trailBucket), Key: aws.String(key), Body: bytes.NewReader(buf.Bytes())}); err != nil {
		p.tb.Fatalf("put %s: %v", key, err)
	}
}

// findings reads every findings file of the lake, by file.
func (p *pipeline) findings(ctx context.Context, days ...string) map[string][]finding.Finding {
	out := map[string][]finding.Finding{}
	for _, day := range days {
		objs, err := p.store.List(ctx, lake.PartitionPrefix(lake.FindingsPrefix, day))
		if err != nil {
			p.tb.Fatal(err)
		}
		for _, o := range objs {
			fs, err := lake.ReadRows(ctx, p.store, o.Key, finding.ReadParquet)
			if err != nil {
				p.tb.Fatal(err)
			}
			out[o.Key] = fs
		}
	}
	return out
}

// s3Notification is S3's event notification of a new object (keys
// URL-encoded, as S3 sends them).
func s3Notification(bucket, key string, at time.Time) string {
	ev := events.S3Event{Records: []events.S3EventRecord{{
		EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: "us-east-1", EventTime: at.UTC(), EventName: "ObjectCreated:Put",
		S3: events.S3Entity{Bucket: events.S3Bucket{Name: bucket, Arn: "arn:aws:s3:::" + bucket},
			Object: events.S3Object{Key: strings.ReplaceAll(url.QueryEscape(key), "%2F", "/"), Size: 1}},
	}}}
	b, _ := json.Marshal(ev)
	return string(b)
}

// eventBridgeNotification is EventBridge's Object Created event, which the
// template's lake rules send to the queues.
func eventBridgeNotification(bucket, key string, at time.Time) string {
	b, _ := json.Marshal(map[string]any{
		"version": "0", "id": fmt.Sprintf("eb-%d", at.UnixNano()), "detail-type": "Object Created", "source": "aws.s3",
		"account": "111122223333", "time": at.UTC().Format(time.RFC3339), "region": "us-east-1",
		"resources": []string{"arn:aws:s3:::" + bucket},
		"detail": map[string]any{
			"version": "0", "bucket": map[string]any{"name": bucket},
			"object": map[string]any{"key": key, "size": 1}, "reason": "PutObject",
		},
	})
	return string(b)
}

// queue stands in for an SQS queue and its Lambda event source mapping.
type queue struct {
	p      *pipeline
	name   string
	fn     invoke
	window time.Duration
	ch     chan events.SQSMessage

	mu  sync.Mutex
	seq int
}

const (
	batchSize = 10
	pollers   = 2 // the template's MaximumConcurrency
	// retryDelay stands in for the visibility timeout before a failed
	// message is received again.
	retryDelay = 500 * time.Millisecond
	maxReceive = 5 // then the dead-letter queue: an error of the run
)

func (p *pipeline) newQueue(name string, window time.Duration, fn invoke) *queue {
	q := &queue{p: p, name: name, fn: fn, window: window, ch: make(chan events.SQSMessage, 1<<16)}
	ctx, cancel := context.WithCancel(context.Background())
	var done sync.WaitGroup
	p.tb.Cleanup(func() { cancel(); done.Wait() })
	for range pollers {
		done.Go(func() { q.poll(ctx) })
	}
	return q
}

func (q *queue) enqueue(body string) {
	q.mu.Lock()
	q.seq++
	id := fmt.Sprintf("%s-%d", q.name, q.seq)
	q.mu.Unlock()
	q.p.work.Add(1)
	q.ch <- events.SQSMessage{MessageId: id, Body: body, EventSource: "aws:sqs", Attributes: map[string]string{"ApproximateReceiveCount": "1"}}
}

// poll receives batches: up to batchSize messages, waiting at most the
// batching window after the first.
func (q *queue) poll(ctx context.Context) {
	for {
		var batch []events.SQSMessage
		select {
		case <-ctx.Done():
			return
		case m := <-q.ch:
			batch = append(batch, m)
		}
		deadline := time.NewTimer(q.window)
	fill:
		for len(batch) < batchSize {
			select {
			case m := <-q.ch:
				batch = append(batch, m)
			case <-deadline.C:
				break fill
			case <-ctx.Done():
				deadline.Stop()
				return
			}
		}
		deadline.Stop()
		q.deliver(ctx, batch)
	}
}

// deliver invokes the function with a batch and settles each message:
// acknowledged, or received again after retryDelay (the whole batch when
// the invocation fails, the messages it reports otherwise).
func (q *queue) deliver(ctx context.Context, batch []events.SQSMessage) {
	payload, _ := json.Marshal(events.SQSEvent{Records: batch})
	out, err := q.fn(ctx, payload)
	retry := map[string]bool{}
	if err != nil {
		for _, m := range batch {
			retry[m.MessageId] = true
		}
	} else if resp, ok := out.(events.SQSEventResponse); ok {
		for _, f := range resp.BatchItemFailures {
			retry[f.ItemIdentifier] = true
		}
	}
	for _, m := range batch {
		if !retry[m.MessageId] {
			q.p.work.Done()
			continue
		}
		n := 0
		fmt.Sscan(m.Attributes["ApproximateReceiveCount"], &n)
		if n >= maxReceive {
			q.p.mu.Lock()
			q.p.errs = append(q.p.errs, fmt.Errorf("%s: message %s dead-lettered after %d receives (last error %v)", q.name, m.MessageId, n, err))
			q.p.mu.Unlock()
			q.p.work.Done()
			continue
		}
		m.Attributes = map[string]string{"ApproximateReceiveCount": fmt.Sprint(n + 1)}
		time.AfterFunc(retryDelay, func() { q.ch <- m })
	}
}

// staticSecret is the Slack secret's value (Secrets Manager is not on the
// path being measured).
type staticSecret string

func (s staticSecret) Get(context.Context, string) (string, error) { return string(s), nil }

// slackRecorder is slack-go's test server, recording each message posted
// with the finding id in its metadata and when it arrived.
type slackRecorder struct {
	*slacktest.Server
	mu    sync.Mutex
	seq   int
	posts []slackPost
}

type slackPost struct {
	FindingID string // "" for a summary
	ThreadTS  string
	At        time.Time
}

func startSlack(tb testing.TB) *slackRecorder {
	s := &slackRecorder{}
	s.Server = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", s.postMessage)
	})
	s.Start()
	tb.Cleanup(s.Stop)
	return s
}

func (s *slackRecorder) postMessage(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var md struct {
		EventType    string         `json:"event_type"`
		EventPayload map[string]any `json:"event_payload"`
	}
	if v := r.Form.Get("metadata"); v != "" {
		if err := json.Unmarshal([]byte(v), &md); err != nil {
			http.Error(w, "bad metadata: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	id := ""
	if md.EventType == alert.MetadataEventType {
		id, _ = md.EventPayload["finding_id"].(string)
	}
	s.mu.Lock()
	s.seq++
	ts := fmt.Sprintf("%d.%06d", at.Unix(), s.seq)
	s.posts = append(s.posts, slackPost{FindingID: id, ThreadTS: r.Form.Get("thread_ts"), At: at})
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, fmt.Sprintf(`{"ok":true,"channel":%q,"ts":%q}`, r.Form.Get("channel"), ts))
}

// Posts returns the messages posted so far.
func (s *slackRecorder) Posts() []slackPost {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.posts)
}
