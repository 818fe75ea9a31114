package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// StackDescriber reads a stack's outputs.
type StackDescriber interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// FromStack returns the deployment described by the outputs of a stack
// made from infra/template.yaml.
func FromStack(ctx context.Context, c StackDescriber, name string) (Deployment, error) {
	out, err := c.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		return Deployment{}, fmt.Errorf("describe stack %s: %s", name, errText(err))
	}
	if len(out.Stacks) != 1 {
		return Deployment{}, fmt.Errorf("describe stack %s: %d stacks", name, len(out.Stacks))
	}
	o := map[string]string{}
	for _, kv := range out.Stacks[0].Outputs {
		o[aws.ToString(kv.OutputKey)] = aws.ToString(kv.OutputValue)
	}
	dep := Deployment{
		TrailBucket:        o["CloudTrailBucket"],
		TrailPrefix:        o["CloudTrailPrefix"],
		NotificationSource: o["NotificationSource"],
		QueueARN:           o["QueueArn"],
		TopicARN:           o["NotificationTopicArn"],
		Workgroup:          o["Workgroup"],
		Database:           o["GlueDatabase"],
	}
	dep.Stack, dep.SlackSecretARN = name, o["SlackSecretArn"]
	for _, role := range []string{"ingest", "compact", "detect", "alert", "inventory"} {
		if fn := o[strings.ToUpper(role[:1])+role[1:]+"Function"]; fn != "" {
			if dep.Functions == nil {
				dep.Functions = map[string]string{}
			}
			dep.Functions[role] = fn
		}
	}
	for _, k := range []string{"DeadLetterQueueUrl", "LakeDeadLetterQueueUrl"} {
		if o[k] != "" {
			dep.DeadLetterQueues = append(dep.DeadLetterQueues, o[k])
		}
	}
	if dep.LakeBucket, dep.LakePrefix, err = SplitS3(o["Lake"]); err != nil {
		return Deployment{}, fmt.Errorf("stack %s output Lake: %w", name, err)
	}
	return dep, nil
}

// SplitS3 splits s3://bucket/prefix into the bucket and a prefix that is
// empty or ends in "/".
func SplitS3(uri string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok || rest == "" {
		return "", "", fmt.Errorf("%q is not s3://bucket[/prefix]", uri)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q has no bucket", uri)
	}
	if prefix = strings.Trim(prefix, "/"); prefix != "" {
		prefix += "/"
	}
	return bucket, prefix, nil
}
