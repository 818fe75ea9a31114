package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/s3test"
)

// readStore reads every event row of a lake through its Store.
func readStore(t testing.TB, st lake.Store) []event.Event {
	t.Helper()
	ctx := context.Background()
	objs, err := st.List(ctx, lake.EventsPrefix)
	if err != nil {
		t.Fatal(err)
	}
	var all []event.Event
	for _, o := range objs {
		rc, _, err := st.Get(ctx, o.Key)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		rows, err := event.ReadParquet(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("read %s: %v", o.Key, err)
		}
		all = append(all, rows...)
	}
	return all
}

func eventIDs(rows []event.Event) []string {
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.EventID)
	}
	slices.Sort(ids)
	return ids
}

type trailFixture struct {
	srv    *s3test.Server
	client *s3.Client
	trail  string
	lake   *lake.S3
	want   []string // event ids of every good object
}

const ctPrefix = "AWSLogs/o-abc123/111122223333/CloudTrail/eu-central-1/2026/06/01/"

func newTrailFixture(t *testing.T) *trailFixture {
	t.Helper()
	srv := s3test.Start(t)
	f := &trailFixture{srv: srv, client: srv.Client(t), trail: srv.Bucket(t, "trail")}
	srv.Bucket(t, "lake")
	st, err := lake.NewS3(f.client, "lake", "keytrail", lake.S3Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.lake = st
	return f
}

func (f *trailFixture) put(t *testing.T, key string, body []byte) {
	t.Helper()
	_, err := f.client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(f.trail), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
}

// goodObject uploads a log file of n KMS records and n S3 records, ids
// prefixed with name.
func (f *trailFixture) goodObject(t *testing.T, name string, n int) string {
	t.Helper()
	var recs []json.RawMessage
	for i := range n {
		r := strings.Replace(string(kmsRecord(i)), fmt.Sprintf(`"e-%d"`, i), fmt.Sprintf(`"%s-%d"`, name, i), 1)
		recs = append(recs, json.RawMessage(r), s3Record(i))
		f.want = append(f.want, fmt.Sprintf("%s-%d", name, i))
	}
	key := ctPrefix + "111122223333_CloudTrail_eu-central-1_20260601T1005Z_" + name + ".json.gz"
	f.put(t, key, logFile(t, recs, true))
	slices.Sort(f.want)
	return key
}

func s3Notification(bucket, key string) string {
	b, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
		"s3": map[string]any{"bucket": map[string]any{"name": bucket}, "object": map[string]any{"key": strings.ReplaceAll(escapeKey(key), "%2F", "/"), "size": 1}},
	}}})
	return string(b)
}

func escapeKey(k string) string {
	var b strings.Builder
	for _, c := range []byte(k) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '/':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func snsWrap(inner string) string {
	b, _ := json.Marshal(map[string]any{"Type": "Notification", "MessageId": "sns-1", "Message": inner})
	return string(b)
}

func eventBridge(bucket, key string) string {
	b, _ := json.Marshal(map[string]any{"version": "0", "detail-type": "Object Created", "source": "aws.s3",
		"detail": map[string]any{"bucket": map[string]any{"name": bucket}, "object": map[string]any{"key": key, "size": 1}}})
	return string(b)
}

func TestLambdaBatch(t *testing.T) {
	f := newTrailFixture(t)
	a := f.goodObject(t, "a", 30)
	b := f.goodObject(t, "b with space=1", 20)
	c := f.goodObject(t, "c", 10)
	d := f.goodObject(t, "d", 5)
	poison := ctPrefix + "poison.json.gz"
	full := logFile(t, []json.RawMessage{kmsRecord(1), kmsRecord(2)}, true)
	f.put(t, poison, full[:len(full)-20])
	digest := "AWSLogs/o-abc123/111122223333/CloudTrail-Digest/eu-central-1/2026/06/01/x_CloudTrail-Digest_y.json.gz"
	f.put(t, digest, gzipBytes(t, []byte(`{"digestStartTime":"x"}`)))

	ctCT, _ := json.Marshal(map[string]any{"s3Bucket": f.trail, "s3ObjectKey": []string{c, digest}})
	batch := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m-s3", Body: s3Notification(f.trail, a)},
		{MessageId: "m-sns", Body: snsWrap(s3Notification(f.trail, b))},
		{MessageId: "m-ct", Body: snsWrap(string(ctCT))},
		{MessageId: "m-eb", Body: eventBridge(f.trail, d)},
		{MessageId: "m-poison", Body: s3Notification(f.trail, poison)},
		{MessageId: "m-junk", Body: `{"hello":"world"}`},
		{MessageId: "m-test", Body: `{"Service":"Amazon S3","Event":"s3:TestEvent"}`},
	}}
	var metrics, logs bytes.Buffer
	h := &Handler{
		Ingester: New(f.lake, Config{}),
		S3:       f.client,
		Markers:  &Markers{Store: f.lake},
		Metrics:  &metrics,
		Logger:   newJSONLogger(&logs),
	}
	ctx := context.Background()
	resp, err := h.HandleSQS(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, fi := range resp.BatchItemFailures {
		failed = append(failed, fi.ItemIdentifier)
	}
	slices.Sort(failed)
	if !slices.Equal(failed, []string{"m-junk", "m-poison"}) {
		t.Fatalf("failed messages %v, want m-junk and m-poison", failed)
	}
	// Every good record once; the poison file's readable record too.
	want := append(slices.Clone(f.want), "e-1")
	slices.Sort(want)
	if got := eventIDs(readStore(t, f.lake)); !slices.Equal(got, want) {
		t.Fatalf("lake ids:\n got %v\nwant %v", got, want)
	}
	if !strings.Contains(logs.String(), `"key":"`+poison+`"`) || !strings.Contains(logs.String(), "truncated") {
		t.Errorf("the poison file's log line does not say which file and why:\n%s", logs.String())
	}
	if !strings.Contains(metrics.String(), `"RecordsKept":66`) {
		t.Errorf("metrics line lacks RecordsKept 66: %s", metrics.String())
	}

	// Redelivery of the whole batch changes nothing.
	if _, err := h.HandleSQS(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if got := eventIDs(readStore(t, f.lake)); !slices.Equal(got, want) {
		t.Fatalf("after redelivery: %d rows, want %d", len(got), len(want))
	}
}

// failingSink writes through to a store but fails the nth Put and every
// one after it, as a Lambda killed part-way through writing would.
type failingSink struct {
	lake.Store
	mu    sync.Mutex
	puts  int
	after int
}

func (s *failingSink) Put(ctx context.Context, key string, body io.Reader) error {
	s.mu.Lock()
	s.puts++
	n := s.puts
	s.mu.Unlock()
	if n > s.after {
		return errors.New("killed")
	}
	return s.Store.Put(ctx, key, body)
}

func TestLambdaKilledMidWrite(t *testing.T) {
	f := newTrailFixture(t)
	key := f.goodObject(t, "big", 50)
	msg := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: s3Notification(f.trail, key)}}}
	ctx := context.Background()

	crashing := &Handler{Ingester: New(&failingSink{Store: f.lake, after: 2}, Config{RowsPerPart: 10}), S3: f.client, Markers: &Markers{Store: f.lake}}
	resp, err := crashing.HandleSQS(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 {
		t.Fatalf("a failed write must fail the message: %+v", resp)
	}
	if n := len(readStore(t, f.lake)); n != 20 {
		t.Fatalf("after the crash the lake holds %d rows, want the 20 of the two parts written", n)
	}
	done, _ := (&Markers{Store: f.lake}).Done(ctx, nil)
	if len(done) != 0 {
		t.Fatalf("a crashed object was marked done: %v", done)
	}
	// The queue redelivers; a healthy function completes the object.
	healthy := &Handler{Ingester: New(f.lake, Config{RowsPerPart: 10}), S3: f.client, Markers: &Markers{Store: f.lake}}
	if resp, _ := healthy.HandleSQS(ctx, msg); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("retry failed: %+v", resp)
	}
	if got := eventIDs(readStore(t, f.lake)); !slices.Equal(got, f.want) {
		t.Fatalf("after retry: %d rows, want %d", len(got), len(f.want))
	}
}

func TestBackfillOverlapAndResume(t *testing.T) {
	f := newTrailFixture(t)
	for i := range 6 {
		f.goodObject(t, fmt.Sprintf("o%d", i), 8)
	}
	// An object outside the date range.
	f.put(t, "AWSLogs/o-abc123/111122223333/CloudTrail/eu-central-1/2026/05/01/old.json.gz", logFile(t, []json.RawMessage{kmsRecord(99)}, true))
	ctx := context.Background()
	day := mustDay(t, "2026-06-01")
	src := S3Source{Client: f.client, Bucket: f.trail, Prefix: "AWSLogs/", Since: day, Until: day}
	in := New(f.lake, Config{})

	// Two overlapping backfills at once.
	var wg sync.WaitGroup
	sums := make([]Summary, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			sums[i], errs[i] = in.Run(ctx, []Source{src}, RunOptions{Concurrency: 3, Markers: &Markers{Store: f.lake}})
		})
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil || sums[i].Objects != 6 || sums[i].Kept != 48 {
			t.Fatalf("backfill %d: %+v, %v", i, sums[i], errs[i])
		}
	}
	if got := eventIDs(readStore(t, f.lake)); !slices.Equal(got, f.want) {
		t.Fatalf("after overlapping backfills: %d rows, want %d", len(got), len(f.want))
	}
	// A re-run resumes: nothing left to do.
	sum, err := in.Run(ctx, []Source{src}, RunOptions{Markers: &Markers{Store: f.lake}, Resume: true})
	if err != nil || sum.Resumed != 6 || sum.Objects != 0 {
		t.Fatalf("resume: %+v %v", sum, err)
	}
	if got := eventIDs(readStore(t, f.lake)); !slices.Equal(got, f.want) {
		t.Fatalf("after resume: %d rows", len(got))
	}
}
