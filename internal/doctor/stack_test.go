package doctor

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// CloudFormation speaks the AWS Query protocol: a form POST, an XML answer.
func TestFromStack(t *testing.T) {
	const answer = `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>
<StackName>kt</StackName><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-03-01T00:00:00Z</CreationTime><Outputs>
<member><OutputKey>Lake</OutputKey><OutputValue>s3://lake-bucket/keytrail</OutputValue></member>
<member><OutputKey>CloudTrailBucket</OutputKey><OutputValue>trail-bucket</OutputValue></member>
<member><OutputKey>CloudTrailPrefix</OutputKey><OutputValue>AWSLogs/</OutputValue></member>
<member><OutputKey>NotificationSource</OutputKey><OutputValue>S3ToSQS</OutputValue></member>
<member><OutputKey>QueueArn</OutputKey><OutputValue>arn:aws:sqs:us-east-1:111122223333:q</OutputValue></member>
<member><OutputKey>Workgroup</OutputKey><OutputValue>kt</OutputValue></member>
<member><OutputKey>GlueDatabase</OutputKey><OutputValue>keytrail</OutputValue></member>
<member><OutputKey>SlackSecretArn</OutputKey><OutputValue>arn:aws:secretsmanager:us-east-1:111122223333:secret:kt/slack-AbCdEf</OutputValue></member>
<member><OutputKey>DetectFunction</OutputKey><OutputValue>kt-DetectFunction-1A2B</OutputValue></member>
<member><OutputKey>AlertFunction</OutputKey><OutputValue>kt-AlertFunction-3C4D</OutputValue></member>
<member><OutputKey>DeadLetterQueueUrl</OutputKey><OutputValue>https://sqs.us-east-1.amazonaws.com/111122223333/kt-dlq</OutputValue></member>
<member><OutputKey>LakeDeadLetterQueueUrl</OutputKey><OutputValue>https://sqs.us-east-1.amazonaws.com/111122223333/kt-lake-dlq</OutputValue></member>
</Outputs></member></Stacks></DescribeStacksResult></DescribeStacksResponse>`
	var form string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		form = string(b)
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	dep, err := FromStack(context.Background(), cloudformation.NewFromConfig(awsConfig(srv.URL)), "kt")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(form, "Action=DescribeStacks") || !strings.Contains(form, "StackName=kt") {
		t.Errorf("request %s", form)
	}
	want := Deployment{TrailBucket: "trail-bucket", TrailPrefix: "AWSLogs/", LakeBucket: "lake-bucket", LakePrefix: "keytrail/",
		NotificationSource: SourceS3ToSQS, QueueARN: "arn:aws:sqs:us-east-1:111122223333:q", Workgroup: "kt", Database: "keytrail",
		DeadLetterQueues: []string{"https://sqs.us-east-1.amazonaws.com/111122223333/kt-dlq", "https://sqs.us-east-1.amazonaws.com/111122223333/kt-lake-dlq"},
		Stack:            "kt", SlackSecretARN: "arn:aws:secretsmanager:us-east-1:111122223333:secret:kt/slack-AbCdEf",
		Functions: map[string]string{"detect": "kt-DetectFunction-1A2B", "alert": "kt-AlertFunction-3C4D"}}
	if !reflect.DeepEqual(dep, want) {
		t.Errorf("got  %+v\nwant %+v", dep, want)
	}
}

func TestSplitS3(t *testing.T) {
	for _, tc := range []struct{ in, bucket, prefix, err string }{
		{"s3://b", "b", "", ""},
		{"s3://b/", "b", "", ""},
		{"s3://b/keytrail", "b", "keytrail/", ""},
		{"s3://b/a/b/", "b", "a/b/", ""},
		{"b/keytrail", "", "", "not s3://"},
		{"s3:///x", "", "", "no bucket"},
	} {
		b, p, err := SplitS3(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || b != tc.bucket || p != tc.prefix {
			t.Errorf("%s: %q %q %v", tc.in, b, p, err)
		}
	}
}
