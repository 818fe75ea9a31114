package policy_test

import (
	"fmt"

	"github.com/keytrail/keytrail/internal/policy"
)

// A secret whose resource policy lets in a partner account's role and,
// within the organization, anyone; the application role reads it through
// its own identity policy.
func Example() {
	resourcePolicy, _ := policy.Parse(`{"Statement":[
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:role/partner"},"Action":"secretsmanager:GetSecretValue","Resource":"*"},
		{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*",
		 "Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]}`)
	for _, r := range resourcePolicy.Reach() {
		fmt.Println("reaches", r)
	}

	reader, _ := policy.Parse(`{"Statement":{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:111111111111:secret:prod/*"}}`)
	secret := policy.Resource{
		ARN: "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:prod/db-AbCdEf", Account: "111111111111",
		Type: "secret", Policy: &resourcePolicy,
	}
	app := policy.Principal{ARN: "arn:aws:iam::111111111111:group/readers", Account: "111111111111", Kind: "group",
		Policies: []policy.Named{{Name: "inline group/readers", Document: reader}}}
	for _, p := range policy.Evaluate([]policy.Resource{secret}, []policy.Principal{app}, policy.Org{ID: "o-abc123", Accounts: []string{"111111111111"}}) {
		fmt.Printf("%s via %s (%s) outside=%v public=%v conditions=%q\n", p.PrincipalARN, p.Via, p.GrantedBy, p.Outside, p.Public, p.Conditions)
	}
	// Output:
	// reaches arn:aws:iam::999999999999:role/partner
	// reaches * where aws:PrincipalOrgID=o-abc123
	// * via resource-policy (resource policy: statement #1) outside=false public=false conditions="StringEquals aws:PrincipalOrgID=o-abc123"
	// arn:aws:iam::111111111111:group/readers via identity-policy (identity policy inline group/readers: statement #0) outside=false public=false conditions=""
	// arn:aws:iam::999999999999:role/partner via resource-policy (resource policy: statement #0) outside=true public=false conditions=""
}
