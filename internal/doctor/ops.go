package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/keytrail/keytrail/alert"
	"github.com/keytrail/keytrail/internal/lake"
)

// The operational checks' AWS calls.
type (
	IdentityGetter interface {
		GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	}
	QueueAttributesGetter interface {
		GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	}
	// SecretReader reads the Slack secret's value, or, where the stack's
	// resource policy lets only the alert function read it, its versions.
	SecretReader interface {
		GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
		DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	}
	// TableGetter reads the Glue catalog, where Athena's views live
	// (glue:GetTable is in the stack's AthenaReaderPolicy).
	TableGetter interface {
		GetTable(ctx context.Context, in *glue.GetTableInput, optFns ...func(*glue.Options)) (*glue.GetTableOutput, error)
	}
	MetricStatisticsGetter interface {
		GetMetricStatistics(ctx context.Context, in *cloudwatch.GetMetricStatisticsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricStatisticsOutput, error)
	}
	ObjectGetter interface {
		GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	}
)

// Names of the operational checks.
const (
	CheckCredentials    = "AWS credentials"
	CheckDeadLetters    = "dead-letter queues are empty"
	CheckSlackSecret    = "the Slack secret holds a token"
	CheckViews          = "the Athena views exist"
	CheckFunctionErrors = "functions ran without errors (24 h)"
	CheckSchema         = "lake schema version"
)

// credentialsFix is the one line a user without working credentials needs.
const credentialsFix = "aws configure sso (once), then aws sso login --profile NAME and export AWS_PROFILE=NAME; " +
	"or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"

// Credentials checks that the SDK found credentials AWS accepts. Run it
// first: without them every other check fails with the same SDK error.
func (d *Doctor) Credentials(ctx context.Context) Result {
	r := Result{Check: CheckCredentials}
	if d.Identity == nil {
		r.Skip, r.Detail = true, "no STS client"
		return r
	}
	out, err := d.Identity.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	var ae smithy.APIError
	switch {
	case err == nil:
		r.OK, r.Detail = true, aws.ToString(out.Arn)
	case errors.As(err, &ae):
		r.Detail, r.Fix = "AWS refused the credentials ("+ae.ErrorCode()+")", "refresh them: aws sso login --profile NAME, or export new keys"
	case strings.Contains(strings.ToLower(err.Error()), "sso") && strings.Contains(strings.ToLower(err.Error()), "expired"):
		r.Detail, r.Fix = "the SSO session has expired", "aws sso login --profile NAME (the profile in AWS_PROFILE)"
	default:
		r.Detail, r.Fix = "no AWS credentials found", credentialsFix
	}
	return r
}

func (d *Doctor) checkDeadLetters(ctx context.Context, dep Deployment) Result {
	r := Result{Check: CheckDeadLetters}
	if d.Queues == nil || len(dep.DeadLetterQueues) == 0 {
		r.Skip, r.Detail = true, "no dead-letter queue given"
		return r
	}
	var full []string
	for _, q := range dep.DeadLetterQueues {
		out, err := d.Queues.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
		if err != nil {
			r.Detail, r.Fix = "read "+q+": "+errText(err), "run doctor with sqs:GetQueueAttributes on the dead-letter queues"
			return r
		}
		if n, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)]); n > 0 {
			full = append(full, fmt.Sprintf("%d in %s", n, q))
		}
	}
	if len(full) == 0 {
		r.OK, r.Detail = true, fmt.Sprintf("%d queue(s), no messages", len(dep.DeadLetterQueues))
		return r
	}
	target := "--dlq URL"
	if dep.Stack != "" {
		target = "--stack " + dep.Stack
	}
	r.Detail = "messages waiting: " + strings.Join(full, ", ")
	r.Fix = "find why in the function's log (by message id), fix it, then keytrail redrive " + target +
		" --dry-run, and keytrail redrive " + target + " (README: Replaying the dead-letter queues)"
	return r
}

func (d *Doctor) checkSlackSecret(ctx context.Context, dep Deployment) Result {
	r := Result{Check: CheckSlackSecret}
	if d.Secrets == nil || dep.SlackSecretARN == "" {
		r.Skip, r.Detail = true, "no Slack secret given"
		return r
	}
	put := "as one of KeyAdminArns: aws secretsmanager put-secret-value --secret-id " + dep.SlackSecretARN +
		` --secret-string '{"token":"xoxb-…"}' (or {"webhook_url":"https://hooks.slack.com/…"})`
	v, err := d.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(dep.SlackSecretARN)})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "AccessDeniedException" {
		// The stack lets only the alert function read the value: a
		// placeholder is then told by the versions, the stack's generated
		// one being the only one until someone puts the token.
		desc, err := d.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(dep.SlackSecretARN)})
		if err != nil {
			r.Detail, r.Fix = "describe the secret: "+errText(err), "run doctor with secretsmanager:DescribeSecret on the Slack secret"
			return r
		}
		if len(desc.VersionIdsToStages) <= 1 {
			r.Detail, r.Fix = "the secret has only the version the stack generated: still the random placeholder", put
			return r
		}
		r.OK, r.Detail = true, fmt.Sprintf("%d versions: a value was put after the placeholder (only the alert function may read it)", len(desc.VersionIdsToStages))
		return r
	}
	if err != nil {
		r.Detail, r.Fix = "read the secret: "+errText(err), "run doctor with secretsmanager:GetSecretValue (or DescribeSecret) on the Slack secret"
		return r
	}
	// The value is parsed, never printed: ParseCredential's errors do not
	// include it.
	c, err := alert.ParseCredential(aws.ToString(v.SecretString))
	if err != nil {
		r.Detail, r.Fix = "no Slack token or webhook URL in the secret (the stack's random placeholder?): "+strings.TrimPrefix(err.Error(), "slack secret: "), put
		return r
	}
	r.OK, r.Detail = true, "a bot token"
	if c.WebhookURL != "" {
		r.Detail = "a webhook URL"
	}
	return r
}

// Views are the Athena views the library's queries read.
var Views = []string{"events_unique", "findings_unique"}

func (d *Doctor) checkViews(ctx context.Context, dep Deployment) Result {
	r := Result{Check: CheckViews}
	if d.Tables == nil || dep.Database == "" {
		r.Skip, r.Detail = true, "no Glue database given"
		return r
	}
	var missing []string
	for _, v := range Views {
		_, err := d.Tables.GetTable(ctx, &glue.GetTableInput{DatabaseName: aws.String(dep.Database), Name: aws.String(v)})
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "EntityNotFoundException" {
			missing = append(missing, v)
			continue
		}
		if err != nil {
			r.Detail, r.Fix = "read "+dep.Database+"."+v+": "+errText(err), "run doctor with glue:GetTable on the database (the stack's AthenaReaderPolicy)"
			return r
		}
	}
	if len(missing) == 0 {
		r.OK, r.Detail = true, strings.Join(Views, ", ")
		return r
	}
	r.Detail = "missing in " + dep.Database + ": " + strings.Join(missing, ", ")
	r.Fix = "the stack creates them as Glue views: update it (sam deploy) with this release's template; " +
		"without the stack, run queries/ddl/" + missing[0] + ".sql (and each other missing view's) in Athena on database " + dep.Database
	return r
}

func (d *Doctor) checkFunctionErrors(ctx context.Context, dep Deployment) Result {
	r := Result{Check: CheckFunctionErrors}
	if d.Metrics == nil || len(dep.Functions) == 0 {
		r.Skip, r.Detail = true, "no functions given"
		return r
	}
	end := d.now().UTC().Truncate(time.Minute)
	var failing []string
	for _, role := range slices.Sorted(maps.Keys(dep.Functions)) {
		name := dep.Functions[role]
		out, err := d.Metrics.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
			Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Errors"),
			Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String(name)}},
			StartTime:  aws.Time(end.Add(-24 * time.Hour)), EndTime: aws.Time(end), Period: aws.Int32(3600),
			Statistics: []cwtypes.Statistic{cwtypes.StatisticSum},
		})
		if err != nil {
			r.Detail, r.Fix = "read the Errors metric of "+name+": "+errText(err), "run doctor with cloudwatch:GetMetricStatistics"
			return r
		}
		sum := 0.0
		for _, p := range out.Datapoints {
			sum += aws.ToFloat64(p.Sum)
		}
		if sum > 0 {
			failing = append(failing, fmt.Sprintf("%s (%s) %.0f", role, name, sum))
		}
	}
	if len(failing) == 0 {
		r.OK, r.Detail = true, fmt.Sprintf("%d functions, no errors", len(dep.Functions))
		return r
	}
	r.Detail = "errors: " + strings.Join(failing, ", ")
	r.Fix = "read the function's log: aws logs tail $(aws lambda get-function-configuration --function-name NAME --query LoggingConfig.LogGroup --output text) --since 24h"
	return r
}

func (d *Doctor) checkSchema(ctx context.Context, dep Deployment) Result {
	r := Result{Check: CheckSchema}
	if d.Get == nil || dep.LakeBucket == "" {
		r.Skip, r.Detail = true, "no lake given"
		return r
	}
	v, found, err := lake.ReadSchema(ctx, s3Lake{d.Get, dep.LakeBucket, dep.LakePrefix})
	switch {
	case err != nil:
		r.Detail, r.Fix = errText(err), "run doctor with s3:GetObject on the lake (and kms:Decrypt on its key); a marker must hold {\"version\":N}"
	case !found:
		r.OK, r.Detail = true, fmt.Sprintf("no marker yet: version %d (the next ingest writes it)", v)
	case v > lake.SchemaVersion:
		r.Detail = fmt.Sprintf("version %d, newer than this keytrail's %d", v, lake.SchemaVersion)
		r.Fix = "upgrade keytrail, the CLI and the stack (README: Upgrading)"
	default:
		r.OK, r.Detail = true, fmt.Sprintf("version %d", v)
	}
	return r
}

// s3Lake reads lake objects through GetObject, for lake.ReadSchema.
type s3Lake struct {
	get            ObjectGetter
	bucket, prefix string
}

func (l s3Lake) Get(ctx context.Context, key string) (io.ReadCloser, lake.ObjectInfo, error) {
	out, err := l.get.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(l.bucket), Key: aws.String(l.prefix + key)})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "NoSuchKey" {
		return nil, lake.ObjectInfo{}, lake.ErrNotFound
	}
	if err != nil {
		return nil, lake.ObjectInfo{}, fmt.Errorf("s3://%s/%s%s: %s", l.bucket, l.prefix, key, errText(err))
	}
	return out.Body, lake.ObjectInfo{Key: key}, nil
}
