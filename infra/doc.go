// Package infra holds keytrail's deployment: template.yaml, an AWS SAM
// template with the Lambda functions, their queues, the KMS-encrypted lake
// bucket, the Glue tables and views, the Athena workgroup and the alarms;
// member-role.yaml for the inventory's member accounts; and log-archive.yaml,
// the trail bucket and key of an organization trail in a log-archive
// account, with the grants that let keytrail read it across accounts.
//
// The package's Go code exists to check that template against the rest of
// the repository, because an IAM policy written by hand drifts from the code
// it serves: a new SDK call fails in production with AccessDenied, and a
// grant nobody uses any more stays forever. The tests derive, from each
// function's Go code, the AWS operations it can reach and the environment
// variables it reads, and compare them with the template; they also check
// the Glue tables against the Parquet schemas and every Ref against the
// template's names. The security model's promises (no IAM policy gives use
// of the lake key, only alert reads the Slack secret, no queue answers
// without TLS) are checked as decisions of a small IAM policy evaluator
// over the rendered template, because a policy that looks narrow can
// still allow, through a wildcard or a missing resource policy. Parse reads CloudFormation YAML, short-form intrinsic
// functions (!Ref, !Sub, !GetAtt, …) included, without dropping any field.
package infra
