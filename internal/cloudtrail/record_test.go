package cloudtrail

import (
	"testing"
	"time"
)

func TestVersionCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.10", "1.9", 1},
		{"1.08", "1.8", 0},
		{"1.08", "1.11", -1},
		{"2.0", "1.99", 1},
		{"1.02", "1.02", 0},
	}
	for _, tt := range tests {
		a, err := ParseVersion(tt.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ParseVersion(tt.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Compare(b); got != tt.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	for _, bad := range []string{"", "1", "1.x", "a.1", "-1.2"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) accepted", bad)
		}
	}
}

func TestRecordTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2024-07-31T12:29:17Z", time.Date(2024, 7, 31, 12, 29, 17, 0, time.UTC), true},
		{"2024-07-31T14:29:17+02:00", time.Date(2024, 7, 31, 12, 29, 17, 0, time.UTC), true},
		{"2024-07-31T12:29:17.123Z", time.Date(2024, 7, 31, 12, 29, 17, 123e6, time.UTC), true},
		{"2024-10-17 21:48:45.000000000", time.Date(2024, 10, 17, 21, 48, 45, 0, time.UTC), true},
		{"2022-10-20 14:16:43", time.Date(2022, 10, 20, 14, 16, 43, 0, time.UTC), true},
		{"redacted", time.Time{}, false},
		{"", time.Time{}, false},
	}
	for _, tt := range tests {
		r := Record{EventTime: tt.in}
		got, err := r.Time()
		if (err == nil) != tt.ok {
			t.Errorf("Time(%q) err = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && (!got.Equal(tt.want) || got.Location() != time.UTC) {
			t.Errorf("Time(%q) = %v, want %v UTC", tt.in, got, tt.want)
		}
	}
}

func TestResourceArnSpellings(t *testing.T) {
	for _, tt := range []Resource{
		{ARN: "arn:aws:kms:us-east-1:1:key/a"},
		{ARNLower: "arn:aws:kms:us-east-1:1:key/a"},
		{ARNOdd: "arn:aws:kms:us-east-1:1:key/a"},
	} {
		if got := tt.Arn(); got != "arn:aws:kms:us-east-1:1:key/a" {
			t.Errorf("Arn() = %q", got)
		}
	}
}
