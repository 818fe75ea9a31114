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

// parsePolicy returns the sorted principals of a policy document's Allow
// statements. The document may be an object or a JSON string holding one
// (CloudTrail logs both); "*" stands for everyone.
func parsePolicy(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(s)
	}
	var doc struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if json.Unmarshal(raw, &doc) != nil {
		return []string{}
	}
	var stmts []map[string]json.RawMessage
	if json.Unmarshal(doc.Statement, &stmts) != nil {
		var one map[string]json.RawMessage
		if json.Unmarshal(doc.Statement, &one) != nil {
			return []string{}
		}
		stmts = append(stmts, one)
	}
	out := []string{}
	for _, st := range stmts {
		var effect string
		json.Unmarshal(st["Effect"], &effect)
		if !strings.EqualFold(effect, "Allow") {
			continue
		}
		out = append(out, principalValues(st["Principal"])...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// principalValues flattens a policy Principal: "*", {"AWS": "..."} or
// {"AWS": [...], "Service": ...}.
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
		if json.Unmarshal(v, &s) == nil {
			out = append(out, s)
			continue
		}
		var list []string
		if json.Unmarshal(v, &list) == nil {
			out = append(out, list...)
		}
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
		c := change{what: "replaced the policy", prior: prev != nil}
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
	case "CreateAlias", "UpdateAlias":
		return change{what: "pointed alias " + str("aliasName") + " at key " + str("targetKeyId"), prior: true}
	}
	return change{what: "called " + name, prior: true}
}
