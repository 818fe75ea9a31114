package detect

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/keytrail/keytrail/internal/arn"
	"github.com/keytrail/keytrail/internal/policy"
)

// The detector reads who a policy-changing call lets in through package
// policy; these cases pin the reading it gives the rules (the scenarios in
// testdata pin the findings built on it).
func TestPolicyPrincipals(t *testing.T) {
	tests := []struct {
		name, source, call, params string
		want                       []string
		ok                         bool
	}{
		{"secret policy, principal list and a deny that names no condition", sourceSM, "PutResourcePolicy",
			`{"resourcePolicy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"arn:aws:iam::999999999999:root\",\"arn:aws:iam::111111111111:role/app\"]},\"Action\":\"secretsmanager:GetSecretValue\",\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"secretsmanager:DeleteSecret\",\"Resource\":\"*\"}]}"}`,
			[]string{"arn:aws:iam::111111111111:role/app", "arn:aws:iam::999999999999:root"}, true},
		{"key policy as an object, single statement", sourceKMS, "PutKeyPolicy",
			`{"policy":{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}}}`,
			[]string{"*"}, true},
		{"wildcard narrowed by its own condition and by a deny", sourceKMS, "CreateKey",
			`{"policy":{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111111111111"}}},{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]}}`,
			[]string{"* where kms:CallerAccount=111111111111 and (by a Deny) aws:PrincipalOrgID=o-abc123"}, true},
		{"IfExists and wildcard values do not narrow", sourceSM, "PutResourcePolicy",
			`{"resourcePolicy":{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1"},"StringLike":{"aws:PrincipalOrgID":"*"}}}]}}`,
			[]string{"*"}, true},
		{"NotPrincipal in an Allow reaches everyone else", sourceSM, "PutResourcePolicy",
			`{"resourcePolicy":{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:role/x"},"Action":"*"},{"effect":"allow","principal":{"Service":"lambda.amazonaws.com"},"action":"*"}]}}`,
			[]string{"*", "lambda.amazonaws.com"}, true},
		{"delete leaves nobody", sourceSM, "DeleteResourcePolicy", `{"secretId":"x"}`, []string{}, true},
		{"policy text not logged", sourceKMS, "PutKeyPolicy", `{"keyId":"k"}`, nil, false},
		{"unreadable policy allows nobody we can name", sourceKMS, "PutKeyPolicy", `{"policy":"not json"}`, []string{}, true},
		{"another call", sourceSM, "GetSecretValue", `{"resourcePolicy":"{}"}`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := policyPrincipals(tt.source, tt.call, tt.params)
			if ok != tt.ok || !slices.Equal(got, tt.want) || (tt.want != nil) != (got != nil) {
				t.Errorf("policyPrincipals = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// The reach describeChange keeps for each added principal decides the
// severity: the accounts a wildcard is confined to, or anyone.
func TestPolicyReachAccounts(t *testing.T) {
	tests := []struct {
		name, policy string
		wantAccts    map[string][]string // by reach string
		wantAnyone   map[string]bool
	}{
		{"account confinement by PrincipalArn", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::999999999999:role/*"}}}]}`,
			map[string][]string{"* where aws:PrincipalArn=arn:aws:iam::999999999999:role/*": {"999999999999"}}, map[string]bool{}},
		{"a role name under any account confines nothing: public", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/deploy"}}}]}`,
			map[string][]string{"*": nil}, map[string]bool{"*": true}},
		{"an organization confines a wildcard without naming accounts", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]}`,
			map[string][]string{"* where aws:PrincipalOrgID=o-abc123": nil}, map[string]bool{}},
		{"contradictory accounts reach nobody", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Condition":{"StringEquals":{"aws:PrincipalAccount":"111111111111","kms:CallerAccount":"222222222222"}}}]}`,
			map[string][]string{"* where aws:PrincipalAccount=111111111111 and kms:CallerAccount=222222222222": {"none"}}, map[string]bool{}},
		{"an ARN is its account, a wildcard alone is anyone", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222222222222:role/r","*"]},"Action":"*"}]}`,
			map[string][]string{"arn:aws:iam::222222222222:role/r": {"222222222222"}, "*": nil}, map[string]bool{"*": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := json.Marshal(map[string]string{"policy": tt.policy})
			c := describeChange(sourceKMS, "PutKeyPolicy", string(p), []string{})
			if len(c.reach) != len(tt.wantAccts) {
				t.Fatalf("reach = %v, want keys of %v", c.reach, tt.wantAccts)
			}
			for k, want := range tt.wantAccts {
				r, ok := c.reach[k]
				if !ok {
					t.Fatalf("no reach %q in %v", k, c.reach)
				}
				accts, anyone := r.reachAccounts()
				if !slices.Equal(accts, want) || anyone != tt.wantAnyone[k] {
					t.Errorf("%q: reachAccounts = %v, %v; want %v, %v", k, accts, anyone, want, tt.wantAnyone[k])
				}
			}
		})
	}
}

// The detector and the access inventory read a policy the same way: a new
// key policy the detector calls public or open to another account is one
// whose inventory rows are public or outside, and the other way round.
func TestPolicyReadingMatchesInventory(t *testing.T) {
	const resAcct = "111111111111"
	policies := []string{
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"999999999999"}}}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/deploy"}}}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"999999999999"},"Action":"kms:Decrypt","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:role/x"},"Action":"kms:Decrypt","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"Service":"logs.amazonaws.com"},"Action":"kms:Decrypt","Resource":"*"}]}`,
	}
	for _, text := range policies {
		p, _ := json.Marshal(map[string]string{"policy": text})
		c := describeChange(sourceKMS, "PutKeyPolicy", string(p), []string{})
		var detPublic, detOutside bool
		for _, a := range c.added {
			accts, anyone := c.reach[a].reachAccounts()
			detPublic = detPublic || anyone
			for _, acct := range accts {
				detOutside = detOutside || (arn.IsAccountID(acct) && acct != resAcct)
			}
		}
		doc, err := policy.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		var invPublic, invOutside bool
		for _, perm := range policy.Evaluate([]policy.Resource{{ARN: "arn:aws:kms:ap-northeast-1:111111111111:key/k1", Account: resAcct, Type: "key", Policy: &doc}},
			nil, policy.Org{Accounts: []string{resAcct}}) {
			invPublic = invPublic || perm.Public
			invOutside = invOutside || perm.Outside
		}
		// Public is outside too.
		if invPublic != detPublic || invOutside != (detPublic || detOutside) {
			t.Errorf("%s: detector public=%v outside=%v, inventory public=%v outside=%v", text, detPublic, detOutside, invPublic, invOutside)
		}
	}
}
