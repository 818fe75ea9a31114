package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/lambdaenv"
)

func env(over map[string]string) func(string) string {
	base := map[string]string{
		"KEYTRAIL_LAKE":             "s3://lake-bucket/keytrail",
		"KEYTRAIL_LAKE_KMS_KEY_ARN": "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"KEYTRAIL_SLACK_SECRET_ARN": "arn:aws:secretsmanager:eu-central-1:111122223333:secret:keytrail/slack-AbCdEf",
		"KEYTRAIL_SLACK_CHANNEL":    "C0SECURITY",
		"AWS_REGION":                "eu-central-1",
		"AWS_ACCESS_KEY_ID":         "AKID",
		"AWS_SECRET_ACCESS_KEY":     "SECRET",
	}
	for k, v := range over {
		base[k] = v
	}
	return func(k string) string { return base[k] }
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		over    map[string]string
		wantErr string
		check   func(t *testing.T, c config)
	}{
		{"defaults", nil, "", func(t *testing.T, c config) {
			if c.mode != "token" || c.location != time.UTC || c.threshold != 5 || c.lookback != 72*time.Hour || c.suppress != 24*time.Hour || c.database != "keytrail" {
				t.Errorf("%+v", c)
			}
		}},
		{"webhook needs no channel", map[string]string{"KEYTRAIL_SLACK_MODE": "webhook", "KEYTRAIL_SLACK_CHANNEL": ""}, "", nil},
		{"all set", map[string]string{"KEYTRAIL_TIMEZONE": "Europe/Berlin", "KEYTRAIL_MIN_SEVERITY": "HIGH", "KEYTRAIL_SUMMARY_THRESHOLD": "9", "KEYTRAIL_ALERT_LOOKBACK": "24h", "KEYTRAIL_ATHENA_OUTPUT": "s3://results/"}, "", func(t *testing.T, c config) {
			if c.location.String() != "Europe/Berlin" || c.minSeverity != "high" || c.threshold != 9 || c.lookback != 24*time.Hour {
				t.Errorf("%+v", c)
			}
		}},
		{"token instead of ARN", map[string]string{"KEYTRAIL_SLACK_SECRET_ARN": "xoxb-1-2-secretvalue"}, "KEYTRAIL_SLACK_SECRET_ARN", nil},
		{"channel name", map[string]string{"KEYTRAIL_SLACK_CHANNEL": "#security"}, "KEYTRAIL_SLACK_CHANNEL", nil},
		{"bad mode", map[string]string{"KEYTRAIL_SLACK_MODE": "email"}, "KEYTRAIL_SLACK_MODE", nil},
		{"bad severity", map[string]string{"KEYTRAIL_MIN_SEVERITY": "severe"}, "KEYTRAIL_MIN_SEVERITY", nil},
		{"bad zone", map[string]string{"KEYTRAIL_TIMEZONE": "Mars/Olympus"}, "KEYTRAIL_TIMEZONE", nil},
		{"bad lookback", map[string]string{"KEYTRAIL_ALERT_LOOKBACK": "3 days"}, "KEYTRAIL_ALERT_LOOKBACK", nil},
		{"bad threshold", map[string]string{"KEYTRAIL_SUMMARY_THRESHOLD": "0"}, "KEYTRAIL_SUMMARY_THRESHOLD", nil},
		{"bad output", map[string]string{"KEYTRAIL_ATHENA_OUTPUT": "results"}, "KEYTRAIL_ATHENA_OUTPUT", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig(env(tt.over))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one naming %s", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secretvalue") {
					t.Errorf("error echoes a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestNewHandler(t *testing.T) {
	e, err := lambdaenv.Load(context.Background(), env(map[string]string{"KEYTRAIL_ATHENA_WORKGROUP": "keytrail-capped"}))
	if err != nil {
		t.Fatal(err)
	}
	h, err := newHandler(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if h.Alerter.Store == nil || h.Alerter.FollowUp == nil || h.Alerter.FollowUp.Client == nil || h.Alerter.Render.Region != "eu-central-1" || h.Secrets == nil || h.Alerter.Query == nil || h.Metrics == nil {
		t.Errorf("handler not wired: %+v", h)
	}
}
