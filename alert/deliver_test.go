package alert_test

import (
	"context"
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
		{23 * time.Hour, []finding.Finding{same("d"), mkFinding(2, "high")}, []string{"d", "f0002"}, 0, "2 similar finding(s)"},
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
