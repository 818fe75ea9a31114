package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/detect"
	"github.com/keytrail/keytrail/internal/emf"
	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/lakenotify"
	"github.com/keytrail/keytrail/internal/s3test"
)

// TestMetrics invokes the handler as Lambda does, over a lake on a real S3
// server and in a folder, and reads back its EMF lines: the fast path
// counts a part's findings and events and has no watermark; the schedule
// counts what it finds new (not what the fast path found: that is in
// another file) and the watermark's lag, also when it does not advance.
func TestMetrics(t *testing.T) {
	stores := map[string]func(t *testing.T) detect.Store{
		"dir": func(t *testing.T) detect.Store {
			st, err := lake.NewDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
		"s3": func(t *testing.T) detect.Store {
			if testing.Short() {
				t.Skip("S3 server in -short mode")
			}
			srv := s3test.Start(t)
			st, err := lake.NewS3(srv.Client(t), srv.Bucket(t, "lake"), "keytrail", lake.S3Options{})
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
	}
	for name, store := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := store(t)
			var out bytes.Buffer
			h, err := newHandler(ctx, func(string) string { return "" }, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			h.lake, h.metrics = lakenotify.Lake{Bucket: "lake", Root: "keytrail/"}, &out
			at := time.Date(2025, 3, 22, 3, 7, 0, 0, time.UTC)
			clock := at.Add(time.Minute)
			h.schedule.Now = func() time.Time { return clock }

			var rows []event.Event
			for _, k := range []string{"k1", "k2"} {
				key := "arn:aws:kms:eu-central-1:111122223333:key/" + k
				rows = append(rows, event.Event{
					EventID: "e-" + k, EventTime: at, EventSource: "kms.amazonaws.com", EventName: "ScheduleKeyDeletion",
					PrincipalARN: "arn:aws:iam::111122223333:role/admin", PrincipalAccount: "111122223333", CallerKind: event.CallerPerson,
					ResourceARN: key, ResourceARNs: []string{key}, ResourceAccount: "111122223333", RecipientAcct: "111122223333",
				})
			}
			_, batch := putPart(t, st, rows)
			tick := json.RawMessage(`{"id":"tick","detail-type":"Scheduled Event","source":"aws.events"}`)

			steps := []struct {
				name     string
				advance  time.Duration
				payload  json.RawMessage
				lakeDown bool // listing the lake fails, and so the run
				want     map[string]float64
			}{
				// The deletions are one destructive finding; off-hours
				// (a Saturday) is no single-event rule.
				{"fast path", 0, batch, false, map[string]float64{"Findings": 1, "FindingsCritical": 1, "FindingsHigh": 0,
					"FindingsMedium": 0, "FindingsLow": 0, "EventsRead": 2}},
				// 04:08: the run reaches 03:45 (15m lag, 15m steps).
				{"first run", time.Hour, tick, false, map[string]float64{"Findings": 2, "FindingsCritical": 1, "FindingsHigh": 0,
					"FindingsMedium": 1, "FindingsLow": 0, "EventsRead": 2, "WatermarkLagSeconds": (23 * time.Minute).Seconds()}},
				// 04:13: still 03:45, nothing new, the lag grows.
				{"no advance", 5 * time.Minute, tick, false, map[string]float64{"Findings": 0, "FindingsCritical": 0, "FindingsHigh": 0,
					"FindingsMedium": 0, "FindingsLow": 0, "EventsRead": 0, "WatermarkLagSeconds": (28 * time.Minute).Seconds()}},
				// 04:33: 04:15, the same findings again: none new.
				{"next run", 20 * time.Minute, tick, false, map[string]float64{"Findings": 0, "FindingsCritical": 0, "FindingsHigh": 0,
					"FindingsMedium": 0, "FindingsLow": 0, "EventsRead": 2, "WatermarkLagSeconds": (18 * time.Minute).Seconds()}},
				// 05:03: the run fails; the lag still counts from 04:15.
				{"failed run", 30 * time.Minute, tick, true, map[string]float64{"Findings": 0, "FindingsCritical": 0, "FindingsHigh": 0,
					"FindingsMedium": 0, "FindingsLow": 0, "EventsRead": 0, "WatermarkLagSeconds": (48 * time.Minute).Seconds()}},
			}
			for _, step := range steps {
				clock = clock.Add(step.advance)
				out.Reset()
				h.schedule.Runner.Store = st
				if step.lakeDown {
					h.schedule.Runner.Store = listFails{st}
				}
				if _, err := h.invoke(ctx, step.payload); (err != nil) != step.lakeDown {
					t.Fatalf("%s: %v", step.name, err)
				}
				recs, err := emf.Read(&out)
				if err != nil || len(recs) != 1 {
					t.Fatalf("%s: %d EMF records, %v: %q", step.name, len(recs), err, out.String())
				}
				r := recs[0]
				if r.Namespace != "keytrail" || len(r.Dimensions) != 1 || r.Dimensions["Function"] != "detect" || !r.Time.Equal(clock) {
					t.Errorf("%s: record %+v", step.name, r)
				}
				if len(r.Metrics) != len(step.want) {
					t.Errorf("%s: metrics %v, want %v", step.name, r.Metrics, step.want)
				}
				for name, v := range step.want {
					unit := "Count"
					if strings.HasSuffix(name, "Seconds") {
						unit = "Seconds"
					}
					if m := r.Metrics[name]; m.Value != v || m.Unit != unit {
						t.Errorf("%s: %s = %+v, want %v %s", step.name, name, m, v, unit)
					}
				}
			}
		})
	}
}

// listFails is a lake whose listings fail, as an S3 outage or a lost
// permission would.
type listFails struct{ detect.Store }

func (listFails) List(context.Context, string) ([]lake.ObjectInfo, error) {
	return nil, errors.New("list: AccessDenied")
}

// Shadow rules' findings are never alerted and not counted; a severity
// the metrics do not name still counts in Findings.
func TestRunMetricsCounts(t *testing.T) {
	fs := []finding.Finding{
		{ID: "a", Severity: finding.SeverityHigh}, {ID: "b", Severity: finding.SeverityHigh},
		{ID: "c", Severity: finding.SeverityLow}, {ID: "d", Severity: finding.SeverityCritical, Shadow: true},
		{ID: "e", Severity: "severe"},
	}
	m := runMetrics(fs, 7)
	want := map[string]float64{"Findings": 4, "FindingsCritical": 0, "FindingsHigh": 2, "FindingsMedium": 0, "FindingsLow": 1, "EventsRead": 7}
	for name, v := range want {
		if m[name].Value != v {
			t.Errorf("%s = %v, want %v", name, m[name].Value, v)
		}
	}
	res := detect.Result{Findings: fs, New: []string{"b", "e"}}
	if got := newFindings(res); len(got) != 2 || got[0].ID != "b" || got[1].ID != "e" {
		t.Errorf("new findings %+v", got)
	}
}
