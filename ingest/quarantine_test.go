package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/gen"
	"github.com/keytrail/keytrail/internal/lake"
)

// testNow is the run's clock in these tests.
var testNow = time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return testNow }

// ctName is a CloudTrail log file key delivered at 2026-06-01T10:05Z.
const ctName = "AWSLogs/o-abc123/111122223333/CloudTrail/eu-central-1/2026/06/01/111122223333_CloudTrail_eu-central-1_20260601T1005Z_Mu0KsOhtH1ar15ZZ.json.gz"

func TestDeliveryTime(t *testing.T) {
	at := time.Date(2026, 6, 1, 10, 5, 0, 0, time.UTC)
	tests := []struct {
		key  string
		want time.Time // zero: no delivery time
	}{
		{ctName, at},
		{"AWSLogs/111122223333/CloudTrail/us-gov-west-1/2026/06/01/111122223333_CloudTrail_us-gov-west-1_20260601T1005Z_abcdefghijklmnop.json.gz", at.Truncate(time.Minute)},
		{"111122223333_CloudTrail_eu-central-1_20260601T1005Z_Mu0KsOhtH1ar15ZZ.json", at},
		{"prefix/111122223333_CloudTrail_eu-central-1_20260601T1005Z_short.json.gz", time.Time{}},
		{"111122223333_CloudTrail-Digest_eu-central-1_t_us-east-1_20260601T1005Z.json.gz", time.Time{}},
		{"111122223333_CloudTrail_eu-central-1_20261301T1005Z_Mu0KsOhtH1ar15ZZ.json.gz", time.Time{}}, // month 13
		{"x_CloudTrail_eu-central-1_20260601T1005Z_Mu0KsOhtH1ar15ZZ.json.gz", time.Time{}},
		{"samples/kms.json.gz", time.Time{}},
		{"", time.Time{}},
	}
	for _, tt := range tests {
		got, ok := DeliveryTime(tt.key)
		if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
			t.Errorf("DeliveryTime(%q) = %v, %v; want %v", tt.key, got, ok, tt.want)
		}
	}
}

// kmsAt is a KMS record with id and eventTime.
func kmsAt(id, eventTime string) json.RawMessage {
	r := strings.Replace(string(kmsRecord(0)), `"e-0"`, `"`+id+`"`, 1)
	return json.RawMessage(strings.Replace(r, `"2026-06-01T10:00:00Z"`, `"`+eventTime+`"`, 1))
}

// readTable reads every row under a lake prefix, by partition day.
func readTable(t *testing.T, d *lake.Dir, prefix string) map[string][]event.Event {
	t.Helper()
	out := map[string][]event.Event{}
	eachObject(t, d, prefix, func(_, day string, rows []event.Event) { out[day] = append(out[day], rows...) })
	return out
}

func idsOf(rows map[string][]event.Event) map[string][]string {
	out := map[string][]string{}
	for day, rs := range rows {
		for _, r := range rs {
			out[day] = append(out[day], r.EventID)
		}
		slices.Sort(out[day])
	}
	return out
}

// An event time that cannot be true of the object that delivered it
// (issue 16, item 4: 9999-12-31 moved the latest event day and blinded
// detection) keeps its row out of events/: the row goes to quarantine/
// under the object's delivery day, and the result says which record, its
// time and why. The object itself is done.
func TestQuarantineImplausibleTimes(t *testing.T) {
	records := []json.RawMessage{
		kmsAt("ok", "2026-06-01T10:00:00Z"),
		kmsAt("year-9999", "9999-12-31T23:59:59Z"),
		kmsAt("year-1", "0001-01-01T00:00:00Z"),
		kmsAt("four-days-early", "2026-05-28T10:05:00Z"),
		kmsAt("twelve-days-early", "2026-05-20T10:00:00Z"),
		kmsAt("55-minutes-late", "2026-06-01T11:00:00Z"),
		kmsAt("85-minutes-late", "2026-06-01T11:30:00Z"),
		kmsAt("before-cloudtrail", "2012-06-01T10:00:00Z"),
		kmsAt("tomorrow", "2026-12-03T01:00:00Z"),
		kmsAt("in-two-days", "2026-12-04T10:00:00Z"),
		s3Record(1), // another service: dropped, whatever its time
		kmsAt("panther-format", "2026-06-01 10:01:00.000000000"),
	}
	type quarantined struct {
		id, reason string
	}
	tests := []struct {
		name     string
		key      string
		modified time.Time
		cfg      Config
		events   map[string][]string // day → ids
		day      string              // the quarantine partition
		quar     []quarantined       // in record order
	}{
		{
			name: "CloudTrail name", key: ctName,
			events: map[string][]string{"2026-05-28": {"four-days-early"}, "2026-06-01": {"55-minutes-late", "ok", "panther-format"}},
			day:    "2026-06-01",
			quar: []quarantined{
				{"year-9999", "more than 1 hour after the object's delivery (2026-06-01T10:05:00Z, from its name)"},
				{"year-1", "before CloudTrail existed (2013-11-01)"},
				{"twelve-days-early", "more than 7 days before the object's delivery (2026-06-01T10:05:00Z, from its name)"},
				{"85-minutes-late", "more than 1 hour after the object's delivery"},
				{"before-cloudtrail", "before CloudTrail existed"},
				{"tomorrow", "more than 1 hour after the object's delivery"},
				{"in-two-days", "more than 1 hour after the object's delivery"},
			},
		},
		{
			name: "configured window", key: ctName, cfg: Config{MaxDeliveryDelay: 3 * 24 * time.Hour, MaxClockSkew: 2 * time.Hour},
			events: map[string][]string{"2026-06-01": {"55-minutes-late", "85-minutes-late", "ok", "panther-format"}},
			day:    "2026-06-01",
			quar: []quarantined{
				{"year-9999", "more than 2 hours after"}, {"year-1", "before CloudTrail"},
				{"four-days-early", "more than 3 days before the object's delivery"}, {"twelve-days-early", "more than 3 days before"},
				{"before-cloudtrail", "before CloudTrail"}, {"tomorrow", "more than 2 hours after"}, {"in-two-days", "more than 2 hours after"},
			},
		},
		{
			// S3 named it otherwise: LastModified bounds it from above
			// only (a copy is written after the delivery).
			name: "S3 LastModified", key: "copied/kms-2026-06.json.gz", modified: time.Date(2026, 6, 1, 10, 20, 0, 0, time.UTC),
			events: map[string][]string{"2026-05-20": {"twelve-days-early"}, "2026-05-28": {"four-days-early"},
				"2026-06-01": {"55-minutes-late", "ok", "panther-format"}},
			day: "2026-06-01",
			quar: []quarantined{
				{"year-9999", "more than 1 hour after the object was written (S3 LastModified 2026-06-01T10:20:00Z)"},
				{"year-1", "before CloudTrail"}, {"85-minutes-late", "after the object was written"},
				{"before-cloudtrail", "before CloudTrail"}, {"tomorrow", "after the object was written"}, {"in-two-days", "after the object was written"},
			},
		},
		{
			// Hand-made: only CloudTrail's start and the run's clock
			// bound it; its rows go under a fixed day.
			name: "no delivery time", key: "hand/made.json",
			events: map[string][]string{"2026-05-20": {"twelve-days-early"}, "2026-05-28": {"four-days-early"},
				"2026-06-01": {"55-minutes-late", "85-minutes-late", "ok", "panther-format"}, "2026-12-03": {"tomorrow"}},
			day: "1970-01-01",
			quar: []quarantined{
				{"year-9999", "more than a day after this run's clock (2026-12-02T05:00:00Z)"},
				{"year-1", "before CloudTrail"}, {"before-cloudtrail", "before CloudTrail"}, {"in-two-days", "more than a day after this run's clock"},
			},
		},
		{
			name: "date folders only", key: "AWSLogs/111122223333/CloudTrail/eu-central-1/2026/06/02/renamed.json.gz",
			events: map[string][]string{"2026-05-20": {"twelve-days-early"}, "2026-05-28": {"four-days-early"},
				"2026-06-01": {"55-minutes-late", "85-minutes-late", "ok", "panther-format"}, "2026-12-03": {"tomorrow"}},
			day:  "2026-06-02",
			quar: []quarantined{{"year-9999", "clock"}, {"year-1", "before"}, {"before-cloudtrail", "before"}, {"in-two-days", "clock"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newLake(t)
			cfg := tt.cfg
			cfg.Now = fixedClock
			cfg.RowsPerPart = 3 // several parts, quarantine's among them
			in := New(d, cfg)
			body := logFile(t, records, true)
			res, err := in.ingest(context.Background(), tt.key, tt.modified, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != StatusOK || res.Failed() {
				t.Errorf("status %s (%s): a quarantined record is no failure of the object", res.Status, res.Reason)
			}
			if res.Records != len(records) || res.Dropped != 1 || res.Kept+res.Quarantined != len(records)-1 || res.Quarantined != len(tt.quar) {
				t.Errorf("records %d, dropped %d, kept %d, quarantined %d; want %d, 1, %d, %d",
					res.Records, res.Dropped, res.Kept, res.Quarantined, len(records), len(records)-1-len(tt.quar), len(tt.quar))
			}
			if got := idsOf(readTable(t, d, lake.EventsPrefix)); !equalIDs(got, tt.events) {
				t.Errorf("events/ holds %v, want %v", got, tt.events)
			}
			quar := readTable(t, d, lake.QuarantinePrefix)
			var want []string
			for _, q := range tt.quar {
				want = append(want, q.id)
			}
			slices.Sort(want)
			if got := idsOf(quar); len(got) != 1 || !slices.Equal(got[tt.day], want) {
				t.Errorf("quarantine/ holds %v, want day=%s with %v", got, tt.day, want)
			}
			// Quarantined rows are whole rows, with their lineage.
			for _, r := range quar[tt.day] {
				if r.SourceObject != tt.key || records[r.SourceIndex] == nil || !strings.Contains(string(records[r.SourceIndex]), `"`+r.EventID+`"`) {
					t.Errorf("quarantined row %s: lineage %s #%d", r.EventID, r.SourceObject, r.SourceIndex)
				}
				if r.ResourceARN == "" || r.PrincipalARN == "" {
					t.Errorf("quarantined row %s is not normalized: %+v", r.EventID, r)
				}
			}
			if len(res.QuarantinedRecords) != len(tt.quar) {
				t.Fatalf("quarantined records %+v, want %d", res.QuarantinedRecords, len(tt.quar))
			}
			for i, q := range res.QuarantinedRecords {
				rec := string(records[q.Index])
				if q.Object != tt.key || !strings.Contains(rec, `"`+tt.quar[i].id+`"`) ||
					!strings.Contains(rec, `"`+q.EventTime.Format(time.RFC3339)+`"`) || !strings.Contains(q.Reason, tt.quar[i].reason) {
					t.Errorf("quarantined record %d: %+v; want %s (%s)", i, q, tt.quar[i].id, tt.quar[i].reason)
				}
			}
			// The kept events alone bound the object's times (the
			// Lambda's lag metric reads them).
			if res.Oldest.Year() != 2026 || res.Newest.Year() != 2026 {
				t.Errorf("oldest %v, newest %v: a quarantined time leaked into them", res.Oldest, res.Newest)
			}

			// Ingesting the object again replaces its quarantined rows.
			before := snapshotLake(t, d)
			again, err := in.ingest(context.Background(), tt.key, tt.modified, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if after := snapshotLake(t, d); !mapsEqualBytes(before, after) || !slices.Equal(res.Outputs, again.Outputs) {
				t.Errorf("ingesting again changed the lake: %d files before, %d after", len(before), len(after))
			}
		})
	}
}

func equalIDs(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func snapshotLake(t *testing.T, d *lake.Dir) map[string][]byte {
	t.Helper()
	objs, err := d.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, o := range objs {
		p, _ := d.Path(o.Key)
		m[o.Key], _ = os.ReadFile(p)
	}
	return m
}

func mapsEqualBytes(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

// A run's summary counts quarantined records and lists each, in object and
// record order, whatever order the workers finish in.
func TestRunSummaryQuarantine(t *testing.T) {
	src := t.TempDir()
	for _, f := range []struct {
		name string
		recs []json.RawMessage
	}{
		{"b.json", []json.RawMessage{kmsAt("b0", "2026-06-01T10:00:00Z"), kmsAt("b1", "9999-12-31T23:59:59Z"), kmsAt("b2", "0001-01-01T00:00:00Z")}},
		{"a.json", []json.RawMessage{kmsAt("a0", "2099-01-01T00:00:00Z")}},
		{"c.json", []json.RawMessage{kmsAt("c0", "2026-06-01T10:00:00Z")}},
	} {
		if err := os.WriteFile(filepath.Join(src, f.name), logFile(t, f.recs, false), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d := newLake(t)
	sum, err := New(d, Config{Now: fixedClock}).Run(context.Background(), []Source{LocalSource{Path: src}}, RunOptions{Concurrency: 3, Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Quarantined != 3 || sum.Kept != 2 || sum.HasFailures() || len(sum.Problems) != 0 {
		t.Fatalf("summary %+v: want 3 quarantined, 2 kept, no failures", sum)
	}
	var got []string
	for _, q := range sum.Quarantine {
		got = append(got, q.Object+"#"+q.EventTime.Format(time.DateOnly))
	}
	if want := []string{"a.json#2099-01-01", "b.json#9999-12-31", "b.json#0001-01-01"}; !slices.Equal(got, want) {
		t.Errorf("quarantine list %v, want %v", got, want)
	}
	b, _ := json.Marshal(sum)
	if !strings.Contains(string(b), `"quarantined":3`) || !strings.Contains(string(b), `"event_time":"9999-12-31T23:59:59Z"`) {
		t.Errorf("JSON summary lacks the quarantine: %s", b)
	}
	if days := readTable(t, d, lake.EventsPrefix); len(days) != 1 || len(days["2026-06-01"]) != 2 {
		t.Errorf("events/ partitions %v, want only 2026-06-01", idsOf(days))
	}
}

// The quarantine log line says which records and why, and carries no
// record text (a record's own bytes could break or forge log lines).
func TestQuarantineLog(t *testing.T) {
	var logs bytes.Buffer
	in := New(newLake(t), Config{Now: fixedClock, Logger: newJSONLogger(&logs)})
	rec := kmsAt("evil", "9999-12-31T23:59:59Z")
	rec = json.RawMessage(strings.Replace(string(rec), `"userAgent":"cli"`, `"userAgent":"x\n{\"level\":\"INFO\",\"msg\":\"forged\"}"`, 1))
	res, err := in.Ingest(context.Background(), "e.json", bytes.NewReader(logFile(t, []json.RawMessage{rec}, false)))
	if err != nil || res.Quarantined != 1 {
		t.Fatalf("quarantined %d, err %v", res.Quarantined, err)
	}
	var warned bool
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not one JSON object: %v", line, err)
		}
		if m["msg"] == "forged" || strings.Contains(line, "forged") {
			t.Errorf("record text in the log: %s", line)
		}
		if m["level"] == "WARN" && m["quarantined"] == 1.0 && strings.Contains(line, "9999-12-31T23:59:59Z") && strings.Contains(line, `"index":0`) {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning naming the record, its time: %s", logs.String())
	}
}

// Nothing real is quarantined: a generated organization's trail (CloudTrail
// names and delivery timing, duplicates in later files) and a benchmark
// corpus ingest in full, on a clock long after they were delivered.
func TestGeneratedNotQuarantined(t *testing.T) {
	src := t.TempDir()
	sum, err := gen.Org(gen.Config{Seed: 7, Days: 2, Accounts: 2}, gen.WriteDir(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gen.Corpus(gen.CorpusConfig{Seed: 3, Bytes: 4 << 20, Files: 3}, gen.WriteDir(filepath.Join(src, "corpus"))); err != nil {
		t.Fatal(err)
	}
	d := newLake(t)
	late := func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }
	run, err := New(d, Config{Now: late}).Run(context.Background(), []Source{LocalSource{Path: src}}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if run.Quarantined != 0 || run.Kept < sum.Kept {
		t.Fatalf("quarantined %d (%+v), kept %d of the organization's %d", run.Quarantined, run.Quarantine, run.Kept, sum.Kept)
	}
	if objs, _ := d.List(context.Background(), lake.QuarantinePrefix); len(objs) != 0 {
		t.Errorf("quarantine/ holds %d files", len(objs))
	}
}

// The panther-analysis cases beside the repository are hand-named files:
// only the absolute bounds apply, and none of their records is quarantined.
func TestPeerCasesNotQuarantined(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "data", "peers", "panther-analysis", "cases")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json.gz"))
	if len(files) == 0 {
		t.Skipf("panther-analysis cases not found at %s (they live beside the repository, not in it)", dir)
	}
	d := newLake(t)
	sum, err := New(d, Config{Now: fixedClock}).Run(context.Background(), []Source{LocalSource{Path: dir}}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Objects != len(files) || sum.Quarantined != 0 || sum.Kept == 0 {
		t.Fatalf("%d objects, %d kept, %d quarantined (%+v)", sum.Objects, sum.Kept, sum.Quarantined, sum.Quarantine)
	}
}

// Through the Lambda, an object whose name is not CloudTrail's is bounded
// by S3's LastModified: a record dated after it is quarantined, the message
// succeeds, and the batch's metrics count it.
func TestLambdaQuarantineByLastModified(t *testing.T) {
	f := newTrailFixture(t)
	key := ctPrefix + "renamed-copy.json.gz"
	f.put(t, key, logFile(t, []json.RawMessage{kmsAt("good", "2026-06-01T10:00:00Z")}, true))
	head, err := f.client.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(f.trail), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	written := aws.ToTime(head.LastModified).UTC()
	// Rewrite it with a record two hours after that (S3 keeps second
	// precision; the rewrite can only move LastModified later).
	late := written.Add(2*time.Hour + time.Minute).Format(time.RFC3339)
	f.put(t, key, logFile(t, []json.RawMessage{kmsAt("good", "2026-06-01T10:00:00Z"), kmsAt("late", late)}, true))
	var metrics, logs bytes.Buffer
	clock := func() time.Time { return written } // the clock alone would allow a day
	log := newJSONLogger(&logs)                  // one logger for both, as cmd/ingest has
	h := &Handler{Ingester: New(f.lake, Config{Now: clock, Logger: log}), S3: f.client, Metrics: &metrics, Logger: log, Now: clock}
	resp, err := h.HandleSQS(t.Context(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m", Body: s3Notification(f.trail, key)}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failed %v: a quarantined record is no reason to retry", resp.BatchItemFailures)
	}
	if got := eventIDs(readStore(t, f.lake)); !slices.Equal(got, []string{"good"}) {
		t.Fatalf("events %v, want only good", got)
	}
	objs, err := f.lake.List(t.Context(), lake.QuarantinePrefix)
	if err != nil || len(objs) != 1 || !strings.HasPrefix(objs[0].Key, lake.PartitionPrefix(lake.QuarantinePrefix, lake.Day(written))) {
		t.Fatalf("quarantine holds %+v (%v), want one part under the day of LastModified", objs, err)
	}
	if !strings.Contains(metrics.String(), `"RecordsQuarantined":1`) || !strings.Contains(logs.String(), "S3 LastModified") {
		t.Errorf("metrics %s\nlogs %s\nwant the quarantined record counted and explained", metrics.String(), logs.String())
	}
}
