package policy

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
	// resource's side, which the principal's identity policy must match).
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

// SecretActions and KeyActions are the actions Evaluate evaluates.
var (
	SecretActions = []string{"secretsmanager:GetSecretValue"}
	KeyActions    = []string{
		"kms:Decrypt", "kms:Encrypt",
		"kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
		"kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext",
		"kms:ReEncryptFrom", "kms:ReEncryptTo",
		"kms:Sign", "kms:Verify",
	}
)

// Evaluate lists who may call the read actions of each resource: for
// secrets secretsmanager:GetSecretValue, for keys the KMS cryptographic
// actions of its key usage. The result is sorted and deterministic.
func Evaluate(resources []Resource, principals []Principal, org Org) []Permission {
	return nil
}
