package event

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestSort(t *testing.T) {
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	// Whole and fractional seconds, either side of 1970.
	times := []time.Time{base, base.Add(time.Second), base.Add(1500 * time.Millisecond),
		base.Add(-time.Millisecond), time.Unix(-2, 0).UTC(), time.Unix(-2, 5e8).UTC(), time.Unix(-1, 0).UTC()}
	for _, n := range []int{0, 1, 2, 3, 10, 257, 5000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(n), 7))
			rows := make([]Event, n)
			for i := range rows {
				// Few distinct times and ids, so the later keys decide too.
				rows[i] = Event{
					EventTime:    times[rng.IntN(len(times))],
					EventID:      fmt.Sprint(rng.IntN(3)),
					SourceObject: fmt.Sprint(rng.IntN(2)),
					SourceIndex:  int64(i),
					EventName:    fmt.Sprint("row", i),
				}
			}
			want := slices.Clone(rows)
			slices.SortStableFunc(want, Compare)
			Sort(rows)
			if !IsSorted(rows) {
				t.Fatal("not sorted")
			}
			for i := range rows {
				if rows[i].EventName != want[i].EventName {
					t.Fatalf("row %d is %s, want %s", i, rows[i].EventName, want[i].EventName)
				}
			}
		})
	}
}

func TestSortClustered(t *testing.T) {
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{0, 1, 2, 3, 10, 257, 5000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(n), 9))
			rows := make([]Event, n)
			for i := range rows {
				rows[i] = Event{
					PrincipalARN: fmt.Sprint("p", rng.IntN(4)),
					ResourceARN:  fmt.Sprint("r", rng.IntN(3)),
					EventTime:    base.Add(time.Duration(rng.IntN(5)) * time.Second),
					EventID:      fmt.Sprint(rng.IntN(3)),
					SourceIndex:  int64(i),
					EventName:    fmt.Sprint("row", i),
				}
			}
			want := slices.Clone(rows)
			slices.SortStableFunc(want, CompareClustered)
			SortClustered(rows)
			for i := range rows {
				if rows[i].EventName != want[i].EventName {
					t.Fatalf("row %d is %s, want %s", i, rows[i].EventName, want[i].EventName)
				}
			}
			for i := 1; i < len(rows); i++ {
				a, b := rows[i-1], rows[i]
				if a.PrincipalARN > b.PrincipalARN || a.PrincipalARN == b.PrincipalARN && a.ResourceARN > b.ResourceARN {
					t.Fatalf("rows %d, %d: (%s, %s) before (%s, %s)", i-1, i, a.PrincipalARN, a.ResourceARN, b.PrincipalARN, b.ResourceARN)
				}
			}
		})
	}
}
