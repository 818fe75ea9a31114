package policy

import (
	"cmp"
	"slices"
	"strings"

	"github.com/keytrail/keytrail/internal/arn"
)

// Principal is a caller in the inventory snapshot, or one that Evaluate
// adds because a resource policy, key policy or grant names it.
type Principal struct {
	ARN, Account string
	// Kind is "user", "role", "group" or "root" for principals of the
	// snapshot; Evaluate adds "service" (a service principal), "root" (an
	// account named by id or root ARN), "external" (an ARN the snapshot
	// does not hold) and "public" (the "*" principal) for those only a
	// policy or grant names.
	Kind string
	// Policies are the identity policies that apply: inline, attached
	// managed, and for a user its groups' policies.
	Policies []Named
}

// Named is a policy with the name a reader knows it by:
// "arn:aws:iam::aws:policy/SecretsManagerReadWrite" or "inline role/app/reader".
type Named struct {
	Name     string
	Document Document
}

// Grant is a KMS grant on a key.
type Grant struct {
	ID, GranteePrincipal, RetiringPrincipal string
	Operations                              []string // "Decrypt", "GenerateDataKey", as KMS lists them
	// Constraints are the grant's constraints by kind
	// ("EncryptionContextEquals", "EncryptionContextSubset"), each a map of
	// encryption context keys to values.
	Constraints map[string]map[string]string
}

// Resource is a secret or a key of the snapshot.
type Resource struct {
	ARN, Account, Region string
	Type                 string    // "secret" or "key"
	Policy               *Document // resource or key policy; nil = none
	Grants               []Grant
	// KeyUsage is a key's KeyUsage ("ENCRYPT_DECRYPT", "SIGN_VERIFY",
	// "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"); empty evaluates the
	// encryption and signing actions alike.
	KeyUsage string
}

// Permission is one way a principal may call one action on one resource.
type Permission struct {
	ResourceARN, PrincipalARN, Action string
	PrincipalKind                     string // the Principal's Kind
	// GrantedBy names what grants it: "key policy: statement Sid (#2)",
	// "identity policy NAME: statement #0", "grant ID"; for a cross-account
	// call both sides, joined by " and ".
	GrantedBy string
	// Via is "resource-policy", "key-policy", "identity-policy" or "grant":
	// the policy that lets the principal in (for a cross-account call, the
	// resource's side, which the principal's identity policy must match);
	// "root" for the root user's own-account access to a secret, which no
	// policy grants.
	Via string
	// Conditions are the statements' conditions and any conditional Deny
	// that may refuse the call, readable; empty if none. Evaluate does not
	// evaluate them.
	Conditions string
	// Outside is set when a principal outside the organization (or, without
	// an organization, outside the resource's account) may call; Public when
	// anyone may. Both are decided as the detector decides them (Reach).
	Outside, Public bool
}

// Org is the organization whose accounts are inside.
type Org struct {
	ID       string
	Accounts []string
}

// SecretActions are the actions Evaluate evaluates for a secret.
var SecretActions = []string{"secretsmanager:GetSecretValue"}

// KeyActions are the actions Evaluate evaluates for a key without a known
// key usage: the encryption and signing operations, each member of the
// GenerateDataKey* and ReEncrypt* families by name (grants list them so).
var KeyActions = []string{
	"kms:Decrypt", "kms:Encrypt",
	"kms:GenerateDataKey", "kms:GenerateDataKeyPair",
	"kms:GenerateDataKeyPairWithoutPlaintext", "kms:GenerateDataKeyWithoutPlaintext",
	"kms:ReEncryptFrom", "kms:ReEncryptTo",
	"kms:Sign", "kms:Verify",
}

// keyActions are the cryptographic actions of each key usage.
var keyActions = map[string][]string{
	"ENCRYPT_DECRYPT": {
		"kms:Decrypt", "kms:Encrypt",
		"kms:GenerateDataKey", "kms:GenerateDataKeyPair",
		"kms:GenerateDataKeyPairWithoutPlaintext", "kms:GenerateDataKeyWithoutPlaintext",
		"kms:ReEncryptFrom", "kms:ReEncryptTo",
	},
	"SIGN_VERIFY":         {"kms:Sign", "kms:Verify"},
	"GENERATE_VERIFY_MAC": {"kms:GenerateMac", "kms:VerifyMac"},
	"KEY_AGREEMENT":       {"kms:DeriveSharedSecret"},
}

// Actions returns the actions Evaluate evaluates for r.
func (r Resource) Actions() []string {
	if r.Type == "secret" {
		return SecretActions
	}
	if a, ok := keyActions[strings.ToUpper(r.KeyUsage)]; ok {
		return a
	}
	return KeyActions
}

// Evaluate lists who may call the read actions of each resource (see
// Resource.Actions), one Permission per principal, action and way in,
// following AWS's policy evaluation logic:
//
//   - An explicit Deny that applies (identity policy, or resource or key
//     policy statement naming the principal, its account, "*", or a
//     NotPrincipal that leaves it out) wins over every Allow. A Deny with
//     conditions is not evaluated: it is kept in Conditions as "unless
//     denied …", since it may refuse some calls and not others.
//   - Same account, secret: the identity policy or the resource policy
//     allowing is enough. A resource policy naming the account (root or
//     id) delegates to identity policies and adds no row of its own for
//     the account's principals.
//   - Same account, key: the key policy must allow the principal directly,
//     or allow the account, which lets identity policies decide; identity
//     policies alone grant nothing ("Unless the key policy explicitly
//     allows it, you cannot use IAM policies to allow access to a KMS key",
//     AWS KMS Developer Guide, Key policies).
//   - Grants allow their grantee their operations.
//   - Cross account: the resource or key policy must allow the principal
//     (or its account) and its identity policy must allow too (IAM User
//     Guide, Cross-account policy evaluation logic).
//   - A principal only a policy or grant names (another account, a role
//     the snapshot lacks, a service, "*") gets rows of its own with Kind
//     "root", "external", "service" or "public": what the resource's side
//     allows; its own account's identity policies are not known.
//   - Conditions are not evaluated (see Permission.Conditions), except that
//     the keys the detector reads decide Outside and Public as it does.
//
// The root user of an account has every permission its account's identity
// side can give (Via "root" where nothing else is needed), yet a key policy
// must still let it in. The result is sorted and has no duplicates.
func Evaluate(resources []Resource, principals []Principal, org Org) []Permission {
	var out []Permission
	for _, r := range resources {
		e := evaluation{res: r, org: org}
		out = append(out, e.run(principals)...)
	}
	slices.SortFunc(out, comparePermissions)
	return slices.Compact(out)
}

func comparePermissions(a, b Permission) int {
	return cmp.Or(
		strings.Compare(a.ResourceARN, b.ResourceARN),
		strings.Compare(a.PrincipalARN, b.PrincipalARN),
		strings.Compare(a.Action, b.Action),
		strings.Compare(a.Via, b.Via),
		strings.Compare(a.GrantedBy, b.GrantedBy),
		strings.Compare(a.Conditions, b.Conditions),
		strings.Compare(a.PrincipalKind, b.PrincipalKind),
		cmpBool(a.Outside, b.Outside),
		cmpBool(a.Public, b.Public),
	)
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// evaluation is the evaluation of one resource.
type evaluation struct {
	res Resource
	org Org
}

// caller is a principal to evaluate; named callers are those only the
// resource's policy or grants name.
type caller struct {
	Principal
	named bool
}

// side is one way in on one side of the evaluation: a statement of a named
// policy, or a grant.
type side struct {
	from  string // "resource policy", "key policy", "identity policy NAME"
	st    Statement
	grant *Grant
	text  string // the label of a way in that is neither
}

func (s side) label() string {
	if s.text != "" {
		return s.text
	}
	if s.grant != nil {
		return "grant " + s.grant.ID
	}
	return s.from + ": " + s.st.Label()
}

func (s side) conditions() string {
	if s.grant != nil {
		return grantConstraints(*s.grant)
	}
	return conditionText(s.st.Conditions)
}

func (e evaluation) account() string {
	if e.res.Account != "" {
		return e.res.Account
	}
	return arn.Account(e.res.ARN)
}

func (e evaluation) policyName() string {
	if e.res.Type == "key" {
		return "key policy"
	}
	return "resource policy"
}

func (e evaluation) via() string {
	if e.res.Type == "key" {
		return "key-policy"
	}
	return "resource-policy"
}

// partition is the resource ARN's partition, for the root ARN of an
// account a policy names by id.
func (e evaluation) partition() string {
	if rest, ok := strings.CutPrefix(e.res.ARN, "arn:"); ok {
		if p, _, ok := strings.Cut(rest, ":"); ok && p != "" {
			return p
		}
	}
	return "aws"
}

// normalize spells a policy principal as the ARN AWS stores: an account id
// becomes its root ARN.
func (e evaluation) normalize(v string) string {
	if arn.IsAccountID(v) {
		return "arn:" + e.partition() + ":iam::" + v + ":root"
	}
	return v
}

func kindOf(v string) string {
	switch {
	case v == "*":
		return "public"
	case strings.HasPrefix(v, "arn:") && strings.HasSuffix(v, ":root") && arn.IsAccountID(arn.Account(v)):
		return "root"
	case !strings.HasPrefix(v, "arn:") && strings.Contains(v, "."):
		return "service"
	}
	return "external"
}

func (e evaluation) run(principals []Principal) []Permission {
	have := map[string]bool{}
	var callers []caller
	for _, p := range principals {
		have[p.ARN] = true
		callers = append(callers, caller{Principal: p})
	}
	addNamed := func(v string) {
		arn := e.normalize(v)
		if arn == "" || have[arn] {
			return
		}
		have[arn] = true
		callers = append(callers, caller{Principal: Principal{ARN: arn, Account: principalAccount(arn), Kind: kindOf(arn)}, named: true})
	}
	if e.res.Policy != nil {
		for _, st := range e.res.Policy.Statements {
			if !st.Allow() {
				continue
			}
			for _, v := range st.Principal {
				addNamed(v)
			}
			if st.NotPrincipal != nil {
				addNamed("*")
			}
		}
	}
	if e.res.Type == "key" {
		for _, g := range e.res.Grants {
			addNamed(g.GranteePrincipal)
		}
	}
	var out []Permission
	for _, c := range callers {
		for _, a := range e.res.Actions() {
			out = append(out, e.permissions(c, a)...)
		}
	}
	return out
}

// identityKnown reports whether Evaluate holds the caller's identity
// policies: the snapshot's users, roles and groups. The root user has them
// all.
func identityKnown(c caller) bool {
	return !c.named && c.Kind != "root"
}

// permissions are the ways c may call action on the resource.
func (e evaluation) permissions(c caller, action string) []Permission {
	resAcct := e.account()
	pAcct := c.Account
	if pAcct == "" {
		pAcct = principalAccount(c.ARN)
	}
	same := pAcct != "" && pAcct == resAcct
	root := c.Kind == "root"

	// Explicit denies.
	var unless []string
	deny := func(from string, st Statement) bool {
		if len(st.Conditions) == 0 {
			return true
		}
		unless = append(unless, "unless denied by "+from+" "+st.Label()+" where "+conditionText(st.Conditions))
		return false
	}
	var idAllow []side
	if identityKnown(c) {
		for _, n := range c.Policies {
			from := "identity policy " + n.Name
			for _, st := range n.Document.Statements {
				if !st.covers(action, e.res.ARN) {
					continue
				}
				if st.Deny() {
					if deny(from, st) {
						return nil
					}
				} else if st.Allow() {
					idAllow = append(idAllow, side{from: from, st: st})
				}
			}
		}
	}
	var direct, viaAccount []side
	if e.res.Policy != nil {
		from := e.policyName()
		for _, st := range e.res.Policy.Statements {
			if !st.covers(action, e.res.ARN) {
				continue
			}
			d, acct := e.names(st, c, pAcct)
			if st.Deny() && (d || acct) {
				if deny(from, st) {
					return nil
				}
			}
			if !st.Allow() {
				continue
			}
			switch {
			case d || (acct && root):
				direct = append(direct, side{from: from, st: st})
			case acct:
				viaAccount = append(viaAccount, side{from: from, st: st})
			}
		}
	}

	var out []Permission
	add := func(via string, reachSt *Statement, sides ...side) {
		var labels, conds []string
		for _, s := range sides {
			labels = append(labels, s.label())
			if t := s.conditions(); t != "" {
				conds = append(conds, t)
			}
		}
		conds = append(conds, unless...)
		p := Permission{
			ResourceARN: e.res.ARN, PrincipalARN: c.ARN, Action: action, PrincipalKind: c.Kind,
			GrantedBy: strings.Join(labels, " and "), Via: via, Conditions: strings.Join(conds, "; "),
		}
		p.Outside, p.Public = e.outside(c, pAcct, reachSt)
		out = append(out, p)
	}
	alone := same || !identityKnown(c)
	for _, s := range direct {
		st := s.st
		if alone {
			add(e.via(), &st, s)
			continue
		}
		for _, i := range idAllow {
			add(e.via(), &st, s, i)
		}
	}
	for _, s := range viaAccount {
		st := s.st
		for _, i := range idAllow {
			switch {
			case !same:
				add(e.via(), &st, s, i)
			case e.res.Type == "key":
				add("identity-policy", nil, i, s)
			}
		}
	}
	if same && e.res.Type != "key" {
		for _, i := range idAllow {
			add("identity-policy", nil, i)
		}
		if root && !c.named {
			add("root", nil, side{text: "root user (full access in its own account)"})
		}
	}
	if e.res.Type == "key" {
		for i := range e.res.Grants {
			g := &e.res.Grants[i]
			if e.normalize(g.GranteePrincipal) == c.ARN && g.allows(action) {
				add("grant", nil, side{grant: g})
			}
		}
	}
	return out
}

// names reports whether resource-policy statement st names c directly (its
// ARN, "*", or a NotPrincipal that leaves it out) or through its account
// (id or root ARN). A principal only the policy names is matched by its
// own spelling alone (and "public" by "*"), so that a policy naming both
// "*" and an account gives one row each. A group is never a principal of
// a policy: it is matched through its account only, which is what its
// members get from its policies.
func (e evaluation) names(st Statement, c caller, pAcct string) (direct, account bool) {
	star := (!c.named && c.Kind != "group") || c.Kind == "public"
	for _, v := range st.Principal {
		switch n := e.normalize(v); {
		case v == "*":
			direct = direct || star
		case n == c.ARN, c.Kind == "service" && strings.EqualFold(v, c.ARN):
			direct = true
		case pAcct != "" && kindOf(n) == "root" && arn.Account(n) == pAcct:
			account = true
		}
	}
	if st.NotPrincipal != nil && star && !e.excluded(st.NotPrincipal, c, pAcct) {
		direct = true
	}
	return direct, account
}

// excluded reports whether a NotPrincipal list leaves c out: it names c or
// c's account. (AWS leaves a role session out only when the list names the
// session, the role and the account; reading it more loosely can only
// show more access, never hide some.)
func (e evaluation) excluded(list []string, c caller, pAcct string) bool {
	if c.Kind == "public" {
		return false
	}
	for _, v := range list {
		n := e.normalize(v)
		if n == c.ARN || (pAcct != "" && kindOf(n) == "root" && arn.Account(n) == pAcct) {
			return true
		}
	}
	return false
}

// outside decides Outside and Public as the detector does: the reach of
// the statement that lets "*" in, or the caller's own account.
func (e evaluation) outside(c caller, pAcct string, st *Statement) (outside, public bool) {
	r := Reach{Who: c.ARN}
	if c.Kind == "public" && st != nil && e.res.Policy != nil {
		r = reachOf(*st, "*", e.res.Policy.denyConditions())
	} else if pAcct != "" && c.Kind != "service" {
		r.Who = pAcct
	}
	accts, anyone := r.Callers()
	if anyone {
		return true, true
	}
	for _, a := range accts {
		if arn.IsAccountID(a) && a != e.account() && !slices.Contains(e.org.Accounts, a) {
			return true, false
		}
	}
	return false, false
}

// covers reports whether the statement's action and resource elements
// cover action on arn. Actions compare case-insensitively, resources
// case-sensitively, both with * and ? wildcards; a statement without
// Resource or NotResource (a resource policy may omit it) covers its own
// resource.
func (s Statement) covers(action, arn string) bool {
	act := false
	switch {
	case s.Action != nil:
		act = matchAny(s.Action, action, true)
	case s.NotAction != nil:
		act = !matchAny(s.NotAction, action, true)
	}
	if !act {
		return false
	}
	switch {
	case s.Resource != nil:
		return matchAny(s.Resource, arn, false)
	case s.NotResource != nil:
		return !matchAny(s.NotResource, arn, false)
	}
	return true
}

func matchAny(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			if Match(strings.ToLower(p), strings.ToLower(s)) {
				return true
			}
		} else if Match(p, s) {
			return true
		}
	}
	return false
}

// Match reports whether s matches the IAM pattern p, in which * matches
// any run of characters (colons and slashes included) and ? any one.
func Match(p, s string) bool {
	var pi, si int
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			mark++
			pi, si = star+1, mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// allows reports whether the grant lets its grantee call action.
func (g Grant) allows(action string) bool {
	for _, op := range g.Operations {
		if strings.EqualFold("kms:"+op, action) {
			return true
		}
	}
	return false
}

func conditionText(cs []Condition) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		parts = append(parts, c.String())
	}
	return strings.Join(parts, " and ")
}

// grantConstraints reads a grant's constraints: "EncryptionContextSubset
// k=v,k2=v2".
func grantConstraints(g Grant) string {
	kinds := make([]string, 0, len(g.Constraints))
	for k := range g.Constraints {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	var parts []string
	for _, k := range kinds {
		m := g.Constraints[k]
		keys := make([]string, 0, len(m))
		for ck := range m {
			keys = append(keys, ck)
		}
		slices.Sort(keys)
		pairs := make([]string, 0, len(keys))
		for _, ck := range keys {
			pairs = append(pairs, ck+"="+m[ck])
		}
		parts = append(parts, k+" "+strings.Join(pairs, ","))
	}
	return strings.Join(parts, " and ")
}
