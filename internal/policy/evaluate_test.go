package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/arn"
)

const (
	secretARN = "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:prod/db-AbCdEf"
	keyARN    = "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	appRole   = "arn:aws:iam::111111111111:role/app"
	otherRole = "arn:aws:iam::111111111111:role/other"
	orgRole   = "arn:aws:iam::222222222222:role/reader" // another account of the organization
	partner   = "arn:aws:iam::999999999999:role/partner"
)

var org = Org{ID: "o-abc123", Accounts: []string{"111111111111", "222222222222"}}

func mustParse(t *testing.T, text string) *Document {
	t.Helper()
	d, err := Parse(text)
	if err != nil {
		t.Fatalf("parse %s: %v", text, err)
	}
	return &d
}

// identity returns a snapshot principal whose one identity policy is text.
func identity(t *testing.T, a, text string) Principal {
	t.Helper()
	kind := "role"
	if strings.Contains(a, ":group/") {
		kind = "group"
	}
	p := Principal{ARN: a, Account: arn.Account(a), Kind: kind}
	if text != "" {
		p.Policies = []Named{{Name: "inline " + a[strings.LastIndex(a, ":")+1:], Document: *mustParse(t, text)}}
	}
	return p
}

// row renders a permission compactly for comparison:
// "PRINCIPAL (KIND) ACTION via VIA: GRANTED BY [CONDITIONS] outside public".
func row(p Permission) string {
	s := fmt.Sprintf("%s (%s) %s via %s: %s", p.PrincipalARN, p.PrincipalKind, p.Action, p.Via, p.GrantedBy)
	if p.Conditions != "" {
		s += " [" + p.Conditions + "]"
	}
	if p.Outside {
		s += " outside"
	}
	if p.Public {
		s += " public"
	}
	return s
}

// rows renders the permissions for action ("" for all).
func rows(ps []Permission, action string) []string {
	out := []string{}
	for _, p := range ps {
		if action == "" || p.Action == action {
			out = append(out, row(p))
		}
	}
	return out
}

const (
	readSecret  = `{"Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`
	useKey      = `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:*:111111111111:key/*"}]}`
	gsv         = "secretsmanager:GetSecretValue"
	enableIAM   = `{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}`
	rootKeyRow  = "arn:aws:iam::111111111111:root (root) kms:Decrypt via key-policy: key policy: statement Enable IAM User Permissions (#0)"
	appIDRow    = appRole + " (role) " + gsv + " via identity-policy: identity policy inline role/app: statement #0"
	policyAllow = `{"Effect":"Allow","Principal":{"AWS":%q},"Action":"secretsmanager:GetSecretValue","Resource":"*"}`
)

func secretPolicy(stmts ...string) string { return `{"Statement":[` + strings.Join(stmts, ",") + `]}` }

// Each rule of the evaluation has a case that holds only with the rule in
// place (the comment after each case names what would break without it).
func TestEvaluateSecret(t *testing.T) {
	tests := []struct {
		name       string
		policy     string // resource policy; "" for none
		principals func(t *testing.T) []Principal
		want       []string
	}{
		{"same account: an identity policy alone is enough",
			"", func(t *testing.T) []Principal { return []Principal{identity(t, appRole, readSecret)} },
			[]string{appIDRow}},
		{"action names compare case-insensitively, with wildcards",
			"", func(t *testing.T) []Principal {
				return []Principal{identity(t, appRole, `{"Statement":{"Effect":"Allow","Action":"SecretsManager:get*","Resource":"arn:aws:secretsmanager:*:111111111111:secret:prod/*"}}`)}
			},
			[]string{appIDRow}},
		{"a resource pattern for other secrets grants nothing",
			"", func(t *testing.T) []Principal {
				return []Principal{identity(t, appRole, `{"Statement":{"Effect":"Allow","Action":"secretsmanager:*","Resource":"arn:aws:secretsmanager:*:111111111111:secret:dev/*"}}`)}
			},
			[]string{}},
		{"resource ARNs compare case-sensitively",
			"", func(t *testing.T) []Principal {
				return []Principal{identity(t, appRole, `{"Statement":{"Effect":"Allow","Action":"secretsmanager:*","Resource":"arn:aws:secretsmanager:*:111111111111:secret:PROD/*"}}`)}
			},
			[]string{}},
		{"NotAction allows every other action",
			"", func(t *testing.T) []Principal {
				return []Principal{identity(t, appRole, `{"Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`)}
			},
			[]string{appIDRow}},
		{"NotAction naming the action allows nothing",
			"", func(t *testing.T) []Principal {
				return []Principal{identity(t, appRole, `{"Statement":{"Effect":"Allow","NotAction":"secretsmanager:Get*","Resource":"*"}}`)}
			},
			[]string{}},
		{"NotResource naming the secret allows nothing",
			"", func(t *testing.T) []Principal {
				return []Principal{identity(t, appRole, `{"Statement":{"Effect":"Allow","Action":"*","NotResource":"arn:aws:secretsmanager:*:*:secret:prod/*"}}`)}
			},
			[]string{}},
		{"an explicit Deny in the identity policy beats the resource policy's Allow",
			secretPolicy(fmt.Sprintf(policyAllow, appRole)), func(t *testing.T) []Principal {
				return []Principal{identity(t, appRole, `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`)}
			},
			[]string{}},
		{"an explicit Deny in the resource policy naming the account beats the identity policy",
			secretPolicy(`{"Effect":"Deny","Principal":{"AWS":"111111111111"},"Action":"secretsmanager:*","Resource":"*"}`),
			func(t *testing.T) []Principal { return []Principal{identity(t, appRole, readSecret)} },
			[]string{}},
		{"a conditional Deny is kept as a condition, not applied",
			secretPolicy(`{"Sid":"OnlyVPC","Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}`),
			func(t *testing.T) []Principal { return []Principal{identity(t, appRole, readSecret)} },
			[]string{appIDRow + " [unless denied by resource policy statement OnlyVPC (#0) where StringNotEquals aws:SourceVpce=vpce-1]"}},
		{"same account: the resource policy alone is enough",
			secretPolicy(fmt.Sprintf(policyAllow, appRole)),
			func(t *testing.T) []Principal {
				return []Principal{identity(t, appRole, ""), identity(t, otherRole, "")}
			},
			[]string{appRole + " (role) " + gsv + " via resource-policy: resource policy: statement #0"}},
		{"a resource policy naming its own account delegates to identity policies",
			secretPolicy(fmt.Sprintf(policyAllow, "111111111111")),
			func(t *testing.T) []Principal { return []Principal{identity(t, appRole, "")} },
			[]string{"arn:aws:iam::111111111111:root (root) " + gsv + " via resource-policy: resource policy: statement #0"}},
		{"cross account: the resource policy without the identity policy is not enough",
			secretPolicy(fmt.Sprintf(policyAllow, orgRole)),
			func(t *testing.T) []Principal { return []Principal{identity(t, orgRole, "")} },
			[]string{}},
		{"cross account: the resource policy and the identity policy both allow",
			secretPolicy(fmt.Sprintf(policyAllow, orgRole)),
			func(t *testing.T) []Principal { return []Principal{identity(t, orgRole, readSecret)} },
			[]string{orgRole + " (role) " + gsv + " via resource-policy: resource policy: statement #0 and identity policy inline role/reader: statement #0"}},
		{"cross account: the identity policy without the resource policy is not enough",
			"", func(t *testing.T) []Principal { return []Principal{identity(t, orgRole, readSecret)} },
			[]string{}},
		{"cross account through the account: its identity policies decide",
			secretPolicy(fmt.Sprintf(policyAllow, "arn:aws:iam::222222222222:root")),
			func(t *testing.T) []Principal { return []Principal{identity(t, orgRole, readSecret)} },
			[]string{
				orgRole + " (role) " + gsv + " via resource-policy: resource policy: statement #0 and identity policy inline role/reader: statement #0",
				"arn:aws:iam::222222222222:root (root) " + gsv + " via resource-policy: resource policy: statement #0",
			}},
		{"a principal outside the snapshot and the organization is external and outside",
			secretPolicy(fmt.Sprintf(policyAllow, partner)),
			func(t *testing.T) []Principal { return nil },
			[]string{partner + " (external) " + gsv + " via resource-policy: resource policy: statement #0 outside"}},
		{"the wildcard principal is public, and lets in the snapshot's principals of the account",
			secretPolicy(`{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}`),
			func(t *testing.T) []Principal { return []Principal{identity(t, appRole, ""), identity(t, orgRole, "")} },
			[]string{
				"* (public) " + gsv + " via resource-policy: resource policy: statement #0 outside public",
				appRole + " (role) " + gsv + " via resource-policy: resource policy: statement #0",
			}},
		{"a wildcard confined to the organization is neither public nor outside",
			secretPolicy(`{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}`),
			func(t *testing.T) []Principal { return nil },
			[]string{"* (public) " + gsv + " via resource-policy: resource policy: statement #0 [StringEquals aws:PrincipalOrgID=o-abc123]"}},
		{"a wildcard confined by a Deny on other organizations is neither public nor outside",
			secretPolicy(`{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}`,
				`{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc123"}}}`),
			func(t *testing.T) []Principal { return nil },
			[]string{"* (public) " + gsv + " via resource-policy: resource policy: statement #0 [unless denied by resource policy statement #1 where StringNotEquals aws:PrincipalOrgID=o-abc123]"}},
		{"a wildcard confined to an account outside the organization is outside, not public",
			secretPolicy(`{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"999999999999"}}}`),
			func(t *testing.T) []Principal { return nil },
			[]string{"* (public) " + gsv + " via resource-policy: resource policy: statement #0 [StringEquals aws:PrincipalAccount=999999999999] outside"}},
		{"a service principal is a service, not outside",
			secretPolicy(`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}`),
			func(t *testing.T) []Principal { return nil },
			[]string{"lambda.amazonaws.com (service) " + gsv + " via resource-policy: resource policy: statement #0"}},
		{"a NotPrincipal Deny refuses everyone it does not name",
			secretPolicy(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:role/app"},"Action":"*","Resource":"*"}`),
			func(t *testing.T) []Principal {
				return []Principal{identity(t, appRole, readSecret), identity(t, otherRole, readSecret)}
			},
			[]string{appIDRow}},
		{"a NotPrincipal Allow lets in everyone it does not name",
			secretPolicy(`{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:role/app"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}`),
			func(t *testing.T) []Principal {
				return []Principal{identity(t, appRole, ""), identity(t, otherRole, "")}
			},
			[]string{
				"* (public) " + gsv + " via resource-policy: resource policy: statement #0 outside public",
				otherRole + " (role) " + gsv + " via resource-policy: resource policy: statement #0",
			}},
		{"a group is evaluated on its identity policies only: a wildcard resource policy does not name it",
			secretPolicy(`{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}`),
			func(t *testing.T) []Principal {
				return []Principal{identity(t, "arn:aws:iam::111111111111:group/devs", readSecret), identity(t, "arn:aws:iam::111111111111:group/ops", "")}
			},
			[]string{
				"* (public) " + gsv + " via resource-policy: resource policy: statement #0 [StringEquals aws:PrincipalOrgID=o-abc123]",
				"arn:aws:iam::111111111111:group/devs (group) " + gsv + " via identity-policy: identity policy inline group/devs: statement #0",
			}},
		{"the root user of the account may, with no policy at all",
			"", func(t *testing.T) []Principal {
				return []Principal{{ARN: "arn:aws:iam::111111111111:root", Account: "111111111111", Kind: "root"}}
			},
			[]string{"arn:aws:iam::111111111111:root (root) " + gsv + " via root: root user (full access in its own account)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Resource{ARN: secretARN, Account: "111111111111", Region: "ap-northeast-1", Type: "secret"}
			if tt.policy != "" {
				r.Policy = mustParse(t, tt.policy)
			}
			got := rows(Evaluate([]Resource{r}, tt.principals(t), org), "")
			if !slices.Equal(got, tt.want) {
				t.Errorf("Evaluate =\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}
