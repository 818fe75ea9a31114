package alert_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/alert"
)

// TestPasteBack: a name, e-mail or user agent copied out of Slack is the
// value CloudTrail recorded. What Slack renders cannot be observed here, so
// this checks the exact payload and relies on Slack's documented rules
// (see text.go): with verbatim=true Slack leaves plain text alone (no
// auto-linking, no bare @mention), nothing is formatted inside a code span,
// and &amp; &lt; &gt; are shown and copied as & < >. So each value must be
// sent as a code span holding the value itself, only & < > as entities: no
// word joiner after @, no look-alike for _ * ~.
func TestPasteBack(t *testing.T) {
	f := mkFinding(1, "high")
	f.Principal = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/alice_smith@example.com"
	f.PrincipalName = "alice_smith@example.com"
	f.SessionNames = []string{"*ops*_night_~run~"}
	f.UserAgents = []string{"Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1 cfg/retry-mode#legacy <x>&y"}
	f.Reason = "alice_smith@example.com called DeleteSecret on prod_db at 02:13 (UTC)"
	f.Title = "DeleteSecret by alice_smith@example.com"
	msg := alert.Renderer{}.Finding(f, alert.Extras{})
	raw, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ Blocks json.RawMessage }
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	var mrkdwn strings.Builder
	walkTexts(t, p.Blocks, func(typ, text string) {
		if typ == "mrkdwn" {
			mrkdwn.WriteString(text + "\n")
		}
	})
	got := mrkdwn.String()
	for _, want := range []string{
		"`" + f.Principal + "`",
		"`alice_smith@example.com`",
		"`*ops*_night_~run~`",
		"`Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1 cfg/retry-mode#legacy &lt;x&gt;&amp;y`",
		"`alice_smith@example.com called DeleteSecret on prod_db at 02:13 (UTC)`",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("payload lacks %s:\n%s", want, got)
		}
	}
	for _, bad := range []string{"\u2060", "\u02cd", "\u2217", "\u223c"} {
		if strings.Contains(got, bad) || strings.Contains(msg.Text, bad) {
			t.Errorf("payload carries %U, which a copied value would keep", []rune(bad)[0])
		}
	}
	if want := "`DeleteSecret by alice_smith@example.com`"; !strings.Contains(msg.Text, want) {
		t.Errorf("fallback text %q lacks %s", msg.Text, want)
	}
}

// TestReasonZone: the reason names the finding's window in the team's
// zone, the zone of the When line, whatever zone the detector wrote.
func TestReasonZone(t *testing.T) {
	start := time.Date(2026, 3, 1, 1, 13, 5, 0, time.UTC)
	end := time.Date(2026, 3, 1, 1, 43, 10, 0, time.UTC)
	tests := []struct {
		name   string
		loc    *time.Location
		reason string
		start  time.Time
		want   string
	}{
		{"UTC to Berlin", mustZone("Europe/Berlin"),
			"x called DeleteSecret on s on Sun 2026-03-01 between 01:13 and 01:43 (UTC).", start,
			"x called DeleteSecret on s on Sun 2026-03-01 between 02:13 and 02:43 (Europe/Berlin)."},
		{"one instant, New York to UTC", nil,
			"x called DeleteSecret on s at Sat 2026-02-28 20:43 (America/New_York).", end,
			"x called DeleteSecret on s at Sun 2026-03-01 01:43 (UTC)."},
		{"holiday kept on the same date", mustZone("Europe/Paris"),
			"x read s on Sun 2026-03-01 (holiday) between 02:13 and 02:43 (Europe/Berlin).", start,
			"x read s on Sun 2026-03-01 (holiday) between 02:13 and 02:43 (Europe/Paris)."},
		{"holiday of another date said as such", nil,
			"x read s at Sat 2026-02-28 (holiday) 20:43 (America/New_York).", end,
			"x read s at Sun 2026-03-01 01:43 (UTC) (a holiday in America/New_York)."},
		{"already in the team's zone", mustZone("Europe/Berlin"),
			"x read s on Sun 2026-03-01 between 02:13 and 02:43 (Europe/Berlin).", start,
			"x read s on Sun 2026-03-01 between 02:13 and 02:43 (Europe/Berlin)."},
		{"not the finding's window: left alone", mustZone("Europe/Berlin"),
			"x read s on Sun 2026-03-01 between 05:00 and 06:00 (UTC).", start,
			"x read s on Sun 2026-03-01 between 05:00 and 06:00 (UTC)."},
		{"unknown zone: left alone", mustZone("Europe/Berlin"),
			"x read s on Sun 2026-03-01 between 01:13 and 01:43 (Mars/Olympus).", start,
			"x read s on Sun 2026-03-01 between 01:13 and 01:43 (Mars/Olympus)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mkFinding(1, "high")
			f.Reason, f.Start, f.End = tt.reason, tt.start, end
			msg := alert.Renderer{Location: tt.loc}.Finding(f, alert.Extras{})
			raw, _ := json.Marshal(msg)
			var p struct{ Blocks json.RawMessage }
			json.Unmarshal(raw, &p)
			var why string
			walkTexts(t, p.Blocks, func(typ, text string) {
				if strings.HasPrefix(text, "*Why*\n") {
					why = strings.TrimPrefix(text, "*Why*\n")
				}
			})
			if why != "`"+tt.want+"`" {
				t.Errorf("why %s\nwant `%s`", why, tt.want)
			}
		})
	}
}

// TestLinks: the CloudTrail event history link is always there (it needs no
// setup); the Athena link only when a workgroup is configured.
func TestLinks(t *testing.T) {
	f := mkFinding(1, "high")
	f.EventIDs = []string{"3f1c1c1e-0001", "<!channel>", "3f1c1c1e-0003"}
	for _, tt := range []struct {
		name      string
		fu        *alert.FollowUp
		wantAthen bool
	}{
		{"no follow-up", nil, false},
		{"region, no workgroup", &alert.FollowUp{Region: "eu-central-1"}, false},
		{"workgroup", &alert.FollowUp{Region: "eu-central-1", Workgroup: "keytrail"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, note := tt.fu.Link(context.Background(), f)
			if (u != "") != tt.wantAthen {
				t.Errorf("athena link %q %q", u, note)
			}
			msg := alert.Renderer{Region: "us-east-1"}.Finding(f, alert.Extras{QueryURL: u, QueryNote: note})
			raw, _ := json.Marshal(msg)
			s := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(raw))
			for _, want := range []string{
				"CloudTrail event history (90 days): <https://eu-central-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-central-1#/events/3f1c1c1e-0001|event 1>",
				" · <https://eu-central-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-central-1#/events/3f1c1c1e-0003|event 2>",
			} {
				if !strings.Contains(s, want) {
					t.Errorf("message lacks %s", want)
				}
			}
			if strings.Contains(s, "#/events/<") || strings.Contains(s, "Open in Athena") != tt.wantAthen {
				t.Errorf("links: %s", s)
			}
		})
	}
	for _, bad := range [][2]string{{"eu-central-1", "a|b"}, {"eu-central-1", "x>y"}, {"evil.example/", "id"}, {"eu-central-1", ""}} {
		if u := alert.EventHistoryURL(bad[0], bad[1]); u != "" {
			t.Errorf("EventHistoryURL(%q, %q) = %q", bad[0], bad[1], u)
		}
	}
}
