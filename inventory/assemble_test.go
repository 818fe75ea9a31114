package inventory_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/inventory"
)

// A snapshot assembled from rows, not collected, gets its who-may from the
// same evaluation: identity policies by principal, the key policy, the
// grants, and the permissions coverage of each place.
func TestEvaluateAssembledSnapshot(t *testing.T) {
	at := time.Date(2026, 6, 21, 23, 30, 0, 0, time.UTC)
	const (
		acct   = "111122223333"
		secret = "arn:aws:secretsmanager:eu-central-1:111122223333:secret:prod/db-AbCdEf"
		key    = "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		app    = "arn:aws:iam::111122223333:role/app/orders"
		idle   = "arn:aws:iam::111122223333:user/people/idle"
		other  = "arn:aws:iam::111122223333:role/batch"
	)
	snap := &inventory.Snapshot{At: at, Day: "2026-06-21", Accounts: []string{acct},
		Secrets: []inventory.Secret{{CollectedAt: at, Account: acct, Region: "eu-central-1", ARN: secret, Name: "prod/db", Tags: "{}"}},
		Keys: []inventory.Key{{CollectedAt: at, Account: acct, Region: "eu-central-1", ARN: key, Usage: "ENCRYPT_DECRYPT",
			KeyPolicy: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`,
			Grants:    `[{"GrantId":"g1","GranteePrincipal":"` + other + `","Operations":["Decrypt"]}]`}},
		Principals: []inventory.Principal{
			{Account: acct, ARN: app, Kind: inventory.KindRole, Name: "orders"},
			{Account: acct, ARN: idle, Kind: inventory.KindUser, Name: "idle"},
			{Account: acct, ARN: other, Kind: inventory.KindRole, Name: "batch"},
		},
		Coverage: []inventory.Coverage{
			{Account: acct, Region: "eu-central-1", Table: "secrets", Status: inventory.StatusOK},
			{Account: acct, Region: "eu-central-1", Table: "keys", Status: inventory.StatusOK},
			{Account: acct, Region: inventory.Global, Table: "principals", Status: inventory.StatusOK},
		},
	}
	snap.Evaluate([]inventory.IdentityPolicy{
		{Principal: app, Name: "inline:orders", Document: `{"Statement":[
			{"Sid":"Read","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:111122223333:secret:prod/db-??????"},
			{"Sid":"Key","Effect":"Allow","Action":["kms:Decrypt"],"Resource":"` + key + `"}]}`},
		{Principal: idle, Name: "group:people/inline:none", Document: `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`},
		// Not a principal of the snapshot: ignored.
		{Principal: "arn:aws:iam::111122223333:role/gone", Name: "inline:all", Document: `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
	})

	type row struct{ resource, principal, action, via, grantedBy string }
	var got []row
	for _, p := range snap.Permissions {
		if p.PrincipalKind == "root" {
			continue // the account, through the key policy: evaluated as for any snapshot
		}
		if p.CollectedAt != at || p.Account != acct || p.Region != "eu-central-1" {
			t.Errorf("row without the snapshot's time and place: %+v", p)
		}
		got = append(got, row{p.ResourceARN, p.PrincipalARN, p.Action, p.Via, p.GrantedBy})
	}
	want := []row{
		{key, app, "kms:Decrypt", "identity-policy", "identity policy inline:orders: statement Key (#1) and key policy: statement #0"},
		{key, other, "kms:Decrypt", "grant", "grant g1"},
		{secret, app, "secretsmanager:GetSecretValue", "identity-policy", "identity policy inline:orders: statement Read (#0)"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("permissions:\n got %v\nwant %v", got, want)
	}
	for _, p := range snap.Permissions {
		if strings.Contains(p.PrincipalARN, "gone") || p.PrincipalARN == idle {
			t.Errorf("a permission for %s", p.PrincipalARN)
		}
	}
	var perm []inventory.Coverage
	for _, c := range snap.Coverage {
		if c.Table == "permissions" {
			perm = append(perm, c)
		}
	}
	if len(perm) != 1 || perm[0].Status != inventory.StatusOK || perm[0].Rows != int64(len(snap.Permissions)) || perm[0].Region != "eu-central-1" {
		t.Errorf("permissions coverage %+v of %d rows", perm, len(snap.Permissions))
	}
}
