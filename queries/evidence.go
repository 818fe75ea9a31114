package queries

import (
	"time"

	"github.com/keytrail/keytrail/internal/finding"
)

// Evidence renders the library's finding_evidence query for a finding: the
// follow-up SQL the detector stores with it (Finding.Query) and the alerter
// rebuilds from the finding's fields before it shows or runs any SQL. A
// finding read back from the lake is data, and whoever can write the
// findings table must not pick the SQL the alerter's role runs; rebuilding
// from the principal, resource and window keeps every caller-controlled
// value inside literals made by Literal.
//
// The window runs from the first event's second to one second after the
// last event's second (the end is exclusive), in UTC; an empty resource
// matches any resource.
func Evidence(f finding.Finding) (string, error) {
	return Render("finding_evidence", map[string]string{
		"principal": f.Principal,
		"resource":  f.Resource,
		"from":      f.Start.UTC().Truncate(time.Second).Format(time.RFC3339),
		"to":        f.End.UTC().Truncate(time.Second).Add(time.Second).Format(time.RFC3339),
	})
}
