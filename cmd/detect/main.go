// Command detect is keytrail's detection Lambda: on each
// EventBridge schedule tick (default every 15 minutes) it processes the
// lake's events from its watermark to now minus CloudTrail's delivery lag,
// re-evaluating a look-back for late events, writes the findings to the
// lake's findings/ table (where the alert Lambda picks them up) and advances
// the watermark with a conditional write, so each window is processed once
// even when two runs overlap. It never touches Slack.
//
// Invoked with an SQS batch of the lake's notifications of new events
// parts (the fast path), it runs the single-event rules over each part
// alone (detect.Runner.RunPart) and writes their findings to the part's
// own findings file, with the ids the schedule gives them: the alerter
// posts each once, whichever path finds it first.
//
// Configuration, validated at cold start:
//
//	KEYTRAIL_LAKE              s3://bucket/prefix of the lake (required)
//	KEYTRAIL_LAKE_KMS_KEY_ARN  the lake's customer-managed key (required)
//	KEYTRAIL_CONFIG            detector configuration: inline YAML, or
//	                           lake:<key> for a YAML object in the lake (optional)
//	KEYTRAIL_TIMEZONE          IANA zone, overrides the configuration
//	KEYTRAIL_BUSINESS_HOURS    e.g. "Mon-Fri 09:00-18:00", overrides it
//	KEYTRAIL_HOLIDAYS          YYYY-MM-DD,... overrides it
//	KEYTRAIL_SELF_PRINCIPALS   ARN,... of keytrail's own roles, exactly as
//	                           the stack created them; quiet for every rule,
//	                           added to the configuration's self_principals
//	KEYTRAIL_LAG               delivery lag (Go duration, default 15m)
//	KEYTRAIL_LOOKBACK          re-evaluated look-back (default 3h)
//
// Each run writes its metrics to stdout in CloudWatch's Embedded Metric
// Format (namespace keytrail, dimension Function=detect): Findings and
// FindingsCritical/High/Medium/Low (new findings, shadow rules left out),
// EventsRead, and on the schedule WatermarkLagSeconds (the run's clock
// minus the watermark detection has reached: it grows when runs fail or
// stop).
//
// AWS access follows the SDK's standard chain, including AWS_ENDPOINT_URL_S3.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"
	_ "time/tzdata" // time zones on any runtime image

	"github.com/aws/aws-lambda-go/events"

	"github.com/keytrail/keytrail/detect"
	"github.com/keytrail/keytrail/internal/emf"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/lakenotify"
	"github.com/keytrail/keytrail/internal/lambdaenv"
	"github.com/keytrail/keytrail/internal/memlimit"
	"github.com/keytrail/keytrail/queries"
)

func main() {
	lambdaenv.Main(memlimit.Function, func(ctx context.Context, e *lambdaenv.Env) (any, error) {
		h, err := newHandler(ctx, e.Getenv, e.Lake, e.Logger)
		if err != nil {
			return nil, err
		}
		h.lake = lakenotify.Lake{Bucket: e.Lake.Bucket(), Root: e.Lake.Prefix()}
		h.metrics = os.Stdout
		return h.invoke, nil
	})
}

// handler runs one scheduled detection, or the fast path over the new
// parts of a batch, per invocation.
type handler struct {
	schedule *detect.Schedule
	lake     lakenotify.Lake // where notified keys point
	logger   *slog.Logger
	metrics  io.Writer // one EMF line per invocation; nil: none
}

// now is the run's clock, the schedule's.
func (h *handler) now() time.Time {
	if h.schedule.Now != nil {
		return h.schedule.Now()
	}
	return time.Now()
}

// invoke dispatches on the payload: an SQS batch of notifications, or a
// schedule tick.
func (h *handler) invoke(ctx context.Context, payload json.RawMessage) (any, error) {
	if ev, ok := lakenotify.IsSQS(payload); ok {
		return h.lake.Batch(ctx, ev, lake.EventsPrefix, h.logger, h.parts), nil
	}
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("detect: payload is neither an SQS batch nor a schedule event: %w", err)
	}
	return h.handle(ctx, ev)
}

// summary is the invocation's result, also logged.
type summary struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Findings int       `json:"findings"`
	New      int       `json:"new"`
	Advanced bool      `json:"advanced"`
}

// newHandler validates the configuration and builds the handler over store.
func newHandler(ctx context.Context, getenv func(string) string, store detect.Store, logger *slog.Logger) (*handler, error) {
	// A lake newer than this code would be misread: stop at cold start.
	if err := lake.CheckSchema(ctx, store); err != nil {
		return nil, fmt.Errorf("KEYTRAIL_LAKE: %w", err)
	}
	var data []byte
	if c := getenv("KEYTRAIL_CONFIG"); c != "" {
		if key, ok := strings.CutPrefix(c, "lake:"); ok {
			rc, _, err := store.Get(ctx, key)
			if err != nil {
				return nil, fmt.Errorf("KEYTRAIL_CONFIG: %w", err)
			}
			data, err = io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return nil, fmt.Errorf("KEYTRAIL_CONFIG: read %s: %w", key, err)
			}
		} else {
			data = []byte(c)
		}
	}
	cfg, err := detect.LoadConfig(data)
	if err != nil {
		return nil, fmt.Errorf("KEYTRAIL_CONFIG: %w", err)
	}
	// keytrail's own roles, as the stack knows them: exact ARNs, never a
	// pattern (a role of the same path in another account is not ours).
	self, err := selfPrincipals(getenv("KEYTRAIL_SELF_PRINCIPALS"))
	if err != nil {
		return nil, err
	}
	cfg.SelfPrincipals = append(cfg.SelfPrincipals, self...)
	o := detect.Overrides{Timezone: getenv("KEYTRAIL_TIMEZONE"), BusinessHours: getenv("KEYTRAIL_BUSINESS_HOURS"), Holidays: getenv("KEYTRAIL_HOLIDAYS")}
	if strings.HasPrefix(o.Holidays, "@") {
		return nil, errors.New("KEYTRAIL_HOLIDAYS: list the dates (YYYY-MM-DD,...); @file is for the CLI")
	}
	if err := cfg.Apply(o, nil); err != nil {
		return nil, fmt.Errorf("KEYTRAIL_TIMEZONE/KEYTRAIL_BUSINESS_HOURS/KEYTRAIL_HOLIDAYS/KEYTRAIL_SELF_PRINCIPALS: %w", err)
	}
	durations := map[string]time.Duration{"KEYTRAIL_LAG": 15 * time.Minute, "KEYTRAIL_LOOKBACK": 3 * time.Hour}
	for name := range durations {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return nil, fmt.Errorf("%s: %q is not a duration like 15m", name, v)
			}
			durations[name] = d
		}
	}
	runner := &detect.Runner{Store: store, Logger: logger, Detector: &detect.Detector{Config: cfg, Query: queries.Evidence}}
	return &handler{
		schedule: &detect.Schedule{Runner: runner, Lag: durations["KEYTRAIL_LAG"], Lookback: durations["KEYTRAIL_LOOKBACK"]},
		logger:   logger,
	}, nil
}

// selfPrincipals splits KEYTRAIL_SELF_PRINCIPALS. The stack sets exact
// role ARNs, so a wildcard here is a mistake, refused rather than matched.
func selfPrincipals(v string) ([]string, error) {
	var out []string
	for a := range strings.SplitSeq(v, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		if strings.ContainsAny(a, "*?") {
			return nil, fmt.Errorf("KEYTRAIL_SELF_PRINCIPALS: %q: list keytrail's role ARNs exactly, without wildcards", a)
		}
		out = append(out, a)
	}
	return out, nil
}

// parts is the fast path over a batch's new events parts.
func (h *handler) parts(ctx context.Context, keys []string) error {
	res, err := h.schedule.Runner.RunParts(ctx, keys)
	h.writeMetrics(ctx, runMetrics(res.Findings, res.EventsRead))
	return err
}

func (h *handler) handle(ctx context.Context, ev events.CloudWatchEvent) (summary, error) {
	res, err := h.schedule.Run(ctx)
	s := summary{From: res.From, To: res.To, Findings: len(res.Findings), New: len(res.New), Advanced: res.Advanced}
	m := runMetrics(newFindings(res), res.EventsRead)
	if !res.Watermark.IsZero() {
		// Measured on failed runs too: the lag an alarm watches grows
		// while detection does not advance.
		m["WatermarkLagSeconds"] = emf.Metric{Value: h.now().Sub(res.Watermark).Seconds(), Unit: "Seconds"}
	}
	h.writeMetrics(ctx, m)
	if err != nil {
		return s, err
	}
	h.logger.InfoContext(ctx, "detect run", slog.String("schedule_event", ev.ID), slog.Time("from", s.From), slog.Time("to", s.To),
		slog.Int("findings", s.Findings), slog.Int("new", s.New), slog.Bool("advanced", s.Advanced))
	return s, nil
}

// newFindings are the run's findings that no findings file held before:
// the lookback re-evaluates earlier findings every run, and counting them
// again would multiply every finding by the runs that see it.
func newFindings(res detect.Result) []finding.Finding {
	fresh := make(map[string]bool, len(res.New))
	for _, id := range res.New {
		fresh[id] = true
	}
	var out []finding.Finding
	for _, f := range res.Findings {
		if fresh[f.ID] {
			out = append(out, f)
		}
	}
	return out
}

// runMetrics are the counts of a run: its findings, in all and by
// severity (shadow rules' findings, never alerted, left out), and the
// events it read.
func runMetrics(fs []finding.Finding, events int) map[string]emf.Metric {
	count := func(v int) emf.Metric { return emf.Metric{Value: float64(v), Unit: "Count"} }
	bySeverity := map[string]int{}
	total := 0
	for _, f := range fs {
		if !f.Shadow {
			total++
			bySeverity[f.Severity]++
		}
	}
	return map[string]emf.Metric{
		"Findings":         count(total),
		"FindingsCritical": count(bySeverity[finding.SeverityCritical]),
		"FindingsHigh":     count(bySeverity[finding.SeverityHigh]),
		"FindingsMedium":   count(bySeverity[finding.SeverityMedium]),
		"FindingsLow":      count(bySeverity[finding.SeverityLow]),
		"EventsRead":       count(events),
	}
}

func (h *handler) writeMetrics(ctx context.Context, m map[string]emf.Metric) {
	if h.metrics == nil {
		return
	}
	if err := emf.Write(h.metrics, "keytrail", map[string]string{"Function": "detect"}, m, h.now()); err != nil {
		h.logger.ErrorContext(ctx, "write metrics", slog.String("error", err.Error()))
	}
}
