package testlake

import (
	"bytes"
	"fmt"
	"time"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/inventory"
)

// The inventory's small organization: the scenario's account Home, the only
// account the inventory covers (so the only account inside), with the
// scenario's secrets and keys and a few more.
const (
	// Partner is an account outside the organization that S1's resource
	// policy lets read it.
	Partner = "333333333333"
	// S3 is an old secret: rotation overdue, unused, readable by anyone.
	S3 = "arn:aws:secretsmanager:us-east-1:111111111111:secret:legacy-QwErTy"
	// K3 is a customer managed symmetric key without rotation; K4 is AWS
	// managed (never reported); K5 an asymmetric key (KMS has no rotation
	// for it).
	K3 = "arn:aws:kms:us-east-1:111111111111:key/33333333-3333-3333-3333-333333333333"
	K4 = "arn:aws:kms:us-east-1:111111111111:key/44444444-4444-4444-4444-444444444444"
	K5 = "arn:aws:kms:us-east-1:111111111111:key/55555555-5555-5555-5555-555555555555"
	// K1Alias is the alias ARN of K1, as some events name the key.
	K1Alias = "arn:aws:kms:us-east-1:111111111111:alias/app"

	// Bob has left: his user may still read S1 and he made no call.
	Bob = "arn:aws:iam::111111111111:user/bob"
	// Carol's access was removed between the two inventory days.
	Carol = "arn:aws:iam::111111111111:user/carol"
	// SSOAdmin is an IAM Identity Center permission set's role: people.
	SSOAdmin = "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef"
	// Ingest is keytrail's own role (path /keytrail/).
	Ingest = "arn:aws:iam::111111111111:role/keytrail/keytrail-ingest"
	// Lookalike is a role on keytrail's path in an account outside the
	// organization, which K1's key policy lets decrypt: not keytrail's.
	Lookalike   = "arn:aws:iam::333333333333:role/keytrail/keytrail-ingest"
	PartnerRoot = "arn:aws:iam::333333333333:root"
	CloudTrail  = "cloudtrail.amazonaws.com"

	// InventoryDay is the latest inventory day in the scenario's week;
	// OldInventoryDay an earlier one, which the review must not read.
	InventoryDay    = "2026-07-07"
	OldInventoryDay = "2026-07-02"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func atp(s string) *time.Time { t := at(s); return &t }

func ptr[T any](v T) *T { return &v }

// Inventory returns the rows of the latest inventory day (InventoryDay).
// The facts the tests check:
//   - S1 is used (alice, app) and readable from Partner (outside); bob may
//     read it and made no call at all (a leaver); the hostile user read it
//     with no permission the inventory knows of;
//   - S2 and S3 nobody used in 90 days (delete); S2's rotation is off,
//     S3's is overdue (last rotated 2026-01-10); anyone may read S3;
//   - app may read S2 and never does, the SSO admin role may and made no
//     call (a leaver), etl may read S3 and does not (revoke);
//   - K1 (alias/app) is used by app, alice and etl (through a grant);
//     keytrail's ingest role and CloudTrail may use it (shown apart);
//   - K2 is pending deletion (2026-07-13); K3 has no rotation.
func Inventory() ([]inventory.Secret, []inventory.Key, []inventory.Principal, []inventory.Permission, []inventory.Coverage) {
	c := at(InventoryDay + "T03:00:00Z")
	sec := func(arn, name, tags string, rot bool, every int64, last *time.Time, created string) inventory.Secret {
		s := inventory.Secret{CollectedAt: c, Account: Home, Region: "us-east-1", ARN: arn, Name: name, RotationEnabled: rot,
			LastRotated: last, Created: atp(created), Tags: tags, Replicas: []string{}, Errors: []string{}}
		if rot {
			s.RotationDays = ptr(every)
		}
		return s
	}
	s1 := sec(S1, "db", `{"owner":"payments"}`, true, 30, atp("2026-06-25T00:00:00Z"), "2025-01-01T00:00:00Z")
	s1.LastAccessed = atp("2026-07-06T00:00:00Z")
	s3 := sec(S3, "legacy", `{"owner":"platform"}`, true, 30, atp("2026-01-10T00:00:00Z"), "2024-03-01T00:00:00Z")
	s3.LastAccessed = atp("2026-02-01T00:00:00Z")
	secrets := []inventory.Secret{s1, sec(S2, "api", `{}`, false, 0, nil, "2026-06-20T10:00:00Z"), s3}

	key := func(arn, id string, aliases []string, manager, spec, usage string, rot *bool) inventory.Key {
		return inventory.Key{CollectedAt: c, Account: Home, Region: "us-east-1", ARN: arn, KeyID: id, Aliases: aliases,
			State: "Enabled", Manager: manager, Origin: "AWS_KMS", Spec: spec, Usage: usage, RotationEnabled: rot,
			Created: atp("2025-01-01T00:00:00Z"), Tags: `{}`, KeyPolicy: `{}`, Grants: `[]`, Errors: []string{}}
	}
	k1 := key(K1, "11111111-1111-1111-1111-111111111111", []string{"alias/app"}, "CUSTOMER", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", ptr(true))
	k1.Tags = `{"owner":"payments"}`
	k2 := key(K2, "22222222-2222-2222-2222-222222222222", []string{"alias/old"}, "CUSTOMER", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", ptr(false))
	k2.State, k2.DeletionDate = "PendingDeletion", atp("2026-07-13T09:00:00Z")
	keys := []inventory.Key{k1, k2,
		key(K3, "33333333-3333-3333-3333-333333333333", []string{"alias/reports"}, "CUSTOMER", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", ptr(false)),
		key(K4, "44444444-4444-4444-4444-444444444444", []string{"alias/aws/secretsmanager"}, "AWS", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", ptr(true)),
		key(K5, "55555555-5555-5555-5555-555555555555", []string{}, "CUSTOMER", "ECC_NIST_P256", "SIGN_VERIFY", nil),
	}

	pr := func(arn, kind, name, path string) inventory.Principal {
		return inventory.Principal{CollectedAt: c, Account: Home, ARN: arn, Kind: kind, Name: name, Path: path, ID: "AID" + name,
			Created: atp("2025-01-01T00:00:00Z"), Tags: `{}`, Groups: []string{}, Policies: []string{}, InlinePolicies: []string{}, Errors: []string{}}
	}
	principals := []inventory.Principal{
		pr(Alice, inventory.KindUser, "alice", "/"), pr(Bob, inventory.KindUser, "bob", "/"),
		pr(Hostile, inventory.KindUser, "x' OR '1'='1", "/"),
		pr(AppRole, inventory.KindRole, "app", "/"), pr(ETL, inventory.KindRole, "etl", "/"),
		pr(SSOAdmin, inventory.KindRole, "AWSReservedSSO_Admin_0123456789abcdef", "/aws-reserved/sso.amazonaws.com/"),
		pr(Ingest, inventory.KindRole, "keytrail-ingest", "/keytrail/"),
	}
	principals[5].LastUsed = atp("2026-03-01T00:00:00Z")

	perm := func(res, typ, principal, kind, action, by, via string) inventory.Permission {
		return inventory.Permission{CollectedAt: c, Account: Home, Region: "us-east-1", ResourceARN: res, ResourceType: typ,
			PrincipalARN: principal, PrincipalKind: kind, Action: action, GrantedBy: by, Via: via}
	}
	const get, readers = "secretsmanager:GetSecretValue", "identity policy arn:aws:iam::111111111111:policy/readers: statement #0"
	partner := perm(S1, "secret", PartnerRoot, "root", get, "resource policy: statement Partner (#0)", "resource-policy")
	partner.Outside = true
	public := perm(S3, "secret", "*", "public", get, "resource policy: statement #0", "resource-policy")
	public.Outside, public.Public = true, true
	lookalike := perm(K1, "key", Lookalike, "role", "kms:Decrypt", "key policy: statement Vendor (#4)", "key-policy")
	lookalike.Outside = true
	etlS3 := perm(S3, "secret", ETL, "role", get, "identity policy inline role/etl/legacy: statement #0", "identity-policy")
	etlS3.Conditions = "aws:SourceVpc StringEquals vpc-1"
	keyPolicy := func(sid string, n int) string { return fmt.Sprintf("key policy: statement %s (#%d)", sid, n) }
	permissions := []inventory.Permission{
		perm(S1, "secret", Alice, "user", get, readers, "identity-policy"),
		perm(S1, "secret", Bob, "user", get, readers, "identity-policy"),
		perm(S1, "secret", AppRole, "role", get, "identity policy inline role/app/secrets: statement #0", "identity-policy"),
		partner,
		perm(S2, "secret", AppRole, "role", get, "identity policy inline role/app/secrets: statement #0", "identity-policy"),
		perm(S2, "secret", SSOAdmin, "role", get, "identity policy arn:aws:iam::aws:policy/SecretsManagerReadWrite: statement #0", "identity-policy"),
		etlS3, public,
		perm(K1, "key", Alice, "user", "kms:Decrypt", keyPolicy("Admins", 0), "key-policy"),
		perm(K1, "key", AppRole, "role", "kms:Decrypt", keyPolicy("App", 1), "key-policy"),
		perm(K1, "key", AppRole, "role", "kms:Encrypt", keyPolicy("App", 1), "key-policy"),
		perm(K1, "key", AppRole, "role", "kms:ReEncryptFrom", keyPolicy("App", 1), "key-policy"),
		perm(K1, "key", ETL, "role", "kms:Decrypt", "grant g-etl", "grant"),
		perm(K1, "key", Ingest, "role", "kms:Decrypt", keyPolicy("Keytrail", 2), "key-policy"),
		perm(K1, "key", CloudTrail, "service", "kms:GenerateDataKey", keyPolicy("CloudTrail", 3), "key-policy"),
		lookalike,
		perm(K2, "key", AppRole, "role", "kms:ReEncryptTo", keyPolicy("App", 0), "key-policy"),
	}
	cov := func(region, table string, rows int) inventory.Coverage {
		return inventory.Coverage{CollectedAt: c, Account: Home, Region: region, Table: table, Status: inventory.StatusOK, Rows: int64(rows), Via: "self"}
	}
	coverage := []inventory.Coverage{
		cov("us-east-1", "secrets", len(secrets)), cov("us-east-1", "keys", len(keys)),
		cov("us-east-1", "permissions", len(permissions)), cov(inventory.Global, "principals", len(principals)),
	}
	return secrets, keys, principals, permissions, coverage
}

// WriteInventory writes Inventory's rows as the day InventoryDay, and an
// older day (OldInventoryDay) on which Carol could still read S1, as the
// inventory writes them: one object per table, account and region.
func WriteInventory(dir string) error {
	secrets, keys, principals, permissions, coverage := Inventory()
	old := permissions[0]
	old.PrincipalARN, old.CollectedAt = Carol, at(OldInventoryDay+"T03:00:00Z")
	oldCov := coverage[2]
	oldCov.CollectedAt = old.CollectedAt
	for _, w := range []func() error{
		func() error { return writeTable(dir, inventory.SecretsPrefix, InventoryDay, "us-east-1", secrets) },
		func() error { return writeTable(dir, inventory.KeysPrefix, InventoryDay, "us-east-1", keys) },
		func() error {
			return writeTable(dir, inventory.PrincipalsPrefix, InventoryDay, inventory.Global, principals)
		},
		func() error {
			return writeTable(dir, inventory.PermissionsPrefix, InventoryDay, "us-east-1", permissions)
		},
		func() error { return writeTable(dir, inventory.CoveragePrefix, InventoryDay, "us-east-1", coverage) },
		func() error {
			return writeTable(dir, inventory.PermissionsPrefix, OldInventoryDay, "us-east-1", []inventory.Permission{old})
		},
		func() error {
			return writeTable(dir, inventory.CoveragePrefix, OldInventoryDay, "us-east-1", []inventory.Coverage{oldCov})
		},
	} {
		if err := w(); err != nil {
			return fmt.Errorf("write inventory: %w", err)
		}
	}
	return nil
}

func writeTable[T any](dir, prefix, day, region string, rows []T) error {
	var b bytes.Buffer
	if err := inventory.WriteParquet(&b, rows); err != nil {
		return err
	}
	return put(dir, prefix+"day="+day+"/"+Home+"-"+region+".parquet", b.Bytes())
}

// AliasUse is a Decrypt that names K1 by its alias ARN, as some callers'
// events do: the review counts it for K1.
func AliasUse() event.Event {
	e := ev("e17", "2026-07-07T12:00:00Z", "Decrypt", AppSession, K1Alias)
	e.SourceIndex = 17
	return e
}

// PartnerSession is a role session of the partner account.
const PartnerSession = "arn:aws:sts::333333333333:assumed-role/reader/batch"

// S1Partial is S1's ARN without the six characters Secrets Manager
// appends: how a caller of another account names the secret.
const S1Partial = "arn:aws:secretsmanager:us-east-1:111111111111:secret:db"

// PartnerUse is the partner account reading S1, as its resource policy
// lets it, by the partial ARN: use of the account's permission on S1.
func PartnerUse() event.Event {
	e := ev("e18", "2026-07-06T15:00:00Z", "GetSecretValue", PartnerSession, S1Partial)
	e.IdentityType, e.CallerKind, e.PrincipalAccount = "AssumedRole", event.CallerWorkload, Partner
	e.SessionIssuerARN, e.SessionName, e.SourceIndex = "arn:aws:iam::333333333333:role/reader", "batch", 18
	return e
}

// ValueWrite is etl writing S1's value, which it has no permission the
// inventory evaluates for: a use, yet not one "who may" lists.
func ValueWrite() event.Event {
	e := ev("e19", "2026-07-06T16:00:00Z", "PutSecretValue", ETL, S1)
	e.SourceIndex = 19
	return e
}

// InventorySource writes ScenarioSource's lake, the inventory, AliasUse,
// PartnerUse and ValueWrite (in a file of their own).
func InventorySource(dir string) error {
	if err := ScenarioSource(dir); err != nil {
		return err
	}
	if err := WriteEvents(dir, "c", []event.Event{AliasUse(), PartnerUse(), ValueWrite()}); err != nil {
		return fmt.Errorf("write alias use: %w", err)
	}
	return WriteInventory(dir)
}
