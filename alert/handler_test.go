package alert_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/keytrail/keytrail/alert"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/secret"
)

const slackSecretARN = "arn:aws:secretsmanager:eu-central-1:111122223333:secret:keytrail/slack-AbCdEf"

// secretsServer answers GetSecretValue with value, in Secrets Manager's
// JSON protocol.
func secretsServer(t *testing.T, value string) *secretsmanager.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
			http.Error(w, "bad target", http.StatusBadRequest)
			return
		}
		var in struct{ SecretId string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if in.SecretId != slackSecretARN {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret."}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ARN": in.SecretId, "SecretString": value})
	}))
	t.Cleanup(srv.Close)
	return secretsmanager.New(secretsmanager.Options{
		Region: "eu-central-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), RetryMaxAttempts: 1,
	})
}

// putter is what writeFindings needs of a lake: lake.Dir and lake.S3 are.
type putter interface {
	Put(ctx context.Context, key string, body io.Reader) error
}

func writeFindings(t *testing.T, st putter, day string, fs []finding.Finding) {
	t.Helper()
	var buf bytes.Buffer
	if err := finding.WriteParquet(&buf, fs); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(context.Background(), lake.FindingKey(day, "detect-1"), &buf); err != nil {
		t.Fatal(err)
	}
}

func TestHandler(t *testing.T) {
	tests := []struct {
		name      string
		mode      string
		secret    func(s *slackServer) string
		arn       string
		wantPosts int
		wantErr   bool
	}{
		{"token mode", alert.ModeToken, func(*slackServer) string { return `{"token":"xoxb-1-2-abc"}` }, slackSecretARN, 2, false},
		{"webhook mode", alert.ModeWebhook, func(s *slackServer) string { return `{"webhook_url":"` + s.webhookURL() + `"}` }, slackSecretARN, 2, false},
		{"token mode with a webhook secret", alert.ModeToken, func(s *slackServer) string { return `{"webhook_url":"` + s.webhookURL() + `"}` }, slackSecretARN, 0, true},
		{"missing secret", alert.ModeToken, func(*slackServer) string { return "" }, slackSecretARN + "-gone", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock(t0)
			s := startSlack(t, c)
			st, err := lake.NewDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			recent, old := mkFinding(1, "high"), mkFinding(2, "critical")
			shadow := mkFinding(3, "critical")
			shadow.Shadow = true
			writeFindings(t, st, lake.Day(t0), []finding.Finding{recent, shadow})
			writeFindings(t, st, lake.Day(t0.AddDate(0, 0, -1)), []finding.Finding{mkFinding(4, "low")})
			writeFindings(t, st, lake.Day(t0.AddDate(0, 0, -10)), []finding.Finding{old})

			base := newAlerter(s, st, c)
			base.Slack = nil
			h := &alert.Handler{
				Alerter:     *base,
				Secrets:     &secret.Cache{Client: secretsServer(t, tt.secret(s)), Now: c.Now},
				SecretARN:   tt.arn,
				Mode:        tt.mode,
				SlackAPIURL: s.GetAPIURL(),
			}
			payload := json.RawMessage(`{"version":"0","detail-type":"Scheduled Event","source":"aws.events"}`)
			rep, err := h.Handle(context.Background(), payload)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			s.mu.Lock()
			got := len(s.posts) + len(s.webhooks)
			s.mu.Unlock()
			if got != tt.wantPosts || len(rep.Posted) != tt.wantPosts {
				t.Fatalf("%d messages, %v posted; want %d", got, rep.Posted, tt.wantPosts)
			}
			if tt.wantErr {
				return
			}
			// An S3 notification triggers the next pass: nothing new.
			c.Advance(time.Hour)
			rep, err = h.Handle(context.Background(), json.RawMessage(`{"Records":[{"eventSource":"aws:s3"}]}`))
			if err != nil || len(rep.Posted) != 0 || rep.AlreadyPosted != 2 {
				t.Errorf("second pass: %v %+v", err, rep)
			}
		})
	}
}

// TestHandleFindings: a notified findings file is posted by itself; the
// scheduled pass then posts the rest and not that one again, and a
// redelivered notification posts nothing.
func TestHandleFindings(t *testing.T) {
	ctx := context.Background()
	c := newClock(t0)
	s := startSlack(t, c)
	st, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fast, other := mkFinding(1, "critical"), mkFinding(2, "high")
	var buf bytes.Buffer
	if err := finding.WriteParquet(&buf, []finding.Finding{fast}); err != nil {
		t.Fatal(err)
	}
	fastKey := lake.FindingKey(lake.Day(t0), "fast-ct-a-p000")
	if err := st.Put(ctx, fastKey, &buf); err != nil {
		t.Fatal(err)
	}
	writeFindings(t, st, lake.Day(t0), []finding.Finding{fast, other}) // the schedule's file, later
	base := newAlerter(s, st, c)
	base.Slack = nil
	h := &alert.Handler{
		Alerter:     *base,
		Secrets:     &secret.Cache{Client: secretsServer(t, `{"token":"xoxb-1-2-abc"}`), Now: c.Now},
		SecretARN:   slackSecretARN,
		SlackAPIURL: s.GetAPIURL(),
	}
	gone := lake.FindingKey(lake.Day(t0), "fast-replaced")
	rep, err := h.HandleFindings(ctx, []string{fastKey, gone})
	if err != nil || len(rep.Posted) != 1 || rep.Posted[0] != fast.ID {
		t.Fatalf("fast pass: %v %+v, want %s posted alone", err, rep, fast.ID)
	}
	rep, err = h.Handle(ctx, nil)
	if err != nil || len(rep.Posted) != 1 || rep.Posted[0] != other.ID || rep.AlreadyPosted != 1 {
		t.Errorf("scheduled pass: %v %+v, want %s posted and 1 already", err, rep, other.ID)
	}
	rep, err = h.HandleFindings(ctx, []string{fastKey})
	if err != nil || len(rep.Posted) != 0 || rep.AlreadyPosted != 1 {
		t.Errorf("redelivered: %v %+v", err, rep)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.posts) != 2 {
		t.Errorf("%d messages in Slack, want 2", len(s.posts))
	}
}
