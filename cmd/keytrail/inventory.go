package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keytrail/keytrail/internal/awsconf"
	"github.com/keytrail/keytrail/internal/visible"
	"github.com/keytrail/keytrail/inventory"
	"github.com/keytrail/keytrail/inventory/clients"
)

const inventoryUsage = `Usage: keytrail inventory --regions R[,R…] [flags]

Takes the inventory of the secrets, keys and IAM principals of the
account the AWS credentials belong to and, through a read-only role
(infra/member-role.yaml), of member accounts, works out who may read each
secret and use each key, and writes the day's snapshot to the lake's
inventory/ tables (a rerun the same day replaces it). Member accounts
come from Organizations when the credentials may list them, else from
--accounts. Only List, Describe and Get calls are made. It prints a
summary, with every account and region that could not be read, and
exits 1 when some could not.

Flags:
`

func runInventory(ctx context.Context, env *environ, args []string) int {
	fs := newFlagSet(env, "inventory", inventoryUsage)
	lakeURI := fs.String("lake", "lake", "lake `folder` or s3://bucket/prefix")
	kmsKey := fs.String("kms-key", "", "KMS key `ARN` for SSE-KMS writes to an S3 lake")
	regions := fs.String("regions", "", "`regions` to read, comma-separated (required)")
	accounts := fs.String("accounts", "", "member `accounts` to read when Organizations cannot list them")
	role := fs.String("member-role", "keytrail/keytrail-inventory-reader", "role `name` (path/name) assumed in member accounts")
	noOrg := fs.Bool("no-organizations", false, "do not ask Organizations for the accounts; read --accounts only")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintf(env.stderr, "keytrail inventory: %v\n", err)
		return 1
	}
	if len(splitList(*regions)) == 0 {
		fmt.Fprintln(env.stderr, "keytrail inventory: --regions must list the regions to read")
		return 2
	}
	store, err := openLake(ctx, env, *lakeURI, *kmsKey)
	if err != nil {
		return fail(err)
	}
	cfg, err := awsconf.Load(ctx, env.getenv)
	if err != nil {
		return fail(err)
	}
	// The credentials' own account is the one read directly.
	stsClient := clients.STS(cfg, clients.Options{})
	id, err := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fail(fmt.Errorf("who am I (sts GetCallerIdentity): %w", err))
	}
	c := &inventory.Collector{Self: aws.ToString(id.Account), Regions: splitList(*regions), Accounts: splitList(*accounts),
		MemberRole: *role, STS: stsClient, Connect: clients.Connect(cfg, clients.Options{}), Now: time.Now}
	c.Partition = arnPartition(aws.ToString(id.Arn))
	if !*noOrg {
		c.Org = clients.Organizations(cfg, clients.Options{})
	}
	snap, err := c.Collect(ctx)
	if err != nil {
		return fail(err)
	}
	keys, err := snap.Write(ctx, store)
	if err != nil {
		return fail(err)
	}
	printInventory(env, snap, len(keys))
	if len(snap.Failures()) > 0 {
		return 1
	}
	return 0
}

func arnPartition(arn string) string {
	if parts := strings.Split(arn, ":"); len(parts) > 2 && parts[0] == "arn" {
		return parts[1]
	}
	return ""
}

// printInventory prints the run's summary: JSON when stdout is not a
// terminal, lines for people otherwise, with AWS's error text escaped.
func printInventory(env *environ, s *inventory.Snapshot, objects int) {
	if !env.isTerminal {
		json.NewEncoder(env.stdout).Encode(map[string]any{"day": s.Day, "accounts": s.Accounts, "accounts_by": s.AccountsBy,
			"secrets": len(s.Secrets), "keys": len(s.Keys), "principals": len(s.Principals), "permissions": len(s.Permissions),
			"objects": objects, "not_read": s.Failures()})
		return
	}
	fmt.Fprintf(env.stdout, "inventory %s: %d accounts (%s), %d secrets, %d keys, %d principals, %d permissions; %d objects written\n",
		s.Day, len(s.Accounts), s.AccountsBy, len(s.Secrets), len(s.Keys), len(s.Principals), len(s.Permissions), objects)
	if s.OrgError != "" {
		fmt.Fprintf(env.stdout, "  organizations: %s\n", visible.String(s.OrgError))
	}
	for _, f := range s.Failures() {
		fmt.Fprintf(env.stdout, "  not read: %s %s %s: %s: %s\n", f.Account, f.Region, f.Table, f.Status, visible.String(f.Error))
	}
}
