package alert

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/slack-go/slack"
)

// Credential is how the alerter reaches Slack: a bot token (bot-token
// mode) or an incoming webhook URL (webhook mode).
type Credential struct {
	Token      string
	WebhookURL string
}

// ParseCredential reads the Slack secret's value. Accepted forms:
//
//	{"token":"xoxb-…"}                              bot token
//	{"webhook_url":"https://hooks.slack.com/…"}     incoming webhook
//	xoxb-…                                          plain bot token
//	https://hooks.slack.com/…                       plain webhook URL
//
// A webhook URL must be https (plain http only to a loopback address,
// for tests).
//
// Errors never include the value.
func ParseCredential(v string) (Credential, error) {
	v = strings.TrimSpace(v)
	var c Credential
	if strings.HasPrefix(v, "{") {
		var j struct {
			Token      string `json:"token"`
			WebhookURL string `json:"webhook_url"`
		}
		if err := json.Unmarshal([]byte(v), &j); err != nil {
			return Credential{}, errors.New("slack secret: not valid JSON")
		}
		c = Credential{Token: strings.TrimSpace(j.Token), WebhookURL: strings.TrimSpace(j.WebhookURL)}
	} else if strings.HasPrefix(v, "xox") {
		c.Token = v
	} else if strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://") {
		c.WebhookURL = v
	}
	if c.Token == "" && c.WebhookURL == "" {
		return Credential{}, errors.New(`slack secret: want {"token":"xoxb-…"}, {"webhook_url":"https://…"}, a token or a webhook URL`)
	}
	if c.Token != "" && (!strings.HasPrefix(c.Token, "xox") || strings.ContainsAny(c.Token, " \n\t")) {
		return Credential{}, errors.New("slack secret: the token does not look like a Slack token (xox…)")
	}
	if c.WebhookURL != "" {
		u, err := url.Parse(c.WebhookURL)
		loopback := u != nil && (u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost" || u.Hostname() == "::1")
		if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && loopback)) {
			return Credential{}, errors.New("slack secret: the webhook URL is not an https URL")
		}
	}
	return c, nil
}

// Connect sets how the alerter reaches Slack with cred in mode: ModeToken
// ("" too), a bot token posting to Channel through the Web API at apiURL
// ("" for Slack's), or ModeWebhook, the incoming webhook. hc carries the
// calls (nil means http.DefaultClient).
func (a *Alerter) Connect(cred Credential, mode, apiURL string, hc *http.Client) error {
	if hc == nil {
		hc = http.DefaultClient
	}
	switch mode {
	case ModeToken, "":
		if cred.Token == "" {
			return errors.New("bot-token mode needs a token")
		}
		opts := []slack.Option{slack.OptionHTTPClient(hc)}
		if apiURL != "" {
			opts = append(opts, slack.OptionAPIURL(apiURL))
		}
		a.Slack = slack.New(cred.Token, opts...)
	case ModeWebhook:
		if cred.WebhookURL == "" {
			return errors.New("webhook mode needs a webhook_url")
		}
		a.Webhook = &Webhook{URL: cred.WebhookURL, HTTPClient: hc}
	default:
		return fmt.Errorf("unknown slack mode %q", mode)
	}
	return nil
}

// EnvCredential is the credential a local run takes from its environment:
// KEYTRAIL_SLACK_WEBHOOK_URL (webhook mode), else SLACK_BOT_TOKEN, which
// needs the channel to post to (bot-token mode). The Lambda reads its
// credential from Secrets Manager instead.
func EnvCredential(getenv func(string) string, channel string) (cred Credential, mode string, err error) {
	cred = Credential{WebhookURL: getenv("KEYTRAIL_SLACK_WEBHOOK_URL"), Token: getenv("SLACK_BOT_TOKEN")}
	switch {
	case cred.WebhookURL != "":
		return cred, ModeWebhook, nil
	case cred.Token == "":
		return cred, "", errors.New("no Slack credential: set KEYTRAIL_SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN with --channel (or use --dry-run)")
	case channel == "":
		return cred, "", errors.New("SLACK_BOT_TOKEN needs --channel (a channel ID)")
	}
	return cred, ModeToken, nil
}
