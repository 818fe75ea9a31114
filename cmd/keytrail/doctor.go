package main

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/keytrail/keytrail/internal/awsconf"
	"github.com/keytrail/keytrail/internal/doctor"
)

func newDoctorCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "doctor --stack NAME | --lake s3://bucket/prefix --trail-bucket BUCKET [flags]", Args: args(cobra.NoArgs),
		Short: "check a deployment: trail settings, notifications, recent data, Athena", Long: help("doctor")}
	fs := cmd.Flags()
	stack := fs.String("stack", "", "CloudFormation `stack` made from infra/template.yaml")
	fs.String("lake", "", "the lake, `s3://bucket/prefix`")
	fs.String("trail-bucket", "", "the trail's `bucket`")
	fs.String("trail-prefix", "", "the trail's key `prefix` up to AWSLogs/ (default AWSLogs/)")
	fs.String("notification", "", "how log files reach the queue: S3ToSQS, SNS or EventBridge")
	fs.String("queue-arn", "", "the ingest queue's `ARN` (S3ToSQS)")
	fs.String("topic-arn", "", "the notification topic's `ARN` (SNS)")
	fs.String("workgroup", "", "Athena `workgroup` (empty skips the Athena check)")
	fs.String("database", "keytrail", "Glue `database`")
	fs.String("region", "", "AWS `region` (default: $KEYTRAIL_REGION, the config's, or the SDK's)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx, env := cmd.Context(), a.env
		if *stack == "" && (!fs.Changed("lake") || !fs.Changed("trail-bucket")) {
			return usagef("give --stack, or --lake and --trail-bucket")
		}
		// The flags given, which override the stack's outputs; checked
		// before any AWS call.
		given := map[string]string{}
		fs.Visit(func(f *pflag.Flag) { given[f.Name] = f.Value.String() })
		if err := (&doctor.Deployment{}).Override(given); err != nil {
			return usage(err)
		}
		cfg, getenv, err := a.awsConfig(cmd)
		if err != nil {
			return err
		}
		d := doctor.New(cfg, awsconf.S3Options(getenv))
		if r := d.Credentials(ctx); !r.OK { // before any other call, whose error would be the SDK's
			doctor.Print(env.stdout, []doctor.Result{r})
			return exitCode(1)
		}
		var dep doctor.Deployment
		if *stack != "" {
			if dep, err = doctor.FromStack(ctx, cloudformation.NewFromConfig(cfg), *stack); err != nil {
				return err
			}
		}
		dep.Override(given)
		results, err := d.Run(ctx, dep)
		if failed := doctor.Print(env.stdout, results); err == nil && failed > 0 {
			return exitCode(1)
		}
		return err
	}
	return cmd
}

// awsConfig loads the SDK's configuration in the region of --region, else
// the region setting (KEYTRAIL_REGION, the config file), else the SDK's;
// getenv is the environment it was loaded from.
func (a *app) awsConfig(cmd *cobra.Command) (aws.Config, func(string) string, error) {
	region, err := a.value(cmd, "region", "region")
	if err != nil {
		return aws.Config{}, nil, err
	}
	getenv := awsconf.WithRegion(a.env.getenv, region)
	cfg, err := awsconf.Load(cmd.Context(), getenv)
	return cfg, getenv, err
}
