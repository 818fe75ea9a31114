package alert_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/keytrail/keytrail/alert"
	"github.com/keytrail/keytrail/internal/emf"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/secret"
)

// TestHandlerMetrics runs the handler's scheduled pass twice over a lake
// (a folder and a real S3 server) and reads back its EMF lines: a post Slack
// refuses is a PostFailure and stays Pending, the next pass posts it, and a
// repeat of a posted finding is Suppressed.
func TestHandlerMetrics(t *testing.T) {
	for name, store := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := newClock(t0)
			s := startSlack(t, c)
			st := store(t)
			repeat := mkFinding(1, "high")
			repeat.ID = "f0001-again" // same subject and calls, other evidence
			base := newAlerter(s, st, c)
			base.Slack = nil
			var out bytes.Buffer
			h := &alert.Handler{
				Alerter:     *base,
				Secrets:     &secret.Cache{Client: secretsServer(t, `{"token":"xoxb-1-2-abc"}`), Now: c.Now},
				SecretARN:   slackSecretARN,
				SlackAPIURL: s.GetAPIURL(),
				Metrics:     &out,
			}
			passes := []struct {
				findings []finding.Finding
				fail     bool
				want     map[string]float64
			}{
				{[]finding.Finding{mkFinding(1, "high"), mkFinding(2, "critical")}, true,
					map[string]float64{"Posted": 1, "PostFailures": 1, "Suppressed": 0, "Pending": 1}},
				{[]finding.Finding{mkFinding(1, "high"), mkFinding(2, "critical"), repeat}, false,
					map[string]float64{"Posted": 1, "PostFailures": 0, "Suppressed": 1, "Pending": 0}},
			}
			for i, p := range passes {
				c.Advance(time.Hour)
				writeFindings(t, st.(putter), lake.Day(t0), p.findings)
				if p.fail {
					s.failNext(failure{slackError: "not_in_channel"}) // permanent: no retry
				}
				out.Reset()
				_, err := h.Handle(ctx, nil)
				if (err != nil) != p.fail {
					t.Fatalf("pass %d: err %v", i, err)
				}
				recs, err := emf.Read(&out)
				if err != nil || len(recs) != 1 {
					t.Fatalf("pass %d: %d EMF records, %v: %q", i, len(recs), err, out.String())
				}
				r := recs[0]
				if r.Namespace != "keytrail" || len(r.Dimensions) != 1 || r.Dimensions["Function"] != "alert" || !r.Time.Equal(c.Now()) {
					t.Errorf("pass %d: record %+v", i, r)
				}
				if len(r.Metrics) != len(p.want) {
					t.Errorf("pass %d: metrics %v, want %v", i, r.Metrics, p.want)
				}
				for name, v := range p.want {
					if m := r.Metrics[name]; m.Value != v || m.Unit != "Count" {
						t.Errorf("pass %d: %s = %+v, want %v Count", i, name, m, v)
					}
				}
			}
		})
	}
}
