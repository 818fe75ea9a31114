package lake_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/lake"
)

func TestListDays(t *testing.T) {
	s, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Written in reverse, and with two objects in a day, so that neither
	// the order of writing nor of listing can pass for sorting.
	for _, k := range slices.Backward([]string{
		"events/day=2024-01-01/b.parquet",
		"events/day=2024-01-01/a.parquet",
		"events/day=2023-12-31/x.parquet",
		"events/day=2024-01-10/y.parquet",
		"events/day=2024-02-30/bad-date.parquet",
		"events/day=/empty.parquet",
		"events/stray.parquet",
		"findings/day=2024-03-01/f.parquet",
		"quarantine/day=2020-01-01/q.parquet",
	}) {
		put(t, s, k, "x")
	}
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{lake.EventsPrefix, []string{"2023-12-31", "2024-01-01", "2024-01-10"}},
		{lake.FindingsPrefix, []string{"2024-03-01"}},
		{lake.StatePrefix, nil},
	} {
		got, err := lake.ListDays(t.Context(), s, tc.prefix)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ListDays(%s) = %q, %v; want %q", tc.prefix, got, err, tc.want)
		}
	}
}

func TestReadRows(t *testing.T) {
	ctx := t.Context()
	s, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rows := []event.Event{
		{EventID: "e1", EventTime: time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC), EventName: "GetSecretValue"},
		{EventID: "e2", EventTime: time.Date(2024, 1, 1, 11, 0, 0, 0, time.UTC), EventName: "Decrypt"},
	}
	var buf bytes.Buffer
	if err := event.WriteParquet(&buf, rows); err != nil {
		t.Fatal(err)
	}
	key := lake.EventKey("2024-01-01", "part")
	put(t, s, key, buf.String())
	got, err := lake.ReadRows(ctx, s, key, event.ReadParquet)
	if err != nil || len(got) != 2 || got[0].EventID != "e1" || got[1].EventName != "Decrypt" || !got[1].EventTime.Equal(rows[1].EventTime) {
		t.Fatalf("ReadRows = %+v, %v", got, err)
	}

	// A missing object is ErrNotFound, as the store said; a file that is
	// not Parquet is an error naming the key.
	if _, err := lake.ReadRows(ctx, s, lake.EventKey("2024-01-02", "none"), event.ReadParquet); !errors.Is(err, lake.ErrNotFound) {
		t.Errorf("missing object: %v, want ErrNotFound", err)
	}
	bad := lake.EventKey("2024-01-03", "not-parquet")
	put(t, s, bad, "PAR1 but not really")
	if _, err := lake.ReadRows(ctx, s, bad, event.ReadParquet); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("not Parquet: %v, want an error naming %s", err, bad)
	}
}
