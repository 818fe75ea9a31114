package main

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/keytrail/keytrail/internal/awsconf"
	"github.com/keytrail/keytrail/internal/doctor"
)

const doctorLong = `Checks a keytrail deployment from the outside, one line per check with a
fix for each failure: AWS credentials first; a trail delivers to the bucket,
is logging, logs read and write management events and does not exclude KMS;
new log files reach the queue; the lake received events today or yesterday
and its schema version; the dead-letter queues are empty; the functions had
no errors in 24 hours; the Slack secret is not the placeholder (its value is
never printed); Athena can read the events table and the views exist. With --stack, the rest comes from the stack's outputs; flags
given as well override them. The exit status is 1 when a check fails.`

func newDoctorCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "doctor --stack NAME | --lake s3://bucket/prefix --trail-bucket BUCKET [flags]", Args: args(cobra.NoArgs),
		Short: "check a deployment: trail settings, notifications, recent data, Athena", Long: doctorLong}
	fs := cmd.Flags()
	stack := fs.String("stack", "", "CloudFormation `stack` made from infra/template.yaml")
	lakeURI := fs.String("lake", "", "the lake, `s3://bucket/prefix`")
	trailBucket := fs.String("trail-bucket", "", "the trail's `bucket`")
	trailPrefix := fs.String("trail-prefix", "", "the trail's key `prefix` up to AWSLogs/ (default AWSLogs/)")
	source := fs.String("notification", "", "how log files reach the queue: S3ToSQS, SNS or EventBridge")
	queue := fs.String("queue-arn", "", "the ingest queue's `ARN` (S3ToSQS)")
	topic := fs.String("topic-arn", "", "the notification topic's `ARN` (SNS)")
	workgroup := fs.String("workgroup", "", "Athena `workgroup` (empty skips the Athena check)")
	database := fs.String("database", "keytrail", "Glue `database`")
	fs.String("region", "", "AWS `region` (default: $KEYTRAIL_REGION, the config's, or the SDK's)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx, env := cmd.Context(), a.env
		if *stack == "" && (*lakeURI == "" || *trailBucket == "") {
			return usagef("give --stack, or --lake and --trail-bucket")
		}
		var lakeBucket, lakePrefix string
		if *lakeURI != "" {
			var err error
			if lakeBucket, lakePrefix, err = doctor.SplitS3(*lakeURI); err != nil {
				return usagef("--lake: %v", err)
			}
		}
		cfg, getenv, err := a.awsConfig(cmd)
		if err != nil {
			return err
		}
		ath, s3c, sm := athena.NewFromConfig(cfg), s3.NewFromConfig(cfg, awsconf.S3Options(getenv)), secretsmanager.NewFromConfig(cfg)
		d := &doctor.Doctor{Identity: sts.NewFromConfig(cfg), Queues: sqs.NewFromConfig(cfg), Secrets: sm, Tables: glue.NewFromConfig(cfg),
			Metrics: cloudwatch.NewFromConfig(cfg), Get: s3c, Notifications: s3c, Objects: s3c, StartQuery: ath, GetQuery: ath}
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
		set := map[string]bool{}
		fs.Visit(func(f *pflag.Flag) { set[f.Name] = true })
		if *lakeURI != "" {
			dep.LakeBucket, dep.LakePrefix = lakeBucket, lakePrefix
		}
		// Flags given override the stack's outputs.
		for name, o := range map[string]struct{ dst, flag *string }{
			"trail-bucket": {&dep.TrailBucket, trailBucket}, "trail-prefix": {&dep.TrailPrefix, trailPrefix},
			"notification": {&dep.NotificationSource, source}, "queue-arn": {&dep.QueueARN, queue},
			"topic-arn": {&dep.TopicARN, topic}, "workgroup": {&dep.Workgroup, workgroup},
		} {
			if set[name] {
				*o.dst = *o.flag
			}
		}
		if set["database"] || dep.Database == "" {
			dep.Database = *database
		}
		if dep.TrailPrefix == "" {
			dep.TrailPrefix = "AWSLogs/"
		}
		ct := cloudtrail.NewFromConfig(cfg)
		d.Trails, d.Status, d.Selectors = ct, ct, ct
		results, err := d.Run(ctx, dep)
		failed := doctor.Print(env.stdout, results)
		if err != nil {
			return err
		}
		if failed > 0 {
			return exitCode(1)
		}
		return nil
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
	getenv := a.env.getenv
	if region != "" {
		getenv = func(k string) string {
			if k == "AWS_REGION" {
				return region
			}
			return a.env.getenv(k)
		}
	}
	cfg, err := awsconf.Load(cmd.Context(), getenv)
	return cfg, getenv, err
}
