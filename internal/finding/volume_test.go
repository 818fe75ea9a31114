package finding

import (
	"reflect"
	"testing"
	"time"
)

// Volume counts per rule and UTC day of the start (not the team's zone),
// shadow findings apart, sorted by rule then day.
func TestVolume(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at := func(day, hour int) time.Time { return time.Date(2026, 6, day, hour, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		in   []Finding
		want []VolumeRow
	}{
		{"none", nil, nil},
		{"per rule and day", []Finding{
			{Kind: KindOffHours, Start: at(2, 3)}, {Kind: KindFrequency, Start: at(1, 9)},
			{Kind: KindOffHours, Start: at(1, 23), Shadow: true}, {Kind: KindOffHours, Start: at(1, 1)},
		}, []VolumeRow{{KindFrequency, "2026-06-01", 1, 0}, {KindOffHours, "2026-06-01", 2, 1}, {KindOffHours, "2026-06-02", 1, 0}}},
		{"UTC day", []Finding{{Kind: KindFirstSeen, Start: time.Date(2026, 6, 2, 0, 30, 0, 0, berlin)}},
			[]VolumeRow{{KindFirstSeen, "2026-06-01", 1, 0}}},
	}
	for _, tt := range tests {
		if got := Volume(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Volume = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
