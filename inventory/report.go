package inventory

import (
	"fmt"
	"io"

	"github.com/keytrail/keytrail/internal/visible"
)

// Report is what a run of the CLI's inventory prints: the snapshot's
// counts, the objects written and every account, region and table that
// could not be read. Its JSON fields are in name order.
type Report struct {
	Accounts    []string   `json:"accounts"`
	AccountsBy  string     `json:"accounts_by"`
	Day         string     `json:"day"`
	Keys        int        `json:"keys"`
	NotRead     []Coverage `json:"not_read"`
	Objects     int        `json:"objects"`
	Permissions int        `json:"permissions"`
	Principals  int        `json:"principals"`
	Secrets     int        `json:"secrets"`
	orgError    string
}

// Report sums up the snapshot, of which objects were written.
func (s *Snapshot) Report(objects int) Report {
	return Report{Accounts: s.Accounts, AccountsBy: s.AccountsBy, Day: s.Day, Keys: len(s.Keys), NotRead: s.Failures(), Objects: objects,
		Permissions: len(s.Permissions), Principals: len(s.Principals), Secrets: len(s.Secrets), orgError: s.OrgError}
}

// WriteText writes the report for people, AWS's error text escaped.
func (r Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "inventory %s: %d accounts (%s), %d secrets, %d keys, %d principals, %d permissions; %d objects written\n",
		r.Day, len(r.Accounts), r.AccountsBy, r.Secrets, r.Keys, r.Principals, r.Permissions, r.Objects)
	if r.orgError != "" {
		fmt.Fprintf(w, "  organizations: %s\n", visible.String(r.orgError))
	}
	for _, f := range r.NotRead {
		fmt.Fprintf(w, "  not read: %s %s %s: %s: %s\n", f.Account, f.Region, f.Table, f.Status, visible.String(f.Error))
	}
}
