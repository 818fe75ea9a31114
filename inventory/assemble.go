package inventory

// IdentityPolicy is one identity policy that applies to a principal of a
// snapshot assembled outside Collect: inline, attached managed, or one of
// its groups'.
type IdentityPolicy struct {
	Principal string // the principal's ARN, as in the principals table
	// Name is how the permissions' granted_by names it, as Collect names
	// what IAM returns: "inline:<name>", the managed policy's ARN,
	// "group:<group>/inline:<name>" or "group:<group>/<managed ARN>".
	Name     string
	Document string // the policy, JSON
}

// Evaluate fills the snapshot's permissions, and their coverage rows,
// from its secrets, keys and principals and the identity policies given,
// exactly as Collect does with what it read from AWS. It is for a snapshot
// whose other tables come from elsewhere — the demo's generated
// organization — so that its who-may is the evaluation's answer, not a
// second reading of the same documents. Policies of principals the
// snapshot does not hold are ignored. Call it once, when the other tables
// and the coverage rows of what was read are complete.
func (s *Snapshot) Evaluate(policies []IdentityPolicy) {
	byARN := map[string][]namedPolicy{}
	for _, p := range policies {
		byARN[p.Principal] = append(byARN[p.Principal], namedPolicy{Name: p.Name, Document: p.Document})
	}
	s.identities = nil
	for _, p := range s.Principals {
		s.identities = append(s.identities, identity{ARN: p.ARN, Account: p.Account, Kind: p.Kind, Policies: byARN[p.ARN]})
	}
	s.sort()
	s.evaluate()
}
