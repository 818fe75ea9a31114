package detect

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/keytrail/keytrail/internal/policy"
)

// params decodes request_parameters; nil when absent or not an object.
func params(requestParameters string) map[string]json.RawMessage {
	if requestParameters == "" {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(requestParameters), &m) != nil {
		return nil
	}
	return m
}

// stringList reads a JSON string, list of strings, or other scalars (a
// request parameter such as secretIdList).
func stringList(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return []string{strings.Trim(string(raw), `"`)}
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		if json.Unmarshal(v, &s) == nil {
			out = append(out, s)
		} else {
			out = append(out, string(v))
		}
	}
	return out
}

// policyPrincipals returns the principals a policy-setting call leaves the
// resource's policy allowing: the Allow statements' principals of the new
// resource or key policy (empty for DeleteResourcePolicy). ok is false for
// other calls.
func policyPrincipals(source, name, requestParameters string) (ps []string, ok bool) {
	var field string
	switch {
	case source == sourceSM && name == "PutResourcePolicy":
		field = "resourcePolicy"
	case source == sourceSM && name == "DeleteResourcePolicy":
		return []string{}, true
	case source == sourceKMS && (name == "PutKeyPolicy" || name == "CreateKey"):
		field = "policy"
	default:
		return nil, false
	}
	raw, found := params(requestParameters)[field]
	if !found {
		return nil, false
	}
	return parsePolicy(raw), true
}

// parsePolicy returns who a policy document's Allow statements let in, as
// sorted, distinct descriptions (see policy.Reach.String). The document may
// be an object or a JSON string holding one (CloudTrail logs both).
func parsePolicy(raw json.RawMessage) []string {
	rs := policyReach(raw)
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.String())
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// reach is who a policy or grant lets in, as the rules hold it: a
// policy.Reach read from the new policy, or reach{who: p} for a principal
// taken as written (a grant's grantee).
type reach struct {
	who string
	of  policy.Reach // zero for a principal taken as written
}

func (r reach) String() string {
	p := r.of
	p.Who = r.who
	return p.String()
}

// reachAccounts returns the accounts r lets in, and whether it lets in
// anyone (see policy.Reach.Callers).
func (r reach) reachAccounts() (accts []string, any bool) {
	p := r.of
	p.Who = r.who
	return p.Callers()
}

// policyReach reads a policy document (an object or a JSON string holding
// one) into the reach of each principal its Allow statements name, as
// package policy reads it; nil when it is not a policy.
func policyReach(raw json.RawMessage) []reach {
	doc, err := policy.Parse(string(raw))
	if err != nil {
		return nil
	}
	var out []reach
	for _, r := range doc.Reach() {
		out = append(out, reach{who: r.Who, of: r})
	}
	return out
}

// change describes what a policy-changing call changes.
type change struct {
	what    string   // plain description
	added   []string // principals (or accounts) it newly allows
	removed []string
	prior   bool // the previous policy was known
	quiet   bool // not a change of access (e.g. RotateSecret without new rules)
	// reach describes each added principal as the new policy or grant
	// lets it in; a principal missing here is taken as written.
	reach map[string]reach
}

// describeChange works out what a call (source, name and
// request_parameters) changes; prev is the resource's policy before it (nil
// when unknown).
func describeChange(source, name, requestParameters string, prev []string) change {
	ps := params(requestParameters)
	str := func(k string) string {
		var s string
		json.Unmarshal(ps[k], &s)
		return s
	}
	switch name {
	case "PutResourcePolicy", "PutKeyPolicy", "DeleteResourcePolicy", "CreateKey":
		now, ok := policyPrincipals(source, name, requestParameters)
		if !ok {
			return change{what: "set a policy whose text was not logged"}
		}
		c := change{what: "replaced the policy", prior: prev != nil, reach: map[string]reach{}}
		field := "policy"
		if source == sourceSM {
			field = "resourcePolicy"
		}
		for _, r := range policyReach(ps[field]) {
			c.reach[r.String()] = r
		}
		if name == "DeleteResourcePolicy" {
			c.what = "deleted the resource policy"
		}
		if name == "CreateKey" {
			c.what, c.prior = "created the key with a policy", true
			prev = []string{}
		}
		for _, p := range now {
			if !slices.Contains(prev, p) {
				c.added = append(c.added, p)
			}
		}
		for _, p := range prev {
			if !slices.Contains(now, p) {
				c.removed = append(c.removed, p)
			}
		}
		return c
	case "CreateGrant":
		c := change{what: "created a grant", prior: true}
		for _, k := range []string{"granteePrincipal", "retiringPrincipal"} {
			if v := str(k); v != "" && !slices.Contains(c.added, v) {
				c.added = append(c.added, v)
			}
		}
		var ops []string
		json.Unmarshal(ps["operations"], &ops)
		if len(ops) > 0 {
			c.what = "created a grant for " + strings.Join(ops, ", ")
		}
		return c
	case "RotateSecret":
		if _, ok := ps["rotationLambdaARN"]; ok {
			return change{what: "changed the rotation function to " + str("rotationLambdaARN"), prior: true}
		}
		if _, ok := ps["rotationRules"]; ok {
			return change{what: "changed the rotation schedule", prior: true}
		}
		return change{quiet: true}
	case "UpdateSecret":
		if k := str("kmsKeyId"); k != "" {
			return change{what: "changed the encryption key to " + k, prior: true}
		}
		return change{quiet: true}
	case "ReplicateSecretToRegions":
		return change{what: "replicated the secret to other regions", prior: true}
	case "ImportKeyMaterial":
		return change{what: "imported key material (the key now decrypts with material from outside AWS)", prior: true}
	case "CreateAlias", "UpdateAlias":
		return change{what: "pointed alias " + str("aliasName") + " at key " + str("targetKeyId"), prior: true}
	}
	return change{what: "called " + name, prior: true}
}
