package detect

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
)

// synthOrg generates a small organisation's events over days from start:
// workloads with daily rhythms, people in business hours, and a few
// incidents (off-hours reads, an enumeration, a burst, a deletion), each
// event with a delivery delay (some late by up to an hour).
type synthEvent struct {
	event.Event
	delivered time.Time
}

func synthOrg(start time.Time, days int, seed uint64) []synthEvent {
	rng := rand.New(rand.NewPCG(seed, 1))
	acct := "111111111111"
	secret := func(i int) string {
		return fmt.Sprintf("arn:aws:secretsmanager:ap-northeast-1:%s:secret:app/s%02d", acct, i)
	}
	var out []synthEvent
	n := 0
	add := func(t time.Time, name, principal, kind, res, errCode string) {
		n++
		delay := time.Duration(2+rng.IntN(10)) * time.Minute
		if rng.IntN(20) == 0 {
			delay += time.Duration(rng.IntN(60)) * time.Minute
		}
		e := event.Event{
			EventID: fmt.Sprintf("ev-%06d", n), EventTime: t.UTC(), EventSource: sourceSM, EventName: name,
			PrincipalARN: principal, CallerKind: kind, PrincipalAccount: acct, ResourceARN: res,
			ResourceARNs: []string{res}, ResourceAccount: acct, RecipientAcct: acct, ErrorCode: errCode, Failed: errCode != "",
			SessionName: "s" + fmt.Sprint(rng.IntN(3)), AWSRegion: "ap-northeast-1",
		}
		out = append(out, synthEvent{e, t.Add(delay)})
		if rng.IntN(50) == 0 { // CloudTrail repeats an event
			out = append(out, synthEvent{e, t.Add(delay + 5*time.Minute)})
		}
	}
	role := func(s string) string { return "arn:aws:iam::" + acct + ":role/" + s }
	for d := range days {
		day := start.AddDate(0, 0, d)
		for w := range 6 { // workloads: every hour, own secrets
			for h := range 24 {
				for range 2 + rng.IntN(3) {
					add(day.Add(time.Duration(h)*time.Hour+time.Duration(rng.IntN(3600))*time.Second), "GetSecretValue", role(fmt.Sprintf("svc%d", w)), event.CallerWorkload, secret(w*2+rng.IntN(2)), "")
				}
			}
		}
		for h := range 3 { // nightly batch at 01:00-03:00 UTC
			add(day.Add(time.Duration(1+h)*time.Hour+17*time.Minute), "GetSecretValue", role("batch"), event.CallerWorkload, secret(15), "")
		}
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday { // people, 01:00-08:00 UTC = 10:00-17:00 JST
			for p := range 3 {
				for range 4 {
					add(day.Add(time.Duration(1+rng.IntN(7))*time.Hour+time.Duration(rng.IntN(3600))*time.Second), "GetSecretValue", role(fmt.Sprintf("AWSReservedSSO_dev%d", p)), event.CallerPerson, secret(20+p), "")
				}
			}
		}
		if d >= days-2 { // incidents in the last two days
			h := day.Add(time.Duration(10+d%5) * time.Hour)
			add(h.Add(3*time.Minute), "GetSecretValue", role("AWSReservedSSO_dev1"), event.CallerPerson, secret(21), "")
			for i := range 7 {
				add(h.Add(20*time.Minute+time.Duration(i)*time.Second), "GetSecretValue", role("svc2"), event.CallerWorkload, secret(30+i), "AccessDeniedException")
			}
			for i := range 80 {
				add(h.Add(40*time.Minute+time.Duration(i)*time.Second), "GetSecretValue", role("svc3"), event.CallerWorkload, secret(6), "")
			}
			add(h.Add(50*time.Minute), "DeleteSecret", role("AWSReservedSSO_dev0"), event.CallerPerson, secret(20), "")
		}
	}
	return out
}

// deliver writes the events delivered in [from, to) as one object per
// event day, the way ingest adds files to the lake.
func deliver(t *testing.T, st *lake.Dir, evs []synthEvent, from, to time.Time) {
	t.Helper()
	byDay := map[string][]event.Event{}
	for _, e := range evs {
		if !e.delivered.Before(from) && e.delivered.Before(to) {
			byDay[e.Day()] = append(byDay[e.Day()], e.Event)
		}
	}
	for day, rows := range byDay {
		event.Sort(rows)
		var buf bytes.Buffer
		if err := event.WriteParquet(&buf, rows); err != nil {
			t.Fatal(err)
		}
		name := "d-" + from.UTC().Format("20060102T1504")
		if err := st.Put(context.Background(), lake.EventKey(day, name), &buf); err != nil {
			t.Fatal(err)
		}
	}
}

func testConfig(t *testing.T) *Config {
	t.Helper()
	cfg, err := LoadConfig([]byte("timezone: Asia/Tokyo\nholidays: [2025-03-20]\n"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestScheduledEqualsReplay runs the scheduled path every 15 minutes over a
// day with late and repeated deliveries, then replays the same period in one
// run: both must name the same findings, and the lake's findings table must
// hold each of them once.
func TestScheduledEqualsReplay(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	const days = 10
	evs := synthOrg(start, days, 7)
	st, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	schedStart := start.AddDate(0, 0, days-2).Add(12 * time.Hour)
	deliver(t, st, evs, time.Time{}, schedStart) // history, already in the lake

	cfg := testConfig(t)
	clock := schedStart
	runner := &Runner{Store: st, Detector: &Detector{Config: cfg, Now: func() time.Time { return clock }}}
	sched := &Schedule{Runner: runner, Now: func() time.Time { return clock }}
	wm := []byte(`{"processed_to":"` + schedStart.Add(-30*time.Minute).Format(time.RFC3339) + `"}`)
	if err := st.Put(ctx, WatermarkKey, bytes.NewReader(wm)); err != nil {
		t.Fatal(err)
	}

	scheduled := map[string]finding.Finding{}
	var firstFrom, lastTo time.Time
	newCount := map[string]int{}
	for ; clock.Before(schedStart.Add(30 * time.Hour)); clock = clock.Add(15 * time.Minute) {
		deliver(t, st, evs, clock.Add(-15*time.Minute), clock)
		res, err := sched.Run(ctx)
		if err != nil {
			t.Fatalf("run at %s: %v", clock, err)
		}
		if !res.Advanced {
			t.Fatalf("run at %s did not advance the watermark", clock)
		}
		if firstFrom.IsZero() {
			firstFrom = res.From
		}
		lastTo = res.To
		for _, f := range res.Findings {
			scheduled[f.ID] = f
		}
		for _, id := range res.New {
			newCount[id]++
		}
	}
	if len(scheduled) < 5 {
		t.Fatalf("only %d findings from the scheduled runs; the period has incidents", len(scheduled))
	}
	for id, n := range newCount {
		if n != 1 {
			t.Errorf("finding %s reported new %d times", id, n)
		}
	}
	if len(newCount) != len(scheduled) {
		t.Errorf("%d findings reported new, %d found", len(newCount), len(scheduled))
	}

	replay, err := runner.Run(ctx, firstFrom, lastTo)
	if err != nil {
		t.Fatal(err)
	}
	var a, b []string
	for id := range scheduled {
		a = append(a, id)
	}
	for _, f := range replay {
		b = append(b, f.ID)
		if s, ok := scheduled[f.ID]; ok && s.Kind != f.Kind {
			t.Errorf("id %s: kind %s scheduled, %s replayed", f.ID, s.Kind, f.Kind)
		}
	}
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Errorf("scheduled ids %v\nreplay ids %v", a, b)
	}
	kinds := map[string]int{}
	for _, f := range replay {
		kinds[f.Kind]++
	}
	for _, k := range []string{finding.KindFailedAccess, finding.KindDestructive, finding.KindFrequency, finding.KindOffHours} {
		if kinds[k] == 0 {
			t.Errorf("no %s finding in the replay: %v", k, kinds)
		}
	}

	// The findings table holds each finding once.
	objs, err := st.List(ctx, lake.FindingsPrefix)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	for _, o := range objs {
		if !strings.HasPrefix(o.Key[len(lake.FindingsPrefix):], "day="+lake.Day(firstFrom)) && o.Key < lake.FindingKey(lake.Day(firstFrom), "") {
			continue
		}
		data, err := runner.get(ctx, o.Key)
		if err != nil {
			t.Fatal(err)
		}
		fs, err := finding.ReadParquet(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			stored[f.ID]++
			if want := FindingsKey(f.Start.Truncate(time.Hour)); want != o.Key {
				t.Errorf("finding %s in %s, want %s", f.ID, o.Key, want)
			}
		}
	}
	for id := range scheduled {
		if stored[id] != 1 {
			t.Errorf("finding %s stored %d times", id, stored[id])
		}
	}
}

// TestWatermarkOneWinner checks that of two runs that read the same
// watermark, only one advances it.
func TestWatermarkOneWinner(t *testing.T) {
	ctx := context.Background()
	st, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 3, 18, 1, 0, 0, 0, time.UTC)
	runner := &Runner{Store: st, Detector: &Detector{Config: testConfig(t), Now: func() time.Time { return now }}}
	s := &Schedule{Runner: runner, Now: func() time.Time { return now }}
	if err := st.Put(ctx, WatermarkKey, strings.NewReader(`{"processed_to":"2025-03-18T00:00:00Z"}`)); err != nil {
		t.Fatal(err)
	}
	_, etag, err := s.watermark(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(ctx)
	if err != nil || !res.Advanced || !res.To.Equal(now.Add(-15*time.Minute)) {
		t.Fatalf("first run: %+v, %v", res, err)
	}
	// A second run that read the old watermark loses the conditional write.
	err = st.PutIfMatch(ctx, WatermarkKey, strings.NewReader(`{}`), etag)
	if err == nil {
		t.Fatal("stale watermark write succeeded")
	}
	// Running again at the same time has nothing to do.
	res, err = s.Run(ctx)
	if err != nil || res.Advanced {
		t.Fatalf("second run: %+v, %v", res, err)
	}
}

// TestAggregateCached checks that a day's aggregate is stored, reused while
// its objects are unchanged and recomputed when they change.
func TestAggregateCached(t *testing.T) {
	ctx := context.Background()
	st, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	evs := synthOrg(start, 1, 3)
	deliver(t, st, evs, time.Time{}, start.Add(12*time.Hour))
	r := &Runner{Store: st, Detector: &Detector{Config: testConfig(t)}}
	a1, err := r.Aggregate(ctx, "2025-03-10")
	if err != nil || a1 == nil {
		t.Fatal(a1, err)
	}
	// Tamper with the stored copy (same fingerprint): it must be reused.
	a1.Pairs = a1.Pairs[:1]
	data, _ := encodeAggregate(a1)
	st.Put(ctx, AggregateKey("2025-03-10"), bytes.NewReader(data))
	a2, _ := r.Aggregate(ctx, "2025-03-10")
	if len(a2.Pairs) != 1 {
		t.Fatalf("stored aggregate not reused: %d pairs", len(a2.Pairs))
	}
	deliver(t, st, evs, start.Add(12*time.Hour), start.Add(48*time.Hour))
	a3, _ := r.Aggregate(ctx, "2025-03-10")
	want := BuildAggregate("2025-03-10", eventsOf(evs))
	if len(a3.Pairs) != len(want.Pairs) || len(a3.Pairs) < 2 {
		t.Fatalf("changed day not recomputed: %d pairs, want %d", len(a3.Pairs), len(want.Pairs))
	}
	if a, _ := r.Aggregate(ctx, "2025-01-01"); a != nil {
		t.Fatal("aggregate for a day without events")
	}
}

func eventsOf(evs []synthEvent) []event.Event {
	out := make([]event.Event, len(evs))
	for i, e := range evs {
		out[i] = e.Event
	}
	return out
}
