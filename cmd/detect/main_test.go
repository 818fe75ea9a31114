package main

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keytrail/keytrail/detect"
	"github.com/keytrail/keytrail/internal/lake"
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
