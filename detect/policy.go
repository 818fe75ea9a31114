package detect

import (
	"encoding/json"
	"slices"
	"strings"
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
// sorted, distinct descriptions (see reach.String). The document may be an
// object or a JSON string holding one (CloudTrail logs both).
func parsePolicy(raw json.RawMessage) []string {
	rs := policyReach(raw)
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.String())
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// reach is who one Allow statement lets call, read as AWS evaluates it: the
// principal, narrowed by the statement's conditions (all of which must hold)
// and by the policy's Deny statements.
type reach struct {
	who string // "*", an ARN, an account id or a service
	// limits are the conditions that restrict who can call, as
	// "key=value[,value]" with the key as AWS documents it; empty means
	// the principal alone decides.
	limits []string
	// accounts are the accounts the conditions confine callers to
	// (aws:PrincipalAccount, kms:CallerAccount, aws:SourceAccount, the
	// accounts of aws:PrincipalArn patterns); empty when they do not name any.
	accounts []string
	// org is set when a condition confines callers to an organization.
	org bool
}

// String describes the reach for a finding's reason: "*" alone is
// everyone; a restricted wildcard names its conditions.
func (r reach) String() string {
	if len(r.limits) == 0 {
		return r.who
	}
	return r.who + " where " + strings.Join(r.limits, " and ")
}

// reachAccounts returns the accounts r lets in: the principal's own, or for
// a wildcard the accounts its conditions name. any is true when a wildcard
// is not confined to named accounts nor to an organization.
func (r reach) reachAccounts() (accts []string, any bool) {
	if r.who != "*" {
		if a := principalAccount(r.who); a != "" {
			return []string{a}, false
		}
		return nil, false
	}
	if len(r.accounts) > 0 {
		return r.accounts, false
	}
	return nil, !r.org && len(r.limits) == 0
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

// condition is one operator-key-values triple of a Condition block.
type condition struct {
	op, key string
	values  []string
}

// negated reports an operator that matches when the value differs
// (StringNotEquals, ArnNotLike, NotIpAddress…).
func (c condition) negated() bool { return strings.Contains(strings.ToLower(c.op), "not") }

// ifExists reports an …IfExists operator, which holds when the key is
// absent: it restricts nothing for calls that do not carry the key.
func (c condition) ifExists() bool { return strings.HasSuffix(strings.ToLower(c.op), "ifexists") }

func conditions(raw json.RawMessage) []condition {
	var block map[string]map[string]json.RawMessage
	if json.Unmarshal(raw, &block) != nil {
		return nil
	}
	var out []condition
	for op, keys := range block {
		for k, v := range keys {
			out = append(out, condition{op: op, key: k, values: stringList(v)})
		}
	}
	slices.SortFunc(out, func(a, b condition) int { return strings.Compare(a.key+a.op, b.key+b.op) })
	return out
}

// stringList reads a JSON string, list of strings, or other scalars.
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

// limit applies one condition to r: a positive match on a restricting key
// with a concrete value confines who can call.
func (r *reach) limit(c condition, viaDeny bool) {
	key, ok := restrictingKey(c.key)
	if !ok || c.ifExists() || c.negated() != viaDeny || len(c.values) == 0 {
		return
	}
	var vals []string
	for _, v := range c.values {
		if v != "" && strings.Trim(v, "*?") != "" {
			vals = append(vals, v)
		}
	}
	if len(vals) < len(c.values) {
		return // a wildcard value matches anyone
	}
	switch key {
	case "aws:PrincipalArn", "aws:SourceArn":
		// Confines the account only where every pattern names one: a role
		// name under any account (arn:aws:iam::*:role/x) is a name an
		// outsider can create.
		var accts []string
		for _, v := range vals {
			a := arnAccount(v)
			if !isAccountID(a) {
				return
			}
			accts = append(accts, a)
		}
		r.accounts = mergeAccounts(r.accounts, accts)
	case "aws:PrincipalAccount", "aws:SourceAccount", "kms:CallerAccount":
		for _, v := range vals {
			if !isAccountID(v) {
				return
			}
		}
		r.accounts = mergeAccounts(r.accounts, vals)
	case "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:SourceOrgID", "aws:SourceOrgPaths":
		r.org = true
	}
	prefix := ""
	if viaDeny {
		prefix = "(by a Deny) "
	}
	r.limits = append(r.limits, prefix+key+"="+strings.Join(vals, ","))
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

// policyReach reads a policy document into the reach of each principal its
// Allow statements name. A NotPrincipal in an Allow lets in everyone else,
// so it reaches "*". A Deny statement that applies to every principal and
// denies callers failing a restricting condition (StringNotEquals
// aws:PrincipalOrgID, say) narrows every Allow.
func policyReach(raw json.RawMessage) []reach {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(s)
	}
	var doc struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if json.Unmarshal(raw, &doc) != nil {
		return nil
	}
	var stmts []map[string]json.RawMessage
	if json.Unmarshal(doc.Statement, &stmts) != nil {
		var one map[string]json.RawMessage
		if json.Unmarshal(doc.Statement, &one) != nil {
			return nil
		}
		stmts = append(stmts, one)
	}
	field := func(st map[string]json.RawMessage, name string) json.RawMessage {
		for k, v := range st {
			if strings.EqualFold(k, name) {
				return v
			}
		}
		return nil
	}
	var denies []condition
	for _, st := range stmts {
		var effect string
		json.Unmarshal(field(st, "Effect"), &effect)
		if strings.EqualFold(effect, "Deny") && slices.Contains(principalValues(field(st, "Principal")), "*") {
			denies = append(denies, conditions(field(st, "Condition"))...)
		}
	}
	var out []reach
	for _, st := range stmts {
		var effect string
		json.Unmarshal(field(st, "Effect"), &effect)
		if !strings.EqualFold(effect, "Allow") {
			continue
		}
		who := principalValues(field(st, "Principal"))
		if np := field(st, "NotPrincipal"); len(np) > 0 {
			who = append(who, "*")
		}
		conds := conditions(field(st, "Condition"))
		for _, w := range who {
			r := reach{who: w}
			if w == "*" {
				for _, c := range conds {
					r.limit(c, false)
				}
				for _, c := range denies {
					r.limit(c, true)
				}
			}
			out = append(out, r)
		}
	}
	return out
}

// principalValues flattens a policy Principal: "*", {"AWS": "..."} or
// {"AWS": [...], "Service": ...}; {"AWS": "*"} is "*".
func principalValues(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	var out []string
	for _, v := range m {
		out = append(out, stringList(v)...)
	}
	return out
}

// principalAccount returns the account a policy principal belongs to: the
// account of an ARN, a bare 12-digit id, or "" for services and "*".
func principalAccount(p string) string {
	if isAccountID(p) {
		return p
	}
	return arnAccount(p)
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
