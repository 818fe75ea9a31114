package alert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/slack-go/slack"
)

// Webhook posts to a Slack incoming webhook. The URL is a secret: errors
// never carry it.
type Webhook struct {
	URL        string
	HTTPClient *http.Client // nil means http.DefaultClient
}

// PostWebhook implements WebhookPoster.
func (w *Webhook) PostWebhook(ctx context.Context, msg *slack.WebhookMessage) error {
	c := w.HTTPClient
	if c == nil {
		c = http.DefaultClient
	}
	err := slack.PostWebhookCustomHTTPContext(ctx, w.URL, c, msg)
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// The *url.Error's text carries the URL: rebuild it without.
		return fmt.Errorf("post webhook: %w", &url.Error{Op: ue.Op, URL: "(webhook URL)", Err: ue.Err})
	}
	return fmt.Errorf("post webhook: %w", err)
}

// class is what a failed Slack call means for a retry.
type class struct {
	retry     bool
	ambiguous bool          // the call may have taken effect
	after     time.Duration // Slack's Retry-After, when it gave one
}

// classify sorts a Slack error: rate limits (retry after what Slack asked,
// certainly not posted), 5xx and network errors (retry with backoff, may
// have been posted), and the rest (permanent: a bad token, an unknown
// channel, a malformed message).
func classify(ctx context.Context, err error) class {
	if ctx.Err() != nil {
		return class{ambiguous: true}
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return class{retry: true, after: rl.RetryAfter}
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return class{retry: sc.Retryable(), ambiguous: sc.Code >= 500}
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "ratelimited":
			return class{retry: true}
		case "internal_error", "fatal_error", "service_unavailable", "request_timeout":
			return class{retry: true, ambiguous: true}
		}
		return class{}
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return class{retry: true, ambiguous: true}
	}
	return class{}
}

// slackTS renders t as a Slack timestamp.
func slackTS(t time.Time) string {
	return strconv.FormatInt(t.Unix(), 10) + ".000000"
}

const (
	maxHistoryPages = 20
	historyPageSize = 200
)

// findPosted looks for a message carrying the finding id in its metadata,
// posted since the claim (minus clock skew): at the channel's top level,
// in the threads of keytrail summaries, and in rec.ThreadTS when known.
// root is the thread the message is in (its own ts at the top level).
func (a *Alerter) findPosted(ctx context.Context, id string, rec Record) (ch, ts, root string, found bool, err error) {
	channel := a.Channel
	if rec.Channel != "" {
		channel = rec.Channel
	}
	oldest := slackTS(rec.ClaimedAt.Add(-lookbackSkew))
	threads := []string{}
	if rec.ThreadTS != "" {
		threads = append(threads, rec.ThreadTS)
	}
	cursor := ""
	for range maxHistoryPages {
		resp, err := a.Slack.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID: channel, Oldest: oldest, Cursor: cursor, Limit: historyPageSize, IncludeAllMetadata: true,
		})
		if err != nil {
			return "", "", "", false, fmt.Errorf("conversations.history: %w", err)
		}
		for _, m := range resp.Messages {
			if carries(m, id) {
				return channel, m.Timestamp, cmpOr(m.ThreadTimestamp, m.Timestamp), true, nil
			}
			if m.Metadata.EventType == summaryEventType && m.Timestamp != rec.ThreadTS {
				threads = append(threads, m.Timestamp)
			}
		}
		cursor = resp.ResponseMetaData.NextCursor
		if !resp.HasMore || cursor == "" {
			break
		}
	}
	for _, th := range threads {
		cursor := ""
		for range maxHistoryPages {
			msgs, more, next, err := a.Slack.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: channel, Timestamp: th, Oldest: oldest, Cursor: cursor, Limit: historyPageSize, IncludeAllMetadata: true,
			})
			if err != nil {
				return "", "", "", false, fmt.Errorf("conversations.replies: %w", err)
			}
			for _, m := range msgs {
				if carries(m, id) {
					return channel, m.Timestamp, th, true, nil
				}
			}
			if !more || next == "" {
				break
			}
			cursor = next
		}
	}
	return "", "", "", false, nil
}

func cmpOr(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

func carries(m slack.Message, id string) bool {
	if m.Metadata.EventType != MetadataEventType {
		return false
	}
	got, _ := m.Metadata.EventPayload["finding_id"].(string)
	return got == id
}
