package detect

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/lake"
)

// The default window follows the latest event day up to tomorrow, never
// past it: a day partition dated 9999 (a lake written before ingest
// quarantined such times) does not move it, and is reported.
func TestWindowIgnoresFutureDays(t *testing.T) {
	now := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		days   []string
		to     string // the window's end, "" for an error
		future []string
		err    string
	}{
		{"past days", []string{"2026-06-01", "2026-06-02"}, "2026-06-03", nil, ""},
		{"a far future day", []string{"2026-06-01", "2026-06-02", "9999-12-31"}, "2026-06-03", []string{"9999-12-31"}, ""},
		{"tomorrow counts", []string{"2026-12-03", "2026-12-04", "2027-01-01"}, "2026-12-04", []string{"2026-12-04", "2027-01-01"}, ""},
		{"only future days", []string{"9999-12-31"}, "", []string{"9999-12-31"}, "only after tomorrow"},
		{"no events", nil, "", nil, "holds no events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to, future, err := Window(tt.days, "", "", now)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want one mentioning %q", err, tt.err)
				}
			} else if err != nil || lake.Day(to) != tt.to || !to.Equal(from.Add(24*time.Hour)) {
				t.Fatalf("window %v – %v (%v), want the day before %s", from, to, err, tt.to)
			}
			if !slices.Equal(future, tt.future) {
				t.Errorf("future days %v, want %v", future, tt.future)
			}
		})
	}
}

// --from and --to, given, win over the lake's days and are checked.
func TestWindowFlags(t *testing.T) {
	now := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)
	tests := []struct {
		from, to string
		want     string // "from to" in RFC 3339, or an error substring
	}{
		{"", "2026-06-10", "2026-06-09T00:00:00Z 2026-06-10T00:00:00Z"},
		{"2026-06-01T12:00:00+02:00", "", "2026-06-01T10:00:00Z 2026-06-03T00:00:00Z"},
		{"2026-05-01", "2026-05-08T06:30:00Z", "2026-05-01T00:00:00Z 2026-05-08T06:30:00Z"},
		{"", "tomorrow", `--to: "tomorrow" is not RFC 3339 or YYYY-MM-DD`},
		{"06/01/2026", "", `--from: "06/01/2026" is not RFC 3339`},
		{"2026-06-03", "", "is not before --to"},
		{"2026-05-08", "2026-05-08", "is not before --to"},
	}
	for _, tt := range tests {
		from, to, _, err := Window([]string{"2026-06-01", "2026-06-02"}, tt.from, tt.to, now)
		got := fmt.Sprintf("%s %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("Window(%q, %q) = %s, want %s", tt.from, tt.to, got, tt.want)
		}
	}
}
