package doctor

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/keytrail/keytrail/internal/s3test"
	"github.com/keytrail/keytrail/internal/sqstest"
)

// stsServer answers GetCallerIdentity in STS's Query protocol (a form
// POST, an XML answer), or with the error code given.
func stsServer(t *testing.T, errCode string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(b), "Action=GetCallerIdentity") {
			http.Error(w, "bad action", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		if errCode != "" {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>`+errCode+`</Code><Message>The security token included in the request is expired</Message></Error></ErrorResponse>`)
			return
		}
		io.WriteString(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:sts::111122223333:assumed-role/ops/me</Arn>`+
			`<UserId>AROA:me</UserId><Account>111122223333</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// With no credentials (the SDK's chain finds none) or refused ones, the
// check says so in one line with the fix, not with the SDK's error, and
// Run stops there.
func TestCredentials(t *testing.T) {
	for _, tc := range []struct {
		name    string
		creds   aws.CredentialsProvider
		errCode string
		ok      bool
		detail  string
		fix     string
	}{
		{"valid", nil, "", true, "arn:aws:sts::111122223333:assumed-role/ops/me", ""},
		{"none", aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("failed to refresh cached credentials, no EC2 IMDS role found, operation error ec2imds: GetMetadata, request canceled")
		}), "", false, "no AWS credentials found", "aws configure sso"},
		{"expired SSO", aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("refresh cached SSO token failed: the SSO session has expired or is invalid")
		}), "", false, "the SSO session has expired", "aws sso login --profile NAME"},
		{"refused", nil, "ExpiredToken", false, "AWS refused the credentials (ExpiredToken)", "aws sso login"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := awsConfig(stsServer(t, tc.errCode))
			if tc.creds != nil {
				cfg.Credentials = tc.creds
			}
			d := &Doctor{Identity: sts.NewFromConfig(cfg)}
			rs, err := d.Run(context.Background(), Deployment{})
			if err != nil {
				t.Fatal(err)
			}
			r := rs[0]
			if r.Check != CheckCredentials || r.OK != tc.ok || r.Detail != tc.detail || !strings.Contains(r.Fix, tc.fix) {
				t.Errorf("got %+v", r)
			}
			if !tc.ok && len(rs) != 1 {
				t.Errorf("%d results after failed credentials, want 1", len(rs))
			}
			var out bytes.Buffer
			Print(&out, rs[:1])
			if strings.Contains(out.String(), "IMDS") || strings.Count(out.String(), "\n") > 2 {
				t.Errorf("printed:\n%s", out.String())
			}
		})
	}
}

func TestDeadLetters(t *testing.T) {
	s := sqstest.Start(t)
	s.CreateQueue("ingest", "ingest-dlq")
	s.CreateQueue("parts", "lake-dlq")
	dep := Deployment{Stack: "kt", DeadLetterQueues: []string{s.QueueURL("ingest-dlq"), s.QueueURL("lake-dlq")}}
	d := &Doctor{Queues: s.Client()}
	if r := d.checkDeadLetters(context.Background(), dep); !r.OK || r.Detail != "2 queue(s), no messages" {
		t.Errorf("empty: %+v", r)
	}
	s.DeadLetter("lake-dlq", "parts", "x")
	s.DeadLetter("lake-dlq", "parts", "y")
	r := d.checkDeadLetters(context.Background(), dep)
	if r.OK || r.Detail != "messages waiting: 2 in "+s.QueueURL("lake-dlq") ||
		!strings.Contains(r.Fix, "keytrail redrive --stack kt --dry-run") {
		t.Errorf("with messages: %+v", r)
	}
	dep.DeadLetterQueues = append(dep.DeadLetterQueues, s.QueueURL("gone"))
	if r := d.checkDeadLetters(context.Background(), dep); r.OK || !strings.Contains(r.Detail, "QueueDoesNotExist") {
		t.Errorf("missing queue: %+v", r)
	}
}

const slackARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:kt/slack-AbCdEf"

// The secret's value is judged, never shown; where only the alert
// function may read it, its versions tell a placeholder.
func TestSlackSecret(t *testing.T) {
	const placeholder = "Zq3kV9xQmT4bW2nL8pR6sY1cH5jD7fGa"
	for _, tc := range []struct {
		name    string
		answers map[string][]string
		ok      bool
		detail  string
	}{
		{"token", map[string][]string{"secretsmanager.GetSecretValue": {`{"SecretString":"{\"token\":\"xoxb-1-2-abc\"}"}`}}, true, "a bot token"},
		{"webhook", map[string][]string{"secretsmanager.GetSecretValue": {`{"SecretString":"https://hooks.slack.com/services/T/B/x"}`}}, true, "a webhook URL"},
		{"placeholder", map[string][]string{"secretsmanager.GetSecretValue": {`{"SecretString":"` + placeholder + `"}`}}, false, "no Slack token"},
		{"denied, one version", map[string][]string{"secretsmanager.GetSecretValue": {"!AccessDeniedException"},
			"secretsmanager.DescribeSecret": {`{"VersionIdsToStages":{"v1":["AWSCURRENT"]}}`}}, false, "still the random placeholder"},
		{"denied, put since", map[string][]string{"secretsmanager.GetSecretValue": {"!AccessDeniedException"},
			"secretsmanager.DescribeSecret": {`{"VersionIdsToStages":{"v1":["AWSPREVIOUS"],"v2":["AWSCURRENT"]}}`}}, true, "2 versions"},
		{"denied twice", map[string][]string{"secretsmanager.GetSecretValue": {"!AccessDeniedException"},
			"secretsmanager.DescribeSecret": {"!AccessDeniedException"}}, false, "describe the secret: AccessDeniedException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, calls := jsonServer(t, tc.answers)
			d := &Doctor{Secrets: secretsmanager.NewFromConfig(awsConfig(srv.URL))}
			r := d.checkSlackSecret(context.Background(), Deployment{SlackSecretARN: slackARN})
			if r.OK != tc.ok || !strings.Contains(r.Detail, tc.detail) || (!r.OK && !strings.Contains(r.Fix, "put-secret-value --secret-id "+slackARN) && tc.name != "denied twice") {
				t.Errorf("got %+v", r)
			}
			var out bytes.Buffer
			Print(&out, []Result{r})
			if strings.Contains(out.String(), placeholder) || strings.Contains(out.String(), "xoxb-1-2-abc") {
				t.Errorf("the value was printed:\n%s", out.String())
			}
			if !strings.Contains((*calls)[0], slackARN) {
				t.Errorf("calls %q", *calls)
			}
		})
	}
}

func TestViews(t *testing.T) {
	table := `{"Table":{"Name":"x","DatabaseName":"keytrail","TableType":"VIRTUAL_VIEW"}}`
	for _, tc := range []struct {
		name    string
		answers []string
		ok      bool
		detail  string
	}{
		{"both", []string{table, table}, true, "events_unique, findings_unique"},
		{"findings_unique missing", []string{table, "!EntityNotFoundException"}, false, "missing in keytrail: findings_unique"},
		{"denied", []string{"!AccessDeniedException"}, false, "read keytrail.events_unique: AccessDeniedException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, calls := jsonServer(t, map[string][]string{"AWSGlue.GetTable": tc.answers})
			d := &Doctor{Tables: glue.NewFromConfig(awsConfig(srv.URL))}
			r := d.checkViews(context.Background(), Deployment{Workgroup: "kt", Database: "keytrail"})
			if r.OK != tc.ok || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("got %+v", r)
			}
			if !strings.Contains((*calls)[0], `"Name":"events_unique"`) || !strings.Contains((*calls)[0], `"DatabaseName":"keytrail"`) {
				t.Errorf("calls %q", *calls)
			}
		})
	}
}

// cloudWatchServer answers GetMetricStatistics in CloudWatch's Smithy RPC
// v2 CBOR protocol with the Errors sums by function name.
func cloudWatchServer(t *testing.T, sums map[string][]float64) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		v, err := cbor.Decode(b)
		in, ok := v.(cbor.Map)
		if err != nil || !ok || r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" || !strings.HasSuffix(r.URL.Path, "/operation/GetMetricStatistics") {
			http.Error(w, "not a CBOR GetMetricStatistics", http.StatusBadRequest)
			return
		}
		if in["Namespace"] != cbor.String("AWS/Lambda") || in["MetricName"] != cbor.String("Errors") {
			http.Error(w, "wrong metric", http.StatusBadRequest)
			return
		}
		dims, _ := in["Dimensions"].(cbor.List)
		var fn string
		if len(dims) == 1 {
			if m, ok := dims[0].(cbor.Map); ok && m["Name"] == cbor.String("FunctionName") {
				s, _ := m["Value"].(cbor.String)
				fn = string(s)
			}
		}
		points := cbor.List{}
		for _, s := range sums[fn] {
			points = append(points, cbor.Map{"Sum": cbor.Float64(s), "Unit": cbor.String("Count")})
		}
		w.Header().Set("Content-Type", "application/cbor")
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Write(cbor.Encode(cbor.Map{"Label": cbor.String("Errors"), "Datapoints": points}))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestFunctionErrors(t *testing.T) {
	url := cloudWatchServer(t, map[string][]float64{"kt-Detect-1": {0, 0}, "kt-Alert-2": {2, 1}})
	d := &Doctor{Metrics: cloudwatch.NewFromConfig(awsConfig(url)), Now: func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }}
	dep := Deployment{Functions: map[string]string{"detect": "kt-Detect-1"}}
	if r := d.checkFunctionErrors(context.Background(), dep); !r.OK || r.Detail != "1 functions, no errors" {
		t.Errorf("no errors: %+v", r)
	}
	dep.Functions["alert"] = "kt-Alert-2"
	r := d.checkFunctionErrors(context.Background(), dep)
	if r.OK || r.Detail != "errors: alert (kt-Alert-2) 3" || !strings.Contains(r.Fix, "aws logs tail") {
		t.Errorf("errors: %+v", r)
	}
}

func TestSchemaCheck(t *testing.T) {
	srv := s3test.Start(t)
	client := srv.Client(t)
	bucket := srv.Bucket(t, "lake")
	d := &Doctor{Get: client}
	dep := Deployment{LakeBucket: bucket, LakePrefix: "keytrail/"}
	put := func(body string) {
		if _, err := client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket),
			Key: aws.String("keytrail/_keytrail/schema.json"), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	if r := d.checkSchema(context.Background(), dep); !r.OK || !strings.Contains(r.Detail, "no marker yet: version 1") {
		t.Errorf("no marker: %+v", r)
	}
	put(`{"version":1}`)
	if r := d.checkSchema(context.Background(), dep); !r.OK || r.Detail != "version 1" {
		t.Errorf("version 1: %+v", r)
	}
	put(`{"version":3}`)
	if r := d.checkSchema(context.Background(), dep); r.OK || r.Detail != "version 3, newer than this keytrail's 1" || !strings.Contains(r.Fix, "upgrade keytrail") {
		t.Errorf("version 3: %+v", r)
	}
	put(`garbage`)
	if r := d.checkSchema(context.Background(), dep); r.OK || !strings.Contains(r.Detail, "not a schema marker") {
		t.Errorf("garbage: %+v", r)
	}
}
