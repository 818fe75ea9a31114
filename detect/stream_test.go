package detect

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
)

// streamOf is in as a Stream of batches of n events, each batch a buffer
// that is overwritten once add returns (what a Parquet reader does), so a
// detector that kept any part of a batch would see garbage.
func streamOf(in Input, n int) Stream {
	return Stream{
		From: in.From, To: in.To, History: historyOf(in.History),
		Events: func(add func([]event.Event) error) error {
			buf := make([]event.Event, n)
			for evs := in.Events; len(evs) > 0; {
				k := copy(buf, evs)
				evs = evs[k:]
				for i := range buf[:k] {
					buf[i].ResourceARNs = slices.Clone(buf[i].ResourceARNs)
				}
				if err := add(buf[:k]); err != nil {
					return err
				}
				for i := range buf {
					buf[i] = event.Event{EventID: "clobbered", PrincipalARN: "clobbered", ResourceARNs: []string{"clobbered"}}
				}
			}
			return nil
		},
	}
}

// TestHistoryOf: the History that Detect (and streamOf) hand DetectStream
// gives the days oldest first, whatever the map's order, and stops at the
// first error.
func TestHistoryOf(t *testing.T) {
	ag := map[string]*Aggregate{}
	days := []string{"2025-02-28", "2025-03-01", "2025-03-09", "2025-03-10", "2025-12-31", "2026-01-01"}
	for _, day := range days {
		ag[day] = &Aggregate{}
	}
	for range 5 { // map order varies between runs
		var got []string
		err := historyOf(ag)(func(day string, a *Aggregate) error {
			if a != ag[day] {
				t.Errorf("%s: another day's aggregate", day)
			}
			got = append(got, day)
			return nil
		})
		if err != nil || !slices.Equal(got, days) {
			t.Fatalf("days %v (%v), want %v", got, err, days)
		}
	}
	stop := errors.New("stop")
	n := 0
	err := historyOf(ag)(func(string, *Aggregate) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Errorf("after an error: %d calls, %v; want 2, stop", n, err)
	}
}

// checkStreamEqualsDetect runs in through Detect and through DetectStream
// in batches of several sizes: the findings must be identical.
func checkStreamEqualsDetect(t *testing.T, d *Detector, in Input) []finding.Finding {
	t.Helper()
	want, err := d.Detect(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 7, batchSize} {
		got, err := d.DetectStream(streamOf(in, n))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("batches of %d: DetectStream differs from Detect:\n got %+v\nwant %+v", n, got, want)
		}
	}
	return want
}

// TestStreamScenarios: every scenario gives the same findings streamed.
func TestStreamScenarios(t *testing.T) {
	files, _ := filepath.Glob("testdata/scenarios*.yml")
	total := 0
	for _, file := range files {
		sf := loadScenarios(t, file)
		for _, sc := range sf.Scenarios {
			t.Run(filepath.Base(file)+"/"+sc.Name, func(t *testing.T) {
				d, in := scenarioInput(t, sf.Config, sc)
				total += len(checkStreamEqualsDetect(t, d, in))
			})
		}
	}
	if total == 0 {
		t.Fatal("no findings in the scenarios")
	}
}

// runnerInput is the input Runner.Run evaluates for [from, to), read from
// the lake by the Runner's own stream and held in memory.
func runnerInput(t *testing.T, r *Runner, from, to time.Time) Input {
	t.Helper()
	s := r.stream(context.Background(), from, to, nil)
	in := Input{From: s.From, To: s.To, History: map[string]*Aggregate{}}
	if err := s.History(func(day string, ag *Aggregate) error { in.History[day] = ag; return nil }); err != nil {
		t.Fatal(err)
	}
	err := s.Events(func(batch []event.Event) error {
		for _, e := range batch { // the batch is reused: keep copies
			e.ResourceARNs = slices.Clone(e.ResourceARNs)
			in.Events = append(in.Events, e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// checkRunEqualsDetect compares Runner.Run (streaming from the lake) with
// Detect on the same events and aggregates held in memory.
func checkRunEqualsDetect(t *testing.T, r *Runner, from, to time.Time) []finding.Finding {
	t.Helper()
	got, err := r.Run(context.Background(), from, to)
	if err != nil {
		t.Fatal(err)
	}
	in := runnerInput(t, r, from, to)
	want := checkStreamEqualsDetect(t, r.Detector, in)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Runner.Run differs from Detect on the same input:\n got %+v\nwant %+v", got, want)
	}
	return got
}

// TestStreamLake: a run over a lake (repeated events, late deliveries,
// several objects per day) gives the findings Detect gives on its input.
func TestStreamLake(t *testing.T) {
	start := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	const days = 10
	evs := synthOrg(start, days, 7)
	st, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for d := range days + 1 {
		deliver(t, st, evs, start.AddDate(0, 0, d-1), start.AddDate(0, 0, d))
	}
	end := start.AddDate(0, 0, days)
	r := &Runner{Store: st, Detector: &Detector{Config: testConfig(t), Now: func() time.Time { return end }}}
	from, to := end.AddDate(0, 0, -3), end.Add(-90*time.Minute)
	if fs := checkRunEqualsDetect(t, r, from, to); len(fs) == 0 {
		t.Fatal("no findings")
	}
	// The stream Run reads is every event delivered of the window's days
	// up to to, each at least once, and nothing else.
	var want, got []string
	for _, e := range evs {
		if !e.EventTime.Before(DayStart(from)) && e.EventTime.Before(to) && e.delivered.Before(end) {
			want = append(want, e.EventID)
		}
	}
	in := runnerInput(t, r, from, to)
	for _, e := range in.Events {
		got = append(got, e.EventID)
	}
	slices.Sort(want)
	slices.Sort(got)
	if want, got = slices.Compact(want), slices.Compact(got); !slices.Equal(got, want) || len(in.Events) < len(want) {
		t.Errorf("the run's stream holds %d distinct events (%d in all), want the %d delivered of the window", len(got), len(in.Events), len(want))
	}
	if len(in.History) == 0 {
		t.Error("the run's stream has no history")
	}
}
