package infra

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/queries"

	"github.com/keytrail/keytrail/internal/source"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     any
		err      string
	}{
		{"ref", "v: !Ref Bucket", map[string]any{"Ref": "Bucket"}, ""},
		{"getatt dotted", "v: !GetAtt Key.Arn", map[string]any{"Fn::GetAtt": []any{"Key", "Arn"}}, ""},
		{"getatt list", "v: !GetAtt [Key, Arn]", map[string]any{"Fn::GetAtt": []any{"Key", "Arn"}}, ""},
		{"sub", "v: !Sub 's3://${B}/x'", map[string]any{"Fn::Sub": "s3://${B}/x"}, ""},
		{"nested if", "v: !If [C, !Ref A, !Ref AWS::NoValue]",
			map[string]any{"Fn::If": []any{"C", map[string]any{"Ref": "A"}, map[string]any{"Ref": "AWS::NoValue"}}}, ""},
		{"condition", "v: !Not [!Condition X]", map[string]any{"Fn::Not": []any{map[string]any{"Condition": "X"}}}, ""},
		{"join split select", "v: !Select [0, !Split [',', !Join [',', [a, b]]]]",
			map[string]any{"Fn::Select": []any{0, map[string]any{"Fn::Split": []any{",", map[string]any{"Fn::Join": []any{",", []any{"a", "b"}}}}}}}, ""},
		{"ref of a number-looking name stays a string", "v: !Ref 2024", map[string]any{"Ref": "2024"}, ""},
		{"unknown SAM field kept", "v: { FunctionResponseTypes: [ReportBatchItemFailures] }",
			map[string]any{"FunctionResponseTypes": []any{"ReportBatchItemFailures"}}, ""},
		{"unknown tag", "v: !Reff X", nil, "unknown tag !Reff"},
		{"bad getatt", "v: !GetAtt Key", nil, "want Resource.Attribute"},
		{"anchor", "a: &x 1\nv: *x", nil, "anchors"},
		{"merge key", "a: {k: 1}\nv: {<<: {k: 1}}", nil, "merge keys"},
		{"duplicate key", "v: 1\nv: 2", nil, "duplicate key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got["v"], tc.want) {
				t.Errorf("got %#v\nwant %#v", got["v"], tc.want)
			}
		})
	}
}

// Every Ref, GetAtt, Sub variable, Condition and DependsOn names something
// that exists: a parameter, a resource, a pseudo parameter or a condition.
func TestReferencesResolve(t *testing.T) {
	for _, path := range []string{templatePath, logArchivePath} {
		t.Run(path, func(t *testing.T) {
			tmpl, err := ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			checkReferences(t, tmpl)
		})
	}
}

func checkReferences(t *testing.T, tmpl map[string]any) {
	params, resources, conds := mapOf(tmpl["Parameters"]), mapOf(tmpl["Resources"]), mapOf(tmpl["Conditions"])
	isName := func(n string) bool {
		_, p := params[n]
		_, r := resources[n]
		_, ps := pseudo[n]
		return p || r || ps
	}
	var problems []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), x)
			}
		case map[string]any:
			for k, x := range v {
				switch k {
				case "Ref":
					if !isName(fmt.Sprint(x)) {
						problems = append(problems, path+": Ref "+fmt.Sprint(x))
					}
				case "Fn::GetAtt":
					if a := stringsOf(x); len(a) != 2 || resources[a[0]] == nil {
						problems = append(problems, fmt.Sprintf("%s: GetAtt %v", path, x))
					}
				case "Fn::Sub":
					s, vars := x, map[string]any(nil)
					if l, ok := x.([]any); ok && len(l) == 2 {
						s, vars = l[0], mapOf(l[1])
					}
					for _, m := range subVar.FindAllStringSubmatch(fmt.Sprint(s), -1) {
						name := m[1]
						if strings.HasPrefix(name, "!") || vars[name] != nil {
							continue
						}
						if res, _, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
							name = res
						}
						if !isName(name) {
							problems = append(problems, path+": ${"+m[1]+"}")
						}
					}
				case "Condition", "Fn::If":
					c := x
					if k == "Fn::If" {
						c = listOf(x)[0]
					}
					if s, ok := c.(string); ok && conds[s] == nil {
						problems = append(problems, path+": condition "+s)
					}
				case "DependsOn":
					for _, d := range stringsOf(x) {
						if resources[d] == nil {
							problems = append(problems, path+": DependsOn "+d)
						}
					}
				}
				walk(path+"."+k, x)
			}
		}
	}
	for _, section := range []string{"Conditions", "Resources", "Outputs"} {
		walk(section, tmpl[section])
	}
	for _, p := range problems {
		t.Errorf("unresolved %s", p)
	}
	// The check itself must notice a dangling name.
	saved := problems
	problems = nil
	walk("probe", map[string]any{"Ref": "Nope", "Fn::Sub": "${Nope.Arn}-${AWS::Region}", "Fn::If": []any{"NoCondition", 1, 2}})
	if len(problems) != 3 {
		t.Errorf("the check found %v in a probe with three dangling names", problems)
	}
	problems = saved
}

// Each function gets exactly the KEYTRAIL_* variables its cmd/ package
// reads: a variable read but not set would run on a default nobody chose,
// and one set but not read is a setting that silently does nothing.
func TestEnvironmentMatchesCode(t *testing.T) {
	progs := analyze(t)
	res := mapOf(render(t, loadTemplate(t), scenarios[0].params)["Resources"])
	for _, fn := range functions {
		t.Run(fn.name, func(t *testing.T) {
			p := progs[fn.name]
			if p == nil {
				t.Skipf("cmd/%s does not exist yet", fn.name)
			}
			vars := mapOf(mapOf(mapOf(mapOf(res[fn.resource])["Properties"])["Environment"])["Variables"])
			var got, want []string
			for k := range vars {
				got = append(got, k)
			}
			for k := range p.env {
				want = append(want, k)
			}
			sort.Strings(got)
			sort.Strings(want)
			if len(want) == 0 {
				t.Fatalf("found no KEYTRAIL_* names in cmd/%s: the scan is broken", fn.name)
			}
			if !slices.Equal(got, want) {
				t.Errorf("template sets %v\n   code reads %v", got, want)
			}
			if v := vars["KEYTRAIL_LAKE"]; v != "s3://lake-bucket/keytrail" {
				t.Errorf("KEYTRAIL_LAKE = %v", v)
			}
			if v := vars["KEYTRAIL_LAKE_KMS_KEY_ARN"]; v != "LakeKey.Arn" {
				t.Errorf("KEYTRAIL_LAKE_KMS_KEY_ARN = %v", v)
			}
		})
	}
}

// The detector knows keytrail's roles by their exact ARNs, from the stack:
// all four, and nothing a role elsewhere could match.
func TestDetectKnowsItsRoles(t *testing.T) {
	for _, sc := range scenarios {
		res := mapOf(render(t, loadTemplate(t), sc.params)["Resources"])
		vars := mapOf(mapOf(mapOf(mapOf(res["DetectFunction"])["Properties"])["Environment"])["Variables"])
		got := strings.Split(fmt.Sprint(vars["KEYTRAIL_SELF_PRINCIPALS"]), ",")
		var want []string
		for _, fn := range functions {
			want = append(want, fn.role+".Arn")
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: KEYTRAIL_SELF_PRINCIPALS = %q, want the roles' ARNs %q", sc.name, got, want)
		}
	}
}

func TestFunctions(t *testing.T) {
	res := mapOf(render(t, loadTemplate(t), scenarios[0].params)["Resources"])
	for _, tc := range []struct {
		fn            string
		memory, limit int
		concurrency   [2]int // allowed reserved concurrency range
	}{
		{"Ingest", 512, 300, [2]int{2, 100}},
		{"Compact", 1024, 900, [2]int{1, 1}},
		// detect and alert: one scheduled run and their lake queue's
		// pollers (TestLakeNotifications checks the sum).
		{"Detect", 1024, 600, [2]int{3, 3}},
		{"Alert", 256, 120, [2]int{3, 3}},
		{"Inventory", 512, 900, [2]int{1, 1}},
	} {
		t.Run(tc.fn, func(t *testing.T) {
			f := mapOf(res[tc.fn+"Function"])
			p := mapOf(f["Properties"])
			if f["Type"] != "AWS::Serverless::Function" || p["Runtime"] != "provided.al2023" || p["Handler"] != "bootstrap" ||
				!slices.Equal(stringsOf(p["Architectures"]), []string{"arm64"}) {
				t.Errorf("want a provided.al2023 arm64 bootstrap function, got %v %v %v %v", f["Type"], p["Runtime"], p["Handler"], p["Architectures"])
			}
			if p["CodeUri"] != "../" || mapOf(f["Metadata"])["BuildMethod"] != "makefile" {
				t.Errorf("CodeUri %v, Metadata %v: want the repository, built by its Makefile (TestSamBuild)", p["CodeUri"], f["Metadata"])
			}
			if p["Role"] != tc.fn+"Role.Arn" {
				t.Errorf("Role = %v, want its own role", p["Role"])
			}
			if num(p["MemorySize"]) != tc.memory || num(p["Timeout"]) != tc.limit {
				t.Errorf("memory %v timeout %v, want %d %d", p["MemorySize"], p["Timeout"], tc.memory, tc.limit)
			}
			if c := num(p["ReservedConcurrentExecutions"]); c < tc.concurrency[0] || c > tc.concurrency[1] {
				t.Errorf("reserved concurrency %v outside %v", p["ReservedConcurrentExecutions"], tc.concurrency)
			}
			if lg := mapOf(p["LoggingConfig"])["LogGroup"]; lg != tc.fn+"LogGroup" {
				t.Errorf("LoggingConfig.LogGroup = %v: the role may write only to %sLogGroup", lg, tc.fn)
			}
		})
	}
}

func num(v any) int {
	var n int
	fmt.Sscan(fmt.Sprint(v), &n)
	return n
}

func TestQueue(t *testing.T) {
	res := mapOf(render(t, loadTemplate(t), scenarios[0].params)["Resources"])
	q := mapOf(mapOf(res["Queue"])["Properties"])
	ingest := mapOf(mapOf(res["IngestFunction"])["Properties"])
	if v, limit := num(q["VisibilityTimeout"]), num(ingest["Timeout"]); v < 6*limit {
		t.Errorf("visibility timeout %d < 6 × ingest timeout %d", v, limit)
	}
	redrive := mapOf(q["RedrivePolicy"])
	if redrive["deadLetterTargetArn"] != "DeadLetterQueue.Arn" || num(redrive["maxReceiveCount"]) < 1 || num(redrive["maxReceiveCount"]) > 10 {
		t.Errorf("redrive policy %v", redrive)
	}
	for _, name := range []string{"Queue", "DeadLetterQueue"} {
		if k := mapOf(mapOf(res[name])["Properties"])["KmsMasterKeyId"]; k != "LakeKey.Arn" {
			t.Errorf("%s encrypted with %v, want the lake key", name, k)
		}
	}
	var sqs map[string]any
	for _, ev := range mapOf(ingest["Events"]) {
		if mapOf(ev)["Type"] == "SQS" {
			sqs = mapOf(mapOf(ev)["Properties"])
		}
	}
	if sqs == nil || sqs["Queue"] != "Queue.Arn" {
		t.Fatalf("ingest has no SQS event on the queue: %v", ingest["Events"])
	}
	if !slices.Equal(stringsOf(sqs["FunctionResponseTypes"]), []string{"ReportBatchItemFailures"}) {
		t.Errorf("FunctionResponseTypes = %v", sqs["FunctionResponseTypes"])
	}
	if b := num(sqs["BatchSize"]); b < 1 || b > 10 {
		t.Errorf("BatchSize %d: more than 10 needs a batching window and a longer timeout", b)
	}
	if _, ok := sqs["MaximumBatchingWindowInSeconds"]; !ok {
		t.Error("no MaximumBatchingWindowInSeconds")
	}
	if c := num(mapOf(sqs["ScalingConfig"])["MaximumConcurrency"]); c < 2 || c > num(ingest["ReservedConcurrentExecutions"]) {
		t.Errorf("MaximumConcurrency %d: want 2 to the reserved concurrency", c)
	}
}

// Each notification source allows exactly its sender, from the trail's
// bucket, topic or rule only.
func TestNotificationWiring(t *testing.T) {
	tmpl := loadTemplate(t)
	for _, tc := range []struct {
		source, principal, sourceARN, extra string
	}{
		{"S3ToSQS", "s3.amazonaws.com", "arn:aws:s3:::trail-bucket", ""},
		{"SNS", "sns.amazonaws.com", topicARN, "TopicSubscription"},
		{"EventBridge", "events.amazonaws.com", "TrailObjectRule.Arn", "TrailObjectRule"},
	} {
		t.Run(tc.source, func(t *testing.T) {
			res := mapOf(render(t, tmpl, map[string]any{"CloudTrailBucket": "trail-bucket", "KeyAdminArns": splitList(deployer), "NotificationSource": tc.source, "NotificationTopicArn": topicARN})["Resources"])
			var allows []statement
			for _, s := range listOf(mapOf(mapOf(mapOf(res["QueuePolicy"])["Properties"])["PolicyDocument"])["Statement"]) {
				if st := parseStatement(s); st.Effect == "Allow" {
					allows = append(allows, st)
				}
			}
			if len(allows) != 1 {
				t.Fatalf("queue policy allows %d senders, want 1", len(allows))
			}
			s := allows[0]
			if p := mapOf(s.Raw["Principal"])["Service"]; p != tc.principal || !slices.Equal(s.Actions, []string{"sqs:SendMessage"}) {
				t.Errorf("allows %v to %v", p, s.Actions)
			}
			if arn := mapOf(s.Condition["ArnEquals"])["aws:SourceArn"]; arn != tc.sourceARN {
				t.Errorf("aws:SourceArn = %v, want %s", arn, tc.sourceARN)
			}
			if tc.source == "S3ToSQS" && mapOf(s.Condition["StringEquals"])["aws:SourceAccount"] != "111122223333" {
				t.Errorf("no aws:SourceAccount condition: %v", s.Condition)
			}
			for _, name := range []string{"TopicSubscription", "TrailObjectRule"} {
				if _, ok := res[name]; ok != (name == tc.extra) {
					t.Errorf("%s present = %v", name, ok)
				}
			}
			if tc.source == "EventBridge" {
				p := mapOf(mapOf(mapOf(res["TrailObjectRule"])["Properties"])["EventPattern"])
				d := mapOf(p["detail"])
				if !slices.Equal(stringsOf(p["detail-type"]), []string{"Object Created"}) ||
					!slices.Equal(stringsOf(mapOf(d["bucket"])["name"]), []string{"trail-bucket"}) ||
					mapOf(listOf(mapOf(d["object"])["key"])[0])["prefix"] != "AWSLogs/" {
					t.Errorf("event pattern %v", p)
				}
			}
		})
	}
}

func TestLakeBucket(t *testing.T) {
	res := mapOf(render(t, loadTemplate(t), scenarios[0].params)["Resources"])
	b := mapOf(mapOf(res["LakeBucket"])["Properties"])
	pab := mapOf(b["PublicAccessBlockConfiguration"])
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if pab[k] != true {
			t.Errorf("%s = %v", k, pab[k])
		}
	}
	rule := mapOf(listOf(mapOf(b["BucketEncryption"])["ServerSideEncryptionConfiguration"])[0])
	sse := mapOf(rule["ServerSideEncryptionByDefault"])
	if sse["SSEAlgorithm"] != "aws:kms" || sse["KMSMasterKeyID"] != "LakeKey.Arn" || rule["BucketKeyEnabled"] != true {
		t.Errorf("encryption %v", rule)
	}
	if o := mapOf(listOf(mapOf(b["OwnershipControls"])["Rules"])[0])["ObjectOwnership"]; o != "BucketOwnerEnforced" {
		t.Errorf("ObjectOwnership = %v", o)
	}
	rules := map[string]map[string]any{}
	for _, r := range listOf(mapOf(b["LifecycleConfiguration"])["Rules"]) {
		rules[fmt.Sprint(mapOf(r)["Id"])] = mapOf(r)
	}
	if r := rules["abort-incomplete-multipart-uploads"]; r["Status"] != "Enabled" || num(mapOf(r["AbortIncompleteMultipartUpload"])["DaysAfterInitiation"]) != 1 {
		t.Errorf("multipart rule %v", r)
	}
	if r := rules["expire-athena-results"]; r["Status"] != "Enabled" || r["Prefix"] != "athena-results/" || num(r["ExpirationInDays"]) != 30 {
		t.Errorf("athena results rule %v", r)
	}
	var tls, key bool
	for _, s := range listOf(mapOf(mapOf(mapOf(res["LakeBucketPolicy"])["Properties"])["PolicyDocument"])["Statement"]) {
		st := parseStatement(s)
		if st.Effect != "Deny" {
			t.Errorf("bucket policy allows %v: access is granted by the roles", st.Actions)
		}
		if mapOf(st.Condition["Bool"])["aws:SecureTransport"] == "false" && slices.Equal(st.Actions, []string{"s3:*"}) &&
			slices.Equal(st.Resources, []string{lakeARN, lakeARN + "/*"}) {
			tls = true
		}
		if mapOf(st.Condition["StringNotEquals"])["s3:x-amz-server-side-encryption-aws-kms-key-id"] == "LakeKey.Arn" {
			key = true
			// UploadPart carries no encryption header: without the Null
			// guard the statement would break multipart uploads.
			if mapOf(st.Condition["Null"])["s3:x-amz-server-side-encryption-aws-kms-key-id"] != "false" {
				t.Error("wrong-key deny lacks its Null guard")
			}
		}
	}
	if !tls || !key {
		t.Errorf("bucket policy: TLS-only deny %v, wrong-key deny %v", tls, key)
	}
}

func TestLakeKeyPolicy(t *testing.T) {
	tmpl := loadTemplate(t)
	for _, sc := range scenarios {
		res := mapOf(render(t, tmpl, sc.params)["Resources"])
		k := mapOf(mapOf(res["LakeKey"])["Properties"])
		if k["EnableKeyRotation"] != true {
			t.Errorf("key rotation is off")
		}
		use := map[string][]string{} // role → services it may use the key through
		for _, s := range listOf(mapOf(k["KeyPolicy"])["Statement"]) {
			st := parseStatement(s)
			data := slices.ContainsFunc(st.Actions, func(a string) bool {
				return a == "kms:*" || strings.HasPrefix(a, "kms:Decrypt") || strings.HasPrefix(a, "kms:GenerateDataKey") || strings.HasPrefix(a, "kms:Encrypt") || strings.HasPrefix(a, "kms:ReEncrypt")
			})
			via := stringsOf(mapOf(st.Condition["StringEquals"])["kms:ViaService"])
			for _, p := range stringsOf(mapOf(st.Raw["Principal"])["AWS"]) {
				if data && len(via) == 0 {
					t.Errorf("%s: %s may use the key outside any service (%v)", sc.name, p, st.Actions)
				}
				if strings.HasSuffix(p, ":root") && data {
					t.Errorf("%s: the account root may use the key for data (%s)", sc.name, st.Sid)
				}
				if strings.HasSuffix(p, "Role.Arn") {
					use[p] = append(use[p], via...)
				}
			}
		}
		s3 := "s3.us-east-1.amazonaws.com"
		for role, want := range map[string][]string{
			"IngestRole.Arn":    {s3, "sqs.us-east-1.amazonaws.com"},
			"CompactRole.Arn":   {s3},
			"DetectRole.Arn":    {s3, "sqs.us-east-1.amazonaws.com"},
			"AlertRole.Arn":     {s3, "sqs.us-east-1.amazonaws.com", source.SecretsManager.ViaService("us-east-1")},
			"InventoryRole.Arn": {s3},
		} {
			if !slices.Equal(use[role], want) {
				t.Errorf("%s: key policy lets %s use the key via %v, want %v", sc.name, role, use[role], want)
			}
		}
	}
}

// The Glue tables declare exactly the Parquet schemas' columns, in order,
// with the same partitioning and projection as queries/ddl.
func TestGlueTables(t *testing.T) {
	res := mapOf(render(t, loadTemplate(t), scenarios[0].params)["Resources"])
	ddl, err := queries.DDL("s3://lake-bucket/keytrail")
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		resource, name string
		schema         *parquet.Schema
	}{
		{"EventsTable", "events", event.Schema},
		{"FindingsTable", "findings", parquet.SchemaOf(finding.Finding{})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkGlueTable(t, mapOf(res[tc.resource]), tc.name, tc.name+"/", tc.schema, ddl[i])
		})
	}
}

// checkGlueTable checks a Glue table resource against what keytrail
// writes: the Parquet schema's columns in order, the day partition, the
// location under the lake, Parquet's SerDe and the properties of its DDL
// (partition projection, classification), which must name at least 8.
func checkGlueTable(t *testing.T, r map[string]any, name, prefix string, schema *parquet.Schema, ddl string) {
	t.Helper()
	in := mapOf(mapOf(r["Properties"])["TableInput"])
	if r["Type"] != "AWS::Glue::Table" || in["Name"] != name || in["TableType"] != "EXTERNAL_TABLE" {
		t.Fatalf("table %v %v %v", r["Type"], in["Name"], in["TableType"])
	}
	want, err := queries.Columns(schema)
	if err != nil {
		t.Fatal(err)
	}
	sd := mapOf(in["StorageDescriptor"])
	var got []queries.Column
	for _, c := range listOf(sd["Columns"]) {
		got = append(got, queries.Column{Name: fmt.Sprint(mapOf(c)["Name"]), Type: fmt.Sprint(mapOf(c)["Type"])})
	}
	if !slices.Equal(got, want) {
		t.Errorf("columns:\n got %v\nwant %v", got, want)
	}
	pk := listOf(in["PartitionKeys"])
	if len(pk) != 1 || mapOf(pk[0])["Name"] != "day" || mapOf(pk[0])["Type"] != "string" {
		t.Errorf("partition keys %v, want day string", pk)
	}
	if loc := sd["Location"]; loc != "s3://lake-bucket/keytrail/"+prefix {
		t.Errorf("location %v, want the lake's %s", loc, prefix)
	}
	if !strings.Contains(fmt.Sprint(mapOf(sd["SerdeInfo"])["SerializationLibrary"]), "ParquetHiveSerDe") {
		t.Errorf("serde %v", sd["SerdeInfo"])
	}
	params := mapOf(in["Parameters"])
	n := 0
	for _, m := range tableProperty.FindAllStringSubmatch(ddl, -1) {
		n++
		if got := fmt.Sprint(params[m[1]]); got != m[2] {
			t.Errorf("table property %s = %q, DDL has %q", m[1], got, m[2])
		}
	}
	if n < 8 {
		t.Errorf("found only %d properties in %s's DDL", n, name)
	}
}

// tableProperty is one 'key' = 'value' of a DDL's TBLPROPERTIES.
var tableProperty = regexp.MustCompile(`'([a-z.]+)' = '([^']*)'`)

func TestWorkgroup(t *testing.T) {
	res := mapOf(render(t, loadTemplate(t), map[string]any{"CloudTrailBucket": "trail-bucket", "KeyAdminArns": splitList(deployer), "AthenaBytesScannedCutoff": 123456789})["Resources"])
	c := mapOf(mapOf(mapOf(res["Workgroup"])["Properties"])["WorkGroupConfiguration"])
	rc := mapOf(c["ResultConfiguration"])
	enc := mapOf(rc["EncryptionConfiguration"])
	if c["EnforceWorkGroupConfiguration"] != true || num(c["BytesScannedCutoffPerQuery"]) != 123456789 ||
		rc["OutputLocation"] != "s3://lake-bucket/athena-results/" || enc["EncryptionOption"] != "SSE_KMS" || enc["KmsKey"] != "LakeKey.Arn" {
		t.Errorf("workgroup configuration %v", c)
	}
}

// The fast path's wiring: the lake bucket's new events parts and findings
// files reach detect and alert through EventBridge rules and encrypted
// queues, sent by those rules only, polled with per-message failures and a
// short batching window, and no function's writes trigger a rule that
// leads back to it (no notification loop).
func TestLakeNotifications(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			res := mapOf(render(t, loadTemplate(t), sc.params)["Resources"])
			bucket := mapOf(mapOf(res["LakeBucket"])["Properties"])
			if eb := mapOf(mapOf(bucket["NotificationConfiguration"])["EventBridgeConfiguration"]); eb["EventBridgeEnabled"] != true {
				t.Errorf("the lake bucket does not send its events to EventBridge: %v", bucket["NotificationConfiguration"])
			}
			var keySources []string
			for _, s := range listOf(mapOf(mapOf(mapOf(res["LakeKey"])["Properties"])["KeyPolicy"])["Statement"]) {
				if st := parseStatement(s); st.Sid == "NotificationsIntoEncryptedQueue" {
					keySources = stringsOf(mapOf(st.Condition["ArnLike"])["aws:SourceArn"])
				}
			}
			pols := identityPolicies(res)
			type lakeRule struct{ rule, prefix, queue, fn, role string }
			rules := []lakeRule{
				{"LakePartsRule", "keytrail/events/", "PartsQueue", "DetectFunction", "DetectRole"},
				{"LakeFindingsRule", "keytrail/findings/", "FindingsQueue", "AlertFunction", "AlertRole"},
			}
			for _, r := range rules {
				props := mapOf(mapOf(res[r.rule])["Properties"])
				p := mapOf(props["EventPattern"])
				d := mapOf(p["detail"])
				if !slices.Equal(stringsOf(p["source"]), []string{"aws.s3"}) || !slices.Equal(stringsOf(p["detail-type"]), []string{"Object Created"}) ||
					!slices.Equal(stringsOf(mapOf(d["bucket"])["name"]), []string{"lake-bucket"}) ||
					len(listOf(mapOf(d["object"])["key"])) != 1 || mapOf(listOf(mapOf(d["object"])["key"])[0])["prefix"] != r.prefix {
					t.Errorf("%s: event pattern %v, want the lake bucket's objects under %s", r.rule, p, r.prefix)
				}
				targets := listOf(props["Targets"])
				if len(targets) != 1 || mapOf(targets[0])["Arn"] != r.queue+".Arn" {
					t.Errorf("%s: targets %v, want %s only", r.rule, targets, r.queue)
				}
				if arn := "arn:aws:events:us-east-1:111122223333:rule/" + fmt.Sprint(props["Name"]); !slices.Contains(keySources, arn) {
					t.Errorf("%s: the key policy does not let %s encrypt into its queue (sources %v)", r.rule, arn, keySources)
				}

				q := mapOf(mapOf(res[r.queue])["Properties"])
				fn := mapOf(mapOf(res[r.fn])["Properties"])
				if q["KmsMasterKeyId"] != "LakeKey.Arn" {
					t.Errorf("%s encrypted with %v, want the lake key", r.queue, q["KmsMasterKeyId"])
				}
				if v, limit := num(q["VisibilityTimeout"]), num(fn["Timeout"]); v < 6*limit {
					t.Errorf("%s: visibility timeout %d < 6 × %s timeout %d", r.queue, v, r.fn, limit)
				}
				if rd := mapOf(q["RedrivePolicy"]); rd["deadLetterTargetArn"] != "LakeDeadLetterQueue.Arn" || num(rd["maxReceiveCount"]) < 1 || num(rd["maxReceiveCount"]) > 10 {
					t.Errorf("%s: redrive policy %v", r.queue, rd)
				}
				var allows []statement
				for _, qp := range res {
					qprops := mapOf(mapOf(qp)["Properties"])
					if mapOf(qp)["Type"] != "AWS::SQS::QueuePolicy" || !slices.Contains(stringsOf(qprops["Queues"]), r.queue) {
						continue
					}
					for _, s := range listOf(mapOf(qprops["PolicyDocument"])["Statement"]) {
						if st := parseStatement(s); st.Effect == "Allow" {
							allows = append(allows, st)
						}
					}
				}
				if len(allows) != 1 || mapOf(allows[0].Raw["Principal"])["Service"] != "events.amazonaws.com" ||
					!slices.Equal(allows[0].Actions, []string{"sqs:SendMessage"}) ||
					mapOf(allows[0].Condition["ArnEquals"])["aws:SourceArn"] != r.rule+".Arn" {
					t.Errorf("%s: queue policy allows %+v, want SendMessage from %s only", r.queue, allows, r.rule)
				}

				if qs := sqsQueues(mapOf(res[r.fn])); !slices.Equal(qs, []string{r.queue + ".Arn"}) {
					t.Fatalf("%s: SQS event sources %v, want %s", r.fn, qs, r.queue)
				}
				for _, ev := range mapOf(fn["Events"]) {
					if mapOf(ev)["Type"] != "SQS" {
						continue
					}
					e := mapOf(mapOf(ev)["Properties"])
					if !slices.Equal(stringsOf(e["FunctionResponseTypes"]), []string{"ReportBatchItemFailures"}) {
						t.Errorf("%s: FunctionResponseTypes %v: one bad message would redeliver the batch", r.fn, e["FunctionResponseTypes"])
					}
					if b := num(e["BatchSize"]); b < 1 || b > 10 {
						t.Errorf("%s: BatchSize %d", r.fn, b)
					}
					// The fast path's budget is a minute from delivery to Slack.
					if w := num(e["MaximumBatchingWindowInSeconds"]); w > 5 {
						t.Errorf("%s: batching window %d s", r.fn, w)
					}
					c := num(mapOf(e["ScalingConfig"])["MaximumConcurrency"])
					if c < 2 || num(fn["ReservedConcurrentExecutions"]) != c+1 {
						t.Errorf("%s: MaximumConcurrency %d and reserved concurrency %v: want the pollers plus the schedule's run", r.fn, c, fn["ReservedConcurrentExecutions"])
					}
				}
				if _, ok := mapOf(fn["Events"])["Schedule"]; !ok {
					t.Errorf("%s lost its schedule: it is the safety net of the fast path", r.fn)
				}
			}

			// No loops: a rule's consumer writes nowhere a rule (this one or
			// one it leads to) watches.
			writes := func(role, prefix string) bool {
				for _, g := range grants(pols[role]) {
					act, r, _ := strings.Cut(g, " ")
					if act != "s3:PutObject" || !strings.HasPrefix(r, lakeObj) {
						continue
					}
					w := strings.TrimSuffix(strings.TrimPrefix(r, lakeARN+"/"), "*")
					if strings.HasPrefix(w, prefix) || strings.HasPrefix(prefix, w) {
						return true
					}
				}
				return false
			}
			var visit func(r lakeRule, path []string)
			visit = func(r lakeRule, path []string) {
				if slices.Contains(path, r.rule) {
					t.Errorf("notification loop: %v", append(path, r.rule))
					return
				}
				for _, next := range rules {
					if writes(r.role, next.prefix) {
						visit(next, append(path, r.rule))
					}
				}
			}
			for _, r := range rules {
				visit(r, nil)
			}
			if !writes("IngestRole", "keytrail/events/") || !writes("DetectRole", "keytrail/findings/") {
				t.Error("the loop check sees no writes: it is broken")
			}
		})
	}
}
