// Package testlake builds small lakes with known answers for the query,
// runner and review tests. A test asks for a lake folder through a Source,
// so the hand-built rows here can be swapped for rows ingested from real
// CloudTrail files without changing the test.
package testlake

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
	"github.com/keytrail/keytrail/internal/lake"
	"github.com/keytrail/keytrail/internal/source"
)

// WriteEvents writes rows into dir as one Parquet file per day named
// name.parquet, under events/day=YYYY-MM-DD/.
func WriteEvents(dir, name string, rows []event.Event) error {
	byDay := map[string][]event.Event{}
	for _, r := range rows {
		byDay[r.Day()] = append(byDay[r.Day()], r)
	}
	for day, rs := range byDay {
		event.Sort(rs)
		var b bytes.Buffer
		if err := event.WriteParquet(&b, rs); err != nil {
			return err
		}
		if err := put(dir, lake.EventKey(day, name), b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// WriteFindings writes findings into dir, one file per day of their start.
func WriteFindings(dir, name string, fs []finding.Finding) error {
	byDay := map[string][]finding.Finding{}
	for _, f := range fs {
		d := lake.Day(f.Start)
		byDay[d] = append(byDay[d], f)
	}
	for day, ff := range byDay {
		var b bytes.Buffer
		if err := finding.WriteParquet(&b, ff); err != nil {
			return err
		}
		if err := put(dir, lake.FindingKey(day, name), b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

func put(dir, key string, body []byte) error {
	p := filepath.Join(dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, body, 0o644)
}

// Accounts, principals and resources of the scenario.
const (
	Home  = "111111111111"
	Other = "222222222222"

	S1 = "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf"
	S2 = "arn:aws:secretsmanager:us-east-1:111111111111:secret:api-XyZ123"
	K1 = "arn:aws:kms:us-east-1:111111111111:key/11111111-1111-1111-1111-111111111111"
	K2 = "arn:aws:kms:us-east-1:111111111111:key/22222222-2222-2222-2222-222222222222"

	AppRole    = "arn:aws:iam::111111111111:role/app"
	AppSession = "arn:aws:sts::111111111111:assumed-role/app/i-123" // a session of AppRole
	AliceFed   = "arn:aws:sts::111111111111:federated-user/bob"     // a federated session issued by Alice
	Alice      = "arn:aws:iam::111111111111:user/alice"
	Mallory    = "arn:aws:iam::222222222222:user/mallory"
	ETL        = "arn:aws:iam::111111111111:role/etl"
	// Hostile is a principal whose name is an SQL injection attempt.
	Hostile = "arn:aws:iam::111111111111:user/x' OR '1'='1"

	S3Object = "arn:aws:s3:::bucket/obj"
)

// ev builds one event; id doubles as its position in the source file.
func ev(id, at, name, principal string, resources ...string) event.Event {
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		panic(err)
	}
	e := event.Event{
		EventID: id, EventTime: t, EventVersion: "1.11", EventName: name,
		EventType: "AwsApiCall", EventCategory: "Management", AWSRegion: "us-east-1",
		RecipientAcct: Home, IdentityType: "IAMUser", CallerKind: event.CallerPerson,
		PrincipalARN: principal, PrincipalAccount: Home, SourceIP: "198.51.100.7",
		UserAgent: "aws-cli/2", ResourceAccount: Home, ResourceARNs: resources,
		SourceObject: "AWSLogs/111111111111/CloudTrail/us-east-1/a.json.gz",
	}
	if len(resources) > 0 {
		e.ResourceARN = resources[0]
	}
	switch {
	case len(resources) > 0 && resources[0][:11] == "arn:aws:kms":
		e.EventSource, e.ResourceType = source.KMS.EventSource, event.ResourceKey
	default:
		e.EventSource, e.ResourceType = source.SecretsManager.EventSource, event.ResourceSecret
	}
	switch principal {
	case AppSession:
		// As ingest writes an assumed role's session: the role is the
		// principal, the session ARN only the caller.
		e.IdentityType, e.CallerKind, e.SessionIssuerARN, e.SessionName = "AssumedRole", event.CallerWorkload, AppRole, "i-123"
		e.PrincipalARN, e.CallerARN = AppRole, AppSession
	case AliceFed:
		// A GetFederationToken session: its own principal, issued by Alice.
		e.IdentityType, e.SessionIssuerARN, e.SessionName, e.CallerARN = "FederatedUser", Alice, "bob", AliceFed
	case Mallory:
		e.PrincipalAccount = Other
	}
	return e
}

func failed(e event.Event, code string) event.Event {
	e.Failed, e.ErrorCode, e.ErrorMessage = true, code, "not authorized"
	return e
}

func context(e event.Event, json string) event.Event {
	e.EncryptionContext = json
	return e
}

// Scenario is a week of activity (2026-07-01 to 2026-07-08, Wednesday to
// Wednesday) plus some June history, with duplicates. The facts the tests
// check are in the comments; event ids are e01… in time order.
func Scenario() (events []event.Event, dups []event.Event, findings []finding.Finding) {
	svc := ev("e14", "2026-07-07T02:00:00Z", "Decrypt", ETL, K1)
	svc.CallerKind, svc.InvokedBy, svc.IdentityType = event.CallerService, "s3.amazonaws.com", "AWSService"
	svc = context(svc, `{"aws:ebs:id":"vol-1"}`)
	reenc := ev("e10", "2026-07-05T20:00:00Z", "ReEncrypt", AppSession, K1, K2) // Sunday night; two keys
	events = []event.Event{
		ev("e00", "2026-06-20T10:00:00Z", "CreateSecret", Alice, S2),         // S2 known, never used
		ev("e00b", "2026-06-21T10:00:00Z", "GetSecretValue", AppSession, S1), // app used S1 before July
		ev("e00c", "2026-06-22T10:00:00Z", "GetSecretValue", AliceFed, S1),   // Alice's federated session
		ev("e01", "2026-07-01T09:00:00Z", "GetSecretValue", AppSession, S1),
		ev("e02", "2026-07-01T09:05:00Z", "GetSecretValue", AppSession, S1),
		ev("e03", "2026-07-02T03:00:00Z", "GetSecretValue", Alice, S1), // 05:00 in Paris
		context(ev("e04", "2026-07-02T10:00:00Z", "Decrypt", AppSession, K1), `{"aws:s3:arn":"`+S3Object+`"}`),
		context(ev("e05", "2026-07-02T10:01:00Z", "Decrypt", AppSession, K1), `{"aws:s3:arn":"`+S3Object+`"}`),
		context(ev("e06", "2026-07-03T11:00:00Z", "Decrypt", Alice, K1), `{"SecretARN":"`+S1+`","SecretVersionId":"v1"}`),
		failed(ev("e07", "2026-07-03T12:00:00Z", "GetSecretValue", Mallory, S1), "AccessDenied"),
		failed(ev("e08", "2026-07-03T12:01:00Z", "Decrypt", Mallory, K1), "AccessDenied"),
		ev("e09", "2026-07-04T14:00:00Z", "GetSecretValue", Alice, S1), // Saturday
		reenc,
		ev("e11", "2026-07-06T08:30:00Z", "PutResourcePolicy", Alice, S1),
		ev("e12", "2026-07-06T09:00:00Z", "ScheduleKeyDeletion", Alice, K2),
		ev("e13", "2026-07-06T09:30:00Z", "CreateGrant", AppSession, K1),
		svc, // an AWS service at 02:00 UTC: never "off hours"
		ev("e15", "2026-07-07T23:59:59.999Z", "GetSecretValue", Hostile, S1),
		ev("e16", "2026-07-08T00:00:00Z", "GetSecretValue", Alice, S1), // just after the week
	}
	for i := range events {
		events[i].SourceIndex = int64(i)
	}
	// CloudTrail delivered e02 and e07 again in another file.
	for _, e := range events {
		if e.EventID == "e02" || e.EventID == "e07" {
			e.SourceObject = "AWSLogs/111111111111/CloudTrail/us-east-1/b.json.gz"
			dups = append(dups, e)
		}
	}
	f := func(id, kind, sev, principal, res, start string) finding.Finding {
		t, _ := time.Parse(time.RFC3339, start)
		return finding.Finding{ID: id, Kind: kind, Severity: sev, Principal: principal, Resource: res,
			Resources: []string{res}, Start: t, End: t.Add(time.Minute), Count: 1, Title: kind + " on " + res}
	}
	findings = []finding.Finding{
		f("f-june", finding.KindFirstSeen, finding.SeverityLow, Alice, S2, "2026-06-20T10:00:00Z"),
		f("f-cross", finding.KindCrossAccount, finding.SeverityHigh, Mallory, S1, "2026-07-03T12:00:00Z"),
		f("f-off", finding.KindOffHours, finding.SeverityMedium, Alice, S1, "2026-07-02T03:00:00Z"),
	}
	return events, dups, findings
}

// Source makes a lake folder for a test.
type Source func(dir string) error

// ScenarioSource writes Scenario's events, its duplicates (in a second
// file per day) and its findings twice (a retried detector run).
func ScenarioSource(dir string) error {
	events, dups, fs := Scenario()
	if err := WriteEvents(dir, "a", events); err != nil {
		return fmt.Errorf("write events: %w", err)
	}
	if err := WriteEvents(dir, "b", dups); err != nil {
		return fmt.Errorf("write duplicates: %w", err)
	}
	if err := WriteFindings(dir, "run1", fs); err != nil {
		return fmt.Errorf("write findings: %w", err)
	}
	return WriteFindings(dir, "run2", fs[1:2])
}
