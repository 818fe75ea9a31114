package policy

import (
	"slices"
	"strings"

	"github.com/keytrail/keytrail/internal/arn"
)

// Reach is who one Allow statement lets call, read as AWS evaluates it: the
// principal, narrowed by the statement's conditions (all of which must hold)
// and by the policy's Deny statements that apply to every principal.
type Reach struct {
	Who string // "*", an ARN, an account id or a service, as written
	// Limits are the conditions that restrict who can call, as
	// "key=value[,value]" with the key as AWS documents it, prefixed
	// "(by a Deny) " when a Deny statement imposes it; empty means the
	// principal alone decides.
	Limits []string
	// Accounts are the accounts the conditions confine callers to
	// (aws:PrincipalAccount, kms:CallerAccount, aws:SourceAccount, the
	// accounts of aws:PrincipalArn patterns); empty when they do not name
	// any, ["none"] when they contradict each other.
	Accounts []string
	// Org is set when a condition confines callers to an organization.
	Org bool
}

// String describes the reach for a reader: "*" alone is everyone; a
// restricted wildcard names its conditions ("* where aws:PrincipalOrgID=o-1").
func (r Reach) String() string {
	if len(r.Limits) == 0 {
		return r.Who
	}
	return r.Who + " where " + strings.Join(r.Limits, " and ")
}

// Callers returns the accounts r lets in: the principal's own, or for a
// wildcard the accounts its conditions name. anyone is true when a wildcard
// is confined neither to named accounts nor to an organization nor by any
// other restricting condition: the statement is public.
func (r Reach) Callers() (accounts []string, anyone bool) {
	if r.Who != "*" {
		if a := principalAccount(r.Who); a != "" {
			return []string{a}, false
		}
		return nil, false
	}
	if len(r.Accounts) > 0 {
		return r.Accounts, false
	}
	return nil, !r.Org && len(r.Limits) == 0
}

// Reach reads the document into the reach of each principal its Allow
// statements name, in statement order. A NotPrincipal in an Allow lets in
// everyone else, so it reaches "*". A Deny statement that applies to every
// principal and denies callers failing a restricting condition
// (StringNotEquals aws:PrincipalOrgID, say) narrows every wildcard Allow.
func (d Document) Reach() []Reach {
	denies := d.denyConditions()
	var out []Reach
	for _, st := range d.Statements {
		if !st.Allow() {
			continue
		}
		for _, w := range reachWho(st) {
			out = append(out, reachOf(st, w, denies))
		}
	}
	return out
}

// reachWho is who an Allow statement names for Reach: its principals, and
// "*" for a NotPrincipal.
func reachWho(st Statement) []string {
	who := slices.Clone(st.Principal)
	if st.NotPrincipal != nil {
		who = append(who, "*")
	}
	return who
}

// denyConditions are the conditions of the Deny statements that name every
// principal: a positive reading of each negated one narrows a wildcard.
func (d Document) denyConditions() []Condition {
	var denies []Condition
	for _, st := range d.Statements {
		if st.Deny() && slices.Contains(st.Principal, "*") {
			denies = append(denies, st.Conditions...)
		}
	}
	return denies
}

// reachOf is the reach of principal w of Allow statement st.
func reachOf(st Statement, w string, denies []Condition) Reach {
	r := Reach{Who: w}
	if w == "*" {
		for _, c := range st.Conditions {
			r.limit(c, false)
		}
		for _, c := range denies {
			r.limit(c, true)
		}
	}
	return r
}

// restrictingKeys are the condition keys that limit who can call, in the
// spelling AWS documents (keys compare case-insensitively). The policy
// evaluation documentation and policyuniverse's list of "restrictive"
// conditions are the references.
var restrictingKeys = []string{
	"aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalAccount", "aws:SourceAccount",
	"aws:PrincipalArn", "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOrgPaths", "aws:SourceVpc", "aws:SourceVpce",
	"aws:SourceIp", "aws:userid", "aws:username", "kms:CallerAccount", "kms:ViaService",
}

func restrictingKey(k string) (string, bool) {
	for _, c := range restrictingKeys {
		if strings.EqualFold(c, k) {
			return c, true
		}
	}
	return "", false
}

// limit applies one condition to r: a positive match on a restricting key
// with a concrete value confines who can call (for a Deny's condition, a
// negated match: the Deny refuses everyone else).
func (r *Reach) limit(c Condition, viaDeny bool) {
	key, ok := restrictingKey(c.Key)
	if !ok || c.ifExists() || c.negated() != viaDeny || len(c.Values) == 0 {
		return
	}
	var vals []string
	for _, v := range c.Values {
		if v != "" && strings.Trim(v, "*?") != "" {
			vals = append(vals, v)
		}
	}
	if len(vals) < len(c.Values) {
		return // a wildcard value matches anyone
	}
	switch key {
	case "aws:PrincipalArn", "aws:SourceArn":
		// Confines the account only where every pattern names one: a role
		// name under any account (arn:aws:iam::*:role/x) is a name an
		// outsider can create.
		var accts []string
		for _, v := range vals {
			a := arn.Account(v)
			if !arn.IsAccountID(a) {
				return
			}
			accts = append(accts, a)
		}
		r.Accounts = mergeAccounts(r.Accounts, accts)
	case "aws:PrincipalAccount", "aws:SourceAccount", "kms:CallerAccount":
		for _, v := range vals {
			if !arn.IsAccountID(v) {
				return
			}
		}
		r.Accounts = mergeAccounts(r.Accounts, vals)
	case "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:SourceOrgID", "aws:SourceOrgPaths":
		r.Org = true
	}
	prefix := ""
	if viaDeny {
		prefix = "(by a Deny) "
	}
	r.Limits = append(r.Limits, prefix+key+"="+strings.Join(vals, ","))
}

// mergeAccounts intersects two confinements (conditions all hold); an
// empty one confines nothing yet.
func mergeAccounts(have, add []string) []string {
	if len(have) == 0 {
		out := slices.Clone(add)
		slices.Sort(out)
		return slices.Compact(out)
	}
	var out []string
	for _, a := range have {
		if slices.Contains(add, a) {
			out = append(out, a)
		}
	}
	if out == nil {
		out = []string{"none"} // contradictory conditions: nobody
	}
	return out
}

// principalAccount returns the account a policy principal belongs to: the
// account of an ARN, a bare 12-digit id, or "" for services and "*".
func principalAccount(p string) string {
	if arn.IsAccountID(p) {
		return p
	}
	return arn.Account(p)
}
