package inventory

import (
	"io"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/keytrail/keytrail/internal/parquetio"
)

// The inventory's tables, as lake prefixes: each holds day=YYYY-MM-DD/
// partitions (the UTC day of the run) like events/.
const (
	SecretsPrefix     = "inventory/secrets/"
	KeysPrefix        = "inventory/keys/"
	PrincipalsPrefix  = "inventory/principals/"
	PermissionsPrefix = "inventory/permissions/"
	CoveragePrefix    = "inventory/coverage/"
)

// Global is the region column of what IAM holds: users and roles belong
// to an account, not to a region.
const Global = "global"

// Column conventions are internal/event's: snake_case, "" for absent,
// UTC timestamps in milliseconds (optional where AWS may not know one),
// and open-ended AWS structures (tags, policies, grants) as JSON text so
// nothing is lost and Athena's json_extract reads them. Every row carries
// the run's time, account and region. Field order is column order; the
// DDL in queries/ddl/inventory_*.sql and the Glue tables in infra/ are
// checked against these structs.

// Secret is one Secrets Manager secret, as DescribeSecret and
// GetResourcePolicy describe it. The secret's value is never read.
type Secret struct {
	CollectedAt       time.Time  `parquet:"collected_at,timestamp(millisecond:utc)" json:"collected_at"`
	Account           string     `parquet:"account,dict" json:"account"`
	Region            string     `parquet:"region,dict" json:"region"`
	ARN               string     `parquet:"arn" json:"arn"`
	Name              string     `parquet:"name" json:"name"`
	Description       string     `parquet:"description" json:"description,omitempty"`
	KMSKeyID          string     `parquet:"kms_key_id,dict" json:"kms_key_id,omitempty"` // "" is the account's aws/secretsmanager key
	OwningService     string     `parquet:"owning_service,dict" json:"owning_service,omitempty"`
	Type              string     `parquet:"type,dict" json:"type,omitempty"`
	RotationEnabled   bool       `parquet:"rotation_enabled" json:"rotation_enabled"`
	RotationLambdaARN string     `parquet:"rotation_lambda_arn,dict" json:"rotation_lambda_arn,omitempty"`
	RotationDays      *int64     `parquet:"rotation_every_days,optional" json:"rotation_every_days,omitempty"`
	RotationSchedule  string     `parquet:"rotation_schedule,dict" json:"rotation_schedule,omitempty"`
	RotationWindow    string     `parquet:"rotation_window,dict" json:"rotation_window,omitempty"`
	LastRotated       *time.Time `parquet:"last_rotated,optional,timestamp(millisecond:utc)" json:"last_rotated,omitempty"`
	NextRotation      *time.Time `parquet:"next_rotation,optional,timestamp(millisecond:utc)" json:"next_rotation,omitempty"`
	LastAccessed      *time.Time `parquet:"last_accessed,optional,timestamp(millisecond:utc)" json:"last_accessed,omitempty"` // a day, as AWS rounds it
	LastChanged       *time.Time `parquet:"last_changed,optional,timestamp(millisecond:utc)" json:"last_changed,omitempty"`
	Created           *time.Time `parquet:"created,optional,timestamp(millisecond:utc)" json:"created,omitempty"`
	// DeletionDate is set while the secret is scheduled for deletion
	// (DeleteSecret with a recovery window): PendingDeletion says so.
	DeletionDate    *time.Time `parquet:"deletion_date,optional,timestamp(millisecond:utc)" json:"deletion_date,omitempty"`
	PendingDeletion bool       `parquet:"pending_deletion" json:"pending_deletion"`
	PrimaryRegion   string     `parquet:"primary_region,dict" json:"primary_region,omitempty"`
	// Replicas are "region:status" (InSync, Failed, InProgress).
	Replicas       []string `parquet:"replicas,list" json:"replicas"`
	Tags           string   `parquet:"tags" json:"tags"`                                 // JSON object
	ResourcePolicy string   `parquet:"resource_policy" json:"resource_policy,omitempty"` // JSON policy, "" when none
	// Errors lists what could not be read of this secret ("GetResourcePolicy:
	// AccessDeniedException"): its other columns are then partial.
	Errors []string `parquet:"errors,list" json:"errors"`
}

// Key is one KMS key with its aliases, rotation status, policy and grants.
type Key struct {
	CollectedAt time.Time  `parquet:"collected_at,timestamp(millisecond:utc)" json:"collected_at"`
	Account     string     `parquet:"account,dict" json:"account"`
	Region      string     `parquet:"region,dict" json:"region"`
	ARN         string     `parquet:"arn" json:"arn"`
	KeyID       string     `parquet:"key_id" json:"key_id"`
	Aliases     []string   `parquet:"aliases,list" json:"aliases"` // alias names (alias/…), sorted
	Description string     `parquet:"description" json:"description,omitempty"`
	State       string     `parquet:"state,dict" json:"state"`     // Enabled, Disabled, PendingDeletion, …
	Manager     string     `parquet:"manager,dict" json:"manager"` // AWS or CUSTOMER
	Origin      string     `parquet:"origin,dict" json:"origin"`   // AWS_KMS, EXTERNAL, AWS_CLOUDHSM, EXTERNAL_KEY_STORE
	Spec        string     `parquet:"spec,dict" json:"spec"`       // SYMMETRIC_DEFAULT, RSA_2048, …
	Usage       string     `parquet:"usage,dict" json:"usage"`     // ENCRYPT_DECRYPT, SIGN_VERIFY, …
	MultiRegion bool       `parquet:"multi_region" json:"multi_region"`
	Created     *time.Time `parquet:"created,optional,timestamp(millisecond:utc)" json:"created,omitempty"`
	// DeletionDate is when a key pending deletion will be deleted.
	DeletionDate *time.Time `parquet:"deletion_date,optional,timestamp(millisecond:utc)" json:"deletion_date,omitempty"`
	// RotationEnabled is absent where KMS has no rotation for the key
	// (asymmetric, HMAC, imported, external key stores) or could not say.
	RotationEnabled *bool      `parquet:"rotation_enabled,optional" json:"rotation_enabled,omitempty"`
	RotationDays    *int64     `parquet:"rotation_period_days,optional" json:"rotation_period_days,omitempty"`
	NextRotation    *time.Time `parquet:"next_rotation,optional,timestamp(millisecond:utc)" json:"next_rotation,omitempty"`
	Tags            string     `parquet:"tags" json:"tags"`             // JSON object; AWS managed keys have none
	KeyPolicy       string     `parquet:"key_policy" json:"key_policy"` // JSON policy
	GrantCount      int64      `parquet:"grant_count" json:"grant_count"`
	Grants          string     `parquet:"grants" json:"grants"` // JSON array of ListGrants entries
	Errors          []string   `parquet:"errors,list" json:"errors"`
}

// Principal is one IAM user or role: who could hold a permission, and
// what the access review needs to find leavers and unused roles.
type Principal struct {
	CollectedAt time.Time  `parquet:"collected_at,timestamp(millisecond:utc)" json:"collected_at"`
	Account     string     `parquet:"account,dict" json:"account"`
	ARN         string     `parquet:"arn" json:"arn"`
	Kind        string     `parquet:"kind,dict" json:"kind"` // user or role
	Name        string     `parquet:"name" json:"name"`
	Path        string     `parquet:"path,dict" json:"path"`
	ID          string     `parquet:"id" json:"id"`
	Created     *time.Time `parquet:"created,optional,timestamp(millisecond:utc)" json:"created,omitempty"`
	// LastUsed is a role's last use (IAM's RoleLastUsed, tracked for
	// the last 400 days); absent for users and for roles never used.
	LastUsed       *time.Time `parquet:"last_used,optional,timestamp(millisecond:utc)" json:"last_used,omitempty"`
	LastUsedRegion string     `parquet:"last_used_region,dict" json:"last_used_region,omitempty"`
	Tags           string     `parquet:"tags" json:"tags"` // JSON object
	Groups         []string   `parquet:"groups,list" json:"groups"`
	// Policies are the managed policies attached (ARNs), directly.
	Policies            []string `parquet:"attached_policies,list" json:"attached_policies"`
	InlinePolicies      []string `parquet:"inline_policies,list" json:"inline_policies"`
	PermissionsBoundary string   `parquet:"permissions_boundary,dict" json:"permissions_boundary,omitempty"`
	TrustPolicy         string   `parquet:"trust_policy" json:"trust_policy,omitempty"` // roles: who may assume it
	Errors              []string `parquet:"errors,list" json:"errors"`
}

// Principal kinds.
const (
	KindUser = "user"
	KindRole = "role"
)

// Permission is one "who may": a principal allowed an action on a secret
// or key, by which policy statement or grant, through what (the
// principal's own policy, a group, the resource policy naming it, a
// grant), under which conditions, after explicit denies.
type Permission struct {
	CollectedAt   time.Time `parquet:"collected_at,timestamp(millisecond:utc)" json:"collected_at"`
	Account       string    `parquet:"account,dict" json:"account"` // the resource's
	Region        string    `parquet:"region,dict" json:"region"`
	ResourceARN   string    `parquet:"resource_arn,dict" json:"resource_arn"`
	ResourceType  string    `parquet:"resource_type,dict" json:"resource_type"` // secret or key
	PrincipalARN  string    `parquet:"principal_arn,dict" json:"principal_arn"`
	PrincipalKind string    `parquet:"principal_kind,dict" json:"principal_kind"`
	Action        string    `parquet:"action,dict" json:"action"`
	GrantedBy     string    `parquet:"granted_by,dict" json:"granted_by"`
	Via           string    `parquet:"via,dict" json:"via"`
	Conditions    string    `parquet:"conditions" json:"conditions,omitempty"` // JSON, "" when unconditional
	Outside       bool      `parquet:"outside" json:"outside"`                 // the principal is outside the organization
	Public        bool      `parquet:"public" json:"public"`                   // anyone (Principal "*" without a limiting condition)
}

// Coverage is one account × region × table of a run: whether it was read,
// and if not, why. A day's tables cover exactly what its coverage rows
// with status ok or partial say.
type Coverage struct {
	CollectedAt time.Time `parquet:"collected_at,timestamp(millisecond:utc)" json:"collected_at"`
	Account     string    `parquet:"account,dict" json:"account"`
	Region      string    `parquet:"region,dict" json:"region"`
	Table       string    `parquet:"table_name,dict" json:"table"`
	Status      string    `parquet:"status,dict" json:"status"`
	Error       string    `parquet:"error" json:"error,omitempty"`
	Rows        int64     `parquet:"row_count" json:"rows"`
	ItemErrors  int64     `parquet:"item_errors" json:"item_errors"` // rows with a non-empty errors column
	Via         string    `parquet:"via,dict" json:"via"`            // "self" or the role ARN assumed
}

// Coverage statuses.
const (
	StatusOK      = "ok"      // read in full
	StatusPartial = "partial" // read, some items or lists with errors
	StatusDenied  = "denied"  // not read: access denied (the role, or the list call)
	StatusError   = "error"   // not read: another failure (region not enabled, …)
	StatusSkipped = "skipped" // not evaluated (permissions without an evaluator)
)

// The Parquet schemas of the tables.
var (
	SecretSchema     = parquet.SchemaOf(Secret{})
	KeySchema        = parquet.SchemaOf(Key{})
	PrincipalSchema  = parquet.SchemaOf(Principal{})
	PermissionSchema = parquet.SchemaOf(Permission{})
	CoverageSchema   = parquet.SchemaOf(Coverage{})
)

// Tables maps each table's name (its Athena name is inventory_<name>) to
// its lake prefix and schema.
var Tables = []struct {
	Name, Prefix string
	Schema       *parquet.Schema
}{
	{"secrets", SecretsPrefix, SecretSchema},
	{"keys", KeysPrefix, KeySchema},
	{"principals", PrincipalsPrefix, PrincipalSchema},
	{"permissions", PermissionsPrefix, PermissionSchema},
	{"coverage", CoveragePrefix, CoverageSchema},
}

// WriteParquet writes rows as one Parquet file with keytrail's options.
func WriteParquet[T any](w io.Writer, rows []T) error { return parquetio.Write(w, rows) }

// ReadParquet reads a Parquet file written by WriteParquet.
func ReadParquet[T any](r io.ReaderAt, size int64) ([]T, error) {
	return parquetio.Read[T](r, size)
}
