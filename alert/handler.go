package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/keytrail/keytrail/internal/emf"
	"github.com/keytrail/keytrail/internal/finding"
)

// SecretGetter returns a secret's value by ARN; *secret.Cache implements it.
type SecretGetter interface {
	Get(ctx context.Context, arn string) (string, error)
}

// Modes of delivery.
const (
	ModeToken   = "token"   // chat.postMessage with a bot token: threads, history lookups
	ModeWebhook = "webhook" // an incoming webhook: no threads, no lookups
)

// Handler is the alert Lambda's core: every invocation runs one delivery
// pass, over the recent findings on a schedule (Handle), over the findings
// files just written when the lake announces them (HandleFindings).
type Handler struct {
	// Alerter is the configuration of every pass; Slack or Webhook is set
	// per invocation from the secret, so a rotated credential is used as
	// soon as the cache picks it up.
	Alerter   Alerter
	Secrets   SecretGetter
	SecretARN string
	Mode      string        // ModeToken (default) or ModeWebhook
	Lookback  time.Duration // 0 means DefaultLookback
	// HTTPClient and SlackAPIURL are for Slack calls; nil and "" mean the
	// defaults (tests point them at a test server).
	HTTPClient  *http.Client
	SlackAPIURL string
	// Metrics receives one Embedded Metric Format line per pass (the
	// Lambda's stdout; see passMetrics); nil disables metrics.
	Metrics io.Writer
}

// Handle runs one delivery pass over the findings of the lookback.
func (h *Handler) Handle(ctx context.Context, _ json.RawMessage) (Report, error) {
	a, err := h.alerter(ctx)
	if err != nil {
		return Report{}, err
	}
	lookback := h.Lookback
	if lookback <= 0 {
		lookback = DefaultLookback
	}
	fs, err := LoadLake(ctx, a.Store, a.now(), lookback)
	if err != nil {
		return Report{}, err
	}
	return h.run(ctx, &a, fs)
}

// HandleFindings runs one delivery pass over the findings in the files at
// keys (findings files the detector has just written, announced by the
// lake's notifications): the fast path from detection to Slack. The
// delivery state makes it safe beside the scheduled pass: a finding
// posted by either is not posted again.
func (h *Handler) HandleFindings(ctx context.Context, keys []string) (Report, error) {
	a, err := h.alerter(ctx)
	if err != nil {
		return Report{}, err
	}
	var fs []finding.Finding
	for _, k := range keys {
		got, err := readFindings(ctx, a.Store, k)
		if isNotFound(err) {
			// Replaced since (the detector rewrites an hour's file): the
			// scheduled pass reads what is there now.
			a.log().InfoContext(ctx, "notified findings file gone", "key", k)
			continue
		}
		if err != nil {
			return Report{}, err
		}
		fs = append(fs, got...)
	}
	return h.run(ctx, &a, fs)
}

func (h *Handler) run(ctx context.Context, a *Alerter, fs []finding.Finding) (Report, error) {
	rep, err := a.Run(ctx, fs)
	a.log().InfoContext(ctx, "delivery pass", "findings", len(fs), "considered", rep.Considered,
		"posted", len(rep.Posted), "already", rep.AlreadyPosted, "recovered", len(rep.Recovered),
		"suppressed", len(rep.Suppressed), "held", rep.Held, "failed", len(rep.Failed), "summary", rep.Summary)
	if h.Metrics != nil {
		if merr := emf.Write(h.Metrics, "keytrail", map[string]string{"Function": "alert"}, passMetrics(rep), a.now()); merr != nil {
			a.log().ErrorContext(ctx, "write metrics", "err", merr)
		}
	}
	return rep, err
}

// passMetrics are a pass's CloudWatch metrics (namespace keytrail, dimension
// Function=alert), the names the stack's alarms watch: Posted, PostFailures
// (Slack calls that failed after their retries), Suppressed (repeats not
// posted) and Pending (findings left unposted for the next pass: failed, or
// held by another pass).
func passMetrics(rep Report) map[string]emf.Metric {
	return map[string]emf.Metric{
		"Posted":       {Value: float64(len(rep.Posted)), Unit: "Count"},
		"PostFailures": {Value: float64(rep.PostFailures), Unit: "Count"},
		"Suppressed":   {Value: float64(len(rep.Suppressed)), Unit: "Count"},
		"Pending":      {Value: float64(len(rep.Failed) + rep.Held), Unit: "Count"},
	}
}

// alerter is the pass's Alerter, with Slack or Webhook set from the secret.
func (h *Handler) alerter(ctx context.Context) (Alerter, error) {
	a := h.Alerter // a copy per pass
	v, err := h.Secrets.Get(ctx, h.SecretARN)
	if err != nil {
		return a, err
	}
	cred, err := ParseCredential(v)
	if err != nil {
		return a, err
	}
	if err := a.Connect(cred, h.Mode, h.SlackAPIURL, h.HTTPClient); err != nil {
		return a, fmt.Errorf("slack secret %s: %w", h.SecretARN, err)
	}
	return a, nil
}
