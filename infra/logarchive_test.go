package infra

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The log-archive account's template (log-archive.yaml) and the keytrail
// stack together: a cross-account read needs both the reader's identity
// policy (template.yaml) and the bucket's or key's policy
// (log-archive.yaml) to allow it, so the checks below decide requests
// against both.

const (
	logArchivePath    = "log-archive.yaml"
	logArchiveAccount = account // the renderer's AWS::AccountId: the log-archive stack's own account
	keytrailAccount   = "444455556666"
	orgID             = "o-abc123def4"
	mgmtAccount       = "999988887777"
	ingestRoleARN     = "arn:aws:iam::" + keytrailAccount + ":role/keytrail/kt-IngestRole-AbC123"
	operatorARN       = "arn:aws:iam::" + keytrailAccount + ":role/keytrail-operator"
	trailBucketARN    = "arn:aws:s3:::org-trail-logs"
	keytrailQueueARN  = "arn:aws:sqs:us-east-1:" + keytrailAccount + ":kt-Queue-XyZ"
	orgTrailARN       = "arn:aws:cloudtrail:us-east-1:" + mgmtAccount + ":trail/organization-trail"
	orgTrailKeyARN    = "TrailKey.Arn" // the rendered key ARN, as the keytrail stack is given it
)

func logArchiveParams(extra map[string]any) map[string]any {
	p := map[string]any{"TrailBucketName": "org-trail-logs", "OrganizationId": orgID, "ManagementAccountId": mgmtAccount,
		"IngestRoleArn": ingestRoleARN, "KeytrailQueueArn": keytrailQueueARN}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

// logArchive is the rendered log-archive stack: its bucket and key
// policies, the bucket, and its outputs.
type logArchive struct {
	bucketPolicy, keyPolicy []statement
	bucket                  map[string]any
	outputs                 map[string]any
}

func renderLogArchive(t *testing.T, params map[string]any) logArchive {
	t.Helper()
	tmpl, err := ParseFile(logArchivePath)
	if err != nil {
		t.Fatal(err)
	}
	out := render(t, tmpl, params)
	res := mapOf(out["Resources"])
	la := logArchive{bucket: mapOf(mapOf(res["TrailBucket"])["Properties"]), outputs: map[string]any{}}
	for name, o := range mapOf(out["Outputs"]) {
		la.outputs[name] = mapOf(o)["Value"]
	}
	for _, s := range listOf(mapOf(mapOf(mapOf(res["TrailBucketPolicy"])["Properties"])["PolicyDocument"])["Statement"]) {
		la.bucketPolicy = append(la.bucketPolicy, parseStatement(s))
	}
	for _, s := range listOf(mapOf(mapOf(mapOf(res["TrailKey"])["Properties"])["KeyPolicy"])["Statement"]) {
		la.keyPolicy = append(la.keyPolicy, parseStatement(s))
	}
	if len(la.bucketPolicy) == 0 || len(la.keyPolicy) == 0 {
		t.Fatalf("no bucket or key policy rendered")
	}
	if problems := retainProblems(res); len(problems) > 0 {
		t.Errorf("log archive: %v", problems)
	}
	return la
}

// keytrailFor renders the keytrail stack with the log-archive stack's
// outputs as its parameters, as the README's guide has the reader do.
func keytrailFor(t *testing.T, la logArchive) map[string]any {
	t.Helper()
	return mapOf(render(t, loadTemplate(t), map[string]any{
		"KeyAdminArns":              splitList(deployer),
		"CloudTrailBucket":          la.outputs["CloudTrailBucket"],
		"CloudTrailPrefix":          la.outputs["CloudTrailPrefix"],
		"CloudTrailBucketAccountId": la.outputs["CloudTrailBucketAccountId"],
		"CloudTrailKmsKeyArn":       la.outputs["CloudTrailKmsKeyArn"],
	})["Resources"])
}

// crossAccount decides a request by p (an identity in the keytrail
// account) on a resource in the log-archive account: the identity policy
// and the resource policy must both allow, and no Deny may apply.
func crossAccount(t *testing.T, p principal, req request, resource []statement) bool {
	t.Helper()
	return decision(t, p, req, nil, false) && decision(t, p, req, resource, true)
}

func TestLogArchive(t *testing.T) {
	la := renderLogArchive(t, logArchiveParams(nil))
	res := keytrailFor(t, la)
	ingest := principal{Name: "ingest", ARN: ingestRoleARN, Account: keytrailAccount, Identity: identityPolicies(res)["IngestRole"]}
	admin := principal{Name: "a keytrail-account administrator", ARN: "arn:aws:iam::" + keytrailAccount + ":role/admin", Account: keytrailAccount, Identity: allowAll}
	prefix := "AWSLogs/" + orgID + "/"
	logFile := trailBucketARN + "/" + prefix + "222233334444/CloudTrail/us-east-1/2026/01/02/222233334444_CloudTrail_us-east-1_20260102T0000Z_abcdefghijklmnop.json.gz"
	viaS3 := map[string]string{"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:EncryptionContext:aws:cloudtrail:arn": orgTrailARN}

	if got := la.outputs["CloudTrailPrefix"]; got != prefix {
		t.Errorf("CloudTrailPrefix output %v, want %s", got, prefix)
	}
	// The prefix is one the keytrail stack accepts.
	pattern := fmt.Sprint(mapOf(mapOf(loadTemplate(t)["Parameters"])["CloudTrailPrefix"])["AllowedPattern"])
	if !regexp.MustCompile(pattern).MatchString(fmt.Sprint(la.outputs["CloudTrailPrefix"])) {
		t.Errorf("the keytrail stack refuses CloudTrailPrefix %v (pattern %s)", la.outputs["CloudTrailPrefix"], pattern)
	}

	for _, tc := range []struct {
		name     string
		p        principal
		req      request
		resource []statement
		want     bool
	}{
		{"ingest reads a log file", ingest, request{Action: "s3:GetObject", Resource: logFile}, la.bucketPolicy, true},
		{"ingest reads outside the organization's prefix", ingest, request{Action: "s3:GetObject", Resource: trailBucketARN + "/AWSLogs/" + mgmtAccount + "/CloudTrail/x.json.gz"}, la.bucketPolicy, false},
		{"ingest reads another prefix", ingest, request{Action: "s3:GetObject", Resource: trailBucketARN + "/other/AWSLogs/" + orgID + "/x"}, la.bucketPolicy, false},
		{"ingest writes", ingest, request{Action: "s3:PutObject", Resource: logFile}, la.bucketPolicy, false},
		{"ingest lists (its code never does)", ingest, request{Action: "s3:ListBucket", Resource: trailBucketARN, Context: map[string]string{"s3:prefix": prefix}}, la.bucketPolicy, false},
		{"ingest without TLS", ingest, request{Action: "s3:GetObject", Resource: logFile, Context: map[string]string{"aws:SecureTransport": "false"}}, la.bucketPolicy, false},
		{"an administrator of the keytrail account reads", admin, request{Action: "s3:GetObject", Resource: logFile}, la.bucketPolicy, false},
		{"ingest decrypts the trail's file through S3", ingest, request{Action: "kms:Decrypt", Resource: orgTrailKeyARN, Context: viaS3}, la.keyPolicy, true},
		{"ingest decrypts outside S3", ingest, request{Action: "kms:Decrypt", Resource: orgTrailKeyARN, Context: map[string]string{"kms:EncryptionContext:aws:cloudtrail:arn": orgTrailARN}}, la.keyPolicy, false},
		{"ingest decrypts another trail's file", ingest, request{Action: "kms:Decrypt", Resource: orgTrailKeyARN, Context: map[string]string{"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:us-east-1:" + mgmtAccount + ":trail/other"}}, la.keyPolicy, false},
		{"ingest encrypts", ingest, request{Action: "kms:GenerateDataKey", Resource: orgTrailKeyARN, Context: viaS3}, la.keyPolicy, false},
		{"an administrator of the keytrail account decrypts", admin, request{Action: "kms:Decrypt", Resource: orgTrailKeyARN, Context: viaS3}, la.keyPolicy, false},
	} {
		if got := crossAccount(t, tc.p, tc.req, tc.resource); got != tc.want {
			t.Errorf("%s: allowed = %v, want %v", tc.name, got, tc.want)
		}
	}

	// CloudTrail writes the organization's files, for this trail only.
	ct := principal{Name: "CloudTrail", ARN: "cloudtrail.amazonaws.com"}
	write := func(key, trail string) bool {
		return decision(t, ct, request{Action: "s3:PutObject", Resource: trailBucketARN + "/" + key,
			Context: map[string]string{"aws:SourceArn": trail, "s3:x-amz-acl": "bucket-owner-full-control"}}, la.bucketPolicy, false)
	}
	if !write(prefix+"222233334444/CloudTrail/x.json.gz", orgTrailARN) || !write("AWSLogs/"+mgmtAccount+"/CloudTrail/x.json.gz", orgTrailARN) {
		t.Error("CloudTrail cannot deliver the organization trail's files")
	}
	if write(prefix+"x", "arn:aws:cloudtrail:us-east-1:"+mgmtAccount+":trail/other") || write("elsewhere/x", orgTrailARN) {
		t.Error("CloudTrail may write for another trail or elsewhere")
	}
	if !decision(t, ct, request{Action: "kms:GenerateDataKey", Resource: orgTrailKeyARN,
		Context: map[string]string{"aws:SourceArn": orgTrailARN, "kms:EncryptionContext:aws:cloudtrail:arn": orgTrailARN}}, la.keyPolicy, true) {
		t.Error("CloudTrail cannot encrypt the trail's files")
	}

	// The least-privilege shape: ingest is the only AWS principal of the
	// read statements, on object ARNs under the prefix, and the key
	// statement carries its service and trail conditions.
	for _, s := range la.bucketPolicy {
		if s.Effect != "Allow" {
			continue
		}
		aws := stringsOf(mapOf(s.Raw["Principal"])["AWS"])
		if len(aws) == 0 {
			continue
		}
		if !slices.Equal(aws, []string{ingestRoleARN}) || !slices.Equal(s.Actions, []string{"s3:GetObject"}) ||
			!slices.Equal(s.Resources, []string{trailBucketARN + "/" + prefix + "*"}) {
			t.Errorf("bucket policy %s: %v may %v on %v, want the ingest role GetObject under %s only", s.Sid, aws, s.Actions, s.Resources, prefix)
		}
	}
	var keyStmts int
	for _, s := range la.keyPolicy {
		aws := stringsOf(mapOf(s.Raw["Principal"])["AWS"])
		if len(aws) == 0 || strings.HasSuffix(aws[0], ":"+logArchiveAccount+":root") {
			continue
		}
		keyStmts++
		eq := mapOf(s.Condition["StringEquals"])
		if !slices.Equal(aws, []string{ingestRoleARN}) || !slices.Equal(s.Actions, []string{"kms:Decrypt"}) ||
			eq["kms:ViaService"] != "s3.us-east-1.amazonaws.com" || eq["kms:EncryptionContext:aws:cloudtrail:arn"] != orgTrailARN || len(s.Condition) != 1 {
			t.Errorf("key policy %s: %v may %v under %v, want the ingest role Decrypt via S3 for the trail's files", s.Sid, aws, s.Actions, s.Condition)
		}
	}
	if keyStmts != 1 {
		t.Errorf("%d key policy statements name keytrail principals, want 1", keyStmts)
	}

	// New files reach the keytrail queue: the bucket's notification names
	// it with the trail's prefix, and the queue's policy and key accept S3
	// sending from this bucket in the log-archive account.
	qc := listOf(mapOf(la.bucket["NotificationConfiguration"])["QueueConfigurations"])
	if len(qc) != 1 {
		t.Fatalf("queue notifications %v, want one", qc)
	}
	n := mapOf(qc[0])
	rules := listOf(mapOf(mapOf(n["Filter"])["S3Key"])["Rules"])
	if n["Queue"] != keytrailQueueARN || n["Event"] != "s3:ObjectCreated:*" || len(rules) != 1 ||
		mapOf(rules[0])["Name"] != "prefix" || mapOf(rules[0])["Value"] != prefix {
		t.Errorf("notification %v, want s3:ObjectCreated:* under %s to the keytrail queue", n, prefix)
	}
	s3 := principal{Name: "S3", ARN: "s3.amazonaws.com"}
	from := map[string]string{"aws:SourceArn": trailBucketARN, "aws:SourceAccount": logArchiveAccount}
	d := deployFrom(t, res)
	if !decision(t, s3, request{Action: "sqs:SendMessage", Resource: "Queue.Arn", Context: from}, d.queuePolicy["Queue"], false) {
		t.Error("the keytrail queue refuses the log-archive bucket's notifications")
	}
	if !decision(t, s3, request{Action: "kms:GenerateDataKey", Resource: "LakeKey.Arn", Context: from}, d.keyPolicy, true) {
		t.Error("S3 cannot encrypt the log-archive bucket's notifications into the keytrail queue")
	}
	other := map[string]string{"aws:SourceArn": trailBucketARN, "aws:SourceAccount": "123412341234"}
	if decision(t, s3, request{Action: "sqs:SendMessage", Resource: "Queue.Arn", Context: other}, d.queuePolicy["Queue"], false) {
		t.Error("the keytrail queue accepts a bucket of that name in another account")
	}

	if la := renderLogArchive(t, logArchiveParams(map[string]any{"KeytrailQueueArn": ""})); la.bucket["NotificationConfiguration"] != nil {
		t.Errorf("without a queue the bucket still notifies: %v", la.bucket["NotificationConfiguration"])
	}
}

// Operators (backfill, doctor) list the prefix only, with the bucket ARN
// as ListBucket's resource, and read and decrypt what ingest does.
func TestLogArchiveOperators(t *testing.T) {
	la := renderLogArchive(t, logArchiveParams(map[string]any{"OperatorPrincipalArns": splitList(operatorARN), "TrailS3KeyPrefix": "org/trail"}))
	prefix := "org/trail/AWSLogs/" + orgID + "/"
	if la.outputs["CloudTrailPrefix"] != prefix {
		t.Errorf("CloudTrailPrefix output %v, want %s", la.outputs["CloudTrailPrefix"], prefix)
	}
	op := principal{Name: "operator", ARN: operatorARN, Account: keytrailAccount, Identity: allowAll}
	ingest := principal{Name: "ingest", ARN: ingestRoleARN, Account: keytrailAccount, Identity: allowAll}
	list := func(p principal, pfx string) bool {
		return crossAccount(t, p, request{Action: "s3:ListBucket", Resource: trailBucketARN, Context: map[string]string{"s3:prefix": pfx}}, la.bucketPolicy)
	}
	if !list(op, prefix) || !list(op, prefix+"222233334444/CloudTrail/") {
		t.Error("the operator cannot list the trail's prefix")
	}
	if list(op, "") || list(op, "org/") || list(ingest, prefix) {
		t.Error("listing is allowed outside the prefix, or to ingest")
	}
	obj := trailBucketARN + "/" + prefix + "222233334444/CloudTrail/x.json.gz"
	if !crossAccount(t, op, request{Action: "s3:GetObject", Resource: obj}, la.bucketPolicy) ||
		!crossAccount(t, ingest, request{Action: "s3:GetObject", Resource: obj}, la.bucketPolicy) {
		t.Error("the operator or ingest cannot read a log file under the trail's prefix")
	}
	if !crossAccount(t, op, request{Action: "s3:GetBucketNotification", Resource: trailBucketARN}, la.bucketPolicy) {
		t.Error("doctor cannot read the notification configuration")
	}
	viaS3 := map[string]string{"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:EncryptionContext:aws:cloudtrail:arn": orgTrailARN}
	if !crossAccount(t, op, request{Action: "kms:Decrypt", Resource: orgTrailKeyARN, Context: viaS3}, la.keyPolicy) {
		t.Error("the operator cannot decrypt the trail's files")
	}
	for _, s := range la.bucketPolicy {
		if !slices.Contains(s.Actions, "s3:ListBucket") {
			continue
		}
		if !slices.Equal(s.Resources, []string{trailBucketARN}) || !slices.Equal(listPrefixes(s), []string{prefix + "*"}) ||
			!slices.Equal(stringsOf(mapOf(s.Raw["Principal"])["AWS"]), []string{operatorARN}) {
			t.Errorf("%s: ListBucket on %v with prefixes %v for %v", s.Sid, s.Resources, listPrefixes(s), s.Raw["Principal"])
		}
	}
}

// readmeStatements returns the JSON array of policy statements in the
// README's fenced json block that follows the first mention of file, with
// its placeholders replaced.
func readmeStatements(t *testing.T, file string, values map[string]string) []any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "`"+file+"`")
	if !ok {
		t.Fatalf("the README does not mention %s", file)
	}
	_, block, ok := strings.Cut(after, "```json\n")
	if !ok {
		t.Fatalf("no json block after %s in the README", file)
	}
	block, _, _ = strings.Cut(block, "```")
	for k, v := range values {
		block = strings.ReplaceAll(block, k, v)
	}
	var out []any
	if err := json.Unmarshal([]byte(block), &out); err != nil {
		t.Fatalf("%s in the README: %v", file, err)
	}
	return out
}

// For a bucket and key that exist, the README lists the statements to add
// by hand: exactly the template's keytrail statements, so the two cannot
// drift.
func TestLogArchiveReadmeStatements(t *testing.T) {
	la := renderLogArchive(t, logArchiveParams(map[string]any{"OperatorPrincipalArns": splitList(operatorARN)}))
	values := map[string]string{"INGEST_ROLE_ARN": ingestRoleARN, "OPERATOR_ROLE_ARN": operatorARN, "TRAIL_BUCKET": "org-trail-logs",
		"LOG_PREFIX": "AWSLogs/" + orgID + "/", "REGION": "us-east-1", "TRAIL_ARN": orgTrailARN}
	for _, tc := range []struct {
		file   string
		policy []statement
	}{
		{"keytrail-bucket.json", la.bucketPolicy},
		{"keytrail-key.json", la.keyPolicy},
	} {
		var want []any
		for _, s := range tc.policy {
			if strings.HasPrefix(s.Sid, "Keytrail") {
				want = append(want, s.Raw)
			}
		}
		// Through JSON, so both sides hold the same Go types.
		b, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		want = nil
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		got := readmeStatements(t, tc.file, values)
		oneIsString(got)
		oneIsString(want)
		if len(want) == 0 || !reflect.DeepEqual(got, want) {
			g, _ := json.MarshalIndent(got, "", " ")
			w, _ := json.MarshalIndent(want, "", " ")
			t.Errorf("%s in the README differs from log-archive.yaml:\n README %s\ntemplate %s", tc.file, g, w)
		}
	}
}

// oneIsString rewrites, in place, every one-element list in v as its
// element: IAM reads ["x"] and "x" alike.
func oneIsString(v any) {
	switch v := v.(type) {
	case []any:
		for _, x := range v {
			oneIsString(x)
		}
	case map[string]any:
		for k, x := range v {
			if l, ok := x.([]any); ok && len(l) == 1 {
				v[k] = l[0]
			}
			oneIsString(v[k])
		}
	}
}
