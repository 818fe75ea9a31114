package queries

import (
	"fmt"
	"regexp"
	"strings"
)

// ddlOrder is the order the DDL statements must run in: tables, then the
// views over them.
var ddlOrder = []string{"ddl/events.sql", "ddl/findings.sql", "ddl/events_unique.sql", "ddl/findings_unique.sql"}

// s3Location is what DDL accepts as the lake: s3://bucket or
// s3://bucket/prefix, with no characters that could leave a quoted string.
var s3Location = regexp.MustCompile(`^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9!_.*()/=+-]+)*$`)

// DDL returns the Athena statements that create keytrail's tables and views
// over the lake at location (s3://bucket[/prefix]), in the order to run
// them. The location fills the ${lake} placeholder; it is checked, not
// escaped, because Hive DDL strings have no reliable escape.
func DDL(location string) ([]string, error) {
	location = strings.TrimSuffix(location, "/")
	if !s3Location.MatchString(location) || strings.Count(location, "//") > 1 {
		return nil, fmt.Errorf("lake location %q: want s3://bucket or s3://bucket/prefix", location)
	}
	var out []string
	for _, name := range ddlOrder {
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, strings.ReplaceAll(string(b), "${lake}", location))
	}
	return out, nil
}
