package alert_test

import (
	"strings"
	"testing"

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
