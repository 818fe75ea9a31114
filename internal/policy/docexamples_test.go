package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/arn"
)

// fixture reads testdata/NAME.json: {"source": the AWS documentation page
// the policy is written after, "policy": the policy}.
func fixture(t *testing.T, name string) Document {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Source string          `json:"source"`
		Policy json.RawMessage `json:"policy"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	if f.Source == "" {
		t.Fatalf("%s names no documentation page", name)
	}
	d, err := Parse(string(f.Policy))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return d
}

// Policies written after AWS documentation examples, evaluated as the
// pages describe them.
func TestDocumentationExamples(t *testing.T) {
	const (
		key    = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		secret = "arn:aws:secretsmanager:us-west-2:111122223333:secret:SecretName-AbCdEf"
	)
	docOrg := Org{Accounts: []string{"111122223333"}}
	role := func(a string, policies ...Named) Principal {
		return Principal{ARN: a, Account: arn.Account(a), Kind: "role", Policies: policies}
	}
	named := func(name, file string) Named { return Named{Name: name, Document: fixture(t, file)} }

	tests := []struct {
		name       string
		resource   Resource
		principals []Principal
		action     string
		want       []string
	}{
		{"default key policy: the key user and the account, not the key administrator",
			Resource{ARN: key, Type: "key", Policy: ptr(fixture(t, "kms-default-key-policy"))},
			[]Principal{role("arn:aws:iam::111122223333:role/KMSAdminRole"), role("arn:aws:iam::111122223333:role/ExampleRole")},
			"kms:Decrypt",
			[]string{
				"arn:aws:iam::111122223333:role/ExampleRole (role) kms:Decrypt via key-policy: key policy: statement Allow use of the key (#2)",
				"arn:aws:iam::111122223333:root (root) kms:Decrypt via key-policy: key policy: statement Enable IAM User Permissions (#0)",
			}},
		{"default key policy: ReEncrypt* and GenerateDataKey* cover their members",
			Resource{ARN: key, Type: "key", Policy: ptr(fixture(t, "kms-default-key-policy"))},
			[]Principal{role("arn:aws:iam::111122223333:role/ExampleRole")},
			"kms:GenerateDataKeyPairWithoutPlaintext",
			[]string{
				"arn:aws:iam::111122223333:role/ExampleRole (role) kms:GenerateDataKeyPairWithoutPlaintext via key-policy: key policy: statement Allow use of the key (#2)",
				"arn:aws:iam::111122223333:root (root) kms:GenerateDataKeyPairWithoutPlaintext via key-policy: key policy: statement Enable IAM User Permissions (#0)",
			}},
		{"external account: the account, and its role whose IAM policy allows",
			Resource{ARN: key, Type: "key", Policy: ptr(fixture(t, "kms-external-account"))},
			[]Principal{role("arn:aws:iam::444455556666:role/ExampleRole", named("ExternalKeyUse", "kms-external-account-iam")),
				role("arn:aws:iam::444455556666:role/Other")},
			"kms:Decrypt",
			[]string{
				"arn:aws:iam::111122223333:root (root) kms:Decrypt via key-policy: key policy: statement Enable IAM User Permissions (#0)",
				"arn:aws:iam::444455556666:role/ExampleRole (role) kms:Decrypt via key-policy: key policy: statement Allow an external account to use this KMS key (#1) and identity policy ExternalKeyUse: statement AllowUseOfKeyInAccount111122223333 (#0) outside",
				"arn:aws:iam::444455556666:root (root) kms:Decrypt via key-policy: key policy: statement Allow an external account to use this KMS key (#1) outside",
			}},
		{"cross-account secret: both policies allow the role",
			Resource{ARN: secret, Type: "secret", Policy: ptr(fixture(t, "secret-cross-account"))},
			[]Principal{role("arn:aws:iam::444455556666:role/EC2RoleToAccessSecrets", named("AccessSecrets", "secret-cross-account-iam"))},
			gsv,
			[]string{"arn:aws:iam::444455556666:role/EC2RoleToAccessSecrets (role) " + gsv + " via resource-policy: resource policy: statement #0 and identity policy AccessSecrets: statement #0 outside"}},
		{"VPC endpoint restriction: kept as the condition on the role's permission",
			Resource{ARN: secret, Type: "secret", Policy: ptr(fixture(t, "secret-vpc-endpoint"))},
			[]Principal{role("arn:aws:iam::111122223333:role/Reader")},
			gsv,
			[]string{"arn:aws:iam::111122223333:role/Reader (role) " + gsv + " via resource-policy: resource policy: statement AllowReader (#0) [unless denied by resource policy statement RestrictGetSecretValueoperation (#1) where StringNotEquals aws:sourceVpce=vpce-1234a5678b9012c]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rows(Evaluate([]Resource{tt.resource}, tt.principals, docOrg), tt.action)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Evaluate =\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
