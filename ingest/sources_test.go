package ingest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Sources takes local paths as files or folders and s3:// paths as
// backfills, and refuses a malformed s3:// location; Size lists them once
// without reporting the files passed over.
func TestSourcesAndSize(t *testing.T) {
	since, until := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 3, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		paths []string
		want  []string // each source's String, or the error's text
	}{
		{"local", []string{"a.json.gz", "logs"}, []string{"a.json.gz", "logs"}},
		{"s3", []string{"s3://trail/AWSLogs/", "logs"}, []string{"s3://trail/AWSLogs/", "logs"}},
		{"bad bucket", []string{"logs", "s3://Bad_Bucket/x"}, []string{"s3://Bad_Bucket/x"}},
		{"no bucket", []string{"s3:///x"}, []string{"missing bucket"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srcs, err := Sources(tt.paths, nil, since, until, nil)
			var got []string
			for _, s := range srcs {
				got = append(got, s.String())
				if s3, ok := s.(S3Source); ok && (!s3.Since.Equal(since) || !s3.Until.Equal(until)) {
					t.Errorf("%s: days %v to %v", s3, s3.Since, s3.Until)
				}
			}
			if err != nil {
				got = []string{err.Error()}
				if !strings.Contains(got[0], tt.want[0]) {
					t.Errorf("error %v, want one mentioning %q", err, tt.want[0])
				}
				return
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("sources %v, want %v", got, tt.want)
			}
		})
	}

	dir := t.TempDir()
	writeFile(t, dir+"/a.json", `{"Records":[]}`)
	writeFile(t, dir+"/sub/b.json", `{"Records":[{}]}`)
	writeFile(t, dir+"/notes.txt", "not a log")
	var ignored []string
	srcs, err := Sources([]string{dir}, nil, time.Time{}, time.Time{}, func(p string) { ignored = append(ignored, p) })
	if err != nil {
		t.Fatal(err)
	}
	n, err := Size(t.Context(), srcs)
	if err != nil || n != int64(len(`{"Records":[]}`)+len(`{"Records":[{}]}`)) {
		t.Errorf("Size = %d, %v", n, err)
	}
	if len(ignored) != 0 {
		t.Errorf("Size reported ignored files %v", ignored)
	}
	if _, err := Size(t.Context(), []Source{LocalSource{Path: dir + "/missing"}}); err == nil || !strings.Contains(err.Error(), "list ") {
		t.Errorf("Size of a missing folder: %v", err)
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBackfill(t *testing.T) {
	d := newLake(t)
	day := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	tests := []struct {
		name         string
		concurrency  int
		redo         bool
		since, until time.Time
		want         RunOptions
	}{
		{"defaults", 0, false, time.Time{}, time.Time{}, RunOptions{Concurrency: 8, Resume: true}},
		{"redo", 3, true, day("2026-06-01"), time.Time{}, RunOptions{Concurrency: 3}},
		{"days", 0, false, day("2026-05-31"), day("2026-06-02"), RunOptions{Concurrency: 8, Resume: true, ResumeDays: []string{"2026-05-31", "2026-06-01", "2026-06-02"}}},
	}
	for _, tt := range tests {
		o := RunOptions{Concurrency: tt.concurrency}
		o.Backfill(d, tt.redo, tt.since, tt.until)
		if o.Markers == nil || o.Markers.Store != d {
			t.Errorf("%s: markers %+v, want the lake's", tt.name, o.Markers)
		}
		o.Markers = nil
		if fmt.Sprintf("%+v", o) != fmt.Sprintf("%+v", tt.want) {
			t.Errorf("%s: options %+v, want %+v", tt.name, o, tt.want)
		}
	}
}

func TestDateRange(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, tt := range []struct {
		since, until string
		first, last  time.Time
		err          string
	}{
		{"", "", time.Time{}, time.Time{}, ""},
		{"2026-06-01", "", day("2026-06-01"), time.Time{}, ""},
		{"", "2026-06-30", time.Time{}, day("2026-06-30"), ""},
		{"2026-06-01", "2026-06-01", day("2026-06-01"), day("2026-06-01"), ""},
		{"2026/06/01", "", time.Time{}, time.Time{}, `--since "2026/06/01": want YYYY-MM-DD`},
		{"", "June", time.Time{}, time.Time{}, `--until "June": want YYYY-MM-DD`},
		{"2026-06-30", "2026-06-01", time.Time{}, time.Time{}, "--until 2026-06-01 is before --since 2026-06-30"},
	} {
		first, last, err := DateRange(tt.since, tt.until)
		if got := fmt.Sprint(err); (tt.err == "") != (err == nil) || (err != nil && got != tt.err) {
			t.Errorf("DateRange(%q, %q) error %v, want %q", tt.since, tt.until, err, tt.err)
		}
		if !first.Equal(tt.first) || !last.Equal(tt.last) {
			t.Errorf("DateRange(%q, %q) = %v, %v", tt.since, tt.until, first, last)
		}
	}
}
