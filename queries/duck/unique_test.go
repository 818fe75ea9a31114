package duck

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/queries"
	"github.com/keytrail/keytrail/queries/duck/testlake"
)

// copies returns the scenario's events as three files: the original (a),
// a second delivery of every event (c, sorting after a) and, for every
// third event, an earlier copy (0, sorting first, so the copy kept is not
// always the original).
func copies() map[string][]event.Event {
	events, _, _ := testlake.Scenario()
	files := map[string][]event.Event{"a": events}
	for i, e := range events {
		e.SourceObject, e.SourceIndex = "AWSLogs/111111111111/CloudTrail/us-east-1/c.json.gz", int64(100+i)
		files["c"] = append(files["c"], e)
		if i%3 == 0 {
			e.SourceObject, e.SourceIndex = "AWSLogs/111111111111/CloudTrail/us-east-1/0.json.gz", int64(len(events)-i)
			files["0"] = append(files["0"], e)
		}
	}
	return files
}

// copiesSource writes copies(), the findings twice (a retried run) and the
// inventory (which has no copies: a day's objects replace a rerun's).
func copiesSource(dir string) error {
	for name, rows := range copies() {
		if err := testlake.WriteEvents(dir, name, rows); err != nil {
			return err
		}
	}
	_, _, fs := testlake.Scenario()
	if err := testlake.WriteFindings(dir, "run1", fs); err != nil {
		return err
	}
	if err := testlake.WriteFindings(dir, "run2", fs); err != nil {
		return err
	}
	return testlake.WriteInventory(dir)
}

// onceSource writes what copiesSource means: each event once, as the copy
// deduplication keeps (the first by source object and index, computed here
// in Go), each finding once, and the inventory.
func onceSource(dir string) error {
	first := map[event.Key]event.Event{}
	for _, rows := range copies() {
		for _, e := range rows {
			f, seen := first[e.Key()]
			if !seen || cmp.Or(strings.Compare(e.SourceObject, f.SourceObject), cmp.Compare(e.SourceIndex, f.SourceIndex)) < 0 {
				first[e.Key()] = e
			}
		}
	}
	var once []event.Event
	for _, e := range first {
		once = append(once, e)
	}
	if err := testlake.WriteEvents(dir, "a", once); err != nil {
		return err
	}
	_, _, fs := testlake.Scenario()
	if err := testlake.WriteFindings(dir, "run1", fs); err != nil {
		return err
	}
	return testlake.WriteInventory(dir)
}

// argSets returns the arguments to try q with: every combination of the
// scenario's principals and resources for the parameters q has.
func argSets(q queries.Query) []map[string]string {
	choices := map[string][]string{
		"principal":     {AppRole, Alice},
		"resource":      {K2, ""},
		"key":           {K1, ""},
		"tz":            {"Europe/Paris"},
		"top":           {"2"},
		"baseline_from": {"2026-06-01T00:00:00Z"},
		"history_from":  {"2026-06-01T00:00:00Z"},
		"idle_from":     {"2026-04-09T00:00:00Z"},
	}
	sets := []map[string]string{week()}
	for _, p := range q.Params {
		vals, ok := choices[p.Name]
		if !ok {
			continue
		}
		var next []map[string]string
		for _, s := range sets {
			for _, v := range vals {
				m := map[string]string{p.Name: v}
				for k, x := range s {
					m[k] = x
				}
				next = append(next, m)
			}
		}
		sets = next
	}
	return sets
}

// dedupFirst is q before the window is placed (its library file) reading
// the unique views instead of the tables: every row of the days is
// deduplicated first, then the query's filters apply (the library's shape
// before issue #19).
func dedupFirst(t *testing.T, q queries.Query) string {
	t.Helper()
	all, err := queries.Files()
	if err != nil {
		t.Fatal(err)
	}
	raw, ok := all["library/"+q.Name+".sql"]
	if !ok {
		t.Fatalf("no library file for %s", q.Name)
	}
	sql, err := queries.Expand(raw)
	if err != nil {
		t.Fatal(err)
	}
	reads := strings.Count(sql, "FROM events e\n") + strings.Count(sql, "FROM findings f\n")
	for _, table := range []string{"events e", "findings f"} {
		sql = strings.ReplaceAll(sql, "FROM "+table+"\n", "FROM "+strings.Replace(table, " ", "_unique ", 1)+"\n")
	}
	if n := strings.Count(sql, "_unique "); n == 0 || n != reads {
		t.Fatalf("%s: cannot find the table its dedup window reads", q.Name)
	}
	return sql
}

// Filtering before deduplicating gives the rows deduplicating first gives.
// On a lake where every event has copies, every library query returns the
// same result (1) as it ships: the filters below the window, (2) with the
// dedup first: the same filters over the unique views, and (3) on a lake
// holding each event once.
func TestFilterBeforeDedup(t *testing.T) {
	ctx := context.Background()
	withCopies := openLake(t, copiesSource)
	once := openLake(t, onceSource)
	for _, tc := range []struct{ table, key string }{{"events", "event_id"}, {"findings", "id"}} {
		r, err := withCopies.Exec(ctx, fmt.Sprintf("SELECT count(*) - count(DISTINCT %s) FROM %s", tc.key, tc.table))
		if err != nil {
			t.Fatal(err)
		}
		if r.Rows[0][0] == "0" {
			t.Fatalf("the lake holds no copies of %s: this test would prove nothing", tc.table)
		}
	}
	for _, q := range queries.All() {
		t.Run(q.Name, func(t *testing.T) {
			nonEmpty := 0
			for _, args := range argSets(q) {
				vals, err := q.Values(args)
				if err != nil {
					t.Fatal(err)
				}
				shipped, err := withCopies.Run(ctx, q, args)
				if err != nil {
					t.Fatal(err)
				}
				first, err := withCopies.Exec(ctx, dedupFirst(t, q), vals...)
				if err != nil {
					t.Fatalf("dedup first: %v", err)
				}
				clean, err := once.Run(ctx, q, args)
				if err != nil {
					t.Fatal(err)
				}
				got := fmt.Sprint(shipped.Columns, shipped.Rows)
				if want := fmt.Sprint(first.Columns, first.Rows); got != want {
					t.Errorf("%v: filter first\n%s\ndedup first\n%s", args, got, want)
				}
				if want := fmt.Sprint(clean.Columns, clean.Rows); got != want {
					t.Errorf("%v: with copies\n%s\neach event once\n%s", args, got, want)
				}
				if len(shipped.Rows) > 0 {
					nonEmpty++
				}
			}
			if nonEmpty == 0 {
				t.Errorf("no argument set gives %s any row: the comparison proves nothing", q.Name)
			}
		})
	}
}
