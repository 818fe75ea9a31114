package finding

import (
	"slices"
	"strings"
	"time"
)

// VolumeRow is one rule's findings on one UTC day: a row of the shadow
// report, which compares a rule's volume before a threshold changes and
// after.
type VolumeRow struct {
	Kind     string `json:"kind"`
	Day      string `json:"day"`
	Findings int    `json:"findings"`
	Shadow   int    `json:"shadow"`
}

// Volume counts findings per rule and UTC day of their start, sorted by
// rule and day.
func Volume(fs []Finding) []VolumeRow {
	idx := map[string]int{}
	var rows []VolumeRow
	for _, f := range fs {
		day := f.Start.UTC().Format(time.DateOnly)
		k := f.Kind + "\x00" + day
		i, ok := idx[k]
		if !ok {
			i = len(rows)
			idx[k] = i
			rows = append(rows, VolumeRow{Kind: f.Kind, Day: day})
		}
		rows[i].Findings++
		if f.Shadow {
			rows[i].Shadow++
		}
	}
	slices.SortFunc(rows, func(a, b VolumeRow) int {
		return strings.Compare(a.Kind+a.Day, b.Kind+b.Day)
	})
	return rows
}
