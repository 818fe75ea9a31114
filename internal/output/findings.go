package output

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/keytrail/keytrail/internal/finding"
)

// Findings are findings as rows, footed by their count; JSON prints each
// finding whole.
func Findings(fs []finding.Finding) Rows {
	rs := Rows{Columns: []Column{{Name: "severity"}, {Name: "kind"}, {Name: "start", Type: "timestamp"},
		{Name: "count", Type: "bigint"}, {Name: "principal"}, {Name: "resource"}, {Name: "title"}, {Name: "id"}},
		Footer: fmt.Sprintf("%d findings", len(fs)), Records: []any{}}
	for _, f := range fs {
		sev := f.Severity
		if f.Shadow {
			sev += " (shadow)"
		}
		res := f.Resource
		if res == "" && len(f.Resources) > 0 {
			res = fmt.Sprintf("%d resources", len(f.Resources))
		}
		rs.Rows = append(rs.Rows, []string{sev, f.Kind, f.Start.UTC().Format("2006-01-02 15:04:05"), strconv.FormatInt(f.Count, 10), f.Principal, res, f.Title, f.ID})
		rs.Records = append(rs.Records, f)
	}
	return rs
}

// Volume is the shadow report as rows, footed in a table by each rule's
// total.
func Volume(rows []finding.VolumeRow) Rows {
	rs := Rows{Columns: []Column{{Name: "rule"}, {Name: "day"}, {Name: "findings", Type: "bigint"}, {Name: "shadow", Type: "bigint"}}, Records: []any{}}
	kinds := map[string]int{}
	for _, r := range rows {
		rs.Rows = append(rs.Rows, []string{r.Kind, r.Day, strconv.Itoa(r.Findings), strconv.Itoa(r.Shadow)})
		rs.Records = append(rs.Records, r)
		kinds[r.Kind] += r.Findings
	}
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		rs.Footer += fmt.Sprintf("%s total: %d\n", k, kinds[k])
	}
	return rs
}
