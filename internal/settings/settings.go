// Package settings resolves the CLI's team defaults: the lake, the time
// zone and calendar, the Athena database and workgroup, the region. Each
// value comes from the first of a flag (the caller's), a KEYTRAIL_*
// environment variable, the config file, and the built-in default, and
// Settings remembers which, so `keytrail config` can say where a value came
// from. The config file is --config, else $XDG_CONFIG_HOME/keytrail/config.yaml,
// else ~/.config/keytrail/config.yaml.
//
// The file is also the detector's configuration: keys this package does not
// own (self_principals, rules, suppressions, …) are kept, with timezone,
// business_hours and holidays, as Detector YAML for detect.LoadConfig, so a
// team writes one file and an old `detect --config rules.yaml` still works.
package settings

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A Key is one setting.
type Key struct {
	Name    string // in the config file; a dot nests: athena.database
	Env     string
	Default string
	Help    string
}

// Keys are the settings, in the order `keytrail config` prints them.
// The Athena defaults are the names infra/template.yaml gives a stack
// deployed as "keytrail" (its GlueDatabaseName default, and its workgroup,
// named after the stack, whose results are encrypted and scans capped).
var Keys = []Key{
	{"lake", "KEYTRAIL_LAKE", "lake", "the lake: a folder, or s3://bucket/prefix"},
	{"timezone", "KEYTRAIL_TIMEZONE", "", "the team's IANA time zone (empty: UTC)"},
	{"business_hours", "KEYTRAIL_BUSINESS_HOURS", "", "business hours, e.g. Mon-Fri 09:00-18:00 (empty: the detector's default)"},
	{"holidays", "KEYTRAIL_HOLIDAYS", "", "holiday dates YYYY-MM-DD,... or @file"},
	{"athena.database", "KEYTRAIL_ATHENA_DATABASE", "keytrail", "Glue database of the events and findings tables"},
	{"athena.workgroup", "KEYTRAIL_ATHENA_WORKGROUP", "keytrail", "Athena workgroup (the stack's)"},
	{"region", "KEYTRAIL_REGION", "", "AWS region (empty: the SDK's)"},
}

// Settings are the resolved values.
type Settings struct {
	File     string // the config file read, "" for none
	Detector []byte // the file without the keys only the CLI reads, for detect.LoadConfig
	values   map[string]string
	sources  map[string]string
}

// Load resolves every key. explicit is the --config flag ("" for none): a
// file named there must exist; the default file may be absent. HOME and
// XDG_CONFIG_HOME come from getenv, so tests see no user's file.
func Load(getenv func(string) string, readFile func(string) ([]byte, error), explicit string) (*Settings, error) {
	s := &Settings{values: map[string]string{}, sources: map[string]string{}}
	path := explicit
	if path == "" {
		if x := getenv("XDG_CONFIG_HOME"); x != "" {
			path = filepath.Join(x, "keytrail", "config.yaml")
		} else if h := getenv("HOME"); h != "" {
			path = filepath.Join(h, ".config", "keytrail", "config.yaml")
		}
	}
	file := map[string]string{}
	if path != "" {
		data, err := readFile(path)
		switch {
		case err == nil:
			s.File = path
			if file, s.Detector, err = parse(data); err != nil {
				return nil, fmt.Errorf("config %s: %w", path, err)
			}
		case explicit == "" && errors.Is(err, fs.ErrNotExist):
		default:
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	for _, k := range Keys {
		switch {
		case getenv(k.Env) != "":
			s.values[k.Name], s.sources[k.Name] = getenv(k.Env), "env "+k.Env
		case file[k.Name] != "":
			s.values[k.Name], s.sources[k.Name] = file[k.Name], "config "+s.File
		default:
			s.values[k.Name], s.sources[k.Name] = k.Default, "default"
		}
	}
	return s, nil
}

// Get returns a key's value.
func (s *Settings) Get(name string) string { return s.values[name] }

// Source says where a key's value came from: "env KEYTRAIL_LAKE",
// "config PATH" or "default".
func (s *Settings) Source(name string) string { return s.sources[name] }

// cliOnly are the top-level keys detect does not know.
var cliOnly = []string{"lake", "athena", "region"}

// parse reads the file's settings and returns the rest for the detector.
func parse(data []byte) (map[string]string, []byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, err
	}
	out := map[string]string{}
	if len(doc.Content) == 0 {
		return out, nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, nil, errors.New("want a mapping of settings")
	}
	var rest []*yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "lake", "region", "timezone", "business_hours":
			if v.Kind != yaml.ScalarNode {
				return nil, nil, fmt.Errorf("line %d: %s: want a string", v.Line, k.Value)
			}
			out[k.Value] = v.Value
		case "holidays":
			var hs []string
			if err := v.Decode(&hs); err != nil {
				return nil, nil, fmt.Errorf("line %d: holidays: want a list of dates", v.Line)
			}
			out["holidays"] = strings.Join(hs, ",")
		case "athena":
			var a map[string]string
			if err := v.Decode(&a); err != nil {
				return nil, nil, fmt.Errorf("line %d: athena: want database and workgroup", v.Line)
			}
			for name, val := range a {
				if name != "database" && name != "workgroup" {
					return nil, nil, fmt.Errorf("line %d: athena.%s: unknown setting (want database, workgroup)", v.Line, name)
				}
				out["athena."+name] = val
			}
		}
		if !isCLIOnly(k.Value) {
			rest = append(rest, k, v)
		}
	}
	if len(rest) == len(root.Content) {
		return out, data, nil // nothing removed: detect's errors keep their line numbers
	}
	if len(rest) == 0 {
		return out, nil, nil
	}
	root.Content = rest
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	if err := enc.Encode(root); err != nil {
		return nil, nil, err
	}
	enc.Close()
	return out, b.Bytes(), nil
}

func isCLIOnly(k string) bool {
	for _, c := range cliOnly {
		if k == c {
			return true
		}
	}
	return false
}

// Print writes every key's value and source, one a line.
func (s *Settings) Print(w io.Writer) {
	if s.File != "" {
		fmt.Fprintf(w, "# config file: %s\n", s.File)
	} else {
		fmt.Fprintf(w, "# no config file (--config, $XDG_CONFIG_HOME/keytrail/config.yaml or ~/.config/keytrail/config.yaml)\n")
	}
	for _, k := range Keys {
		fmt.Fprintf(w, "%-17s %-24q # %s\n", k.Name+":", s.Get(k.Name), s.Source(k.Name))
	}
}
