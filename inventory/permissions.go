package inventory

import (
	"encoding/json"
	"strings"

	"github.com/keytrail/keytrail/internal/policy"
)

// evaluate fills the snapshot's permissions: every principal it holds,
// every resource and key policy and grant, evaluated by internal/policy
// for secretsmanager:GetSecretValue and the keys' cryptographic actions.
// The accounts the run covers are the organization that "outside" is
// measured against. A policy that cannot be parsed is an error on its
// row, and its resource is evaluated as if it had none (identity
// policies alone then decide for a secret; nothing is allowed on a key).
func (s *Snapshot) evaluate() {
	var principals []policy.Principal
	for _, id := range s.identities {
		p := policy.Principal{ARN: id.ARN, Account: id.Account, Kind: id.Kind}
		for _, np := range id.Policies {
			doc, err := policy.Parse(np.Document)
			if err != nil {
				continue // IAM only stores valid policies; nothing to report against
			}
			p.Policies = append(p.Policies, policy.Named{Name: np.Name, Document: doc})
		}
		principals = append(principals, p)
	}
	var resources []policy.Resource
	for i := range s.Secrets {
		sec := &s.Secrets[i]
		r := policy.Resource{ARN: sec.ARN, Account: sec.Account, Region: sec.Region, Type: "secret"}
		r.Policy = parsed(sec.ResourcePolicy, &sec.Errors)
		resources = append(resources, r)
	}
	for i := range s.Keys {
		k := &s.Keys[i]
		r := policy.Resource{ARN: k.ARN, Account: k.Account, Region: k.Region, Type: "key", KeyUsage: k.Usage}
		r.Policy = parsed(k.KeyPolicy, &k.Errors)
		var grants []grantJSON
		if err := json.Unmarshal([]byte(k.Grants), &grants); err == nil {
			for _, g := range grants {
				pg := policy.Grant{ID: g.GrantID, GranteePrincipal: g.GranteePrincipal, RetiringPrincipal: g.RetiringPrincipal, Operations: g.Operations}
				if g.ContextEquals != nil || g.ContextSubset != nil {
					pg.Constraints = map[string]map[string]string{}
					if g.ContextEquals != nil {
						pg.Constraints["EncryptionContextEquals"] = g.ContextEquals
					}
					if g.ContextSubset != nil {
						pg.Constraints["EncryptionContextSubset"] = g.ContextSubset
					}
				}
				r.Grants = append(r.Grants, pg)
			}
		}
		resources = append(resources, r)
	}
	type place struct{ account, region string }
	where := map[string]place{}
	kind := map[string]string{}
	for _, r := range resources {
		where[r.ARN] = place{r.Account, r.Region}
		kind[r.ARN] = r.Type
	}
	s.Permissions = nil
	for _, p := range policy.Evaluate(resources, principals, policy.Org{Accounts: s.Accounts}) {
		pl := where[p.ResourceARN]
		s.Permissions = append(s.Permissions, Permission{CollectedAt: s.At, Account: pl.account, Region: pl.region,
			ResourceARN: p.ResourceARN, ResourceType: kind[p.ResourceARN], PrincipalARN: p.PrincipalARN, PrincipalKind: p.PrincipalKind,
			Action: p.Action, GrantedBy: p.GrantedBy, Via: p.Via, Conditions: p.Conditions, Outside: p.Outside, Public: p.Public})
	}
	s.permissionCoverage()
}

// parsed is a policy document, nil when there is none or it does not
// parse (then noted in errs).
func parsed(text string, errs *[]string) *policy.Document {
	if text == "" {
		return nil
	}
	doc, err := policy.Parse(text)
	if err != nil {
		*errs = append(*errs, "policy: "+errorText(err))
		return nil
	}
	return &doc
}

// permissionCoverage adds a permissions coverage row per account and
// region: partial when the place's secrets or keys, or its account's
// principals, were not read, since who may is then incomplete.
func (s *Snapshot) permissionCoverage() {
	status := map[[3]string]Coverage{}
	for _, c := range s.Coverage {
		status[[3]string{c.Account, c.Region, c.Table}] = c
	}
	rows := map[[2]string]int{}
	for _, p := range s.Permissions {
		rows[[2]string{p.Account, p.Region}]++
	}
	var add []Coverage
	for _, c := range s.Coverage {
		if c.Table != "secrets" {
			continue
		}
		pc := Coverage{CollectedAt: s.At, Account: c.Account, Region: c.Region, Table: "permissions", Via: c.Via,
			Rows: int64(rows[[2]string{c.Account, c.Region}]), Status: StatusOK}
		var missing []string
		for _, t := range []string{"secrets", "keys"} {
			if st := status[[3]string{c.Account, c.Region, t}].Status; st == StatusDenied || st == StatusError {
				missing = append(missing, t)
			}
		}
		if st := status[[3]string{c.Account, Global, "principals"}].Status; st == StatusDenied || st == StatusError {
			missing = append(missing, "principals")
		}
		switch {
		case len(missing) > 0 && missing[0] == "secrets" && len(missing) > 1 && missing[1] == "keys":
			pc.Status, pc.Error = c.Status, "not read: "+strings.Join(missing, ", ") // nothing to evaluate
		case len(missing) > 0:
			pc.Status, pc.Error = StatusPartial, "not read: "+strings.Join(missing, ", ")
		}
		add = append(add, pc)
	}
	s.Coverage = append(s.Coverage, add...)
	s.sort()
}
