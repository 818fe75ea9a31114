package detect

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/lake"
)

// benchWindow is the benchmarks' data: one 15-minute window of 1M events
// and 30 days of aggregates (10k principals, 5k resources, 5 resources per
// principal).
type benchWindow struct {
	from, to   time.Time
	principals []string
	resources  []string
}

const (
	benchEvents     = 1_000_000
	benchPrincipals = 10_000
	benchResources  = 5_000
	benchHistory    = 30
)

func newBenchWindow() *benchWindow {
	from := time.Date(2025, 3, 18, 1, 0, 0, 0, time.UTC) // 10:00 Tokyo
	w := &benchWindow{from: from, to: from.Add(15 * time.Minute)}
	w.principals = make([]string, benchPrincipals)
	for i := range w.principals {
		w.principals[i] = fmt.Sprintf("arn:aws:iam::111111111111:role/app-%05d", i)
	}
	w.resources = make([]string, benchResources)
	for i := range w.resources {
		w.resources[i] = fmt.Sprintf("arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:app/s%05d-AbCdEf", i)
	}
	return w
}

func (w *benchWindow) res(p, j int) int { return (p*7 + j*13) % benchResources }

// aggregate is the d-th day before the window's.
func (w *benchWindow) aggregate(d int) *Aggregate {
	day := w.from.AddDate(0, 0, -d).Format(time.DateOnly)
	ag := &Aggregate{Version: AggregateVersion, Day: day, Pairs: make([]PairHours, 0, benchPrincipals*5)}
	for p := range benchPrincipals {
		for j := range 5 {
			var h [24]uint32
			for k := range h {
				h[k] = uint32(5 + (p+k+j)%7)
			}
			ag.Pairs = append(ag.Pairs, PairHours{Principal: w.principals[p], Resource: w.resources[w.res(p, j)], Hours: h})
		}
	}
	return ag
}

// events returns events [lo, hi) of the window.
func (w *benchWindow) events(lo, hi int) []event.Event {
	evs := make([]event.Event, 0, hi-lo)
	for i := lo; i < hi; i++ {
		p := i % benchPrincipals
		e := event.Event{
			EventID: fmt.Sprintf("%016x-%08d", i*2654435761, i), EventTime: w.from.Add(time.Duration(i) * (15 * time.Minute) / benchEvents),
			EventSource: sourceSM, EventName: "GetSecretValue", CallerKind: event.CallerWorkload,
			PrincipalARN: w.principals[p], PrincipalAccount: "111111111111", SessionName: "i-0abc",
			ResourceARN: w.resources[w.res(p, i/benchPrincipals%5)], ResourceAccount: "111111111111",
			AWSRegion: "ap-northeast-1", SourceIP: "10.0.0.1", UserAgent: "aws-sdk-go-v2",
		}
		e.ResourceARNs = []string{e.ResourceARN}
		evs = append(evs, e)
	}
	return evs
}

func (w *benchWindow) detector(b *testing.B) *Detector {
	cfg, err := LoadConfig([]byte("timezone: Asia/Tokyo\n"))
	if err != nil {
		b.Fatal(err)
	}
	return &Detector{Config: cfg, Now: func() time.Time { return w.to }}
}

// lake writes the window to a lake directory as a run finds it: the
// window's events in Parquet objects of 100k rows, and for each earlier day
// an events object (a stand-in: the aggregate is what is read) and the
// day's stored aggregate, current for it.
func (w *benchWindow) lake(b *testing.B) *lake.Dir {
	ctx := context.Background()
	st, err := lake.NewDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	put := func(key string, rows []event.Event) {
		var buf bytes.Buffer
		if err := event.WriteParquet(&buf, rows); err != nil {
			b.Fatal(err)
		}
		if err := st.Put(ctx, key, &buf); err != nil {
			b.Fatal(err)
		}
	}
	const perObject = 100_000
	for lo := 0; lo < benchEvents; lo += perObject {
		put(lake.EventKey(lake.Day(w.from), fmt.Sprintf("part-%02d", lo/perObject)), w.events(lo, lo+perObject))
	}
	for d := 1; d <= benchHistory; d++ {
		ag := w.aggregate(d)
		stub := w.events(0, 1)
		stub[0].EventTime = w.from.AddDate(0, 0, -d)
		put(lake.EventKey(ag.Day, "part-00"), stub)
		objs, err := st.List(ctx, lake.PartitionPrefix(lake.EventsPrefix, ag.Day))
		if err != nil {
			b.Fatal(err)
		}
		ag.Source = fingerprint(objs)
		data, err := encodeAggregate(ag)
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Put(ctx, AggregateKey(ag.Day), bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	return st
}

// memPeak samples the runtime's memory until stopped and reports the peak
// of the heap's objects (live and not yet swept: what the heap holds) and
// of the memory the runtime has mapped and not released to the OS (heap
// with its fragmentation and free spans, stacks, metadata: the process's
// footprint).
type memPeak struct {
	stop       chan struct{}
	done       sync.WaitGroup
	heap, held uint64
}

var memSamples = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
}

// startMemPeak collects garbage, returns memory to the OS and starts
// sampling every millisecond.
func startMemPeak() *memPeak {
	runtime.GC()
	debug.FreeOSMemory()
	m := &memPeak{stop: make(chan struct{})}
	m.done.Add(1)
	go func() {
		defer m.done.Done()
		s := make([]metrics.Sample, len(memSamples))
		for i, n := range memSamples {
			s[i].Name = n
		}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			m.heap = max(m.heap, s[0].Value.Uint64())
			m.held = max(m.held, s[1].Value.Uint64()-s[2].Value.Uint64())
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *memPeak) report(b *testing.B) {
	close(m.stop)
	m.done.Wait()
	b.ReportMetric(float64(m.heap)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(m.held)/(1<<20), "peak-held-MiB")
}

// BenchmarkDetectWindow is a scheduled run's evaluation: Runner.Run over
// one 15-minute window of 1M events, in Parquet in a lake directory, with
// the 30 days of history as stored aggregates (14 of them the baseline).
// The memory reported is everything the run holds: the aggregates as they
// are decoded, the Parquet objects and rows as they are read, and the
// detector's state.
func BenchmarkDetectWindow(b *testing.B) {
	w := newBenchWindow()
	st := w.lake(b)
	r := &Runner{Store: st, Detector: w.detector(b)}
	mem := startMemPeak()
	b.ResetTimer()
	var n int
	for b.Loop() {
		fs, err := r.Run(context.Background(), w.from, w.to)
		if err != nil {
			b.Fatal(err)
		}
		n = len(fs)
	}
	b.StopTimer()
	mem.report(b)
	b.ReportMetric(float64(benchEvents)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(n), "findings")
}

// BenchmarkDetectSlice is Detect on the same window with the events and
// aggregates held by the caller, as values in memory (the API the tests
// use); input-heap-MiB is what the caller's input holds.
func BenchmarkDetectSlice(b *testing.B) {
	w := newBenchWindow()
	hist := map[string]*Aggregate{}
	for d := 1; d <= benchHistory; d++ {
		ag := w.aggregate(d)
		hist[ag.Day] = ag
	}
	evs := w.events(0, benchEvents)
	d := w.detector(b)
	runtime.GC()
	in := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(in)
	mem := startMemPeak()
	b.ResetTimer()
	var n int
	for b.Loop() {
		fs, err := d.Detect(Input{From: w.from, To: w.to, Events: evs, History: hist})
		if err != nil {
			b.Fatal(err)
		}
		n = len(fs)
	}
	b.StopTimer()
	mem.report(b)
	b.ReportMetric(float64(benchEvents)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(in[0].Value.Uint64())/(1<<20), "input-heap-MiB")
	b.ReportMetric(float64(n), "findings")
}
