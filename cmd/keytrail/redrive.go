package main

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/spf13/cobra"

	"github.com/keytrail/keytrail/internal/doctor"
	"github.com/keytrail/keytrail/internal/redrive"
)

func newRedriveCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "redrive --stack NAME | --dlq URL [--to URL] [--max N] [--dry-run]", Args: args(cobra.NoArgs),
		Short: "move dead-letter messages back to the queue each failed in (see the README's runbook)"}
	stack, dlqs := cmd.Flags().String("stack", "", "CloudFormation `stack` whose dead-letter queues to redrive"),
		cmd.Flags().StringArray("dlq", nil, "dead-letter queue `URL` (repeatable; default: the stack's)")
	var o redrive.Options
	cmd.Flags().StringVar(&o.To, "to", "", "destination queue `URL` (default: each message's source queue)")
	cmd.Flags().IntVar(&o.Max, "max", 0, "move at most `N` messages per queue, received and sent one by one (default: all, by SQS's move task)")
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "list what would move (count, ids, bodies' first bytes); move nothing")
	cmd.Flags().String("region", "", "AWS `region` (default: $KEYTRAIL_REGION, the config's, or the SDK's)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if *stack == "" && len(*dlqs) == 0 {
			return usagef("give --stack or --dlq")
		}
		cfg, _, err := a.awsConfig(cmd)
		if err != nil {
			return err
		}
		if len(*dlqs) == 0 {
			dep, err := doctor.FromStack(cmd.Context(), cloudformation.NewFromConfig(cfg), *stack)
			*dlqs = dep.DeadLetterQueues
			if err != nil {
				return err
			}
		}
		r := &redrive.Redriver{SQS: sqs.NewFromConfig(cfg)}
		for _, q := range *dlqs {
			o.DLQ = q
			rep, err := r.Redrive(cmd.Context(), o)
			if err = errors.Join(err, redrive.Print(a.env.stdout, rep, o.DryRun)); err != nil {
				return err
			}
		}
		return nil
	}
	return cmd
}
