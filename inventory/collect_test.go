package inventory_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/inventory"
)

var runAt = time.Date(2026, 3, 1, 4, 5, 6, 789_000_000, time.UTC)

func coverage(s *inventory.Snapshot) map[string]inventory.Coverage {
	out := map[string]inventory.Coverage{}
	for _, c := range s.Coverage {
		out[c.Account+" "+c.Region+" "+c.Table] = c
	}
	return out
}

// The whole collector against the services' protocols: Organizations
// lists the accounts (over pages, a suspended one left out), one member's
// role cannot be assumed, one region denies the listing, throttled calls
// are retried, every list is read over several pages, and local-kms
// answers KMS for the deployment's account.
func TestCollect(t *testing.T) {
	w := newWorld(t)
	km := w.startLocalKMS(t)
	ctx := context.Background()
	if _, err := km.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String("11111111-aaaa-4bbb-8ccc-000000000001")}); err != nil {
		t.Fatal(err)
	}
	if _, err := km.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String("11111111-aaaa-4bbb-8ccc-000000000003"), PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	if _, err := km.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String("11111111-aaaa-4bbb-8ccc-000000000001"), PolicyName: aws.String("default"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	w.secrets[self+" us-east-1"] = 5
	w.secrets[member+" us-east-1"] = 1
	w.fail["secretsmanager:ListSecrets "+self+" eu-west-1"] = "AccessDeniedException"
	w.fail["sts:AssumeRole "+locked+" us-east-1"] = "AccessDenied"
	w.throttle["secretsmanager:ListSecrets "+self+" us-east-1"] = 2
	w.throttle["kms:DescribeKey "+self+" us-east-1"] = 1

	snap, err := w.collector(runAt, true).Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(snap.Accounts, []string{self, member, locked}) || snap.AccountsBy != "organizations" || snap.Day != "2026-03-01" {
		t.Errorf("accounts %v by %s, day %s", snap.Accounts, snap.AccountsBy, snap.Day)
	}
	if got := w.count("organizations:ListAccounts " + self + " us-east-1"); got != 2 {
		t.Errorf("ListAccounts called %d times, want 2 pages", got)
	}

	cov := coverage(snap)
	for _, tc := range []struct{ key, status, err string }{
		{locked + " us-east-1 secrets", inventory.StatusDenied, "assume role arn:aws:iam::777788889999:role/keytrail/keytrail-inventory-reader"},
		{locked + " eu-west-1 keys", inventory.StatusDenied, "AccessDenied"},
		{locked + " global principals", inventory.StatusDenied, "assume role"},
		{self + " eu-west-1 secrets", inventory.StatusDenied, "secretsmanager ListSecrets"},
		{self + " eu-west-1 keys", inventory.StatusOK, ""},
		{self + " us-east-1 secrets", inventory.StatusPartial, ""},
		{self + " us-east-1 keys", inventory.StatusOK, ""},
		{self + " global principals", inventory.StatusOK, ""},
		{member + " us-east-1 secrets", inventory.StatusOK, ""},
		{member + " global principals", inventory.StatusOK, ""},
	} {
		c, ok := cov[tc.key]
		if !ok || c.Status != tc.status || !strings.Contains(c.Error, tc.err) {
			t.Errorf("coverage %s = %+v, want %s with %q", tc.key, c, tc.status, tc.err)
		}
	}
	if n := len(snap.Coverage); n != 3*7 {
		t.Errorf("%d coverage rows, want 21 (3 accounts × (2 regions × 3 tables + IAM))", n)
	}
	if c := cov[self+" eu-west-1 permissions"]; c.Status != inventory.StatusPartial || c.Error != "not read: secrets" {
		t.Errorf("permissions where the secrets were not read: %+v", c)
	}

	// Who may: identity policies, groups, key policies and grants.
	may := map[string]inventory.Permission{}
	for _, p := range snap.Permissions {
		may[p.PrincipalARN+" "+p.Action+" "+p.ResourceARN] = p
		if p.CollectedAt != runAt || p.Account == "" || p.Region == "" || p.ResourceType == "" {
			t.Errorf("permission without its place: %+v", p)
		}
	}
	secret0 := "arn:aws:secretsmanager:us-east-1:" + member + ":secret:app%2Fdb-0-a1b2c3"
	key1 := "arn:aws:kms:us-east-1:" + self + ":key/11111111-aaaa-4bbb-8ccc-000000000001"
	for _, want := range []string{
		"arn:aws:iam::" + member + ":user/engineering/Bob secretsmanager:GetSecretValue " + secret0, // attached managed policy
		"arn:aws:iam::" + member + ":user/Alice secretsmanager:GetSecretValue " + secret0,           // her group's inline policy
		"arn:aws:iam::" + member + ":role/service/payments-api secretsmanager:GetSecretValue " + secret0,
		"arn:aws:iam::" + self + ":user/engineering/Bob kms:Decrypt " + key1, // the key policy delegates to IAM
		"arn:aws:iam::" + self + ":role/KeyUserRole kms:Decrypt " + key1,     // a grant
	} {
		if _, ok := may[want]; !ok {
			t.Errorf("no permission %s", want)
		}
	}
	if p, ok := may["arn:aws:iam::"+member+":user/engineering/Bob kms:Decrypt "+key1]; ok {
		t.Errorf("another account's user may use a key whose policy names only its own account: %+v", p)
	}
	if c := cov[member+" us-east-1 secrets"]; c.Via != "arn:aws:iam::"+member+":role/"+roleName || cov[self+" us-east-1 keys"].Via != "self" {
		t.Errorf("via: member %q, self %q", c.Via, cov[self+" us-east-1 keys"].Via)
	}
	if len(snap.Failures()) != 8 {
		t.Errorf("failures %v, want the locked account's 7 and one denied listing", snap.Failures())
	}

	// Pagination and throttling: 3 pages of 2, after 2 throttles.
	if got := w.count("secretsmanager:ListSecrets " + self + " us-east-1"); got != 5 {
		t.Errorf("ListSecrets called %d times, want 3 pages + 2 throttled", got)
	}
	var mine []inventory.Secret
	for _, s := range snap.Secrets {
		if s.Account == self {
			mine = append(mine, s)
		}
	}
	if len(mine) != 5 {
		t.Fatalf("%d secrets of self, want 5", len(mine))
	}
	s0 := mine[0]
	if s0.Name != "app/db-0" || s0.Region != "us-east-1" || !s0.RotationEnabled || s0.RotationDays == nil || *s0.RotationDays != 14 ||
		s0.RotationSchedule != "cron(0 16 1,15 * ? *)" || s0.RotationWindow != "2h" || s0.KMSKeyID != "arn:aws:kms:us-east-1:"+self+":key/EXAMPLE1-90ab-cdef-fedc-ba987KMSKEY1" ||
		!slices.Equal(s0.Replicas, []string{"eu-west-1:InSync"}) || s0.Tags != `{"FirstTag":"SomeValue","SecondTag":"AnotherValue"}` ||
		!strings.Contains(s0.ResourcePolicy, "secretsmanager:GetSecretValue") || s0.PendingDeletion || len(s0.Errors) != 0 ||
		s0.LastAccessed == nil || !s0.LastAccessed.Equal(time.Unix(1523520000, 0)) || !s0.CollectedAt.Equal(runAt) {
		t.Errorf("secret 0: %+v", s0)
	}
	if !mine[1].PendingDeletion || mine[1].DeletionDate == nil {
		t.Errorf("secret 1 is scheduled for deletion: %+v", mine[1])
	}
	if !slices.Equal(mine[2].Errors, []string{"GetResourcePolicy: AccessDeniedException"}) || mine[2].ResourcePolicy != "" {
		t.Errorf("secret 2 errors %v", mine[2].Errors)
	}
	if mine[3].Name != "app/db-3\u202e\n" || mine[3].Tags != `{"owner":"=HYPERLINK(\"x\")"}` {
		t.Errorf("secret 3 must keep its text as data: %q %q", mine[3].Name, mine[3].Tags)
	}

	// KMS: local-kms, four pages of one key, one throttle retried.
	if got := w.count("kms:ListKeys " + self + " us-east-1"); got < 4 {
		t.Errorf("ListKeys called %d times, want a page per key", got)
	}
	keys := map[string]inventory.Key{}
	for _, k := range snap.Keys {
		keys[k.KeyID] = k
	}
	if len(snap.Keys) != 4 {
		t.Fatalf("%d keys, want local-kms's 4: %+v", len(snap.Keys), snap.Keys)
	}
	k1 := keys["11111111-aaaa-4bbb-8ccc-000000000001"]
	if !slices.Equal(k1.Aliases, []string{"alias/payments", "alias/payments-legacy"}) || k1.Manager != "CUSTOMER" || (k1.Origin != "AWS_KMS" && k1.Origin != "") || // local-kms omits a seeded key's origin

		k1.Spec != "SYMMETRIC_DEFAULT" || k1.State != "Enabled" || k1.RotationEnabled == nil || !*k1.RotationEnabled ||
		k1.ARN != "arn:aws:kms:us-east-1:"+self+":key/11111111-aaaa-4bbb-8ccc-000000000001" || !strings.Contains(k1.KeyPolicy, "kms:*") ||
		k1.GrantCount != 2 || !strings.Contains(k1.Grants, `"GranteePrincipal":"arn:aws:iam::`+self+`:role/KeyUserRole"`) || len(k1.Errors) != 0 {
		t.Errorf("key 1: %+v", k1)
	}
	if k3 := keys["11111111-aaaa-4bbb-8ccc-000000000003"]; k3.State != "PendingDeletion" || k3.DeletionDate == nil || k3.RotationEnabled != nil {
		t.Errorf("key 3 pending deletion: %+v", k3)
	}
	if k4 := keys["11111111-aaaa-4bbb-8ccc-000000000004"]; k4.Spec != "ECC_NIST_P256" || k4.Usage != "SIGN_VERIFY" || k4.RotationEnabled != nil {
		t.Errorf("key 4 (ECC, no rotation): %+v", k4)
	}
	if d := keys["11111111-aaaa-4bbb-8ccc-000000000002"].Description; d != "ops \u202egnp.exe" {
		t.Errorf("key 2 description %q: kept as data", d)
	}

	// IAM: three pages per account, documents decoded.
	if got := w.count("iam:GetAccountAuthorizationDetails " + member + " us-east-1"); got != 3 {
		t.Errorf("GetAccountAuthorizationDetails called %d times for the member, want 3 pages", got)
	}
	var ps []inventory.Principal
	for _, p := range snap.Principals {
		if p.Account == member {
			ps = append(ps, p)
		}
	}
	if len(ps) != 3 {
		t.Fatalf("member principals %+v", ps)
	}

	role, alice, bob := ps[0], ps[1], ps[2]
	if alice.ARN != "arn:aws:iam::"+member+":user/Alice" || alice.Kind != "user" || !slices.Equal(alice.Groups, []string{"Admins"}) || alice.Tags != `{"team":"payments"}` {
		t.Errorf("alice %+v", alice)
	}
	if bob.Path != "/engineering/" || !slices.Equal(bob.Policies, []string{"arn:aws:iam::" + member + ":policy/SecretsReader"}) || !slices.Equal(bob.InlinePolicies, []string{"DecryptAnything"}) {
		t.Errorf("bob %+v", bob)
	}
	var trust map[string]any
	if role.Kind != "role" || role.LastUsed == nil || role.LastUsedRegion != "us-east-1" || json.Unmarshal([]byte(role.TrustPolicy), &trust) != nil {
		t.Errorf("role %+v", role)
	}
}

// Without Organizations (denied here) the configured accounts are read;
// IAM's Query-protocol throttling is retried too.
func TestCollectConfiguredAccounts(t *testing.T) {
	w := newWorld(t)
	w.fail["organizations:ListAccounts "+self+" us-east-1"] = "AccessDeniedException"
	w.throttle["iam:GetAccountAuthorizationDetails "+self+" us-east-1"] = 2
	w.secrets[member+" eu-west-1"] = 3
	snap, err := w.collector(runAt, true).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if snap.AccountsBy != "configured" || !strings.Contains(snap.OrgError, "AccessDeniedException") || !slices.Equal(snap.Accounts, []string{self, member, locked}) {
		t.Errorf("accounts %v by %s (%s)", snap.Accounts, snap.AccountsBy, snap.OrgError)
	}
	if got := w.count("iam:GetAccountAuthorizationDetails " + self + " us-east-1"); got != 5 {
		t.Errorf("GetAccountAuthorizationDetails called %d times, want 3 pages + 2 throttled", got)
	}
	if c := coverage(snap)[self+" global principals"]; c.Status != inventory.StatusOK || c.Rows != 3 {
		t.Errorf("self principals %+v", c)
	}
	if c := coverage(snap)[member+" eu-west-1 secrets"]; c.Status != inventory.StatusPartial || c.Rows != 3 || c.ItemErrors != 1 {
		t.Errorf("member eu-west-1 secrets %+v", c)
	}
}

// A call throttled past the retryer's attempts fails its table, not the run.
func TestThrottledPastRetries(t *testing.T) {
	w := newWorld(t)
	w.throttle["secretsmanager:ListSecrets "+self+" us-east-1"] = 1000
	c := w.collector(runAt, false)
	c.Accounts = nil
	snap, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cov := coverage(snap)
	if s := cov[self+" us-east-1 secrets"]; s.Status != inventory.StatusError || !strings.Contains(s.Error, "ThrottlingException") {
		t.Errorf("secrets %+v", s)
	}
	if got := w.count("secretsmanager:ListSecrets " + self + " us-east-1"); got != 10 {
		t.Errorf("%d attempts, want the retryer's 10", got)
	}
	if s := cov[self+" eu-west-1 secrets"]; s.Status != inventory.StatusOK {
		t.Errorf("the other region %+v", s)
	}
}

func TestCollectRejectsBadConfig(t *testing.T) {
	w := newWorld(t)
	for name, mut := range map[string]func(c *inventory.Collector){
		"self":    func(c *inventory.Collector) { c.Self = "1234" },
		"account": func(c *inventory.Collector) { c.Accounts = []string{"x"} },
		"region":  func(c *inventory.Collector) { c.Regions = []string{"us-east-1", "us_east"} },
		"none":    func(c *inventory.Collector) { c.Regions = nil },
		"role":    func(c *inventory.Collector) { c.MemberRole = "a role" },
	} {
		c := w.collector(runAt, false)
		mut(c)
		if _, err := c.Collect(context.Background()); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Write: one object per table, account and region, empty ones included,
// named so that a rerun the same day replaces them.
func TestWriteReplacesTheDay(t *testing.T) {
	w := newWorld(t)
	w.secrets[self+" us-east-1"] = 4
	w.fail["sts:AssumeRole "+locked+" us-east-1"] = "AccessDenied"
	dir := t.TempDir()
	store, err := lake.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	snap, err := w.collector(runAt, false).Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first, err := snap.Write(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	// 3 accounts × (2 regions × (secrets, keys, permissions, coverage) + principals, coverage)
	if len(first) != 3*(2*4+2) {
		t.Errorf("%d objects: %v", len(first), first)
	}
	want := "inventory/secrets/day=2026-03-01/" + self + "-us-east-1.parquet"
	if !slices.Contains(first, want) || !slices.Contains(first, "inventory/principals/day=2026-03-01/"+locked+"-global.parquet") {
		t.Errorf("keys %v lack %s", first, want)
	}
	read := func(key string) []inventory.Secret {
		b, err := os.ReadFile(filepath.Join(dir, key))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := inventory.ReadParquet[inventory.Secret](bytesReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	if got := read(want); len(got) != 4 || got[0].Name != "app/db-0" {
		t.Errorf("first run: %d rows", len(got))
	}
	if got := read("inventory/secrets/day=2026-03-01/" + locked + "-us-east-1.parquet"); len(got) != 0 {
		t.Errorf("a place not read has an empty object, got %d rows", len(got))
	}
	// The same day again, with a secret gone: replaced, not added to.
	w.secrets[self+" us-east-1"] = 2
	snap, err = w.collector(runAt.Add(time.Hour), false).Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	second, err := snap.Write(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(first, second) {
		t.Errorf("a rerun wrote other objects:\n%v\n%v", first, second)
	}
	if got := read(want); len(got) != 2 {
		t.Errorf("after the rerun %d rows, want 2", len(got))
	}
	objs, err := store.List(ctx, "inventory/")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != len(first) {
		t.Errorf("%d objects in the lake after two runs, want %d", len(objs), len(first))
	}
	b, _ := os.ReadFile(filepath.Join(dir, "inventory/coverage/day=2026-03-01/"+locked+"-us-east-1.parquet"))
	cov, err := inventory.ReadParquet[inventory.Coverage](bytesReader(b), int64(len(b)))
	if err != nil || len(cov) != 3 || cov[0].Status != inventory.StatusDenied || cov[1].Status != inventory.StatusDenied || cov[1].Table != "permissions" {
		t.Errorf("coverage of the locked account %+v %v", cov, err)
	}
}
