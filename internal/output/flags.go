package output

import "github.com/spf13/pflag"

// Choose resolves a command's --output: out, the flag's value, unless a
// deprecated alias of it in fs was given instead (--format FORMAT, or
// --json for json), each alias given reported to deprecated. "" means a
// table on a terminal and JSON lines otherwise, what a person and a script
// each read best.
func Choose(fs *pflag.FlagSet, out string, terminal bool, deprecated func(alias string), allowed ...Format) (Format, error) {
	for _, alias := range []string{"format", "json"} {
		f := fs.Lookup(alias)
		if f == nil || !f.Changed {
			continue
		}
		deprecated(alias)
		if !fs.Changed("output") {
			out = f.Value.String()
			if alias == "json" {
				out = map[bool]string{true: "json", false: ""}[out == "true"]
			}
		}
	}
	if out == "" {
		out = string(JSON)
		if terminal {
			out = string(Table)
		}
	}
	return Parse(out, allowed...)
}
