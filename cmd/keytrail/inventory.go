package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/keytrail/keytrail/internal/awsconf"
	"github.com/keytrail/keytrail/internal/output"
	"github.com/keytrail/keytrail/inventory/clients"
)

func newInventoryCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "inventory --regions R[,R…] [flags]", Args: args(cobra.NoArgs), Long: help("inventory"),
		Short: "take the inventory of secrets, keys and principals, and who may use each, into the lake"}
	fs := cmd.Flags()
	lakeFlag(cmd, "lake `folder` or s3://bucket/prefix")
	kmsKey := fs.String("kms-key", "", "KMS key `ARN` for SSE-KMS writes to an S3 lake")
	regions := fs.String("regions", "", "`regions` to read, comma-separated (required)")
	accounts := fs.String("accounts", "", "member `accounts` to read when Organizations cannot list them")
	role := fs.String("member-role", "keytrail/keytrail-inventory-reader", "role `name` (path/name) assumed in member accounts")
	noOrg := fs.Bool("no-organizations", false, "do not ask Organizations for the accounts; read --accounts only")
	outFormat := a.addOutput(cmd, "", output.Table, output.JSON)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx, env := cmd.Context(), a.env
		format, err := outFormat()
		if err != nil {
			return err
		}
		if len(splitList(*regions)) == 0 {
			return usagef("--regions must list the regions to read")
		}
		store, _, err := a.writeLake(ctx, cmd, *kmsKey)
		if err != nil {
			return err
		}
		cfg, err := awsconf.Load(ctx, env.getenv)
		if err != nil {
			return err
		}
		// The credentials' own account is the one read directly.
		self, partition, err := clients.Whoami(ctx, cfg, clients.Options{})
		if err != nil {
			return err
		}
		c := clients.Collector(cfg, clients.Options{}, self, partition, !*noOrg)
		c.Regions, c.Accounts, c.MemberRole, c.Now = splitList(*regions), splitList(*accounts), *role, time.Now
		snap, err := c.Collect(ctx)
		if err != nil {
			return err
		}
		keys, err := snap.Write(ctx, store)
		if err != nil {
			return err
		}
		rep := snap.Report(len(keys))
		if err := output.Object(env.stdout, format, rep, rep.WriteText); err != nil {
			return err
		}
		if len(snap.Failures()) > 0 {
			return exitCode(1)
		}
		return nil
	}
	return cmd
}
