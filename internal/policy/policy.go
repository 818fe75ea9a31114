// Package policy reads IAM policies the one way keytrail reads them: the
// detector, to tell whom a policy-changing call lets in, and the access
// inventory, to list who may read each secret and use each key.
//
// Both answers must agree. A detector that calls a new secret policy
// "restricted to the organization" while the quarterly inventory lists the
// same policy as reachable from outside would leave an auditor with two
// readings of one document, so the parsing (Parse), the reading of who a
// policy's Allow statements let in (Document.Reach) and the evaluation over
// an inventory snapshot (Evaluate) live here and nowhere else.
//
// The text comes from CloudTrail request parameters and from the IAM,
// Secrets Manager and KMS APIs: whoever changed a policy wrote it. It stays
// data: nothing here logs, prints or escapes it; each renderer escapes what
// it shows.
package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Document is a parsed IAM policy (identity, resource or key policy).
type Document struct {
	Statements []Statement
}

// Statement is one statement of a policy, its lists as written.
type Statement struct {
	Sid    string
	Effect string // "Allow" or "Deny" as written; compare with strings.EqualFold
	// Principal and NotPrincipal hold "*", ARNs, account ids or service
	// names as written, flattened over the AWS, Service, Federated and
	// CanonicalUser keys ({"AWS": "*"} is "*"). NotPrincipal is non-nil,
	// possibly empty, when the statement has the element at all.
	Principal, NotPrincipal []string
	Action, NotAction       []string
	Resource, NotResource   []string
	Conditions              []Condition
	Index                   int // position in the policy's Statement list
}

// Condition is one operator-key-values triple of a Condition block.
type Condition struct {
	Operator, Key string
	Values        []string
}

// String is "Operator Key=v1,v2", as a reader of the policy would say it.
func (c Condition) String() string {
	return c.Operator + " " + c.Key + "=" + strings.Join(c.Values, ",")
}

// negated reports an operator that matches when the value differs
// (StringNotEquals, ArnNotLike, NotIpAddress…).
func (c Condition) negated() bool { return strings.Contains(strings.ToLower(c.Operator), "not") }

// ifExists reports an …IfExists operator, which holds when the key is
// absent: it restricts nothing for calls that do not carry the key.
func (c Condition) ifExists() bool { return strings.HasSuffix(strings.ToLower(c.Operator), "ifexists") }

// Allow and Deny report the statement's effect (AWS reads it as written;
// keytrail accepts any case, as it always has).
func (s Statement) Allow() bool { return strings.EqualFold(s.Effect, "Allow") }

// Deny reports an explicit Deny.
func (s Statement) Deny() bool { return strings.EqualFold(s.Effect, "Deny") }

// Label names the statement for a reader: "statement Sid (#2)", or
// "statement #2" without a Sid.
func (s Statement) Label() string {
	if s.Sid == "" {
		return fmt.Sprintf("statement #%d", s.Index)
	}
	return fmt.Sprintf("statement %s (#%d)", s.Sid, s.Index)
}

// ErrNoStatement is returned for a JSON object without a Statement.
var ErrNoStatement = errors.New("policy has no Statement")

// Parse accepts a JSON object or a JSON string holding one (CloudTrail and
// the APIs give both). Statement may be one object or an array; Principal
// is "*" or {"AWS": x|[..], "Service": .., "Federated": ..}; element names
// compare case-insensitively. A Condition block that is not an object of
// objects is dropped, so the statement reads as unconditional: wider, never
// narrower, than what AWS would enforce.
func Parse(text string) (Document, error) {
	raw := json.RawMessage(text)
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(s)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return Document{}, fmt.Errorf("parse policy: %w", err)
	}
	body := field(top, "Statement")
	if body == nil {
		return Document{}, fmt.Errorf("parse policy: %w", ErrNoStatement)
	}
	var stmts []map[string]json.RawMessage
	if err := json.Unmarshal(body, &stmts); err != nil {
		var one map[string]json.RawMessage
		if json.Unmarshal(body, &one) != nil {
			return Document{}, fmt.Errorf("parse policy statements: %w", err)
		}
		stmts = append(stmts, one)
	}
	var d Document
	for i, m := range stmts {
		st := Statement{Index: i}
		json.Unmarshal(field(m, "Sid"), &st.Sid)
		json.Unmarshal(field(m, "Effect"), &st.Effect)
		st.Principal = principalValues(field(m, "Principal"))
		if np := field(m, "NotPrincipal"); np != nil {
			st.NotPrincipal = principalValues(np)
			if st.NotPrincipal == nil {
				st.NotPrincipal = []string{}
			}
		}
		st.Action = list(field(m, "Action"))
		st.NotAction = list(field(m, "NotAction"))
		st.Resource = list(field(m, "Resource"))
		st.NotResource = list(field(m, "NotResource"))
		st.Conditions = conditions(field(m, "Condition"))
		d.Statements = append(d.Statements, st)
	}
	return d, nil
}

// field returns the element called name: the exact spelling if present,
// else the first case-insensitive match in sorted order (deterministic for
// a policy that spells one element two ways).
func field(m map[string]json.RawMessage, name string) json.RawMessage {
	if v, ok := m[name]; ok {
		return v
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if strings.EqualFold(k, name) {
			return m[k]
		}
	}
	return nil
}

func list(raw json.RawMessage) []string {
	if raw == nil {
		return nil
	}
	return stringList(raw)
}

func conditions(raw json.RawMessage) []Condition {
	var block map[string]map[string]json.RawMessage
	if json.Unmarshal(raw, &block) != nil {
		return nil
	}
	var out []Condition
	for op, keys := range block {
		for k, v := range keys {
			out = append(out, Condition{Operator: op, Key: k, Values: stringList(v)})
		}
	}
	slices.SortFunc(out, func(a, b Condition) int {
		return strings.Compare(a.Key+a.Operator, b.Key+b.Operator)
	})
	return out
}

// stringList reads a JSON string, list of strings, or other scalars.
func stringList(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var l []json.RawMessage
	if json.Unmarshal(raw, &l) != nil {
		return []string{strings.Trim(string(raw), `"`)}
	}
	out := make([]string, 0, len(l))
	for _, v := range l {
		if json.Unmarshal(v, &s) == nil {
			out = append(out, s)
		} else {
			out = append(out, string(v))
		}
	}
	return out
}

// principalValues flattens a policy Principal: "*", {"AWS": "..."} or
// {"AWS": [...], "Service": ...}; {"AWS": "*"} is "*". Keys are read in
// sorted order so the result does not depend on map iteration.
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
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		out = append(out, stringList(m[k])...)
	}
	return out
}
