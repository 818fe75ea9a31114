package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func keyPolicy(stmts ...string) string { return `{"Statement":[` + strings.Join(stmts, ",") + `]}` }

const keyUser = `{"Sid":"Key users","Effect":"Allow","Principal":{"AWS":%q},"Action":["kms:Decrypt","kms:Encrypt"],"Resource":"*"}`

func TestEvaluateKey(t *testing.T) {
	tests := []struct {
		name       string
		policy     string
		grants     []Grant
		principals func(t *testing.T) []Principal
		want       []string // rows for kms:Decrypt
	}{
		{"an identity policy alone grants nothing on a key",
			keyPolicy(fmt.Sprintf(keyUser, otherRole)), nil,
			func(t *testing.T) []Principal { return []Principal{identity(t, appRole, useKey)} },
			[]string{otherRole + " (external) kms:Decrypt via key-policy: key policy: statement Key users (#0)"}},
		{"a key policy allowing the account lets identity policies decide",
			keyPolicy(enableIAM), nil,
			func(t *testing.T) []Principal {
				return []Principal{identity(t, appRole, useKey), identity(t, otherRole, "")}
			},
			[]string{
				appRole + " (role) kms:Decrypt via identity-policy: identity policy inline role/app: statement #0 and key policy: statement Enable IAM User Permissions (#0)",
				rootKeyRow,
			}},
		{"a key policy naming the principal is enough without an identity policy",
			keyPolicy(fmt.Sprintf(keyUser, appRole)), nil,
			func(t *testing.T) []Principal { return []Principal{identity(t, appRole, "")} },
			[]string{appRole + " (role) kms:Decrypt via key-policy: key policy: statement Key users (#0)"}},
		{"an explicit Deny in an identity policy beats the key policy",
			keyPolicy(fmt.Sprintf(keyUser, appRole)), nil,
			func(t *testing.T) []Principal {
				return []Principal{identity(t, appRole, `{"Statement":{"Effect":"Deny","Action":"kms:*","Resource":"*"}}`)}
			},
			[]string{}},
		{"a grant lets its grantee call its operations, with its constraints",
			keyPolicy(enableIAM), []Grant{{ID: "g1", GranteePrincipal: otherRole, Operations: []string{"Decrypt", "GenerateDataKey"},
				Constraints: map[string]map[string]string{"EncryptionContextSubset": {"app": "billing", "env": "prod"}}}},
			func(t *testing.T) []Principal { return []Principal{identity(t, otherRole, "")} },
			[]string{
				otherRole + " (role) kms:Decrypt via grant: grant g1 [EncryptionContextSubset app=billing,env=prod]",
				rootKeyRow,
			}},
		{"a grant for other operations grants nothing here",
			keyPolicy(enableIAM), []Grant{{ID: "g1", GranteePrincipal: otherRole, RetiringPrincipal: otherRole, Operations: []string{"Encrypt"}}},
			func(t *testing.T) []Principal { return []Principal{identity(t, otherRole, "")} },
			[]string{rootKeyRow}},
		{"an explicit Deny in the key policy beats a grant",
			keyPolicy(enableIAM, fmt.Sprintf(`{"Effect":"Deny","Principal":{"AWS":%q},"Action":"kms:*","Resource":"*"}`, otherRole)),
			[]Grant{{ID: "g1", GranteePrincipal: otherRole, Operations: []string{"Decrypt"}}},
			func(t *testing.T) []Principal { return []Principal{identity(t, otherRole, "")} },
			[]string{rootKeyRow}},
		{"a grant to a principal outside the snapshot and the organization",
			keyPolicy(enableIAM), []Grant{{ID: "g2", GranteePrincipal: partner, Operations: []string{"Decrypt"}}},
			func(t *testing.T) []Principal { return nil },
			[]string{rootKeyRow, partner + " (external) kms:Decrypt via grant: grant g2 outside"}},
		{"cross account: the key policy naming the account and the identity policy",
			keyPolicy(enableIAM, `{"Sid":"Other account","Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"kms:Decrypt","Resource":"*"}`), nil,
			func(t *testing.T) []Principal {
				return []Principal{identity(t, orgRole, `{"Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"`+keyARN+`"}}`)}
			},
			[]string{
				rootKeyRow,
				orgRole + " (role) kms:Decrypt via key-policy: key policy: statement Other account (#1) and identity policy inline role/reader: statement #0",
				"arn:aws:iam::222222222222:root (root) kms:Decrypt via key-policy: key policy: statement Other account (#1)",
			}},
		{"a wildcard key policy confined by kms:CallerAccount to an outside account",
			keyPolicy(`{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"999999999999"}}}`), nil,
			func(t *testing.T) []Principal { return nil },
			[]string{"* (public) kms:Decrypt via key-policy: key policy: statement #0 [StringEquals kms:CallerAccount=999999999999] outside"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Resource{ARN: keyARN, Account: "111111111111", Type: "key", Policy: mustParse(t, tt.policy), Grants: tt.grants}
			got := rows(Evaluate([]Resource{r}, tt.principals(t), org), "kms:Decrypt")
			if !slices.Equal(got, tt.want) {
				t.Errorf("Evaluate =\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}

func TestEvaluateKeyUsage(t *testing.T) {
	policy := mustParse(t, keyPolicy(`{"Effect":"Allow","Principal":{"AWS":"`+appRole+`"},"Action":"kms:*","Resource":"*"}`))
	for _, tt := range []struct {
		usage string
		want  []string
	}{
		{"SIGN_VERIFY", []string{"kms:Sign", "kms:Verify"}},
		{"ENCRYPT_DECRYPT", keyActions["ENCRYPT_DECRYPT"]},
		{"", KeyActions},
	} {
		ps := Evaluate([]Resource{{ARN: keyARN, Type: "key", KeyUsage: tt.usage, Policy: policy}}, []Principal{identity(t, appRole, "")}, org)
		var got []string
		for _, p := range ps {
			got = append(got, p.Action)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("key usage %q: actions %v, want %v", tt.usage, got, tt.want)
		}
	}
}

// Without an organization, only the resource's own account is inside.
func TestEvaluateWithoutOrganization(t *testing.T) {
	r := Resource{ARN: secretARN, Type: "secret", Policy: mustParse(t, secretPolicy(fmt.Sprintf(policyAllow, orgRole)))}
	got := rows(Evaluate([]Resource{r}, []Principal{identity(t, orgRole, readSecret)}, Org{}), "")
	want := []string{orgRole + " (role) " + gsv + " via resource-policy: resource policy: statement #0 and identity policy inline role/reader: statement #0 outside"}
	if !slices.Equal(got, want) {
		t.Errorf("Evaluate = %q, want %q", got, want)
	}
}

// Evaluate's order is its own: the same input in another order gives the
// same rows.
func TestEvaluateDeterministic(t *testing.T) {
	res := []Resource{
		{ARN: secretARN, Type: "secret", Policy: mustParse(t, secretPolicy(`{"Effect":"Allow","Principal":"*","Action":"*"}`))},
		{ARN: keyARN, Type: "key", Policy: mustParse(t, keyPolicy(enableIAM))},
	}
	ps := []Principal{identity(t, appRole, readSecret), identity(t, otherRole, useKey), identity(t, orgRole, readSecret)}
	a := rows(Evaluate(res, ps, org), "")
	slices.Reverse(res)
	slices.Reverse(ps)
	b := rows(Evaluate(res, ps, org), "")
	if !slices.Equal(a, b) || len(a) == 0 {
		t.Errorf("order changed the result:\n%q\n%q", a, b)
	}
}
