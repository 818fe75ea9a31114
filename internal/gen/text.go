package gen

import (
	"fmt"
	"sort"
	"strings"
)

// Text says in one line what Corpus wrote to dir.
func (s CorpusSummary) Text(dir string) string {
	return fmt.Sprintf("Wrote a benchmark corpus to %s: %d files, %d records (%d Secrets Manager/KMS), %d bytes uncompressed.",
		dir, s.Files, s.Records, s.Kept, s.Bytes)
}

// Text says in one line what Org wrote to dir for days days, with the
// labels counted by kind.
func (s Summary) Text(days int, dir string) string {
	var kinds []string
	for k, n := range s.ByKind() {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(kinds)
	return fmt.Sprintf("Wrote %d days of CloudTrail for accounts %s (partner %s) to %s: %d log files, %d records "+
		"(%d Secrets Manager/KMS, %d repeated), %d digest and %d insight files. Labels in %s: %s.",
		days, strings.Join(s.Accounts, ", "), s.Partner, dir, s.Files, s.Records, s.Kept, s.Duplicates, s.Digests, s.Insights,
		LabelsKey, strings.Join(kinds, ", "))
}
