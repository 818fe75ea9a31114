package detect

import (
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/event"
)

// TestTableKeepsDistinctEventsSharingAnID: the table counts a true copy
// (same id, name, time and request id) once, and keeps records that share
// an id but differ in any of those as separate events.
func TestTableKeepsDistinctEventsSharingAnID(t *testing.T) {
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	e := event.Event{EventID: "1", RequestID: "r", EventName: "GetSecretValue", EventTime: at, EventSource: sourceSM,
		PrincipalARN: "arn:aws:iam::111111111111:role/app", ResourceARN: "arn:aws:secretsmanager:eu-west-1:111111111111:secret:s-AbCdEf"}
	copyOf := e
	copyOf.SourceObject = "other-file"
	otherName, otherTime, otherReq := e, e, e
	otherName.EventName = "DescribeSecret"
	otherTime.EventTime = at.Add(time.Second)
	otherReq.RequestID = "r2"
	tb := newTable(newInterner())
	tb.addAll([]event.Event{e, copyOf, otherName, otherTime, otherReq})
	if got := tb.rows.len(); got != 4 {
		t.Fatalf("table holds %d events, want 4 (one copy dropped)", got)
	}
	if e.Key() != copyOf.Key() || e.Key() == otherName.Key() || e.Key() == otherTime.Key() || e.Key() == otherReq.Key() {
		t.Error("event.Key does not tell copies from distinct events")
	}
}
