package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/slack-go/slack"
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

// Handler is the alert Lambda's core: every invocation (an EventBridge
// schedule, or an S3 notification for findings/; the payload is not
// needed) runs one delivery pass over the recent findings.
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
}

// Handle runs one delivery pass.
func (h *Handler) Handle(ctx context.Context, _ json.RawMessage) (Report, error) {
	a := h.Alerter // a copy per pass
	v, err := h.Secrets.Get(ctx, h.SecretARN)
	if err != nil {
		return Report{}, err
	}
	cred, err := ParseCredential(v)
	if err != nil {
		return Report{}, err
	}
	hc := h.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	switch h.Mode {
	case ModeToken, "":
		if cred.Token == "" {
			return Report{}, fmt.Errorf("slack secret %s: bot-token mode needs a token", h.SecretARN)
		}
		opts := []slack.Option{slack.OptionHTTPClient(hc)}
		if h.SlackAPIURL != "" {
			opts = append(opts, slack.OptionAPIURL(h.SlackAPIURL))
		}
		a.Slack = slack.New(cred.Token, opts...)
	case ModeWebhook:
		if cred.WebhookURL == "" {
			return Report{}, fmt.Errorf("slack secret %s: webhook mode needs a webhook_url", h.SecretARN)
		}
		a.Webhook = &Webhook{URL: cred.WebhookURL, HTTPClient: hc}
	default:
		return Report{}, fmt.Errorf("unknown slack mode %q", h.Mode)
	}
	lookback := h.Lookback
	if lookback <= 0 {
		lookback = DefaultLookback
	}
	fs, err := LoadLake(ctx, a.Store, a.now(), lookback)
	if err != nil {
		return Report{}, err
	}
	rep, err := a.Run(ctx, fs)
	a.log().InfoContext(ctx, "delivery pass", "findings", len(fs), "considered", rep.Considered,
		"posted", len(rep.Posted), "already", rep.AlreadyPosted, "recovered", len(rep.Recovered),
		"suppressed", len(rep.Suppressed), "held", rep.Held, "failed", len(rep.Failed), "summary", rep.Summary)
	return rep, err
}
