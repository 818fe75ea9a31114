// Command alert is keytrail's alert Lambda: on a schedule (EventBridge)
// it posts the recent findings to Slack, and when the detector writes a
// findings file (the lake's notification, through a queue) the findings
// of that file, recording their delivery in the lake either way.
//
// Configuration, validated at cold start:
//
//	KEYTRAIL_LAKE               s3://bucket/prefix of the lake (required)
//	KEYTRAIL_LAKE_KMS_KEY_ARN   the lake's customer-managed key (required)
//	KEYTRAIL_SLACK_SECRET_ARN   Secrets Manager secret with the Slack token or webhook URL (required)
//	KEYTRAIL_SLACK_MODE         token (default: chat.postMessage, threads) or webhook
//	KEYTRAIL_SLACK_CHANNEL      channel ID (C…), required in token mode
//	KEYTRAIL_MIN_SEVERITY       low, medium, high or critical (default: all)
//	KEYTRAIL_TIMEZONE           the team's IANA time zone (default UTC)
//	KEYTRAIL_ATHENA_WORKGROUP   when set, follow-up queries are started in it (give it a bytes-scanned cutoff)
//	KEYTRAIL_ATHENA_DATABASE    Glue database of the keytrail tables (default keytrail)
//	KEYTRAIL_ATHENA_OUTPUT      s3:// query results location (default: the workgroup's)
//	KEYTRAIL_ALERT_LOOKBACK     how far back findings are read (default 72h)
//	KEYTRAIL_SUMMARY_THRESHOLD  more findings than this in one pass get a summary (default 5)
//	KEYTRAIL_SUPPRESS_WINDOW    repeats within it (same kind, principal, resource, calls and change, no higher
//	                            severity) are suppressed; escalations go in the earlier message's thread (default 24h)
//
// The secret's value is read at run time through a TTL cache and never
// logged. Each pass writes its metrics (Posted, PostFailures, Suppressed,
// Pending) to stdout in CloudWatch's Embedded Metric Format. AWS access follows the SDK's standard chain.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	_ "time/tzdata" // time zones on the provided.al2023 runtime

	"github.com/keytrail/keytrail/alert"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/lakenotify"
	"github.com/keytrail/keytrail/internal/lambdaenv"
	"github.com/keytrail/keytrail/internal/memlimit"
	"github.com/keytrail/keytrail/internal/secret"
	"github.com/keytrail/keytrail/queries"
)

func main() {
	lambdaenv.Main(memlimit.Function, func(ctx context.Context, e *lambdaenv.Env) (any, error) {
		h, err := newHandler(ctx, e)
		if err != nil {
			return nil, err
		}
		return invoke(h, lakenotify.Lake{Bucket: e.Lake.Bucket(), Root: e.Lake.Prefix()}), nil
	})
}

// invoke dispatches on the payload: an SQS batch of the lake's
// notifications of new findings files is the fast path (those files
// only); anything else (the schedule) is a pass over the lookback.
func invoke(h *alert.Handler, l lakenotify.Lake) func(context.Context, json.RawMessage) (any, error) {
	return func(ctx context.Context, payload json.RawMessage) (any, error) {
		if ev, ok := lakenotify.IsSQS(payload); ok {
			return l.Batch(ctx, ev, lake.FindingsPrefix, slog.Default(), func(ctx context.Context, keys []string) error {
				_, err := h.HandleFindings(ctx, keys)
				return err
			}), nil
		}
		return h.Handle(ctx, payload)
	}
}

// config is the function's own validated environment (the lake's is
// lambdaenv's).
type config struct {
	secretARN, mode, channel, minSeverity string
	location                              *time.Location
	workgroup, database, output           string
	lookback, suppress                    time.Duration
	threshold                             int
}

var (
	secretARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$`)
	channelRE   = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)
)

func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		secretARN:   getenv("KEYTRAIL_SLACK_SECRET_ARN"),
		mode:        cmpOr(getenv("KEYTRAIL_SLACK_MODE"), alert.ModeToken),
		channel:     getenv("KEYTRAIL_SLACK_CHANNEL"),
		minSeverity: strings.ToLower(getenv("KEYTRAIL_MIN_SEVERITY")),
		workgroup:   getenv("KEYTRAIL_ATHENA_WORKGROUP"),
		database:    cmpOr(getenv("KEYTRAIL_ATHENA_DATABASE"), "keytrail"),
		output:      getenv("KEYTRAIL_ATHENA_OUTPUT"),
	}
	if !secretARNRE.MatchString(c.secretARN) {
		return c, fmt.Errorf("KEYTRAIL_SLACK_SECRET_ARN must be a Secrets Manager secret ARN (the secret holds the token; never put the token itself in the environment)")
	}
	switch c.mode {
	case alert.ModeToken:
		if !channelRE.MatchString(c.channel) {
			return c, fmt.Errorf("KEYTRAIL_SLACK_CHANNEL must be a channel ID such as C0123ABCD (not a name) in token mode, got %q", c.channel)
		}
	case alert.ModeWebhook:
	default:
		return c, fmt.Errorf("KEYTRAIL_SLACK_MODE must be token or webhook, got %q", c.mode)
	}
	if c.minSeverity != "" && finding.SeverityRank(c.minSeverity) == 0 {
		return c, fmt.Errorf("KEYTRAIL_MIN_SEVERITY must be low, medium, high or critical, got %q", c.minSeverity)
	}
	loc, err := time.LoadLocation(cmpOr(getenv("KEYTRAIL_TIMEZONE"), "UTC"))
	if err != nil {
		return c, fmt.Errorf("KEYTRAIL_TIMEZONE: %w", err)
	}
	c.location = loc
	if c.output != "" && !strings.HasPrefix(c.output, "s3://") {
		return c, fmt.Errorf("KEYTRAIL_ATHENA_OUTPUT must be an s3:// URI, got %q", c.output)
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
		def  time.Duration
	}{{"KEYTRAIL_ALERT_LOOKBACK", &c.lookback, alert.DefaultLookback}, {"KEYTRAIL_SUPPRESS_WINDOW", &c.suppress, alert.DefaultSuppressWindow}} {
		*d.dst = d.def
		if v := getenv(d.name); v != "" {
			if *d.dst, err = time.ParseDuration(v); err != nil || *d.dst <= 0 {
				return c, fmt.Errorf("%s must be a positive duration such as 72h, got %q", d.name, v)
			}
		}
	}
	c.threshold = alert.DefaultSummaryThreshold
	if v := getenv("KEYTRAIL_SUMMARY_THRESHOLD"); v != "" {
		if c.threshold, err = strconv.Atoi(v); err != nil || c.threshold < 1 {
			return c, fmt.Errorf("KEYTRAIL_SUMMARY_THRESHOLD must be a positive integer, got %q", v)
		}
	}
	return c, nil
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func newHandler(_ context.Context, e *lambdaenv.Env) (*alert.Handler, error) {
	c, err := loadConfig(e.Getenv)
	if err != nil {
		return nil, err
	}
	cfg := e.AWS
	fu := &alert.FollowUp{Region: cfg.Region, Workgroup: c.workgroup, Database: c.database, OutputLocation: c.output}
	if c.workgroup != "" {
		fu.Client = athena.NewFromConfig(cfg)
	}
	return &alert.Handler{
		Alerter: alert.Alerter{
			Store:            e.Lake,
			Channel:          c.channel,
			Render:           alert.Renderer{Location: c.location, Region: cfg.Region, Workgroup: c.workgroup, Database: c.database},
			FollowUp:         fu,
			Query:            queries.Evidence,
			Events:           alert.LakeEvents{Store: e.Lake},
			MinSeverity:      c.minSeverity,
			SummaryThreshold: c.threshold,
			SuppressWindow:   c.suppress,
			Logger:           e.Logger,
		},
		Secrets:   &secret.Cache{Client: secretsmanager.NewFromConfig(cfg)},
		SecretARN: c.secretARN,
		Mode:      c.mode,
		Lookback:  c.lookback,
		Metrics:   os.Stdout, // EMF: namespace keytrail, Function=alert
	}, nil
}
