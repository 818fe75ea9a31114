package detect_test

import (
	"fmt"
	"time"

	"github.com/keytrail/keytrail/detect"
	"github.com/keytrail/keytrail/internal/event"
)

// A Detector runs the rules over the rows of a window. The clock is
// injected, so the same rows always give the same findings. Here one
// person schedules a key's deletion and deletes a secret in the same
// hour: one finding naming both.
func ExampleDetector_Detect() {
	at := time.Date(2025, 3, 18, 11, 0, 0, 0, time.UTC) // a Tuesday, working hours
	row := func(id, source, name, resource, typ string, t time.Time) event.Event {
		return event.Event{EventID: id, EventTime: t, EventSource: source, EventName: name,
			EventType: "AwsApiCall", EventCategory: "Management", AWSRegion: "ap-northeast-1",
			RecipientAcct: "111111111111", IdentityType: "AssumedRole", CallerKind: event.CallerPerson,
			PrincipalARN: "arn:aws:iam::111111111111:role/AWSReservedSSO_Admin", PrincipalAccount: "111111111111",
			PrincipalName: "AWSReservedSSO_Admin", SourceIP: "198.51.100.7", UserAgent: "aws-cli/2",
			ResourceARN: resource, ResourceARNs: []string{resource}, ResourceType: typ, ResourceAccount: "111111111111"}
	}
	d := &detect.Detector{Config: detect.DefaultConfig(), Now: func() time.Time { return at.Add(time.Hour) }}
	fs, err := d.Detect(detect.Input{
		From: at.Add(-time.Hour), To: at.Add(time.Hour),
		Events: []event.Event{
			row("e1", "kms.amazonaws.com", "ScheduleKeyDeletion", "arn:aws:kms:ap-northeast-1:111111111111:key/k1", event.ResourceKey, at),
			row("e2", "secretsmanager.amazonaws.com", "DeleteSecret", "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:prod/db",
				event.ResourceSecret, at.Add(time.Minute)),
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range fs {
		fmt.Println(f.Kind, f.Severity, f.Principal)
		fmt.Println(f.Title)
		fmt.Println(f.Resources, f.EventNames)
	}
	// Output:
	// destructive critical arn:aws:iam::111111111111:role/AWSReservedSSO_Admin
	// DeleteSecret, ScheduleKeyDeletion by AWSReservedSSO_Admin
	// [arn:aws:kms:ap-northeast-1:111111111111:key/k1 arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:prod/db] [DeleteSecret ScheduleKeyDeletion]
}
