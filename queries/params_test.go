package queries

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// Window reads from and to as the query binds them (UTC), and only when
// the query declares both as timestamps.
func TestWindow(t *testing.T) {
	both := Query{Name: "q", Params: []Param{{Name: "from", Type: Timestamp}, {Name: "to", Type: Timestamp}}}
	tests := []struct {
		name     string
		q        Query
		args     map[string]string
		from, to string // RFC 3339, "" for no window
	}{
		{"dates", both, map[string]string{"from": "2026-07-01", "to": "2026-07-08"}, "2026-07-01T00:00:00Z", "2026-07-08T00:00:00Z"},
		{"zoned", both, map[string]string{"from": "2026-07-03T11:30:00+02:00", "to": "2026-07-03T12:30:00.0001Z"}, "2026-07-03T09:30:00Z", "2026-07-03T12:30:00Z"},
		{"bad to", both, map[string]string{"from": "2026-07-01", "to": "next week"}, "", ""},
		{"missing to", both, map[string]string{"from": "2026-07-01"}, "", ""},
		{"from only declared", Query{Params: []Param{{Name: "from", Type: Timestamp}}}, map[string]string{"from": "2026-07-01", "to": "2026-07-08"}, "", ""},
		{"to not a timestamp", Query{Params: []Param{{Name: "from", Type: Timestamp}, {Name: "to", Type: String}}},
			map[string]string{"from": "2026-07-01", "to": "2026-07-08"}, "", ""},
	}
	for _, tt := range tests {
		from, to, ok := tt.q.Window(tt.args)
		if ok != (tt.from != "") {
			t.Errorf("%s: ok %v, want %v", tt.name, ok, !ok)
			continue
		}
		if ok && (from.Format(time.RFC3339Nano) != tt.from || to.Format(time.RFC3339Nano) != tt.to) {
			t.Errorf("%s: window %v – %v, want %s – %s", tt.name, from, to, tt.from, tt.to)
		}
	}
	q, err := Get("top_talkers")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := q.Window(map[string]string{"from": "2026-07-01", "to": "2026-07-08"}); !ok {
		t.Error("top_talkers has no window")
	}
}

func TestParamsSet(t *testing.T) {
	p := Params{}
	for _, tc := range []struct{ in, err string }{
		{"from=2026-07-01", ""},
		{"principal=arn:aws:iam::1:role/a=b", ""},
		{"empty=", ""},
		{"from=2026-07-02", "parameter from given twice"},
		{"=x", "want name=value"},
		{"novalue", "want name=value"},
	} {
		err := p.Set(tc.in)
		if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("Set(%q) = %v, want %q", tc.in, err, tc.err)
		}
	}
	if p["from"] != "2026-07-01" || p["principal"] != "arn:aws:iam::1:role/a=b" || len(p) != 3 {
		t.Errorf("params %v", p)
	}
}

func TestWriteLibrary(t *testing.T) {
	var b bytes.Buffer
	WriteLibrary(&b)
	for _, q := range All() {
		if !strings.Contains(b.String(), q.Name+"\n    "+q.Description+"\n") {
			t.Errorf("the list lacks %s", q.Name)
		}
	}
	if !strings.Contains(b.String(), `    --param top=integer (default "5")  Principals per resource.`) {
		t.Errorf("the list does not show an optional parameter's default:\n%.1500s", b.String())
	}
}
