package detect

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/keytrail/keytrail/internal/lake"
)

// Window resolves a run's window from the CLI's --from and --to (RFC 3339
// or YYYY-MM-DD, either may be empty) and the lake's event days (sorted,
// as lake.ListDays gives them). The default end is the end of the latest
// event day, which on a local lake is more useful than now; the default
// start is 24 hours before the end.
//
// Days after now's tomorrow are not taken for the latest (ingest
// quarantines such event times, but a lake written before it did, or by
// something else, may hold them): one row dated 9999 must not move the
// window past every real event. Those days are returned, sorted, so the
// caller can say so.
func Window(days []string, fromS, toS string, now time.Time) (from, to time.Time, future []string, err error) {
	if toS != "" {
		if to, err = parseWhen(toS); err != nil {
			return from, to, nil, fmt.Errorf("--to: %w", err)
		}
	} else {
		// days is sorted: the future ones are at its end.
		tomorrow := lake.Day(now.Add(24 * time.Hour))
		n := sort.Search(len(days), func(i int) bool { return days[i] > tomorrow })
		latest := ""
		if n > 0 {
			latest = days[n-1]
		}
		future = days[n:]
		if latest == "" && len(future) > 0 {
			return from, to, future, fmt.Errorf("the lake holds events only after tomorrow (%d days, the first day=%s); give --to", len(future), future[0])
		}
		if latest == "" {
			return from, to, nil, errors.New("the lake holds no events; ingest some first, or give --to")
		}
		day, _ := time.Parse(time.DateOnly, latest)
		to = day.Add(24 * time.Hour)
	}
	if fromS != "" {
		if from, err = parseWhen(fromS); err != nil {
			return from, to, future, fmt.Errorf("--from: %w", err)
		}
	} else {
		from = to.Add(-24 * time.Hour)
	}
	if !from.Before(to) {
		return from, to, future, fmt.Errorf("--from %s is not before --to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return from, to, future, nil
}

func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not RFC 3339 or YYYY-MM-DD", s)
}
