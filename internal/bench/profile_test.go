package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestCounts(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int // nil: an error
	}{
		{"1000,40", []int{1000, 40}},
		{" 1 , 2 ,", []int{1, 2}},
		{"1,0", nil},
		{"1,two", nil},
		{"-3", nil},
		{"", nil},
		{" , ", nil},
	} {
		got, err := Counts(tc.in)
		if tc.want == nil {
			if err == nil {
				t.Errorf("Counts(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("Counts(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestStartCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	stop, err := StartCPUProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Errorf("profile %v, %v: want a written file", st, err)
	}
	if _, err := StartCPUProfile(filepath.Join(t.TempDir(), "no", "such", "dir", "cpu.pprof")); err == nil {
		t.Error("a profile in a missing folder started")
	}
}
