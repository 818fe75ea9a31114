package detect

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/event"
)

// BenchmarkDetectWindow evaluates one 15-minute window of 1M events with a
// 14-day baseline held as aggregates (10k principals, 5k resources), and
// reports events/s, the peak heap and the part of it that is the input
// (events and aggregates, as a caller holds them).
func BenchmarkDetectWindow(b *testing.B) {
	const (
		nEvents     = 1_000_000
		nPrincipals = 10_000
		nResources  = 5_000
	)
	from := time.Date(2025, 3, 18, 1, 0, 0, 0, time.UTC) // 10:00 Tokyo
	to := from.Add(15 * time.Minute)
	principals := make([]string, nPrincipals)
	for i := range principals {
		principals[i] = fmt.Sprintf("arn:aws:iam::111111111111:role/app-%05d", i)
	}
	resources := make([]string, nResources)
	for i := range resources {
		resources[i] = fmt.Sprintf("arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:app/s%05d-AbCdEf", i)
	}
	res := func(p, j int) int { return (p*7 + j*13) % nResources }
	hist := map[string]*Aggregate{}
	for d := 1; d <= 30; d++ {
		day := from.AddDate(0, 0, -d).Format(time.DateOnly)
		ag := &Aggregate{Version: AggregateVersion, Day: day}
		for p := range nPrincipals {
			for j := range 5 {
				var h [24]uint32
				for k := range h {
					h[k] = uint32(5 + (p+k+j)%7)
				}
				ag.Pairs = append(ag.Pairs, PairHours{Principal: principals[p], Resource: resources[res(p, j)], Hours: h})
			}
		}
		hist[day] = ag
	}
	evs := make([]event.Event, nEvents)
	for i := range evs {
		p := i % nPrincipals
		evs[i] = event.Event{
			EventID: fmt.Sprintf("%016x-%08d", i*2654435761, i), EventTime: from.Add(time.Duration(i) * (15 * time.Minute) / nEvents),
			EventSource: sourceSM, EventName: "GetSecretValue", CallerKind: event.CallerWorkload,
			PrincipalARN: principals[p], PrincipalAccount: "111111111111", SessionName: "i-0abc",
			ResourceARN: resources[res(p, i/nPrincipals%5)], ResourceAccount: "111111111111",
			AWSRegion: "ap-northeast-1", SourceIP: "10.0.0.1", UserAgent: "aws-sdk-go-v2",
		}
		evs[i].ResourceARNs = []string{evs[i].ResourceARN}
	}
	cfg, err := LoadConfig([]byte("timezone: Asia/Tokyo\n"))
	if err != nil {
		b.Fatal(err)
	}
	d := &Detector{Config: cfg, Now: func() time.Time { return to }}

	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	runtime.GC()
	in := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(in)
	b.ResetTimer()
	var n int
	for b.Loop() {
		fs, err := d.Detect(Input{From: from, To: to, Events: evs, History: hist})
		if err != nil {
			b.Fatal(err)
		}
		n = len(fs)
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(nEvents)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(in[0].Value.Uint64())/(1<<20), "input-heap-MiB")
	b.ReportMetric(float64(n), "findings")
}
