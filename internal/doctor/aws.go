package doctor

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// New returns a Doctor over the AWS services' own clients, made from cfg;
// s3opts configure its S3 client (an S3-compatible endpoint, say).
func New(cfg aws.Config, s3opts ...func(*s3.Options)) *Doctor {
	ct, s3c, ath := cloudtrail.NewFromConfig(cfg), s3.NewFromConfig(cfg, s3opts...), athena.NewFromConfig(cfg)
	return &Doctor{
		Trails: ct, Status: ct, Selectors: ct,
		Notifications: s3c, Objects: s3c, Get: s3c,
		StartQuery: ath, GetQuery: ath,
		Identity: sts.NewFromConfig(cfg), Queues: sqs.NewFromConfig(cfg), Secrets: secretsmanager.NewFromConfig(cfg),
		Tables: glue.NewFromConfig(cfg), Metrics: cloudwatch.NewFromConfig(cfg),
	}
}

// Override sets the deployment's fields that an operator gave as flags
// (by flag name: lake, trail-bucket, trail-prefix, notification, queue-arn,
// topic-arn, workgroup, database), over what a stack's outputs said, and
// fills what neither gave: the database keytrail, the trail prefix
// AWSLogs/.
func (d *Deployment) Override(flags map[string]string) error {
	if uri, ok := flags["lake"]; ok {
		var err error
		if d.LakeBucket, d.LakePrefix, err = SplitS3(uri); err != nil {
			return fmt.Errorf("--lake: %w", err)
		}
	}
	for name, dst := range map[string]*string{
		"trail-bucket": &d.TrailBucket, "trail-prefix": &d.TrailPrefix, "notification": &d.NotificationSource,
		"queue-arn": &d.QueueARN, "topic-arn": &d.TopicARN, "workgroup": &d.Workgroup, "database": &d.Database,
	} {
		if v, ok := flags[name]; ok {
			*dst = v
		}
	}
	if d.Database == "" {
		d.Database = "keytrail"
	}
	if d.TrailPrefix == "" {
		d.TrailPrefix = "AWSLogs/"
	}
	return nil
}
