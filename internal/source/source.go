// Package source is the registry of the CloudTrail event sources keytrail
// keeps: Secrets Manager and KMS.
//
// Everything keytrail knows about a kept service lives in its entry here:
// the eventSource CloudTrail writes, the ARN and IAM prefix, the resource
// types it stores, which record fields name its resource, which calls read
// it, destroy it or change who may use it, what a trail's selectors must
// not exclude, and the IAM actions keytrail's own code needs on it. Ingest
// (what to keep, how to find the resource), detect (what counts as access,
// the destructive and policy lists), doctor (what a trail must log) and the
// template's tests read the entries; adding a third service is adding an
// entry, plus teaching ingest to decode any new record field it names.
//
// The stored values (resource_type, event_source) do not change with the
// registry: the types are internal/event's constants, the event sources
// CloudTrail's own names.
//
// Lookups are loops over a two-entry table comparing strings: they run per
// record on the ingest hot path and allocate nothing.
package source

import (
	"strings"

	"github.com/keytrail/keytrail/internal/event"
)

// A Source is one kept event source.
type Source struct {
	// EventSource is CloudTrail's eventSource for the service, also the
	// service principal that calls other services for a caller (invokedBy).
	EventSource string
	// Prefix is the service's name in ARNs and IAM actions.
	Prefix string
	// Title is the service's name for people.
	Title string
	// Types are the resource types the service's rows store, in
	// resource_arns order.
	Types []Type
	// Refs are the record fields that name the service's resource, in the
	// order a row's resource_arns takes them (after resources[]).
	Refs []Ref
	// Create is the call that creates a resource: detect remembers its
	// caller as the resource's creator.
	Create string
	// Reads are the calls that use a secret's value or a key (what
	// baselines, frequency and first_seen count); management calls have
	// rules of their own.
	Reads []string
	// Destructive are the calls that delete, disable or cut off a
	// resource; Critical those among them that destroy data for good.
	Destructive, Critical []string
	// Policy are the calls that change who may use a resource or how it is
	// kept: resource and key policies, grants, rotation, replication.
	Policy []string
	// Excludable says a trail can drop the service's management events
	// (ExcludeManagementEventSources, or an advanced selector's eventSource
	// NotEquals); doctor checks that the trail does not.
	Excludable bool
	// Actions maps each operation keytrail's own code calls on the service
	// to the IAM actions it needs. A secret encrypted with a customer
	// managed key is decrypted with the caller's permission.
	Actions map[string][]string

	base int // the position of Types[0] in resource_arns order (see All)
}

// A Type is a resource type a source stores.
type Type struct {
	// Name is the resource_type value (event.ResourceSecret, ...).
	Name string
	// ARNPrefix starts the resource part of the type's ARNs ("secret:",
	// "key/"), and is put before a bare name or id.
	ARNPrefix string
	// Bare says a reference that is not an ARN but starts with ARNPrefix
	// names this type (KMS "alias/NAME"), and resource_name keeps the
	// prefix, as such references do; otherwise a bare reference is of the
	// source's first type, and resource_name drops the prefix.
	Bare bool
	// Suffixed says the name in an ARN ends in "-" and six random letters
	// or digits, which the canonical ARN drops (Secrets Manager).
	Suffixed bool
}

// A Ref is a field of a CloudTrail record that names a resource.
type Ref uint8

// The record fields that name resources. Ingest decodes each of them.
const (
	ResponseARN         Ref = iota + 1 // responseElements.arn
	RequestSecretID                    // requestParameters.secretId
	RequestSecretIDList                // requestParameters.secretIdList[]
	// CreatedName is CreateSecret's requestParameters.name, the secret's
	// only name when the record has neither responseElements.arn nor
	// requestParameters.secretId.
	CreatedName
	ExtraSecretID           // additionalEventData.SecretId
	ResponseKeyMetadataARN  // responseElements.keyMetadata.arn
	RequestKeyID            // requestParameters.keyId
	RequestSourceKeyID      // requestParameters.sourceKeyId
	RequestDestinationKeyID // requestParameters.destinationKeyId
	RequestTargetKeyID      // requestParameters.targetKeyId
	RequestPrimaryKeyARN    // requestParameters.primaryKeyArn
	RequestAliasName        // requestParameters.aliasName
	numRefs
)

var refNames = [numRefs]string{"", "responseElements.arn", "requestParameters.secretId",
	"requestParameters.secretIdList", "requestParameters.name", "additionalEventData.SecretId",
	"responseElements.keyMetadata.arn", "requestParameters.keyId", "requestParameters.sourceKeyId",
	"requestParameters.destinationKeyId", "requestParameters.targetKeyId",
	"requestParameters.primaryKeyArn", "requestParameters.aliasName"}

// String is the field's path in the record.
func (r Ref) String() string {
	if r < numRefs {
		return refNames[r]
	}
	return "unknown"
}

// The kept sources.
var (
	SecretsManager = &Source{
		EventSource: "secretsmanager.amazonaws.com",
		Prefix:      "secretsmanager",
		Title:       "Secrets Manager",
		Types:       []Type{{Name: event.ResourceSecret, ARNPrefix: "secret:", Suffixed: true}},
		Refs:        []Ref{ResponseARN, RequestSecretID, RequestSecretIDList, CreatedName, ExtraSecretID},
		Create:      "CreateSecret",
		Reads:       []string{"GetSecretValue", "BatchGetSecretValue"},
		Destructive: []string{"DeleteSecret", "CancelRotateSecret", "RemoveRegionsFromReplication", "StopReplicationToReplica"},
		Policy:      []string{"PutResourcePolicy", "DeleteResourcePolicy", "RotateSecret", "UpdateSecret", "ReplicateSecretToRegions"},
		Actions: map[string][]string{
			"GetSecretValue": {"secretsmanager:GetSecretValue", "kms:Decrypt"},
			// The inventory's reads: metadata only, never a value.
			"ListSecrets":       {"secretsmanager:ListSecrets"},
			"DescribeSecret":    {"secretsmanager:DescribeSecret"},
			"GetResourcePolicy": {"secretsmanager:GetResourcePolicy"},
		},
	}
	KMS = &Source{
		EventSource: "kms.amazonaws.com",
		Prefix:      "kms",
		Title:       "KMS",
		Types: []Type{{Name: event.ResourceKey, ARNPrefix: "key/"},
			{Name: event.ResourceAlias, ARNPrefix: "alias/", Bare: true}},
		Refs: []Ref{ResponseKeyMetadataARN, RequestKeyID, RequestSourceKeyID, RequestDestinationKeyID,
			RequestTargetKeyID, RequestPrimaryKeyARN, RequestAliasName},
		Create: "CreateKey",
		Reads: []string{"Decrypt", "Encrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
			"GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "Sign", "Verify",
			"GenerateMac", "VerifyMac", "DeriveSharedSecret"},
		Destructive: []string{"ScheduleKeyDeletion", "DisableKey", "DeleteAlias", "DeleteImportedKeyMaterial",
			"DisableKeyRotation", "DeleteCustomKeyStore", "DisconnectCustomKeyStore", "RetireGrant", "RevokeGrant"},
		Critical:   []string{"ScheduleKeyDeletion", "DeleteImportedKeyMaterial"},
		Policy:     []string{"PutKeyPolicy", "CreateGrant", "UpdatePrimaryRegion", "ReplicateKey", "ImportKeyMaterial"},
		Excludable: true,
		Actions: map[string][]string{
			// The inventory's reads: metadata only, never a cryptographic call.
			"ListKeys":             {"kms:ListKeys"},
			"ListAliases":          {"kms:ListAliases"},
			"DescribeKey":          {"kms:DescribeKey"},
			"GetKeyPolicy":         {"kms:GetKeyPolicy"},
			"GetKeyRotationStatus": {"kms:GetKeyRotationStatus"},
			"ListGrants":           {"kms:ListGrants"},
			"ListResourceTags":     {"kms:ListResourceTags"},
		},
	}
)

// All are the kept sources, in resource_arns order (secrets before keys).
var All = numbered(SecretsManager, KMS)

// numbered sets each source's base: its types follow the earlier ones'.
func numbered(all ...*Source) []*Source {
	n := 0
	for _, s := range all {
		s.base = n
		n += len(s.Types)
	}
	return all
}

// NumTypes is the number of resource types of all kept sources.
const NumTypes = 3

// Of returns the kept source whose eventSource is name, or nil.
func Of(name string) *Source {
	for _, s := range All {
		if s.EventSource == name {
			return s
		}
	}
	return nil
}

// ByPrefix returns the kept source whose ARN service is prefix, or nil.
func ByPrefix(prefix string) *Source {
	for _, s := range All {
		if s.Prefix == prefix {
			return s
		}
	}
	return nil
}

// EventSources are the eventSource values of All.
func EventSources() []string {
	out := make([]string, len(All))
	for i, s := range All {
		out[i] = s.EventSource
	}
	return out
}

// TypeOf returns the type among s.Types whose ARN resource part resource
// starts with ("secret:NAME", "key/ID"), and its position in resource_arns
// order over all sources (see Order); ok is false for none.
func (s *Source) TypeOf(resource string) (t *Type, order int, ok bool) {
	for i := range s.Types {
		if strings.HasPrefix(resource, s.Types[i].ARNPrefix) {
			return &s.Types[i], s.order(i), true
		}
	}
	return nil, 0, false
}

// BareType returns the type a reference that is not an ARN names, and its
// order: a type with Bare whose prefix it starts with, else the first.
func (s *Source) BareType(ref string) (t *Type, order int) {
	for i := range s.Types {
		if s.Types[i].Bare && strings.HasPrefix(ref, s.Types[i].ARNPrefix) {
			return &s.Types[i], s.order(i)
		}
	}
	return &s.Types[0], s.order(0)
}

// order is the position of s.Types[i] in resource_arns order.
func (s *Source) order(i int) int { return s.base + i }

// Order returns the position of the resource type name in resource_arns
// order (secrets, keys, aliases), NumTypes for a type no source stores.
func Order(name string) int {
	n := 0
	for _, s := range All {
		for _, t := range s.Types {
			if t.Name == name {
				return n
			}
			n++
		}
	}
	return NumTypes
}

// ViaService is the service's name in a kms:ViaService condition for
// region: the service calling KMS for a caller.
func (s *Source) ViaService(region string) string {
	return s.Prefix + "." + region + ".amazonaws.com"
}

// Calls returns the names of every source's calls that sel picks, in
// registry order: Calls(func(s *Source) []string { return s.Destructive }).
func Calls(sel func(*Source) []string) []string {
	var out []string
	for _, s := range All {
		out = append(out, sel(s)...)
	}
	return out
}
