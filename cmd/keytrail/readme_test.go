package main

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/detect"
	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/queries"
)

// The README is checked against the code, so what it shows cannot drift.

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section returns the text under a "## title" heading.
func section(t *testing.T, doc, title string) string {
	t.Helper()
	i := strings.Index(doc, "\n## "+title+"\n")
	if i < 0 {
		t.Fatalf("README has no section %q", title)
	}
	rest := doc[i+len(title)+5:]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// firstColumn lists the `code` names in the first cell of a table's rows.
func firstColumn(text string) []string {
	var out []string
	row := regexp.MustCompile("(?m)^\\| (`(?:[^|\\\\]|\\\\.)*) \\|")
	code := regexp.MustCompile("`([^`]+)`")
	for _, m := range row.FindAllStringSubmatch(text, -1) {
		for _, c := range code.FindAllStringSubmatch(m[1], -1) {
			out = append(out, c[1])
		}
	}
	return out
}

func TestReadmeSetUp(t *testing.T) {
	doc := readme(t)
	first := section(t, doc, "Set up")
	if !strings.Contains(first, "make demo") || !strings.Contains(first, "make test") {
		t.Fatal("the set-up section must give `make demo` and `make test`")
	}
	if strings.Index(doc, "make demo") > 2500 {
		t.Error("the set-up commands are not on the README's first screen")
	}
}

func TestReadmeSchema(t *testing.T) {
	var want []string
	for _, f := range event.Schema.Fields() {
		want = append(want, f.Name())
	}
	want = append(want, "day")
	got := firstColumn(section(t, readme(t), "The lake schema"))
	if !slices.Equal(got, want) {
		t.Fatalf("README schema columns\n got %v\nwant %v", got, want)
	}
}

func TestReadmeFindings(t *testing.T) {
	var want []string
	typ := reflect.TypeOf(finding.Finding{})
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		want = append(want, name)
	}
	got := firstColumn(section(t, readme(t), "Findings"))
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("README finding fields\n got %v\nwant %v", got, want)
	}
}

func TestReadmeQueries(t *testing.T) {
	var want []string
	for _, q := range queries.All() {
		if !strings.HasPrefix(q.Name, "review_") {
			want = append(want, q.Name)
		}
	}
	got := firstColumn(section(t, readme(t), "The query library"))
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("README queries\n got %v\nwant %v", got, want)
	}
}

func TestReadmeConfigLoads(t *testing.T) {
	sec := section(t, readme(t), "Detection rules")
	i := strings.Index(sec, "```yaml\n")
	j := strings.Index(sec[i+8:], "```")
	if i < 0 || j < 0 {
		t.Fatal("no YAML example in the rules section")
	}
	cfg, err := detect.LoadConfig([]byte(sec[i+8 : i+8+j]))
	if err != nil {
		t.Fatalf("the README's configuration example does not load: %v", err)
	}
	if cfg.Timezone != "Europe/Berlin" || len(cfg.Suppressions) != 1 {
		t.Fatalf("example loaded as %+v", cfg)
	}
	// Every rule named in the table exists.
	for _, name := range firstColumn(sec) {
		switch name {
		case finding.KindOffHours, finding.KindFailedAccess, finding.KindFrequency, finding.KindFirstSeen,
			finding.KindDestructive, finding.KindPolicyChange, finding.KindCrossAccount, finding.KindBulkRetrieval:
		default:
			t.Errorf("README rules table names unknown rule %q", name)
		}
	}
}

func TestReadmeCommands(t *testing.T) {
	commands := map[string]bool{}
	for _, c := range newRoot(&app{env: &environ{}}).Commands() {
		if !c.Hidden && c.Name() != "help" && c.Name() != "completion" {
			commands[c.Name()] = true
		}
	}
	got := map[string]bool{}
	for _, cell := range firstColumn(section(t, readme(t), "Commands")) {
		f := strings.Fields(cell)
		if len(f) < 2 || f[0] != "keytrail" {
			t.Fatalf("odd command cell %q", cell)
		}
		if !commands[f[1]] {
			t.Errorf("README lists unknown command %q", f[1])
		}
		got[f[1]] = true
	}
	for name := range commands {
		if !got[name] {
			t.Errorf("command %q is missing from the README's command table", name)
		}
	}
}
