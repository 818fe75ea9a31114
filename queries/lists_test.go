package queries

import (
	"slices"
	"strings"
	"testing"
)

// Every query naming use_events holds the whole list, once, where the
// stand-in stood; no query spells the list out by itself.
func TestListsExpanded(t *testing.T) {
	var quoted []string
	for _, v := range UseEvents {
		quoted = append(quoted, "'"+v+"'")
	}
	n := 0
	for _, q := range All() {
		raw, err := files.ReadFile("library/" + q.Name + ".sql")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), "'DeriveSharedSecret'") {
			t.Errorf("%s spells out the use events: name the list (-- @list use_events)", q.Name)
		}
		if !strings.Contains(string(raw), listDirective+" use_events") {
			continue
		}
		n++
		if strings.Contains(q.SQL, listDirective) {
			t.Errorf("%s: directive left in the SQL", q.Name)
		}
		for _, v := range quoted {
			if strings.Count(q.SQL, v) < 1 {
				t.Errorf("%s: %s missing from the expanded list", q.Name, v)
			}
		}
	}
	if n < 3 {
		t.Errorf("%d queries name use_events, want at least the 3 review queries", n)
	}
}

func TestListErrors(t *testing.T) {
	for _, tc := range []struct{ sql, want string }{
		{"SELECT 1 WHERE x IN (\n  -- @list nope\n  'a'\n)", "unknown list"},
		{"SELECT 1 WHERE x IN (\n  -- @list use_events\n  'a'\n", "parenthes"},
	} {
		if _, err := expandLists(tc.sql); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("expandLists(%q) = %v, want %q", tc.sql, err, tc.want)
		}
	}
	got, err := expandLists("SELECT 1 WHERE x IN (\n  -- @list use_events\n  'stand-in'\n) AND y")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got, "stand-in") || !strings.HasSuffix(got, "\n) AND y") || !slices.ContainsFunc(strings.Split(got, "\n"), func(l string) bool { return strings.HasPrefix(l, "  'GetSecretValue', ") }) {
		t.Errorf("expanded:\n%s", got)
	}
}

// The shared subqueries: each one of the fragments file, placed where a
// query names it, followed by a comma; an unknown name is an error.
func TestWithExpanded(t *testing.T) {
	frags, err := fragments()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"inv", "aliases", "names", "perm", "who", "used"} {
		if !strings.HasPrefix(frags[name], name+" AS (\n") || !strings.HasSuffix(frags[name], "\n)") {
			t.Errorf("fragment %s = %q", name, frags[name])
		}
	}
	got, err := Expand("WITH a AS (\n  SELECT 1\n),\n-- @with inv perm\nb AS (\n  SELECT 2\n)\nSELECT 3")
	if err != nil {
		t.Fatal(err)
	}
	if want := "WITH a AS (\n  SELECT 1\n),\n" + frags["inv"] + ",\n" + frags["perm"] + ",\nb AS (\n  SELECT 2\n)\nSELECT 3"; got != want {
		t.Errorf("expanded:\n%s\nwant:\n%s", got, want)
	}
	if _, err := Expand("WITH a AS (SELECT 1),\n-- @with nope\nb AS (SELECT 2) SELECT 3"); err == nil || !strings.Contains(err.Error(), "unknown subquery") {
		t.Errorf("unknown subquery: %v", err)
	}
	n := 0
	for _, q := range All() {
		if strings.Contains(q.SQL, withDirective) {
			t.Errorf("%s: directive left in the SQL", q.Name)
		}
		if strings.Contains(q.SQL, frags["inv"]) {
			n++
		}
	}
	if n != 6 {
		t.Errorf("%d queries hold the shared inventory day, want 6", n)
	}
}
