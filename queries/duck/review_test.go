package duck

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/queries"
	"github.com/keytrail/keytrail/queries/duck/testlake"
)

// The inventory's names, unqualified.
const (
	S3, K3, K5, Bob, SSOAdmin      = testlake.S3, testlake.K3, testlake.K5, testlake.Bob, testlake.SSOAdmin
	Ingest, PartnerRoot, Lookalike = testlake.Ingest, testlake.PartnerRoot, testlake.Lookalike
)

// reviewArgs is the scenario's week with the parameters q declares that a
// review passes: the idle window starts 90 days before the week's end.
func reviewArgs(q queries.Query, extra ...string) map[string]string {
	args := week(extra...)
	for _, p := range q.Params {
		if p.Name == "idle_from" {
			args["idle_from"] = "2026-04-09T00:00:00Z"
		}
	}
	return args
}

func readsInventory(q queries.Query) bool { return strings.Contains(q.SQL, "FROM inventory_") }

// The review queries over the scenario's lake with its inventory (see
// testlake.Inventory for the facts). Each answer is read from the latest
// inventory day of the week: carol, who could read S1 on the earlier
// day, is in none.
func TestReviewQueries(t *testing.T) {
	db := openLake(t, testlake.InventorySource)
	tests := []struct {
		query string
		extra []string
		cols  []string
		want  []string
	}{
		// Who may and who did: the alias use (e17) counts for K1 (3
		// Decrypts by app's sessions); the ReEncrypt (e10) for K1's
		// ReEncryptFrom and K2's ReEncryptTo; the partner's session for
		// the partner account's root; the hostile user's read has no
		// permission the inventory knows; mallory's failed calls are no
		// use; keytrail's role and CloudTrail are classed apart.
		// etl's PutSecretValue on S1 (e19) is use, but of no action the
		// inventory evaluates: no row.
		{"review_permissions", nil, []string{"resource_name", "principal_name", "principal_class", "action", "via", "last_used", "calls"}, []string{
			"alias/app|alice|person|kms:Decrypt|key-policy|2026-07-03 11:00:00.000|1",
			"alias/app|app|workload|kms:Decrypt|key-policy|2026-07-07 12:00:00.000|3",
			"alias/app|app|workload|kms:Encrypt|key-policy||0",
			"alias/app|app|workload|kms:ReEncryptFrom|key-policy|2026-07-05 20:00:00.000|1",
			"alias/app|etl|workload|kms:Decrypt|grant|2026-07-07 02:00:00.000|1",
			// keytrail's path in an account outside the organization: not ours.
			"alias/app|keytrail-ingest|workload|kms:Decrypt|key-policy||0",
			"alias/app|cloudtrail.amazonaws.com|service|kms:GenerateDataKey|key-policy||0",
			"alias/app|keytrail-ingest|keytrail|kms:Decrypt|key-policy||0",
			"alias/old|app|workload|kms:ReEncryptTo|key-policy|2026-07-05 20:00:00.000|1",
			"api|AWSReservedSSO_Admin_0123456789abcdef|person|secretsmanager:GetSecretValue|identity-policy||0",
			"api|app|workload|secretsmanager:GetSecretValue|identity-policy||0",
			"db|alice|person|secretsmanager:GetSecretValue|identity-policy|2026-07-04 14:00:00.000|2",
			"db|app|workload|secretsmanager:GetSecretValue|identity-policy|2026-07-01 09:05:00.000|2",
			"db|bob|person|secretsmanager:GetSecretValue|identity-policy||0",
			"db|root|account|secretsmanager:GetSecretValue|resource-policy|2026-07-06 15:00:00.000|1",
			"db|x' OR '1'='1|person|secretsmanager:GetSecretValue|not in inventory|2026-07-07 23:59:59.999|1",
			"legacy|*|public|secretsmanager:GetSecretValue|resource-policy||0",
			"legacy|etl|workload|secretsmanager:GetSecretValue|identity-policy||0",
		}},
		// keytrail's own roles may also be named exactly; they come last
		// in each resource's rows.
		{"review_permissions", []string{"self_principals", AppRole + " " + Ingest}, []string{"principal_name", "principal_class"}, []string{
			"alice|person", "etl|workload", "keytrail-ingest|workload", "cloudtrail.amazonaws.com|service", "app|keytrail", "app|keytrail", "app|keytrail", "keytrail-ingest|keytrail",
			"app|keytrail", "AWSReservedSSO_Admin_0123456789abcdef|person", "app|keytrail", "alice|person", "bob|person",
			"root|account", "x' OR '1'='1|person", "app|keytrail", "*|public", "etl|workload",
		}},
		{"review_permissions", nil, []string{"principal_arn", "granted_by", "owner", "conditions", "outside", "public"}, nil}, // checked below
		// Granted, unused: not keytrail's role, not CloudTrail, not app on
		// K1 (it used Decrypt, though never Encrypt); a role on keytrail's
		// path in an outside account is listed.
		{"review_revoke", nil, []string{"resource_name", "principal_name", "principal_class", "granted_by", "actions", "outside"}, []string{
			"alias/app|keytrail-ingest|workload|key policy: statement Vendor (#4)|kms:Decrypt|true",
			"api|AWSReservedSSO_Admin_0123456789abcdef|person|identity policy arn:aws:iam::aws:policy/SecretsManagerReadWrite: statement #0|secretsmanager:GetSecretValue|false",
			"api|app|workload|identity policy inline role/app/secrets: statement #0|secretsmanager:GetSecretValue|false",
			"db|bob|person|identity policy arn:aws:iam::111111111111:policy/readers: statement #0|secretsmanager:GetSecretValue|false",
			"legacy|*|public|resource policy: statement #0|secretsmanager:GetSecretValue|true",
			"legacy|etl|workload|identity policy inline role/etl/legacy: statement #0|secretsmanager:GetSecretValue|false",
		}},
		{"review_leavers", nil, []string{"principal_name", "principal_type", "resources", "resource_arns", "iam_last_used"}, []string{
			"AWSReservedSSO_Admin_0123456789abcdef|Identity Center role|1|" + S2 + "|2026-03-01 00:00:00.000",
			"bob|IAM user|1|" + S1 + "|",
		}},
		// S2 is too young (created 2026-06-20); S1 is used.
		{"review_delete", nil, []string{"secret_name", "secret_arn", "owner", "last_accessed", "monthly_cost_usd"}, []string{
			"legacy|" + S3 + "|platform|2026-02-01 00:00:00.000|0.4",
		}},
		{"review_outside", nil, []string{"resource_name", "principal_arn", "public", "actions", "last_used", "calls"}, []string{
			"legacy|*|true|secretsmanager:GetSecretValue||0",
			"alias/app|" + Lookalike + "|false|kms:Decrypt||0",
			"db|" + PartnerRoot + "|false|secretsmanager:GetSecretValue|2026-07-06 15:00:00.000|1",
		}},
		// 178 days from S3's last rotation to the inventory's day; K4 (AWS managed) and K5
		// (asymmetric) are not listed; K2 is used before its deletion.
		{"review_rotation", nil, []string{"resource_type", "resource_name", "issue", "last_rotated", "days_since_rotation", "deletion_date", "calls"}, []string{
			"key|alias/reports|key rotation off||||0",
			"key|alias/old|pending deletion|||2026-07-13 09:00:00.000|1",
			"secret|api|rotation off||17||0",
			"secret|legacy|rotation overdue|2026-01-10 00:00:00.000|178||0",
		}},
		{"review_rotation", []string{"max_rotation_days", "200"}, []string{"resource_name", "issue"}, []string{
			"alias/reports|key rotation off", "alias/old|pending deletion", "api|rotation off",
		}},
	}
	if n := len(slices.DeleteFunc(queries.All(), func(q queries.Query) bool { return !readsInventory(q) })); n != 6 {
		t.Errorf("%d library queries read the inventory, want the 6 tested here", n)
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.query] = true
		t.Run(tt.query, func(t *testing.T) {
			q, err := queries.Get(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			args := reviewArgs(q, tt.extra...)
			res, err := db.Run(context.Background(), q, args)
			if err != nil {
				t.Fatal(err)
			}
			got := project(t, res, tt.cols...)
			if tt.want != nil && !slices.Equal(got, tt.want) {
				t.Errorf("%s %v:\n got %q\nwant %q", tt.query, args, got, tt.want)
			}
			checkRendered(t, db, q, args, res)
		})
	}
	for _, q := range queries.All() {
		if readsInventory(q) && !covered[q.Name] {
			t.Errorf("review query %s has no test case", q.Name)
		}
	}

	// The columns an auditor signs from, on the rows that carry them.
	q, _ := queries.Get("review_permissions")
	res, err := db.Run(context.Background(), q, reviewArgs(q))
	if err != nil {
		t.Fatal(err)
	}
	rows := project(t, res, "principal_arn", "owner", "conditions", "outside", "public")
	for _, want := range []string{
		PartnerRoot + "|payments||true|false",
		"*|platform||true|true",
		ETL + "|platform|aws:SourceVpc StringEquals vpc-1|false|false",
		Bob + "|payments||false|false",
	} {
		if !slices.Contains(rows, want) {
			t.Errorf("review_permissions: no row %q in %q", want, rows)
		}
	}
}

// Without an inventory in the period, the inventory's queries give no
// rows (the review says "not checked"), and an inventory taken after the
// period is not read.
func TestReviewQueriesWithoutInventory(t *testing.T) {
	for name, src := range map[string]testlake.Source{"no inventory": ScenarioSource, "inventory after": testlake.InventorySource} {
		db := openLake(t, src)
		for _, q := range queries.All() {
			if !readsInventory(q) {
				continue
			}
			args := reviewArgs(q)
			if name == "inventory after" {
				args["from"], args["to"] = "2026-07-01T00:00:00Z", "2026-07-02T00:00:00Z"
			}
			res, err := db.Run(context.Background(), q, args)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rows) != 0 {
				t.Errorf("%s: %s gives %d rows", name, q.Name, len(res.Rows))
			}
		}
	}
}
