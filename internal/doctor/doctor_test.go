package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keytrail/keytrail/internal/s3test"
	"github.com/keytrail/keytrail/internal/source"
)

// jsonServer speaks AWS JSON 1.1 (CloudTrail, Athena): the operation is the
// X-Amz-Target header, the answer a JSON body or an error with __type.
// answers maps "Prefix.Operation" to a list of bodies served in turn (the
// last repeats); a body starting with "!" is an error code.
func jsonServer(t *testing.T, answers map[string][]string) (*httptest.Server, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var calls []string
	served := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := r.Header.Get("X-Amz-Target")
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		calls = append(calls, target+" "+string(body))
		list := answers[target]
		i := min(served[target], len(list)-1)
		served[target]++
		mu.Unlock()
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.1") {
			http.Error(w, "not AWS JSON 1.1", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if len(list) == 0 {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"__type": "UnknownOperationException", "message": target})
			return
		}
		if code, ok := strings.CutPrefix(list[i], "!"); ok {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": "denied by the test"})
			return
		}
		io.WriteString(w, list[i])
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func awsConfig(url string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
	}
}

func trailDoctor(t *testing.T, answers map[string][]string) *Doctor {
	srv, _ := jsonServer(t, answers)
	c := cloudtrail.NewFromConfig(awsConfig(srv.URL))
	return &Doctor{Trails: c, Status: c, Selectors: c}
}

const (
	trailARN   = "arn:aws:cloudtrail:us-east-1:111122223333:trail/org"
	describeOK = `{"trailList":[{"Name":"org","TrailARN":"` + trailARN + `","S3BucketName":"trail-bucket","HomeRegion":"us-east-1","IsMultiRegionTrail":true}]}`
	logging    = `{"IsLogging":true}`
	basicAll   = `{"TrailARN":"` + trailARN + `","EventSelectors":[{"ReadWriteType":"All","IncludeManagementEvents":true}]}`
)

func TestTrailChecks(t *testing.T) {
	outcome := func(rs []Result) string {
		var b strings.Builder
		for _, r := range rs {
			switch {
			case r.Skip:
				b.WriteString("-")
			case r.OK:
				b.WriteString("+")
			default:
				b.WriteString("x")
			}
		}
		return b.String()
	}
	for _, tc := range []struct {
		name      string
		prefix    string
		describe  string
		status    string
		selectors string
		want      string // trail, logging, reads, kms: + ok, x failed, - skipped
		detail    string // in some failed result's Detail or Fix
	}{
		{"good", "AWSLogs/", describeOK, logging, basicAll, "++++", ""},
		{"stopped", "AWSLogs/", describeOK, `{"IsLogging":false}`, basicAll, "+x++", "start-logging --name " + trailARN},
		{"write only", "AWSLogs/", describeOK, logging,
			`{"EventSelectors":[{"ReadWriteType":"WriteOnly","IncludeManagementEvents":true}]}`, "++x+", "ReadWriteType WriteOnly"},
		{"kms excluded", "AWSLogs/", describeOK, logging,
			`{"EventSelectors":[{"ReadWriteType":"All","IncludeManagementEvents":true,"ExcludeManagementEventSources":["kms.amazonaws.com"]}]}`, "+++x", "ExcludeManagementEventSources"},
		{"data events only", "AWSLogs/", describeOK, logging,
			`{"EventSelectors":[{"ReadWriteType":"All","IncludeManagementEvents":false}]}`, "++x-", "no event selector includes management events"},
		{"advanced, management", "AWSLogs/", describeOK, logging,
			`{"AdvancedEventSelectors":[{"Name":"m","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]}`, "++++", ""},
		{"advanced, writes only", "AWSLogs/", describeOK, logging,
			`{"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["false"]}]}]}`, "++x+", "readOnly = false"},
		{"advanced, kms excluded", "AWSLogs/", describeOK, logging,
			`{"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"eventSource","NotEquals":["kms.amazonaws.com"]}]}]}`, "+++x", "exclude kms.amazonaws.com"},
		{"advanced, data only", "AWSLogs/", describeOK, logging,
			`{"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]}]}]}`, "++x-", "eventCategory = Management"},
		{"other bucket", "AWSLogs/", `{"trailList":[{"Name":"x","TrailARN":"arn:x","S3BucketName":"elsewhere"}]}`, logging, basicAll, "x---", "no trail visible"},
		{"prefix mismatch", "AWSLogs/", `{"trailList":[{"Name":"x","TrailARN":"` + trailARN + `","S3BucketName":"trail-bucket","S3KeyPrefix":"other"}]}`, logging, basicAll, "x---", "no trail visible"},
		{"organization trail under a prefix", "org/AWSLogs/o-abc123def4/",
			`{"trailList":[{"Name":"org","TrailARN":"` + trailARN + `","S3BucketName":"trail-bucket","S3KeyPrefix":"org","IsOrganizationTrail":true}]}`, logging, basicAll, "++++", ""},
		{"best of two trails", "AWSLogs/",
			`{"trailList":[{"Name":"a","TrailARN":"` + trailARN + `","S3BucketName":"trail-bucket"},{"Name":"b","TrailARN":"` + trailARN + `","S3BucketName":"trail-bucket"}]}`,
			logging, basicAll, "++++", ""},
		{"describe denied", "AWSLogs/", "!AccessDeniedException", logging, basicAll, "x---", "AccessDeniedException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := trailDoctor(t, map[string][]string{
				"CloudTrail_20131101.DescribeTrails":    {tc.describe},
				"CloudTrail_20131101.GetTrailStatus":    {tc.status},
				"CloudTrail_20131101.GetEventSelectors": {tc.selectors},
			})
			rs := d.checkTrail(context.Background(), Deployment{TrailBucket: "trail-bucket", TrailPrefix: tc.prefix})
			if got := outcome(rs); got != tc.want {
				t.Errorf("outcome %s, want %s: %+v", got, tc.want, rs)
			}
			if tc.detail != "" {
				var text strings.Builder
				for _, r := range rs {
					text.WriteString(r.Detail + " " + r.Fix + "\n")
				}
				if !strings.Contains(text.String(), tc.detail) {
					t.Errorf("no %q in\n%s", tc.detail, text.String())
				}
			}
		})
	}
}

// s3XMLServer answers GetBucketNotificationConfiguration (REST-XML,
// path-style: GET /bucket?notification) with body.
func s3XMLServer(t *testing.T, bucket, body string, status int) *s3.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/"+bucket || !r.URL.Query().Has("notification") {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.String(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return s3.NewFromConfig(awsConfig(srv.URL), func(o *s3.Options) { o.UsePathStyle = true })
}

func TestNotificationCheck(t *testing.T) {
	const queue = "arn:aws:sqs:us-east-1:111122223333:kt-Queue"
	const topic = "arn:aws:sns:us-east-1:111122223333:trail-files"
	queueXML := func(arn, event, prefix string) string {
		return `<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><QueueConfiguration><Id>kt</Id><Queue>` + arn +
			`</Queue><Event>` + event + `</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>` + prefix +
			`</Value></FilterRule></S3Key></Filter></QueueConfiguration></NotificationConfiguration>`
	}
	for _, tc := range []struct {
		name, source, body string
		status             int
		ok                 bool
		fix                string
	}{
		{"queue wired", SourceS3ToSQS, queueXML(queue, "s3:ObjectCreated:*", "AWSLogs/"), 200, true, ""},
		{"queue wired, shorter prefix", SourceS3ToSQS, queueXML(queue, "s3:ObjectCreated:Put", ""), 200, true, ""},
		{"other queue", SourceS3ToSQS, queueXML("arn:aws:sqs:us-east-1:111122223333:other", "s3:ObjectCreated:*", "AWSLogs/"), 200, false, "destination SQS " + queue},
		{"deletes only", SourceS3ToSQS, queueXML(queue, "s3:ObjectRemoved:*", "AWSLogs/"), 200, false, "s3:ObjectCreated:*"},
		{"prefix elsewhere", SourceS3ToSQS, queueXML(queue, "s3:ObjectCreated:*", "Other/"), 200, false, "prefix AWSLogs/"},
		{"nothing", SourceS3ToSQS, `<NotificationConfiguration/>`, 200, false, "add an event notification"},
		{"topic wired", SourceSNS, `<NotificationConfiguration><TopicConfiguration><Topic>` + topic + `</Topic><Event>s3:ObjectCreated:*</Event></TopicConfiguration></NotificationConfiguration>`, 200, true, ""},
		{"topic missing", SourceSNS, `<NotificationConfiguration/>`, 200, false, "update-trail --sns-topic-name"},
		{"eventbridge on", SourceEventBridge, `<NotificationConfiguration><EventBridgeConfiguration></EventBridgeConfiguration></NotificationConfiguration>`, 200, true, ""},
		{"eventbridge off", SourceEventBridge, `<NotificationConfiguration/>`, 200, false, "EventBridgeConfiguration"},
		{"denied", SourceS3ToSQS, `<Error><Code>AccessDenied</Code><Message>no</Message></Error>`, 403, false, "s3:GetBucketNotification"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &Doctor{Notifications: s3XMLServer(t, "trail-bucket", tc.body, tc.status)}
			r := d.checkNotification(context.Background(), Deployment{TrailBucket: "trail-bucket", TrailPrefix: "AWSLogs/",
				NotificationSource: tc.source, QueueARN: queue, TopicARN: topic})
			if r.OK != tc.ok || r.Skip {
				t.Fatalf("got %+v, want ok=%v", r, tc.ok)
			}
			if !strings.Contains(r.Fix, tc.fix) {
				t.Errorf("fix %q lacks %q", r.Fix, tc.fix)
			}
		})
	}
}

func TestLakeCheck(t *testing.T) {
	srv := s3test.Start(t)
	now := time.Date(2026, 3, 1, 0, 30, 0, 0, time.UTC) // just after midnight: yesterday counts
	for _, tc := range []struct {
		name string
		keys []string
		ok   bool
	}{
		{"today", []string{"keytrail/events/day=2026-03-01/a.parquet"}, true},
		{"yesterday, across a month end", []string{"keytrail/events/day=2026-02-28/a.parquet"}, true},
		{"only older", []string{"keytrail/events/day=2026-02-20/a.parquet"}, false},
		{"other prefix", []string{"other/events/day=2026-03-01/a.parquet"}, false},
		{"findings only", []string{"keytrail/findings/day=2026-03-01/a.parquet"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := srv.Client(t)
			bucket := srv.Bucket(t, "lake-"+strings.NewReplacer(" ", "-", ",", "").Replace(tc.name))
			for _, k := range tc.keys {
				if _, err := client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: bytes.NewReader([]byte("x"))}); err != nil {
					t.Fatal(err)
				}
			}
			d := &Doctor{Objects: client, Now: func() time.Time { return now }}
			r := d.checkLake(context.Background(), Deployment{LakeBucket: bucket, LakePrefix: "keytrail/"})
			if r.OK != tc.ok {
				t.Errorf("got %+v, want ok=%v", r, tc.ok)
			}
		})
	}
}

func TestAthenaCheck(t *testing.T) {
	exec := func(state, reason string) string {
		return `{"QueryExecution":{"QueryExecutionId":"q-1","Status":{"State":"` + state + `","StateChangeReason":"` + reason + `"}}}`
	}
	for _, tc := range []struct {
		name   string
		start  string
		states []string
		ok     bool
		detail string
	}{
		{"succeeds", `{"QueryExecutionId":"q-1"}`, []string{exec("SUCCEEDED", "")}, true, "q-1 succeeded"},
		{"runs then succeeds", `{"QueryExecutionId":"q-1"}`, []string{exec("QUEUED", ""), exec("RUNNING", ""), exec("SUCCEEDED", "")}, true, "succeeded"},
		{"fails", `{"QueryExecutionId":"q-1"}`, []string{exec("FAILED", "Access denied when writing to location")}, false, "FAILED: Access denied when writing"},
		{"cannot start", "!InvalidRequestException", nil, false, "InvalidRequestException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, calls := jsonServer(t, map[string][]string{
				"AmazonAthena.StartQueryExecution": {tc.start},
				"AmazonAthena.GetQueryExecution":   tc.states,
			})
			c := athena.NewFromConfig(awsConfig(srv.URL))
			d := &Doctor{StartQuery: c, GetQuery: c, PollInterval: time.Millisecond,
				Now: func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }}
			r := d.checkAthena(context.Background(), Deployment{Workgroup: "kt", Database: "keytrail"})
			if r.OK != tc.ok || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("got %+v, want ok=%v and %q", r, tc.ok, tc.detail)
			}
			start := (*calls)[0]
			for _, want := range []string{`"WorkGroup":"kt"`, `"Database":"keytrail"`, `day = '2026-03-01'`} {
				if !strings.Contains(start, want) {
					t.Errorf("start request %s lacks %s", start, want)
				}
			}
		})
	}
}

func TestPrint(t *testing.T) {
	var b strings.Builder
	failed := Print(&b, []Result{
		{Check: CheckTrail, OK: true, Detail: "arn:t"},
		{Check: CheckLogging, Detail: "logging is stopped", Fix: "aws cloudtrail start-logging --name arn:t"},
		{Check: CheckAthena, Skip: true, Detail: "no workgroup given"},
	})
	want := "✓ trail delivers to the bucket: arn:t\n" +
		"✗ trail is logging: logging is stopped\n    fix: aws cloudtrail start-logging --name arn:t\n" +
		"– Athena can read the events table: no workgroup given\n"
	if failed != 1 || b.String() != want {
		t.Errorf("failed %d, output:\n%s\nwant:\n%s", failed, b.String(), want)
	}
}

// TestExcludeChecks: doctor checks each kept source a trail can exclude,
// under the name callers know for KMS.
func TestExcludeChecks(t *testing.T) {
	var got []string
	for _, r := range excludeResults(Result{}) {
		got = append(got, r.Check)
	}
	if want := []string{CheckKMSEvents}; !slices.Equal(got, want) || excludeCheck(source.KMS) != CheckKMSEvents {
		t.Errorf("exclusion checks %q, want %q", got, want)
	}
}
