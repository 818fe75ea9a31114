package alert_test

import (
	"fmt"
	"time"

	"github.com/keytrail/keytrail/alert"
	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/finding"
)

// A destructive finding, with the event the alerter read from the lake:
// the message says when the deletion takes effect and how to undo it, and
// links the event in the CloudTrail console.
func ExampleRenderer_Finding() {
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	key := "arn:aws:kms:eu-central-1:111122223333:key/9999abcd-12ab-34cd-56ef-1234567890ab"
	f := finding.Finding{
		ID: "destructive-1", Kind: finding.KindDestructive, Severity: finding.SeverityCritical,
		Principal: "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123", Resource: key,
		Start: at, End: at, Count: 1, Title: "ScheduleKeyDeletion by alice",
		Reason:        "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123 called ScheduleKeyDeletion on " + key + " at Mon 2026-03-02 09:30 (UTC).",
		EventIDs:      []string{"6f1e2d3c-0000-4000-8000-00000000d001"},
		PrincipalName: "alice@example.com", PrincipalAccount: "111122223333", CallerKind: "person",
		EventNames: []string{"ScheduleKeyDeletion"}, Regions: []string{"eu-central-1"},
	}
	call := event.Event{
		EventID: f.EventIDs[0], EventTime: at, EventName: "ScheduleKeyDeletion", AWSRegion: "eu-central-1", ResourceARN: key,
		RequestParameters: `{"keyId":"9999abcd-12ab-34cd-56ef-1234567890ab","pendingWindowInDays":7}`,
		ResponseElements:  `{"keyId":"` + key + `","deletionDate":"Mar 9, 2026, 9:30:00 AM","keyState":"PendingDeletion"}`,
	}
	r := alert.Renderer{Location: time.UTC, Region: "eu-central-1"}
	msg := r.Finding(f, alert.Extras{Calls: []event.Event{call}})
	fmt.Print(msg.Preview())
	// Output:
	// 🚨 CRITICAL · ScheduleKeyDeletion by alice
	// ==========================================
	// *Severity:* 🚨 *CRITICAL*   *Kind:* `destructive`   *Events:* 1
	//
	// *Who*
	// Principal: `arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123`
	// Name: `alice@example.com` · Account: `111122223333` · Caller: `person`
	//
	// *What*
	// Resource: `arn:aws:kms:eu-central-1:111122223333:key/9999abcd-12ab-34cd-56ef-1234567890ab`
	// Actions: `ScheduleKeyDeletion`
	//
	// *When*
	// 2026-03-02 09:30:00 UTC – 2026-03-02 09:30:00 UTC
	//
	// *Where*
	// Regions: `eu-central-1`
	//
	// *Why*
	// `arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123 called ScheduleKeyDeletion on arn:aws:kms:eu-central-1:111122223333:key/9999abcd-12ab-34cd-56ef-1234567890ab at Mon 2026-03-02 09:30 (UTC).`
	//
	// *Evidence*
	// Finding: `destructive-1`
	// Event IDs: `6f1e2d3c-0000-4000-8000-00000000d001`
	//
	// Deadline and undo
	// ScheduleKeyDeletion on arn:aws:kms:eu-central-1:111122223333:key/9999abcd-12ab-34cd-56ef-1234567890ab: on 2026-03-09 09:30:00 UTC the key is deleted, and everything encrypted under it is lost. Until then the key is pending deletion and refuses every use. Cancelling leaves it disabled: enable it too.
	// aws kms cancel-key-deletion --key-id 'arn:aws:kms:eu-central-1:111122223333:key/9999abcd-12ab-34cd-56ef-1234567890ab' --region 'eu-central-1'
	// aws kms enable-key --key-id 'arn:aws:kms:eu-central-1:111122223333:key/9999abcd-12ab-34cd-56ef-1234567890ab' --region 'eu-central-1'
	//
	// CloudTrail event history (90 days): <https://eu-central-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-central-1#/events/6f1e2d3c-0000-4000-8000-00000000d001|event 1>
	//
	// keytrail · `destructive` · finding `destructive-1`
}
