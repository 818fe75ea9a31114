package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keytrail/keytrail/detect"
	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/lakenotify"
)

func TestNewHandlerValidates(t *testing.T) {
	st, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"KEYTRAIL_TIMEZONE": "Mars/Base"}, `timezone "Mars/Base"`},
		{map[string]string{"KEYTRAIL_BUSINESS_HOURS": "9 to 5"}, `business_hours: "9 to 5"`},
		{map[string]string{"KEYTRAIL_HOLIDAYS": "2025-02-30"}, `holidays: "2025-02-30"`},
		{map[string]string{"KEYTRAIL_CONFIG": "bogus: 1"}, "KEYTRAIL_CONFIG"},
		{map[string]string{"KEYTRAIL_CONFIG": "lake:state/detect/missing.yml"}, "object not found"},
		{map[string]string{"KEYTRAIL_LAG": "soon"}, `KEYTRAIL_LAG: "soon"`},
		{map[string]string{"KEYTRAIL_SELF_PRINCIPALS": "arn:aws:iam::*:role/keytrail/*"}, `KEYTRAIL_SELF_PRINCIPALS: "arn:aws:iam::*:role/keytrail/*": list keytrail's role ARNs exactly`},
		{map[string]string{"KEYTRAIL_SELF_PRINCIPALS": "arn:aws:iam::111122223333:role/keytrail/kt-*"}, "without wildcards"},
		{map[string]string{"KEYTRAIL_SELF_PRINCIPALS": "keytrail-alert"}, `self_principals: "keytrail-alert" is not a principal ARN`},
		{map[string]string{"KEYTRAIL_CONFIG": `self_principals: ["arn:*:iam::*:role/keytrail/*"]`}, "can match principals of any account"},
	} {
		_, err := newHandler(context.Background(), func(k string) string { return tc.env[k] }, st, logger)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("env %v: error %v, want %q", tc.env, err, tc.want)
		}
	}
}

// A lake of a newer schema stops detection at cold start; one of this
// version (or without the marker, version 1) does not.
func TestNewHandlerChecksSchema(t *testing.T) {
	ctx := context.Background()
	st, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	none := func(string) string { return "" }
	if _, err := newHandler(ctx, none, st, logger); err != nil {
		t.Fatalf("lake without a marker: %v", err)
	}
	if err := st.Put(ctx, lake.SchemaKey, strings.NewReader(`{"version":99}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := newHandler(ctx, none, st, logger); !errors.Is(err, lake.ErrSchemaNewer) {
		t.Fatalf("version-99 lake: %v", err)
	}
}

func TestHandleAdvancesWatermark(t *testing.T) {
	ctx := context.Background()
	st, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "state/detect/config.yml", strings.NewReader("timezone: Asia/Tokyo\n")); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"KEYTRAIL_CONFIG": "lake:state/detect/config.yml", "KEYTRAIL_BUSINESS_HOURS": "Mon-Fri 10:00-19:00"}
	h, err := newHandler(ctx, func(k string) string { return env[k] }, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if got := h.schedule.Runner.Detector.Config; got.Timezone != "Asia/Tokyo" || got.BusinessHours != "Mon-Fri 10:00-19:00" {
		t.Errorf("config %s %s", got.Timezone, got.BusinessHours)
	}
	h.schedule.Now = func() time.Time { return time.Date(2025, 3, 22, 3, 7, 0, 0, time.UTC) }
	s, err := h.handle(ctx, events.CloudWatchEvent{ID: "tick"})
	if err != nil || !s.Advanced || !s.To.Equal(time.Date(2025, 3, 22, 2, 45, 0, 0, time.UTC)) {
		t.Fatalf("handle: %+v, %v", s, err)
	}
	if _, _, err := st.Get(ctx, detect.WatermarkKey); err != nil {
		t.Errorf("no watermark: %v", err)
	}
}

// The stack passes its roles' exact ARNs; they are the only self
// principals unless the configuration adds its own, and without them there
// are none (no pattern stands in for them).
func TestSelfPrincipalsFromStack(t *testing.T) {
	st, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	const (
		ingest = "arn:aws:iam::111122223333:role/keytrail/kt-IngestRole-1A2B3C4D"
		alert  = "arn:aws:iam::111122223333:role/keytrail/kt-AlertRole-5E6F7G8H"
		extra  = "arn:aws:iam::111122223333:role/keytrail/*"
	)
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"none set", map[string]string{}, nil},
		{"the stack's roles", map[string]string{"KEYTRAIL_SELF_PRINCIPALS": ingest + "," + alert}, []string{ingest, alert}},
		{"spaces and empty items", map[string]string{"KEYTRAIL_SELF_PRINCIPALS": " " + ingest + " ,, " + alert + ","}, []string{ingest, alert}},
		{"added to the configuration's", map[string]string{"KEYTRAIL_CONFIG": "self_principals: [\"" + extra + "\"]", "KEYTRAIL_SELF_PRINCIPALS": alert},
			[]string{extra, alert}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := newHandler(context.Background(), func(k string) string { return tc.env[k] }, st, logger)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.schedule.Runner.Detector.Config.SelfPrincipals; !slices.Equal(got, tc.want) {
				t.Errorf("self principals %q, want %q", got, tc.want)
			}
		})
	}
}

// TestInvokeParts: an SQS batch of the lake's notifications runs the fast
// path over the announced part and writes its findings file; a schedule
// tick still runs the schedule.
func TestInvokeParts(t *testing.T) {
	ctx := context.Background()
	st, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h, err := newHandler(ctx, func(string) string { return "" }, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	h.lake = lakenotify.Lake{Bucket: "lake", Root: "keytrail/"}
	at := time.Date(2025, 3, 22, 3, 7, 0, 0, time.UTC)
	rows := []event.Event{{
		EventID: "e1", EventTime: at, EventSource: "kms.amazonaws.com", EventName: "ScheduleKeyDeletion",
		PrincipalARN: "arn:aws:iam::111122223333:role/admin", PrincipalAccount: "111122223333", CallerKind: event.CallerPerson,
		ResourceARN: "arn:aws:kms:eu-central-1:111122223333:key/k1", ResourceARNs: []string{"arn:aws:kms:eu-central-1:111122223333:key/k1"},
		ResourceAccount: "111122223333", RecipientAcct: "111122223333",
	}}
	part, payload := putPart(t, st, rows)
	out, err := h.invoke(ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	if resp, ok := out.(events.SQSEventResponse); !ok || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("invoke: %#v", out)
	}
	key, _ := detect.PartFindingsKey(part)
	rc, _, err := st.Get(ctx, key)
	if err != nil {
		t.Fatalf("no findings file: %v", err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	fs, err := finding.ReadParquet(bytes.NewReader(data), int64(len(data)))
	if err != nil || len(fs) != 1 || fs[0].Kind != finding.KindDestructive || fs[0].Severity != finding.SeverityCritical {
		t.Fatalf("findings %+v, %v", fs, err)
	}
	h.schedule.Now = func() time.Time { return at.Add(time.Hour) }
	out, err = h.invoke(ctx, json.RawMessage(`{"id":"tick","detail-type":"Scheduled Event","source":"aws.events"}`))
	if s, ok := out.(summary); err != nil || !ok || !s.Advanced {
		t.Fatalf("schedule tick: %#v, %v", out, err)
	}
}

// putPart writes rows as the events part ct-1-p000 of their first row's
// day and returns its key and the SQS batch that announces it (lake
// bucket "lake", root "keytrail/").
func putPart(t *testing.T, st detect.Store, rows []event.Event) (string, json.RawMessage) {
	t.Helper()
	var buf bytes.Buffer
	if err := event.WriteParquet(&buf, rows); err != nil {
		t.Fatal(err)
	}
	part := lake.EventKey(lake.Day(rows[0].EventTime), "ct-1-p000")
	if err := st.Put(context.Background(), part, &buf); err != nil {
		t.Fatal(err)
	}
	body := `{"version":"0","source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{"name":"lake"},"object":{"key":"keytrail/` + part + `","size":1}}}`
	payload, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", EventSource: "aws:sqs", Body: body}}})
	return part, payload
}
