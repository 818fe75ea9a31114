package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/lake"
)

// logFile wraps records into a CloudTrail log file, gzipped when gz is set.
func logFile(t testing.TB, records []json.RawMessage, gz bool) []byte {
	t.Helper()
	body, err := json.Marshal(struct {
		Records []json.RawMessage `json:"Records"`
	}{records})
	if err != nil {
		t.Fatal(err)
	}
	if !gz {
		return body
	}
	return gzipBytes(t, body)
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readLake reads every event row in the lake back from Parquet.
func readLake(t testing.TB, d *lake.Dir) []event.Event {
	t.Helper()
	var all []event.Event
	eachObject(t, d, lake.EventsPrefix, func(key, day string, rows []event.Event) {
		for _, r := range rows {
			if r.Day() != day {
				t.Errorf("%s: row %s of day %s in partition %s", key, r.EventID, r.Day(), day)
			}
		}
		all = append(all, rows...)
	})
	return all
}

// eachObject reads every Parquet object under a lake prefix, in key order,
// and hands fn its rows and partition day.
func eachObject(t testing.TB, d *lake.Dir, prefix string, fn func(key, day string, rows []event.Event)) {
	t.Helper()
	objs, err := d.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		p, err := d.Path(o.Key)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := event.ReadParquet(f, o.Size)
		f.Close()
		if err != nil {
			t.Fatalf("read %s: %v", o.Key, err)
		}
		day, err := lake.ParseDay(o.Key)
		if err != nil {
			t.Fatal(err)
		}
		fn(o.Key, day, rows)
	}
}

func newLake(t testing.TB) *lake.Dir {
	t.Helper()
	d, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// sharedData returns the folder of real CloudTrail samples beside the
// repository, skipping the test where it is absent (a user's fresh clone).
func sharedData(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "data", "real")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("real CloudTrail samples not found at %s (they live beside the repository, not in it): %v", dir, err)
	}
	return dir
}

// readNDJSON reads one JSON record per line.
func readNDJSON(t testing.TB, path string) []json.RawMessage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []json.RawMessage
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" {
			out = append(out, json.RawMessage(line))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func newJSONLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, nil))
}

func mustDay(t testing.TB, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
