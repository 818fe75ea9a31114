package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/keytrail/keytrail/ingest"
	"github.com/keytrail/keytrail/internal/cloudtrail"
	"github.com/keytrail/keytrail/internal/lake"
)

// Normalize turns one CloudTrail record into a row: the role, not the
// session, is the principal, and the secret, named here by name, gets its
// canonical ARN from the record's region and account.
func ExampleNormalize() {
	raw := []byte(`{"eventVersion":"1.08","eventTime":"2025-03-10T12:00:00Z",
		"eventSource":"secretsmanager.amazonaws.com","eventName":"GetSecretValue",
		"awsRegion":"eu-central-1","recipientAccountId":"111122223333","eventID":"3f1c9a2e",
		"userIdentity":{"type":"AssumedRole","accountId":"111122223333",
			"arn":"arn:aws:sts::111122223333:assumed-role/app/i-0abc",
			"sessionContext":{"sessionIssuer":{"type":"Role","userName":"app",
				"arn":"arn:aws:iam::111122223333:role/app"}}},
		"sourceIPAddress":"10.0.1.7","userAgent":"aws-sdk-go-v2/1.32.6",
		"requestParameters":{"secretId":"prod/db"}}`)
	var rec cloudtrail.Record
	if !cloudtrail.DecodeRecord(raw, &rec) {
		fmt.Println("not a record")
		return
	}
	e, err := ingest.Normalize(&rec, raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Day(), e.EventName, e.CallerKind)
	fmt.Println(e.PrincipalARN, e.SessionName)
	fmt.Println(e.ResourceType, e.ResourceARN)
	// Output:
	// 2025-03-10 GetSecretValue workload
	// arn:aws:iam::111122223333:role/app i-0abc
	// secret arn:aws:secretsmanager:eu-central-1:111122223333:secret:prod/db
}

// An Ingester reads CloudTrail log objects (here a folder, as the CLI
// does) and writes the Secrets Manager and KMS records to a lake as
// Parquet, by event day; other services' records are dropped.
func ExampleIngester_Run() {
	logs, _ := os.MkdirTemp("", "trail")
	defer os.RemoveAll(logs)
	out, _ := os.MkdirTemp("", "lake")
	defer os.RemoveAll(out)
	key := filepath.Join(logs, "AWSLogs/111122223333/CloudTrail/eu-central-1/2025/03/10",
		"111122223333_CloudTrail_eu-central-1_20250310T1205Z_a1b2c3d4e5f6g7h8.json.gz")
	record := func(source, name, id string) string {
		return `{"eventVersion":"1.08","eventTime":"2025-03-10T12:00:00Z","eventSource":"` + source +
			`","eventName":"` + name + `","awsRegion":"eu-central-1","recipientAccountId":"111122223333","eventID":"` + id +
			`","userIdentity":{"type":"IAMUser","accountId":"111122223333","arn":"arn:aws:iam::111122223333:user/ana","userName":"ana"},` +
			`"requestParameters":{"keyId":"alias/app"}}`
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(`{"Records":[` + record("kms.amazonaws.com", "Decrypt", "e1") + "," +
		record("s3.amazonaws.com", "GetObject", "e2") + "]}"))
	w.Close()
	os.MkdirAll(filepath.Dir(key), 0o755)
	os.WriteFile(key, gz.Bytes(), 0o644)
	delivered := time.Date(2025, 3, 10, 12, 5, 0, 0, time.UTC) // as the object's name says

	st, err := lake.NewDir(out)
	if err != nil {
		fmt.Println(err)
		return
	}
	in := ingest.New(st, ingest.Config{Now: func() time.Time { return delivered.Add(time.Hour) }})
	sum, err := in.Run(context.Background(), []ingest.Source{ingest.LocalSource{Path: logs}}, ingest.RunOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("objects %d, records %d, kept %d, dropped %d, by source %v\n",
		sum.Objects, sum.Records, sum.Kept, sum.Dropped, sum.BySource)
	// Output:
	// objects 1, records 2, kept 1, dropped 1, by source map[kms.amazonaws.com:1]
}
