package queries

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Window returns the query's from and to timestamp parameters in args, as
// the query binds them, when it declares both and both parse; it is what
// a caller checks the lake's coverage of before trusting an empty answer.
func (q Query) Window(args map[string]string) (from, to time.Time, ok bool) {
	n := 0
	for _, p := range q.Params {
		if (p.Name == "from" || p.Name == "to") && p.Type == Timestamp {
			n++
		}
	}
	if n != 2 {
		return from, to, false
	}
	from, errf := parseTime(args["from"])
	to, errt := parseTime(args["to"])
	return from, to, errf == nil && errt == nil
}

// Params collects parameters given as repeated name=value flags: a
// flag.Value (and a pflag.Value, whose Type names the form).
type Params map[string]string

func (p Params) String() string { return "" }
func (p Params) Type() string   { return "name=value" }

// Set adds one name=value; a name given twice is an error.
func (p Params) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	if _, dup := p[k]; dup {
		return fmt.Errorf("parameter %s given twice", k)
	}
	p[k] = v
	return nil
}

// WriteLibrary lists the library for people: each query with its
// description and its parameters as --param flags.
func WriteLibrary(w io.Writer) {
	for _, q := range All() {
		fmt.Fprintf(w, "%s\n    %s\n", q.Name, q.Description)
		for _, p := range q.Params {
			opt := ""
			if p.Optional {
				opt = fmt.Sprintf(" (default %q)", p.Default)
			}
			fmt.Fprintf(w, "    --param %s=%s%s  %s\n", p.Name, p.Type, opt, p.Description)
		}
		fmt.Fprintln(w)
	}
}
