package policy

import (
	"slices"
	"testing"
)

func TestReach(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string // Reach.String of each, in statement order
		anyone     []bool
	}{
		{"principals as written, denies without restricting keys narrow nothing",
			`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::999999999999:root","*"]},"Action":"*"},{"Effect":"Deny","Principal":"*","Action":"secretsmanager:DeleteSecret"}]}`,
			[]string{"arn:aws:iam::999999999999:root", "*"}, []bool{false, true}},
		{"an organization condition confines a wildcard",
			`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]}`,
			[]string{"* where aws:PrincipalOrgID=o-abc123"}, []bool{false}},
		{"a Deny refusing other organizations narrows every wildcard Allow",
			`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*"},{"Effect":"Deny","Principal":"*","Action":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]}`,
			[]string{"* where (by a Deny) aws:PrincipalOrgID=o-abc123"}, []bool{false}},
		{"IfExists, negated Allow conditions and wildcard values restrict nothing",
			`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1"},"StringNotEquals":{"aws:PrincipalAccount":"111111111111"},"StringLike":{"aws:PrincipalOrgID":"o-*"}}}]}`,
			[]string{"* where aws:PrincipalOrgID=o-*"}, []bool{false}},
		{"a wildcard-only value matches anyone",
			`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringLike":{"aws:PrincipalOrgID":"*"}}}]}`,
			[]string{"*"}, []bool{true}},
		{"NotPrincipal in an Allow reaches everyone else",
			`{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:role/x"},"Action":"*"}]}`,
			[]string{"*"}, []bool{true}},
		{"a VPC endpoint confines without naming an account",
			`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"aws:sourcevpce":"vpce-1"}}}]}`,
			[]string{"* where aws:SourceVpce=vpce-1"}, []bool{false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			var anyone []bool
			for _, r := range d.Reach() {
				got = append(got, r.String())
				_, a := r.Callers()
				anyone = append(anyone, a)
			}
			if !slices.Equal(got, tt.want) || !slices.Equal(anyone, tt.anyone) {
				t.Errorf("Reach = %q (anyone %v), want %q (anyone %v)", got, anyone, tt.want, tt.anyone)
			}
		})
	}
}

func TestReachAccounts(t *testing.T) {
	tests := []struct {
		name, cond string
		want       []string
	}{
		{"caller account", `{"StringEquals":{"kms:CallerAccount":["222222222222","111111111111"]}}`, []string{"111111111111", "222222222222"}},
		{"principal ARN patterns that name accounts", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::222222222222:role/*"}}`, []string{"222222222222"}},
		{"all conditions hold: the intersection", `{"StringEquals":{"aws:PrincipalAccount":["111111111111","222222222222"],"kms:CallerAccount":"222222222222"}}`, []string{"222222222222"}},
		{"contradictory conditions reach nobody", `{"StringEquals":{"aws:PrincipalAccount":"111111111111","kms:CallerAccount":"222222222222"}}`, []string{"none"}},
		{"a role name under any account names no account", `{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/deploy"}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":` + tt.cond + `}]}`)
			if err != nil {
				t.Fatal(err)
			}
			accts, _ := d.Reach()[0].Callers()
			if !slices.Equal(accts, tt.want) {
				t.Errorf("Callers = %v, want %v", accts, tt.want)
			}
		})
	}
}
