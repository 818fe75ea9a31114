package alert_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keytrail/keytrail/alert"
	"github.com/keytrail/keytrail/internal/finding"
)

func TestFilter(t *testing.T) {
	low, med, high, crit := mkFinding(1, "low"), mkFinding(2, "medium"), mkFinding(3, "high"), mkFinding(4, "critical")
	shadow := mkFinding(5, "critical")
	shadow.Shadow = true
	odd := mkFinding(6, "severe")
	tests := []struct {
		name  string
		in    []finding.Finding
		floor string
		want  []string
	}{
		{"all, most severe first", []finding.Finding{low, med, high, crit}, "", []string{"f0004", "f0003", "f0002", "f0001"}},
		{"floor", []finding.Finding{low, med, high, crit}, "high", []string{"f0004", "f0003"}},
		{"shadow never", []finding.Finding{shadow, low}, "", []string{"f0001"}},
		{"duplicates once", []finding.Finding{high, high, low, high}, "", []string{"f0003", "f0001"}},
		{"unknown severity kept", []finding.Finding{odd, low}, "medium", []string{"f0006"}},
		{"nothing", nil, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range alert.Filter(tt.in, tt.floor) {
				got = append(got, f.ID)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	// Copies of one id (the fast path's and the schedule's): the one that
	// says the most is delivered, whatever the order.
	part, hour := mkFinding(7, "high"), mkFinding(7, "critical")
	part.EventNames, hour.EventNames = []string{"DisableKey"}, []string{"DisableKey", "ScheduleKeyDeletion"}
	more := mkFinding(7, "high")
	more.EventNames = []string{"DisableKey", "DeleteAlias"}
	for _, in := range [][]finding.Finding{{part, hour}, {hour, part}, {part, more, hour}} {
		if got := alert.Filter(in, ""); len(got) != 1 || got[0].Severity != "critical" || len(got[0].EventNames) != 2 {
			t.Errorf("copies %v: delivered %+v", in, got)
		}
	}
	if got := alert.Filter([]finding.Finding{part, more}, ""); len(got) != 1 || len(got[0].EventNames) != 2 {
		t.Errorf("same severity: delivered %+v, want the copy with more calls", got)
	}
}

func findings(n int) []finding.Finding {
	var fs []finding.Finding
	for i := range n {
		fs = append(fs, mkFinding(i+1, []string{"high", "medium", "critical", "low"}[i%4]))
	}
	return fs
}

func TestThreads(t *testing.T) {
	tests := []struct {
		name      string
		n         int
		threshold int
		summary   bool
	}{
		{"few findings top level", 3, 0, false},
		{"at threshold top level", 5, 0, false},
		{"many findings in a thread", 7, 0, true},
		{"custom threshold", 3, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock(t0)
			s := startSlack(t, c)
			a := newAlerter(s, stores(t)["dir"](t), c)
			a.SummaryThreshold = tt.threshold
			rep, err := a.Run(context.Background(), findings(tt.n))
			if err != nil {
				t.Fatal(err)
			}
			ps := s.Posts()
			wantPosts := tt.n
			if tt.summary {
				wantPosts++
			}
			if len(ps) != wantPosts || len(rep.Posted) != tt.n || rep.Summary != tt.summary {
				t.Fatalf("posts %d, reported %d posted, summary %v; want %d, %d, %v", len(ps), len(rep.Posted), rep.Summary, wantPosts, tt.n, tt.summary)
			}
			if !tt.summary {
				for _, p := range ps {
					if p.ThreadTS != "" || p.findingID() == "" {
						t.Errorf("post %s: thread %q finding %q, want top level finding", p.TS, p.ThreadTS, p.findingID())
					}
				}
				return
			}
			sum := ps[0]
			if sum.ThreadTS != "" || sum.findingID() != "" || !strings.Contains(sum.Text, "new findings") {
				t.Fatalf("first post is not a top-level summary: %+v", sum)
			}
			for _, p := range ps[1:] {
				if p.ThreadTS != sum.TS {
					t.Errorf("finding %s in thread %q, want %q", p.findingID(), p.ThreadTS, sum.TS)
				}
			}
			if got := postsByFinding(ps); len(got) != tt.n {
				t.Errorf("posted findings %v, want %d distinct", got, tt.n)
			}
			r := readRecord(t, a.Store, ps[1].findingID())
			if r.State != alert.StatePosted || r.ThreadTS != sum.TS || r.TS != ps[1].TS || r.Channel != channelID {
				t.Errorf("record %+v", r)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name       string
		fail       []failure
		wantSleeps []time.Duration
		wantCalls  int // chat.postMessage
		wantLookup bool
	}{
		{"429 honours Retry-After", []failure{{status: 429, retryAfter: "7"}}, []time.Duration{7 * time.Second}, 2, false},
		{"two 429s", []failure{{status: 429, retryAfter: "3"}, {status: 429, retryAfter: "11"}}, []time.Duration{3 * time.Second, 11 * time.Second}, 3, false},
		// Backoff with zero jitter: half of 1s, then half of 2s.
		{"500 then success", []failure{{status: 500}}, []time.Duration{500 * time.Millisecond}, 2, true},
		{"502, 503 then success", []failure{{status: 502}, {status: 503}}, []time.Duration{500 * time.Millisecond, time.Second}, 3, true},
		{"slack internal_error", []failure{{slackError: "internal_error"}}, []time.Duration{500 * time.Millisecond}, 2, true},
		// Slack posted but answered 500: the lookup finds it, no second call.
		{"500 after posting", []failure{{status: 500, posted: true}}, []time.Duration{500 * time.Millisecond}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock(t0)
			s := startSlack(t, c)
			a := newAlerter(s, stores(t)["dir"](t), c)
			s.failNext(tt.fail...)
			rep, err := a.Run(context.Background(), findings(1))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Slept(); !equalDurations(got, tt.wantSleeps) {
				t.Errorf("slept %v, want %v", got, tt.wantSleeps)
			}
			if got := s.Calls("chat.postMessage"); got != tt.wantCalls {
				t.Errorf("chat.postMessage calls %d, want %d", got, tt.wantCalls)
			}
			if got := s.Calls("conversations.history") > 0; got != tt.wantLookup {
				t.Errorf("looked up history %v, want %v", got, tt.wantLookup)
			}
			if n := postsByFinding(s.Posts())["f0001"]; n != 1 || len(rep.Posted) != 1 {
				t.Errorf("finding posted %d times, reported %v", n, rep.Posted)
			}
			if r := readRecord(t, a.Store, "f0001"); r.State != alert.StatePosted || r.TS != s.Posts()[0].TS {
				t.Errorf("record %+v, want posted at %s", r, s.Posts()[0].TS)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPendingNextRun: a finding that could not be delivered stays pending
// and the next run delivers it.
func TestPendingNextRun(t *testing.T) {
	tests := []struct {
		name       string
		fail       []failure
		maxTries   int
		wantLookup bool // the next run looks for an earlier post first
	}{
		{"permanent slack error", []failure{{slackError: "not_in_channel"}}, 0, false},
		{"500s until attempts run out", []failure{{status: 500}, {status: 500}}, 2, true},
		{"429 beyond the deadline", []failure{{status: 429, retryAfter: "3600"}}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock(t0)
			s := startSlack(t, c)
			a := newAlerter(s, stores(t)["dir"](t), c)
			a.Retry.MaxAttempts = tt.maxTries
			s.failNext(tt.fail...)
			rep, err := a.Run(context.Background(), findings(1))
			if err == nil || len(rep.Failed) != 1 {
				t.Fatalf("first run: err %v, failed %v; want an error and one pending", err, rep.Failed)
			}
			if r := readRecord(t, a.Store, "f0001"); r.State != alert.StateFailed || r.MaybePosted != tt.wantLookup || r.LastError == "" {
				t.Errorf("record after failure %+v", r)
			}
			c.Advance(10 * time.Minute)
			before := s.Calls("conversations.history")
			b := newAlerter(s, a.Store, c)
			rep, err = b.Run(context.Background(), findings(1))
			if err != nil || len(rep.Posted) != 1 {
				t.Fatalf("second run: err %v, report %+v", err, rep)
			}
			if looked := s.Calls("conversations.history") > before; looked != tt.wantLookup {
				t.Errorf("second run looked up history %v, want %v", looked, tt.wantLookup)
			}
			if n := postsByFinding(s.Posts())["f0001"]; n != 1 {
				t.Errorf("posted %d times", n)
			}
		})
	}
}

// crashingStore loses every write that records a post: the process died
// between posting and recording.
type crashingStore struct{ alert.Store }

func (s crashingStore) PutIfMatch(ctx context.Context, key string, body io.Reader, etag string) error {
	b, _ := io.ReadAll(body)
	if strings.Contains(string(b), `"state":"posted"`) {
		return errors.New("crash")
	}
	return s.Store.PutIfMatch(ctx, key, strings.NewReader(string(b)), etag)
}

func TestCrashBetweenPostAndRecord(t *testing.T) {
	for name, mk := range stores(t) {
		for _, n := range []int{1, 7} { // top level, and in a summary's thread
			t.Run(name+"/"+string(rune('0'+n)), func(t *testing.T) {
				c := newClock(t0)
				s := startSlack(t, c)
				st := mk(t)
				a := newAlerter(s, crashingStore{st}, c)
				if _, err := a.Run(context.Background(), findings(n)); err != nil {
					t.Fatal(err) // the lost write is only logged
				}
				first := s.Posts()
				if r := readRecord(t, st, "f0001"); r.State != alert.StateClaimed {
					t.Fatalf("record after crash %+v, want claimed", r)
				}

				// Within the lease: another run leaves it alone.
				c.Advance(time.Minute)
				b := newAlerter(s, st, c)
				rep, err := b.Run(context.Background(), findings(n))
				if err != nil || rep.Held != n || len(rep.Posted) != 0 {
					t.Fatalf("run within lease: err %v, report %+v", err, rep)
				}

				// After the lease: the next run finds the messages.
				c.Advance(alert.DefaultLease)
				b = newAlerter(s, st, c)
				rep, err = b.Run(context.Background(), findings(n))
				if err != nil || len(rep.Recovered) != n || len(rep.Posted) != 0 {
					t.Fatalf("run after lease: err %v, report %+v", err, rep)
				}
				if got := len(s.Posts()); got != len(first) {
					t.Errorf("posts %d after recovery, want %d (no repost)", got, len(first))
				}
				for id, k := range postsByFinding(s.Posts()) {
					if k != 1 {
						t.Errorf("finding %s posted %d times", id, k)
					}
				}
				var ts string
				for _, p := range first {
					if p.findingID() == "f0001" {
						ts = p.TS
					}
				}
				if r := readRecord(t, st, "f0001"); r.State != alert.StatePosted || r.TS != ts {
					t.Errorf("record %+v, want posted at %s", r, ts)
				}
			})
		}
	}
}

func TestConcurrentAlerters(t *testing.T) {
	for name, mk := range stores(t) {
		t.Run(name, func(t *testing.T) {
			for round := range 5 {
				c := newClock(t0)
				s := startSlack(t, c)
				st := mk(t)
				fs := findings(12)
				var wg sync.WaitGroup
				reps := make([]alert.Report, 3)
				for i := range reps {
					a := newAlerter(s, st, c)
					wg.Go(func() {
						rep, err := a.Run(context.Background(), fs)
						if err != nil {
							t.Errorf("round %d alerter %d: %v", round, i, err)
						}
						reps[i] = rep
					})
				}
				wg.Wait()
				got := postsByFinding(s.Posts())
				if len(got) != len(fs) {
					t.Errorf("round %d: %d findings posted, want %d", round, len(got), len(fs))
				}
				for id, k := range got {
					if k != 1 {
						t.Errorf("round %d: finding %s posted %d times", round, id, k)
					}
				}
				posted := 0
				for _, r := range reps {
					posted += len(r.Posted)
				}
				if posted != len(fs) {
					t.Errorf("round %d: reports say %d posted, want %d", round, posted, len(fs))
				}
			}
		})
	}
}

func TestSuppression(t *testing.T) {
	c := newClock(t0)
	s := startSlack(t, c)
	st := stores(t)["dir"](t)
	// Same kind, principal and resource; different evidence, so different ids.
	same := func(id string) finding.Finding {
		f := mkFinding(1, "high")
		f.ID = id
		return f
	}
	steps := []struct {
		advance    time.Duration
		in         []finding.Finding
		wantPosted []string
		wantSupp   int
		wantNote   string // in the posted message
	}{
		{0, []finding.Finding{same("a")}, []string{"a"}, 0, ""},
		{time.Hour, []finding.Finding{same("a"), same("b")}, nil, 1, ""},
		{time.Hour, []finding.Finding{same("c")}, nil, 1, ""},
		{time.Hour, []finding.Finding{same("c")}, nil, 0, ""}, // c is done: not counted twice
		{23 * time.Hour, []finding.Finding{same("d"), mkFinding(2, "high")}, []string{"d", "f0002"}, 0, "2 repeat(s) of this finding"},
		{time.Hour, []finding.Finding{same("a"), same("d")}, nil, 0, ""},
	}
	for i, step := range steps {
		c.Advance(step.advance)
		before := len(s.Posts())
		rep, err := newAlerter(s, st, c).Run(context.Background(), step.in)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if strings.Join(rep.Posted, ",") != strings.Join(step.wantPosted, ",") || len(rep.Suppressed) != step.wantSupp {
			t.Errorf("step %d: posted %v suppressed %v, want %v and %d", i, rep.Posted, rep.Suppressed, step.wantPosted, step.wantSupp)
		}
		newPosts := s.Posts()[before:]
		if len(newPosts) != len(step.wantPosted) {
			t.Errorf("step %d: %d messages, want %d", i, len(newPosts), len(step.wantPosted))
		}
		if step.wantNote != "" && (len(newPosts) == 0 || !strings.Contains(string(newPosts[0].Blocks), step.wantNote)) {
			t.Errorf("step %d: first message does not mention %q", i, step.wantNote)
		}
		for _, p := range newPosts {
			if p.findingID() == "f0002" && strings.Contains(string(p.Blocks), "suppressed") {
				t.Errorf("step %d: unrelated finding mentions suppression", i)
			}
		}
	}
	if r := readRecord(t, st, "b"); r.State != alert.StateSuppressed || r.SuppressedBy != "a" {
		t.Errorf("record b %+v", r)
	}
}

func TestWebhookMode(t *testing.T) {
	tests := []struct {
		name      string
		n         int
		fail      []failure
		wantPosts int
		wantSleep []time.Duration
	}{
		{"one per finding", 2, nil, 2, nil},
		{"summary then each finding, unthreaded", 7, nil, 8, nil},
		{"429 retried", 1, []failure{{status: 429, retryAfter: "4"}}, 1, []time.Duration{4 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock(t0)
			s := startSlack(t, c)
			s.failNext(tt.fail...)
			a := newAlerter(s, stores(t)["dir"](t), c)
			a.Slack, a.Channel = nil, ""
			a.Webhook = &alert.Webhook{URL: s.webhookURL()}
			rep, err := a.Run(context.Background(), findings(tt.n))
			if err != nil {
				t.Fatal(err)
			}
			s.mu.Lock()
			got := s.webhooks
			s.mu.Unlock()
			if len(got) != tt.wantPosts || len(rep.Posted) != tt.n {
				t.Fatalf("%d webhook posts, %d reported; want %d, %d", len(got), len(rep.Posted), tt.wantPosts, tt.n)
			}
			for _, m := range got {
				if m.ThreadTimestamp != "" || m.Blocks == nil || len(m.Blocks.BlockSet) == 0 {
					t.Errorf("webhook message %+v", m)
				}
			}
			if !equalDurations(c.Slept(), tt.wantSleep) {
				t.Errorf("slept %v, want %v", c.Slept(), tt.wantSleep)
			}
			// A second run posts nothing.
			if rep, err := a.Run(context.Background(), findings(tt.n)); err != nil || len(rep.Posted) != 0 {
				t.Errorf("second run: %v %+v", err, rep)
			}
		})
	}
}

func TestWebhookErrorHidesURL(t *testing.T) {
	c := newClock(t0)
	s := startSlack(t, c)
	u := s.webhookURL()
	s.Stop() // connection refused
	a := newAlerter(s, stores(t)["dir"](t), c)
	a.Slack, a.Channel, a.Retry.MaxAttempts = nil, "", 1
	a.Webhook = &alert.Webhook{URL: u}
	_, err := a.Run(context.Background(), findings(1))
	if err == nil {
		t.Fatal("no error from a dead webhook")
	}
	rec := readRecord(t, a.Store, "f0001")
	for _, msg := range []string{err.Error(), rec.LastError} {
		if strings.Contains(msg, "secretpart") {
			t.Errorf("error carries the webhook URL: %s", msg)
		}
	}
	if !strings.Contains(rec.LastError, "webhook URL") {
		t.Errorf("last error %q does not say what failed", rec.LastError)
	}
}

// TestDefaultSlacktestServer posts through slacktest's own handlers, which
// decode the blocks as Slack's client types.
func TestDefaultSlacktestServer(t *testing.T) {
	srv := slacktestServer(t)
	c := newClock(t0)
	a := newAlerter(startSlack(t, c), stores(t)["dir"](t), c)
	a.Slack = srv
	rep, err := a.Run(context.Background(), findings(2))
	if err != nil || len(rep.Posted) != 2 {
		t.Fatalf("err %v report %+v", err, rep)
	}
}

// TestEscalation: a repeat is the same thing happening again (same kind,
// principal, resource, calls and change, no higher severity) and is
// suppressed; a higher severity, another call or another change is news:
// posted, in the thread of the earlier message (and to the channel), and
// saying what it escalates.
func TestEscalation(t *testing.T) {
	const key = "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	mk := func(id, kind, sev string, events []string, reason string) finding.Finding {
		f := mkFinding(1, sev)
		f.ID, f.Kind, f.Resource, f.EventNames, f.Reason = id, kind, key, events, reason
		f.Title = strings.Join(events, ", ") + " by app-1"
		return f
	}
	const (
		adminOnly = "arn:aws:iam::111122223333:role/app-1 replaced the policy on " + key + "; it allows arn:aws:iam::111122223333:role/admin that the previous policy did not."
		outsider  = "arn:aws:iam::111122223333:role/app-1 created a grant for Decrypt on " + key + "; it allows arn:aws:iam::999988887777:root; this opens it to account 999988887777 outside the known accounts."
		another   = "arn:aws:iam::111122223333:role/app-1 replaced the policy on " + key + "; it allows arn:aws:iam::111122223333:role/admin, arn:aws:iam::111122223333:role/ops that the previous policy did not."
	)
	type step struct {
		advance    time.Duration
		in         []finding.Finding
		wantPosted []string
		wantSupp   []string
		// wantThread maps a posted id to the id whose message thread it
		// must be in ("" for the top level).
		wantThread map[string]string
		wantNote   map[string][]string // texts the posted message must carry
	}
	tests := []struct {
		name    string
		webhook bool
		steps   []step
	}{
		{"destructive calls escalate", false, []step{
			{0, []finding.Finding{mk("disable", finding.KindDestructive, "high", []string{"DisableKey"}, "r")}, []string{"disable"}, nil,
				map[string]string{"disable": ""}, nil},
			{time.Hour, []finding.Finding{mk("schedule", finding.KindDestructive, "critical", []string{"ScheduleKeyDeletion"}, "r")}, []string{"schedule"}, nil,
				map[string]string{"schedule": "disable"}, map[string][]string{"schedule": {"Escalates finding `disable`", "HIGH → CRITICAL", "new calls `ScheduleKeyDeletion`"}}},
			{time.Hour, []finding.Finding{
				mk("schedule-again", finding.KindDestructive, "critical", []string{"ScheduleKeyDeletion"}, "r"),
				mk("schedule-lower", finding.KindDestructive, "high", []string{"ScheduleKeyDeletion"}, "r"),
				mk("disable-again", finding.KindDestructive, "high", []string{"DisableKey"}, "r"),
			}, nil, []string{"schedule-again", "disable-again", "schedule-lower"}, nil, nil},
		}},
		{"a grant to an outside account after a policy change", false, []step{
			{0, []finding.Finding{mk("policy", finding.KindPolicyChange, "medium", []string{"PutKeyPolicy"}, adminOnly)}, []string{"policy"}, nil, nil, nil},
			{time.Hour, []finding.Finding{mk("grant", finding.KindPolicyChange, "high", []string{"CreateGrant"}, outsider)}, []string{"grant"}, nil,
				map[string]string{"grant": "policy"}, map[string][]string{"grant": {"Escalates finding `policy`", "new calls `CreateGrant`"}}},
			{time.Hour, []finding.Finding{mk("policy-again", finding.KindPolicyChange, "medium", []string{"PutKeyPolicy"}, adminOnly)}, nil, []string{"policy-again"}, nil, nil},
			// The same call adding another principal is another change.
			{time.Hour, []finding.Finding{mk("policy-ops", finding.KindPolicyChange, "medium", []string{"PutKeyPolicy"}, another)}, []string{"policy-ops"}, nil,
				map[string]string{"policy-ops": "policy"}, map[string][]string{"policy-ops": {"Escalates finding `grant`", "another change"}}},
		}},
		{"the same calls at a higher severity", false, []step{
			{0, []finding.Finding{mk("read", finding.KindOffHours, "medium", []string{"GetSecretValue"}, "r1")}, []string{"read"}, nil, nil, nil},
			{time.Hour, []finding.Finding{mk("read-high", finding.KindOffHours, "high", []string{"GetSecretValue"}, "r2")}, []string{"read-high"}, nil,
				map[string]string{"read-high": "read"}, map[string][]string{"read-high": {"MEDIUM → HIGH"}}},
			{time.Hour, []finding.Finding{mk("read-medium", finding.KindOffHours, "medium", []string{"GetSecretValue"}, "r3")}, nil, []string{"read-medium"}, nil, nil},
		}},
		{"both in one run", false, []step{
			{0, []finding.Finding{
				mk("disable", finding.KindDestructive, "high", []string{"DisableKey"}, "r"),
				mk("schedule", finding.KindDestructive, "critical", []string{"ScheduleKeyDeletion"}, "r"),
			}, []string{"schedule", "disable"}, nil, map[string]string{"schedule": "", "disable": "schedule"},
				map[string][]string{"disable": {"Escalates finding `schedule`", "new calls `DisableKey`"}}},
		}},
		{"webhook posts escalations unthreaded", true, []step{
			{0, []finding.Finding{mk("disable", finding.KindDestructive, "high", []string{"DisableKey"}, "r")}, []string{"disable"}, nil, nil, nil},
			{time.Hour, []finding.Finding{mk("schedule", finding.KindDestructive, "critical", []string{"ScheduleKeyDeletion"}, "r")}, []string{"schedule"}, nil,
				nil, map[string][]string{"schedule": {"Escalates finding `disable`"}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock(t0)
			s := startSlack(t, c)
			st := stores(t)["dir"](t)
			ts := map[string]post{}
			hooks := 0
			for i, step := range tt.steps {
				c.Advance(step.advance)
				a := newAlerter(s, st, c)
				if tt.webhook {
					a.Slack, a.Channel = nil, ""
					a.Webhook = &alert.Webhook{URL: s.webhookURL()}
				}
				before := len(s.Posts())
				rep, err := a.Run(context.Background(), step.in)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if strings.Join(rep.Posted, ",") != strings.Join(step.wantPosted, ",") || strings.Join(rep.Suppressed, ",") != strings.Join(step.wantSupp, ",") {
					t.Errorf("step %d: posted %v suppressed %v, want %v and %v", i, rep.Posted, rep.Suppressed, step.wantPosted, step.wantSupp)
				}
				texts := map[string]string{}
				if tt.webhook {
					s.mu.Lock()
					for _, m := range s.webhooks[hooks:] {
						raw, _ := json.Marshal(m.Blocks.BlockSet)
						for _, id := range step.wantPosted {
							if strings.Contains(string(raw), "finding `"+id+"`") {
								texts[id] = string(raw)
							}
						}
					}
					hooks = len(s.webhooks)
					s.mu.Unlock()
				}
				for _, p := range s.Posts()[before:] {
					ts[p.findingID()] = p
					texts[p.findingID()] = string(p.Blocks)
				}
				for id, parent := range step.wantThread {
					p := ts[id]
					want, broadcast := "", ""
					if parent != "" {
						want, broadcast = ts[parent].TS, "true"
					}
					if p.ThreadTS != want || p.Form.Get("reply_broadcast") != broadcast {
						t.Errorf("step %d: %s in thread %q (broadcast %q), want %q (%q)", i, id, p.ThreadTS, p.Form.Get("reply_broadcast"), want, broadcast)
					}
					if parent != "" {
						if r := readRecord(t, st, id); r.ThreadTS != want {
							t.Errorf("step %d: record of %s has thread %q, want %q", i, id, r.ThreadTS, want)
						}
					}
				}
				for id, notes := range step.wantNote {
					for _, n := range notes {
						if !strings.Contains(texts[id], n) {
							t.Errorf("step %d: message of %s lacks %q: %s", i, id, n, texts[id])
						}
					}
				}
				for _, id := range step.wantPosted {
					if _, noted := step.wantNote[id]; !noted && strings.Contains(texts[id], "Escalates") {
						t.Errorf("step %d: %s says it escalates: %s", i, id, texts[id])
					}
				}
			}
		})
	}
}

// TestGrownFinding: the detector gives a finding the same id while it
// grows within its hour (a principal's destructive calls, the fast path's
// copy and then the schedule's). What the grown finding adds is posted,
// once, in the thread of the first message; a copy that adds nothing to
// what was posted is not.
func TestGrownFinding(t *testing.T) {
	const key = "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	const key2 = "arn:aws:kms:eu-central-1:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890ab"
	mk := func(sev string, events []string, resources ...string) finding.Finding {
		f := mkFinding(1, sev)
		f.ID, f.Kind, f.Resource, f.Resources, f.EventNames = "x", finding.KindDestructive, key, resources, events
		f.Title = strings.Join(events, ", ") + " by app-1"
		return f
	}
	c := newClock(t0)
	s := startSlack(t, c)
	st := stores(t)["dir"](t)
	run := func(fs ...finding.Finding) alert.Report {
		t.Helper()
		c.Advance(5 * time.Minute)
		rep, err := newAlerter(s, st, c).Run(context.Background(), fs)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := run(mk("high", []string{"DisableKey"}, key)); strings.Join(rep.Posted, ",") != "x" {
		t.Fatalf("first post: %v", rep.Posted)
	}
	first := s.Posts()[len(s.Posts())-1]
	// The fast path's copy of the next part: only the new call, critical.
	rep := run(mk("critical", []string{"ScheduleKeyDeletion"}, key2))
	if len(rep.Posted) != 1 || !strings.HasPrefix(rep.Posted[0], "x~") {
		t.Fatalf("the grown finding was not posted: posted %v, already posted %d", rep.Posted, rep.AlreadyPosted)
	}
	upd := s.Posts()[len(s.Posts())-1]
	if upd.ThreadTS != first.TS {
		t.Errorf("update in thread %q, want the first message's %q", upd.ThreadTS, first.TS)
	}
	for _, n := range []string{"Escalates finding `x`", "HIGH → CRITICAL", "new calls `ScheduleKeyDeletion`"} {
		if !strings.Contains(string(upd.Blocks), n) {
			t.Errorf("update lacks %q: %s", n, upd.Blocks)
		}
	}
	// The schedule's copy (both calls, both keys) and the fast copy again
	// add nothing to what was posted; so does the first version.
	n := len(s.Posts())
	rep = run(mk("critical", []string{"DisableKey", "ScheduleKeyDeletion"}, key, key2), mk("critical", []string{"ScheduleKeyDeletion"}, key2))
	if len(rep.Posted) != 0 || len(s.Posts()) != n {
		t.Errorf("a copy that adds nothing was posted: %v", rep.Posted)
	}
	if rep := run(mk("high", []string{"DisableKey"}, key)); len(rep.Posted) != 0 {
		t.Errorf("the first version was posted again: %v", rep.Posted)
	}
	// Another call later in the hour is news again.
	if rep := run(mk("critical", []string{"DisableKey", "ScheduleKeyDeletion", "DeleteAlias"}, key, key2)); len(rep.Posted) != 1 {
		t.Errorf("a third call was not posted: %v", rep.Posted)
	}
}

// TestEscalationCrash: an escalation posted in an earlier message's thread
// by a run that died before recording it is found there by the next run,
// not posted again.
func TestEscalationCrash(t *testing.T) {
	c := newClock(t0)
	s := startSlack(t, c)
	st := stores(t)["dir"](t)
	first, second := mkFinding(1, "high"), mkFinding(1, "critical")
	first.ID, second.ID = "disable", "schedule"
	first.Kind, second.Kind = finding.KindDestructive, finding.KindDestructive
	first.EventNames, second.EventNames = []string{"DisableKey"}, []string{"ScheduleKeyDeletion"}
	if rep, err := newAlerter(s, st, c).Run(context.Background(), []finding.Finding{first}); err != nil || len(rep.Posted) != 1 {
		t.Fatalf("first run: %v %+v", err, rep)
	}
	c.Advance(time.Hour)
	if _, err := newAlerter(s, crashingStore{st}, c).Run(context.Background(), []finding.Finding{second}); err != nil {
		t.Fatal(err)
	}
	ps := s.Posts()
	if len(ps) != 2 || ps[1].ThreadTS != ps[0].TS {
		t.Fatalf("escalation not in the first message's thread: %+v", ps)
	}
	c.Advance(alert.DefaultLease + time.Minute)
	rep, err := newAlerter(s, st, c).Run(context.Background(), []finding.Finding{first, second})
	if err != nil || len(rep.Recovered) != 1 || len(rep.Posted) != 0 {
		t.Fatalf("run after the crash: %v %+v", err, rep)
	}
	if n := len(s.Posts()); n != 2 {
		t.Errorf("%d posts, want 2 (no repost)", n)
	}
	if r := readRecord(t, st, "schedule"); r.State != alert.StatePosted || r.TS != ps[1].TS || r.ThreadTS != ps[0].TS {
		t.Errorf("record %+v", r)
	}
}
