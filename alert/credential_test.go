package alert_test

import (
	"context"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"

	"github.com/keytrail/keytrail/alert"
)

func TestParseCredential(t *testing.T) {
	tests := []struct {
		in      string
		want    alert.Credential
		wantErr bool
	}{
		{`{"token":"xoxb-1-2-secretvalue"}`, alert.Credential{Token: "xoxb-1-2-secretvalue"}, false},
		{`{"webhook_url":"https://hooks.slack.com/services/T/B/secretvalue"}`, alert.Credential{WebhookURL: "https://hooks.slack.com/services/T/B/secretvalue"}, false},
		{" xoxb-1-2-secretvalue\n", alert.Credential{Token: "xoxb-1-2-secretvalue"}, false},
		{"https://hooks.slack.com/services/T/B/secretvalue", alert.Credential{WebhookURL: "https://hooks.slack.com/services/T/B/secretvalue"}, false},
		{`{"token":"secretvalue"}`, alert.Credential{}, true},
		{`{"webhook_url":"http://hooks.slack.com/secretvalue"}`, alert.Credential{}, true},
		{`{"token":`, alert.Credential{}, true},
		{"secretvalue", alert.Credential{}, true},
		{"", alert.Credential{}, true},
	}
	for _, tt := range tests {
		got, err := alert.ParseCredential(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseCredential(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "secretvalue") {
			t.Errorf("error carries the secret: %v", err)
		}
	}
}

// Connect reaches Slack the way the mode says: a bot token through the
// Web API at the given URL (here slack-go's test server), or the webhook.
func TestConnect(t *testing.T) {
	srv := slacktest.NewTestServer()
	srv.Start()
	t.Cleanup(srv.Stop)
	tests := []struct {
		mode string
		cred alert.Credential
		want string // "slack", "webhook" or the error
	}{
		{alert.ModeToken, alert.Credential{Token: "xoxb-1"}, "slack"},
		{"", alert.Credential{Token: "xoxb-1", WebhookURL: "https://hooks.slack.com/x"}, "slack"},
		{alert.ModeWebhook, alert.Credential{Token: "xoxb-1", WebhookURL: "https://hooks.slack.com/x"}, "webhook"},
		{alert.ModeToken, alert.Credential{WebhookURL: "https://hooks.slack.com/x"}, "bot-token mode needs a token"},
		{alert.ModeWebhook, alert.Credential{Token: "xoxb-1"}, "webhook mode needs a webhook_url"},
		{"carrier-pigeon", alert.Credential{Token: "xoxb-1"}, `unknown slack mode "carrier-pigeon"`},
	}
	for _, tt := range tests {
		var a alert.Alerter
		err := a.Connect(tt.cred, tt.mode, srv.GetAPIURL(), nil)
		got := ""
		switch {
		case err != nil:
			got = err.Error()
		case a.Slack != nil && a.Webhook == nil:
			got = "slack"
			if _, err := a.Slack.(*slack.Client).AuthTestContext(context.Background()); err != nil {
				t.Errorf("%s: the bot token does not reach the API URL: %v", tt.mode, err)
			}
		case a.Webhook != nil && a.Slack == nil:
			got = "webhook"
			if w := a.Webhook.(*alert.Webhook); w.URL != tt.cred.WebhookURL || w.HTTPClient == nil {
				t.Errorf("%s: webhook %+v", tt.mode, w)
			}
		}
		if got != tt.want {
			t.Errorf("Connect(%q) = %s, want %s", tt.mode, got, tt.want)
		}
	}
}

func TestEnvCredential(t *testing.T) {
	for _, tt := range []struct {
		name, webhook, token, channel string
		mode, err                     string
	}{
		{"webhook wins", "https://hooks.slack.com/x", "xoxb-1", "", alert.ModeWebhook, ""},
		{"token with a channel", "", "xoxb-1", "C1", alert.ModeToken, ""},
		{"token without a channel", "", "xoxb-1", "", "", "needs --channel"},
		{"nothing", "", "", "C1", "", "no Slack credential"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"KEYTRAIL_SLACK_WEBHOOK_URL": tt.webhook, "SLACK_BOT_TOKEN": tt.token}
			cred, mode, err := alert.EnvCredential(func(k string) string { return env[k] }, tt.channel)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || mode != tt.mode || cred.WebhookURL != tt.webhook || cred.Token != tt.token {
				t.Errorf("got %+v %q %v", cred, mode, err)
			}
		})
	}
}
