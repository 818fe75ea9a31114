package queries

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/event"
)

// The events key is event.Event.Key within a day: changing a column of an
// event changes its Key exactly when the column is in the window's
// partition, so the library, compaction and the detector agree on which
// rows are copies of one event.
func TestUniqueKeyIsEventKey(t *testing.T) {
	key := uniqueKeys["events"]
	if key.partition[0] != "day" {
		t.Fatalf("the events key starts with %s, want day (the partition, so pruning stays)", key.partition[0])
	}
	base := event.Event{EventID: "e1", EventName: "Decrypt", RequestID: "r1", EventTime: time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)}
	var inKey []string
	typ := reflect.TypeOf(base)
	for i := range typ.NumField() {
		f := typ.Field(i)
		col, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		e := base
		v := reflect.ValueOf(&e).Elem().Field(i)
		switch x := v.Interface().(type) {
		case string:
			v.SetString(x + "x")
		case int64:
			v.SetInt(x + 1)
		case bool:
			v.SetBool(!x)
		case *bool:
			v.Set(reflect.ValueOf(new(bool)))
		case []string:
			v.Set(reflect.ValueOf(append(x, "x")))
		case time.Time:
			v.Set(reflect.ValueOf(x.Add(time.Millisecond)))
		default:
			t.Fatalf("field %s: type %T not covered by this test", f.Name, x)
		}
		if e.Key() != base.Key() {
			inKey = append(inKey, col)
		}
	}
	want := slices.Clone(key.partition[1:])
	slices.Sort(want)
	slices.Sort(inKey)
	if !slices.Equal(inKey, want) {
		t.Errorf("event.Key depends on %v; the library's window partitions by day and %v", inKey, want)
	}
	if !slices.Equal(key.order, []string{"source_object", "source_index"}) {
		t.Errorf("the copy kept is ordered by %v, want the lineage (source_object, source_index)", key.order)
	}
}

// The views for ad-hoc SQL deduplicate with the very window the library
// uses.
func TestViewsShareTheKey(t *testing.T) {
	for file, want := range map[string]string{
		"ddl/events_unique.sql":   uniqueKeys["events"].window("e"),
		"ddl/findings_unique.sql": uniqueKeys["findings"].window("f"),
	} {
		b, err := files.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s does not hold the library's window %s", file, want)
		}
	}
}

func TestExpandUnique(t *testing.T) {
	head := "-- @name q\n-- @description d\n-- @param a string A.\n-- @bind a\n"
	t.Run("literals and comments unchanged", func(t *testing.T) {
		text := head + "WITH ev AS (\n  -- @unique events\n  SELECT * FROM events e\n  WHERE e.event_name = 'two\nlines (' /* a\n) */\n    AND e.principal_arn = ?\n)\nSELECT event_id FROM ev"
		q, err := Parse("q", text)
		if err != nil {
			t.Fatal(err)
		}
		want := head + `WITH ev AS (
  -- Each event once: copies (a repeated delivery, a file not yet compacted)
  -- pass the filters below together; the first copy stays.
  SELECT *
  FROM (
    SELECT
      u.*,
      row_number() OVER (PARTITION BY u.day, u.event_id, u.event_name, u.event_time, u.request_id ORDER BY u.source_object, u.source_index) AS dup_rank
    FROM (
      SELECT * FROM events e
      WHERE e.event_name = 'two
lines (' /* a
) */
        AND e.principal_arn = ?
    ) u
  ) d
  WHERE dup_rank = 1
)
SELECT event_id FROM ev`
		if q.SQL != want {
			t.Errorf("SQL =\n%s\nwant\n%s", q.SQL, want)
		}
	})
	for _, tt := range []struct{ name, body, want string }{
		{"unknown table", "WITH ev AS (\n-- @unique trails\nSELECT * FROM trails t WHERE t.x = ?\n)\nSELECT 1", `"trails": unknown table (want events, findings)`},
		{"no table", "WITH ev AS (\n-- @unique\nSELECT * FROM events e WHERE e.x = ?\n)\nSELECT 1", `"": unknown table`},
		{"not in parentheses", "-- @unique events\nSELECT * FROM events e WHERE e.x = ?", "must stand in parentheses"},
		{"empty", "WITH ev AS (\n-- @unique events\n)\nSELECT ?", "no select after it"},
		{"last line", "SELECT ?\n-- @unique events", "no select after it"},
		{"nested", "WITH ev AS (\n-- @unique events\nSELECT * FROM (\n-- @unique events\nSELECT * FROM events e WHERE e.x = ?\n) x\n)\nSELECT 1", "another -- @unique inside"},
		{"unterminated", "WITH ev AS (\n-- @unique events\nSELECT * FROM events e WHERE e.x = ? AND 'open\n)", "unterminated ' quote"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("q", head+tt.body)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
