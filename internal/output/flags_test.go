package output

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestChoose(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		terminal bool
		want     string // the format, or the error's text
		notices  string
	}{
		{"default on a terminal", nil, true, "table", ""},
		{"default in a pipe", nil, false, "json", ""},
		{"--output", []string{"-o", "csv"}, true, "csv", ""},
		{"--format", []string{"--format", "csv"}, true, "csv", "format"},
		{"--json", []string{"--json"}, true, "json", "json"},
		{"--json=false", []string{"--json=false"}, true, "table", "json"},
		{"--output wins", []string{"--format", "csv", "-o", "json"}, true, "json", "format"},
		{"bad", []string{"-o", "yaml"}, true, `--output "yaml": want table, json`, ""},
		{"bad alias", []string{"--format", "csv\x1b"}, true, `--output "csv\\u001b"`, "format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
			out := fs.StringP("output", "o", "", "")
			fs.String("format", "", "")
			fs.Bool("json", false, "")
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			var notices []string
			f, err := Choose(fs, *out, tt.terminal, func(a string) { notices = append(notices, a) }, Table, JSON)
			got := string(f)
			if tt.name == "--output" || tt.name == "--format" {
				f, err = Choose(fs, *out, tt.terminal, func(string) {}) // every format allowed
				got = string(f)
			}
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tt.want) || strings.Join(notices, ",") != tt.notices {
				t.Errorf("format %q, notices %v; want %q, %q", got, notices, tt.want, tt.notices)
			}
		})
	}
}
