package infra

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/keytrail/keytrail/internal/source"
)

const templatePath = "template.yaml"

func loadTemplate(t *testing.T) map[string]any {
	t.Helper()
	tmpl, err := ParseFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

const (
	trailKey = "arn:aws:kms:us-east-1:111122223333:key/0b3c7f4e-1111-2222-3333-444455556666"
	topicARN = "arn:aws:sns:us-east-1:111122223333:trail-files"
	readers  = "arn:aws:iam::111122223333:role/analyst,arn:aws:iam::111122223333:role/auditor"
	lakeARN  = "arn:aws:s3:::lake-bucket"
	lakeObj  = lakeARN + "/keytrail/"
	// deployer is the role CloudFormation runs as (KeyAdminArns, required).
	deployer = "arn:aws:iam::111122223333:role/deployer"
	admins   = deployer + ",arn:aws:iam::111122223333:role/breakglass"
)

// scenarios are the parameter sets every policy check runs under: the
// defaults, and the optional branches switched on.
var scenarios = []struct {
	name   string
	params map[string]any
}{
	{"defaults", map[string]any{"CloudTrailBucket": "trail-bucket", "KeyAdminArns": splitList(deployer)}},
	{"trail key, SNS, Athena readers, alarms, two key admins", map[string]any{
		"CloudTrailBucket": "trail-bucket", "KeyAdminArns": splitList(admins), "CloudTrailPrefix": "org/AWSLogs/o-abc123def4/",
		"CloudTrailKmsKeyArn": trailKey, "NotificationSource": "SNS", "NotificationTopicArn": topicARN,
		"AthenaReaderPrincipals": splitList(readers), "AlarmTopicArn": topicARN,
		"EnableVersioning": "true", "EventsExpirationDays": 400, "TransitionToIADays": 30,
	}},
	{"EventBridge", map[string]any{"CloudTrailBucket": "trail-bucket", "KeyAdminArns": splitList(deployer), "NotificationSource": "EventBridge"}},
}

// statement is one IAM policy statement, rendered.
type statement struct {
	Sid       string
	Effect    string
	Actions   []string
	Resources []string
	Condition map[string]any
	Raw       map[string]any
}

func parseStatement(v any) statement {
	m := mapOf(v)
	s := statement{Raw: m, Effect: fmt.Sprint(m["Effect"]), Actions: stringsOf(m["Action"]),
		Resources: stringsOf(m["Resource"]), Condition: mapOf(m["Condition"])}
	if sid, ok := m["Sid"].(string); ok {
		s.Sid = sid
	}
	return s
}

// identityPolicies returns the statements of every identity policy in the
// rendered template, by the role they attach to ("" for managed policies).
func identityPolicies(res map[string]any) map[string][]statement {
	out := map[string][]statement{}
	for name, r := range res {
		r := mapOf(r)
		props := mapOf(r["Properties"])
		switch r["Type"] {
		case "AWS::IAM::RolePolicy":
			role := fmt.Sprint(props["RoleName"])
			for _, s := range listOf(mapOf(props["PolicyDocument"])["Statement"]) {
				out[role] = append(out[role], parseStatement(s))
			}
		case "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy":
			for _, s := range listOf(mapOf(props["PolicyDocument"])["Statement"]) {
				out["policy:"+name] = append(out["policy:"+name], parseStatement(s))
			}
		case "AWS::IAM::Role":
			for _, p := range listOf(props["Policies"]) {
				for _, s := range listOf(mapOf(mapOf(p)["PolicyDocument"])["Statement"]) {
					out[name] = append(out[name], parseStatement(s))
				}
			}
			if len(listOf(props["ManagedPolicyArns"])) > 0 {
				out[name] = append(out[name], statement{Sid: "ManagedPolicyArns", Effect: "Allow", Actions: []string{"<managed policy: not readable by the tests>"}})
			}
		}
	}
	return out
}

// grants expands statements into "action resource" lines; s3:ListBucket
// becomes one line per allowed s3:prefix ("bucketARN?prefix=p").
func grants(stmts []statement) []string {
	var out []string
	for _, s := range stmts {
		if s.Effect != "Allow" {
			continue
		}
		for _, a := range s.Actions {
			for _, r := range s.Resources {
				if a == "s3:ListBucket" {
					for _, p := range listPrefixes(s) {
						out = append(out, a+" "+r+"?prefix="+p)
					}
					continue
				}
				out = append(out, a+" "+r)
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func listPrefixes(s statement) []string {
	return stringsOf(mapOf(s.Condition["StringLike"])["s3:prefix"])
}

// iamActions maps each SDK operation to the IAM actions it needs on its
// own. Lake encryption (KMS) is added by expectedActions.
var iamActions = map[string][]string{
	"s3:GetObject":               {"s3:GetObject"},
	"s3:HeadObject":              {"s3:GetObject"},
	"s3:PutObject":               {"s3:PutObject"},
	"s3:CreateMultipartUpload":   {"s3:PutObject"},
	"s3:UploadPart":              {"s3:PutObject"},
	"s3:CompleteMultipartUpload": {"s3:PutObject"},
	"s3:AbortMultipartUpload":    {"s3:AbortMultipartUpload"},
	"s3:DeleteObject":            {"s3:DeleteObject"},
	"s3:ListObjectsV2":           {"s3:ListBucket"},
	// The kept sources' operations (the Slack secret, encrypted with the
	// lake key) are the registry's: see opActions.
	// The inventory's reads of IAM, Organizations and STS (its
	// Secrets Manager and KMS reads are the registry's).
	"iam:GetAccountAuthorizationDetails": {"iam:GetAccountAuthorizationDetails"},
	"organizations:ListAccounts":         {"organizations:ListAccounts"},
	"sts:AssumeRole":                     {"sts:AssumeRole"},
	// Athena runs the query with the caller's credentials: it reads the
	// Glue table and its data, and writes the results (SSE-KMS).
	"athena:StartQueryExecution": {"athena:StartQueryExecution", "glue:GetDatabase", "glue:GetTable",
		"s3:GetBucketLocation", "s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload",
		"kms:Decrypt", "kms:GenerateDataKey"},
}

// opActions returns the IAM actions an SDK operation ("s3:GetObject")
// needs: iamActions', or for a kept source's service the registry's.
func opActions(op string) ([]string, bool) {
	if acts, ok := iamActions[op]; ok {
		return acts, true
	}
	prefix, name, _ := strings.Cut(op, ":")
	if s := source.ByPrefix(prefix); s != nil {
		acts, ok := s.Actions[name]
		return acts, ok
	}
	return nil, false
}

// runtimeActions are what the Lambda service does with a function's role,
// not its code: write the function's logs, and poll the SQS event sources
// the template gives it (encrypted queues: kms:Decrypt). fn is the
// function's rendered resource (nil: not a function, no runtime).
func runtimeActions(fn map[string]any) []string {
	if fn == nil {
		return nil
	}
	acts := []string{"logs:CreateLogStream", "logs:PutLogEvents"}
	if len(sqsQueues(fn)) > 0 {
		acts = append(acts, "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "kms:Decrypt")
	}
	return acts
}

// sqsQueues returns the queues of a rendered function's SQS event
// sources, sorted.
func sqsQueues(fn map[string]any) []string {
	var qs []string
	for _, ev := range mapOf(mapOf(fn["Properties"])["Events"]) {
		if mapOf(ev)["Type"] == "SQS" {
			qs = append(qs, fmt.Sprint(mapOf(mapOf(ev)["Properties"])["Queue"]))
		}
	}
	sort.Strings(qs)
	return qs
}

// expectedActions returns the IAM actions a function's role must have:
// those of its SDK operations, SSE-KMS on the lake (reads decrypt; writes
// generate data keys, and multipart writes decrypt them too), and the
// runtime's.
func expectedActions(fn map[string]any, ops map[string]bool) ([]string, []string) {
	var want, unmapped []string
	for op := range ops {
		acts, ok := opActions(op)
		if !ok {
			unmapped = append(unmapped, op)
			continue
		}
		want = append(want, acts...)
		switch {
		case op == "s3:GetObject":
			want = append(want, "kms:Decrypt")
		case slices.Contains(acts, "s3:PutObject"):
			want = append(want, "kms:GenerateDataKey", "kms:Decrypt")
		}
	}
	want = append(want, runtimeActions(fn)...)
	sort.Strings(want)
	sort.Strings(unmapped)
	return slices.Compact(want), unmapped
}

func roleActions(stmts []statement) []string {
	var out []string
	for _, s := range stmts {
		if s.Effect == "Allow" {
			out = append(out, s.Actions...)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// Every role holds exactly the actions its function's code needs: a new
// SDK call without a grant fails here, and so does a grant no code uses.
func TestRoleActionsMatchCode(t *testing.T) {
	progs := analyze(t)
	tmpl := loadTemplate(t)
	for _, sc := range scenarios {
		res := mapOf(render(t, tmpl, sc.params)["Resources"])
		pols := identityPolicies(res)
		for _, fn := range functions {
			t.Run(sc.name+"/"+fn.name, func(t *testing.T) {
				p := progs[fn.name]
				if p == nil {
					t.Skipf("cmd/%s does not exist yet", fn.name)
				}
				want, unmapped := expectedActions(mapOf(res[fn.resource]), p.ops)
				if len(unmapped) > 0 {
					t.Fatalf("cmd/%s calls %v: add their IAM actions to iamActions", fn.name, unmapped)
				}
				got := roleActions(pols[fn.role])
				for _, a := range want {
					if !slices.Contains(got, a) {
						t.Errorf("%s lacks %s (needed by the code)", fn.role, a)
					}
				}
				for _, a := range got {
					if !slices.Contains(want, a) {
						t.Errorf("%s grants %s, which no code of cmd/%s needs", fn.role, a, fn.name)
					}
				}
			})
		}
	}
}

// The analysis itself finds what the code obviously does, and no more:
// were it broken (finding nothing), the test above would pass vacuously.
func TestAnalysisFindsKnownCalls(t *testing.T) {
	progs := analyze(t)
	for _, tc := range []struct {
		fn          string
		want, never []string
	}{
		{"ingest", []string{"s3:GetObject", "s3:PutObject"}, []string{"s3:DeleteObject", "secretsmanager:GetSecretValue", "athena:StartQueryExecution"}},
		{"compact", []string{"s3:ListObjectsV2", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, []string{"secretsmanager:GetSecretValue"}},
		{"detect", []string{"s3:ListObjectsV2", "s3:GetObject", "s3:PutObject"}, []string{"secretsmanager:GetSecretValue", "athena:StartQueryExecution"}},
		{"alert", []string{"secretsmanager:GetSecretValue", "s3:GetObject", "s3:PutObject", "athena:StartQueryExecution"}, []string{"s3:DeleteObject"}},
		{"inventory", []string{"secretsmanager:ListSecrets", "kms:ListGrants", "iam:GetAccountAuthorizationDetails", "organizations:ListAccounts", "sts:AssumeRole", "s3:PutObject"},
			[]string{"secretsmanager:GetSecretValue", "kms:Decrypt", "s3:GetObject", "s3:DeleteObject", "sts:GetCallerIdentity"}},
	} {
		t.Run(tc.fn, func(t *testing.T) {
			p := progs[tc.fn]
			if p == nil {
				t.Skipf("cmd/%s does not exist yet", tc.fn)
			}
			for _, op := range tc.want {
				if !p.ops[op] {
					t.Errorf("analysis misses %s in cmd/%s (found %v)", op, tc.fn, p.ops)
				}
			}
			for _, op := range tc.never {
				if p.ops[op] {
					t.Errorf("analysis attributes %s to cmd/%s", op, tc.fn)
				}
			}
		})
	}
}

// access is the intended grant of each role, written out: every action on
// every resource. "lake:" stands for the lake's object ARN prefix and
// "list:" for s3:ListBucket on the lake bucket with that s3:prefix.
var access = map[string][]string{
	"ingest": {
		"logs:CreateLogStream logs:PutLogEvents -> IngestLogGroup.Arn",
		"sqs:ReceiveMessage sqs:DeleteMessage sqs:GetQueueAttributes -> Queue.Arn",
		"s3:GetObject -> arn:aws:s3:::trail-bucket/AWSLogs/*",
		"s3:PutObject s3:AbortMultipartUpload -> lake:events/* lake:quarantine/* lake:state/ingest/*",
		// The schema marker (_keytrail/schema.json), read and written when absent.
		"s3:GetObject s3:PutObject -> lake:_keytrail/*",
		"s3:ListBucket -> list:_keytrail/*",
		"kms:Decrypt kms:GenerateDataKey -> LakeKey.Arn",
	},
	"compact": {
		"logs:CreateLogStream logs:PutLogEvents -> CompactLogGroup.Arn",
		"s3:ListBucket -> list:events/* list:_keytrail/*",
		"s3:GetObject s3:PutObject s3:AbortMultipartUpload s3:DeleteObject -> lake:events/*",
		"s3:GetObject s3:PutObject -> lake:_keytrail/*",
		"kms:Decrypt kms:GenerateDataKey -> LakeKey.Arn",
	},
	"detect": {
		"logs:CreateLogStream logs:PutLogEvents -> DetectLogGroup.Arn",
		"sqs:ReceiveMessage sqs:DeleteMessage sqs:GetQueueAttributes -> PartsQueue.Arn",
		"s3:ListBucket -> list:events/* list:findings/* list:state/detect/* list:config/* list:_keytrail/*",
		"s3:GetObject -> lake:events/* lake:config/* lake:findings/* lake:state/detect/* lake:_keytrail/*",
		"s3:PutObject s3:AbortMultipartUpload -> lake:findings/* lake:state/detect/*",
		"s3:DeleteObject -> lake:findings/*",
		"kms:Decrypt kms:GenerateDataKey -> LakeKey.Arn",
	},
	"alert": {
		"logs:CreateLogStream logs:PutLogEvents -> AlertLogGroup.Arn",
		"sqs:ReceiveMessage sqs:DeleteMessage sqs:GetQueueAttributes -> FindingsQueue.Arn",
		"secretsmanager:GetSecretValue -> SlackSecret",
		"s3:ListBucket -> list:findings/* list:state/alert/* list:events/* list:athena-results/*",
		"s3:GetObject -> lake:findings/* lake:events/* lake:state/alert/* arn:aws:s3:::lake-bucket/athena-results/*",
		"s3:PutObject s3:AbortMultipartUpload -> lake:state/alert/* arn:aws:s3:::lake-bucket/athena-results/*",
		"s3:GetBucketLocation -> arn:aws:s3:::lake-bucket",
		"athena:StartQueryExecution -> arn:aws:athena:us-east-1:111122223333:workgroup/Workgroup",
		"glue:GetDatabase glue:GetTable -> arn:aws:glue:us-east-1:111122223333:catalog " +
			"arn:aws:glue:us-east-1:111122223333:database/GlueDatabase arn:aws:glue:us-east-1:111122223333:table/GlueDatabase/*",
		"kms:Decrypt kms:GenerateDataKey -> LakeKey.Arn",
	},
	"inventory": {
		"logs:CreateLogStream logs:PutLogEvents -> InventoryLogGroup.Arn",
		"secretsmanager:ListSecrets kms:ListKeys kms:ListAliases iam:GetAccountAuthorizationDetails organizations:ListAccounts -> *",
		"secretsmanager:DescribeSecret secretsmanager:GetResourcePolicy -> arn:aws:secretsmanager:*:111122223333:secret:*",
		"kms:DescribeKey kms:GetKeyPolicy kms:GetKeyRotationStatus kms:ListGrants kms:ListResourceTags -> arn:aws:kms:*:111122223333:key/*",
		"sts:AssumeRole -> arn:aws:iam::*:role/keytrail/keytrail-inventory-reader",
		"s3:PutObject s3:AbortMultipartUpload -> lake:inventory/*",
		"kms:Decrypt kms:GenerateDataKey -> LakeKey.Arn",
	},
}

func expandAccess(lines []string) []string {
	var out []string
	for _, l := range lines {
		acts, ress, _ := strings.Cut(l, " -> ")
		for _, a := range strings.Fields(acts) {
			for _, r := range strings.Fields(ress) {
				switch {
				case strings.HasPrefix(r, "lake:"):
					r = lakeObj + r[len("lake:"):]
				case strings.HasPrefix(r, "list:"):
					p := r[len("list:"):]
					if !strings.HasPrefix(p, "athena-results/") {
						p = "keytrail/" + p
					}
					r = lakeARN + "?prefix=" + p
				}
				out = append(out, a+" "+r)
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// Each role grants exactly the intended actions on exactly the intended
// resources (defaults; the optional trail key is checked below).
func TestRoleAccess(t *testing.T) {
	res := mapOf(render(t, loadTemplate(t), scenarios[0].params)["Resources"])
	pols := identityPolicies(res)
	for _, fn := range functions {
		t.Run(fn.name, func(t *testing.T) {
			got, want := grants(pols[fn.role]), expandAccess(access[fn.name])
			for _, g := range want {
				if !slices.Contains(got, g) {
					t.Errorf("missing grant %s", g)
				}
			}
			for _, g := range got {
				if !slices.Contains(want, g) {
					t.Errorf("unexpected grant %s", g)
				}
			}
		})
	}
}

// The separations the architecture promises, from the rendered policies.
func TestSeparation(t *testing.T) {
	for _, sc := range scenarios {
		res := mapOf(render(t, loadTemplate(t), sc.params)["Resources"])
		pols := identityPolicies(res)
		byFn := map[string][]string{}
		for _, fn := range functions {
			byFn[fn.name] = grants(pols[fn.role])
		}
		writes := func(g, prefix string) bool {
			act, r, _ := strings.Cut(g, " ")
			return (act == "s3:PutObject" || act == "s3:DeleteObject") && strings.HasPrefix(r, lakeObj+prefix)
		}
		for fn, gs := range byFn {
			for _, g := range gs {
				if writes(g, "events/") && fn != "ingest" && fn != "compact" {
					t.Errorf("%s: %s writes events/ (only ingest and compact may)", sc.name, fn)
				}
				act, r, _ := strings.Cut(g, " ")
				if fn == "detect" && (act == "s3:PutObject" || act == "s3:DeleteObject") &&
					r != lakeObj+"findings/*" && r != lakeObj+"state/detect/*" {
					t.Errorf("%s: detect writes %s (only findings/ and state/detect/)", sc.name, r)
				}
				// Secrets Manager: alert reads the Slack secret; the inventory
				// describes secrets and never reads one.
				sm := strings.HasPrefix(act, "secretsmanager:")
				alertReads := fn == "alert" && act == "secretsmanager:GetSecretValue" && r == "SlackSecret"
				inventoryDescribes := fn == "inventory" && slices.Contains(inventoryReads, act)
				if sm && !alertReads && !inventoryDescribes {
					t.Errorf("%s: %s has %s", sc.name, fn, g)
				}
				if writes(g, "inventory/") && fn != "inventory" || fn == "inventory" && (act == "s3:PutObject" || act == "s3:DeleteObject") && r != lakeObj+"inventory/*" {
					t.Errorf("%s: %s: only the inventory writes inventory/, and nothing else", sc.name, g)
				}
			}
		}
		if !slices.Contains(byFn["alert"], "secretsmanager:GetSecretValue SlackSecret") {
			t.Errorf("%s: alert cannot read the Slack secret", sc.name)
		}
		// The secret's ARN reaches the alert function only.
		for _, fn := range functions {
			vars := mapOf(mapOf(mapOf(mapOf(res[fn.resource])["Properties"])["Environment"])["Variables"])
			for name, v := range vars {
				if fmt.Sprint(v) == "SlackSecret" && (fn.name != "alert" || name != "KEYTRAIL_SLACK_SECRET_ARN") {
					t.Errorf("%s: %s gets the Slack secret ARN in %s", sc.name, fn.name, name)
				}
			}
		}
		// The trail key, when given, only through S3 and only for ingest.
		found := false
		for role, stmts := range pols {
			for _, s := range stmts {
				if !slices.Contains(s.Resources, trailKey) {
					continue
				}
				found = true
				via := stringsOf(mapOf(s.Condition["StringEquals"])["kms:ViaService"])
				if role != "IngestRole" || !slices.Equal(s.Actions, []string{"kms:Decrypt"}) || !slices.Equal(via, []string{"s3.us-east-1.amazonaws.com"}) {
					t.Errorf("%s: trail key grant %s on %s: want kms:Decrypt via s3 for ingest only", sc.name, s.Actions, role)
				}
			}
		}
		if given := sc.params["CloudTrailKmsKeyArn"] != nil; given != found {
			t.Errorf("%s: trail key given %v, granted %v", sc.name, given, found)
		}
	}
}

// starExceptions lists the actions that may have Resource "*" because AWS
// offers no narrower resource, with the reason. None today: the functions'
// metrics go out as Embedded Metric Format log lines, so
// cloudwatch:PutMetricData (resource "*" only) is not needed, and logs
// permissions name the function's own log group.
var starExceptions = map[string]string{
	"secretsmanager:ListSecrets":         "no resource-level permissions (Service Authorization Reference)",
	"kms:ListKeys":                       "no resource-level permissions",
	"kms:ListAliases":                    "no resource-level permissions",
	"iam:GetAccountAuthorizationDetails": "no resource-level permissions",
	"organizations:ListAccounts":         "no resource-level permissions",
}

// inventoryReads are the Secrets Manager actions the inventory may hold:
// metadata, never a value.
var inventoryReads = []string{"secretsmanager:ListSecrets", "secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"}

// kmsMetadata are KMS actions that read a key's metadata, neither using
// the key nor changing it: they need no kms:ViaService condition, on the
// account's keys. Every other KMS action still does (or the lake key).
var kmsMetadata = []string{"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListGrants", "kms:ListResourceTags", "kms:ListKeys", "kms:ListAliases"}

var (
	bucketARN = regexp.MustCompile(`^arn:aws:s3:::[a-z0-9][a-z0-9.-]+[a-z0-9]$`)
	objectARN = regexp.MustCompile(`^arn:aws:s3:::[a-z0-9][a-z0-9.-]+[a-z0-9]/[^*]+/\*$`)
)

// kmsAccountKeys is every key of one account, in any region.
var kmsAccountKeys = regexp.MustCompile(`^arn:aws:kms:\*:[0-9]{12}:key/\*$`)

var objectActions = []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"}

// checkStatement returns what is wrong with an identity policy statement
// by the project's least-privilege rules.
func checkStatement(s statement) []string {
	var errs []string
	for _, k := range []string{"NotAction", "NotResource", "NotPrincipal"} {
		if _, ok := s.Raw[k]; ok {
			errs = append(errs, k+" is not allowed")
		}
	}
	if s.Effect == "Deny" {
		return errs
	}
	if len(s.Actions) == 0 || len(s.Resources) == 0 {
		errs = append(errs, "no actions or no resources")
	}
	for _, a := range s.Actions {
		if strings.Contains(a, "*") {
			errs = append(errs, "wildcard action "+a)
		}
	}
	for _, r := range s.Resources {
		if r == "*" {
			for _, a := range s.Actions {
				if _, ok := starExceptions[a]; !ok {
					errs = append(errs, "Resource * for "+a)
				}
			}
		}
	}
	for _, a := range s.Actions {
		switch {
		case a == "s3:ListBucket":
			prefixes := listPrefixes(s)
			if len(prefixes) == 0 {
				errs = append(errs, "s3:ListBucket without an s3:prefix condition")
			}
			for _, p := range prefixes {
				if p == "" || p == "*" || !strings.HasSuffix(p, "/*") {
					errs = append(errs, "s3:ListBucket prefix "+p+" is not a folder")
				}
			}
			fallthrough
		case a == "s3:GetBucketLocation":
			for _, r := range s.Resources {
				if !bucketARN.MatchString(r) {
					errs = append(errs, a+" on "+r+", not a bucket ARN")
				}
			}
		case slices.Contains(objectActions, a):
			for _, r := range s.Resources {
				if !objectARN.MatchString(r) {
					errs = append(errs, a+" on "+r+", not objects under a prefix")
				}
			}
		case slices.Contains(kmsMetadata, a):
			for _, r := range s.Resources {
				if r != "*" && !kmsAccountKeys.MatchString(r) {
					errs = append(errs, a+" on "+r+", not the account's keys")
				}
			}
		case strings.HasPrefix(a, "kms:"):
			for _, r := range s.Resources {
				via := mapOf(s.Condition["StringEquals"])["kms:ViaService"]
				if r != "LakeKey.Arn" && via == nil {
					errs = append(errs, a+" on "+r+" without a kms:ViaService condition")
				}
			}
		}
	}
	return errs
}

// The checker rejects what it must (testdata/statements.yaml).
func TestCheckStatement(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "statements.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name      string         `yaml:"name"`
		Statement map[string]any `yaml:"statement"`
		Want      []string       `yaml:"want"`
	}
	if err := yaml.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 5 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			got := checkStatement(parseStatement(tc.Statement))
			if !slices.Equal(got, tc.Want) {
				t.Errorf("got  %q\nwant %q", got, tc.Want)
			}
		})
	}
}

// Every identity policy in every scenario follows the rules.
func TestPoliciesLeastPrivilege(t *testing.T) {
	for _, sc := range scenarios {
		res := mapOf(render(t, loadTemplate(t), sc.params)["Resources"])
		for owner, stmts := range identityPolicies(res) {
			for i, s := range stmts {
				for _, e := range checkStatement(s) {
					t.Errorf("%s: %s statement %d (%s): %s", sc.name, owner, i, s.Sid, e)
				}
			}
		}
	}
}
