package redrive_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail/internal/redrive"
	"github.com/keytrail/keytrail/internal/sqstest"
)

// lake sets up the stack's shape: one dead-letter queue behind the parts
// and findings queues, a message from each in it and a third from parts.
func lake(t *testing.T) (*sqstest.Server, *redrive.Redriver, []string) {
	s := sqstest.Start(t)
	s.CreateQueue("parts", "lake-dlq")
	s.CreateQueue("findings", "lake-dlq")
	ids := []string{
		s.DeadLetter("lake-dlq", "parts", `{"detail":{"object":{"key":"keytrail/events/day=2026-03-01/a.parquet"}}}`),
		s.DeadLetter("lake-dlq", "findings", `{"detail":{"object":{"key":"keytrail/findings/day=2026-03-01/b.parquet"}}}`),
		s.DeadLetter("lake-dlq", "parts", "\x1b[31mred\x1b[0m and a newline\n"),
	}
	r := &redrive.Redriver{SQS: s.Client(), PollInterval: time.Millisecond}
	return s, r, ids
}

func bodies(ms []sqstest.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Body)
	}
	return out
}

// The whole queue moves with SQS's move task, each message back to the
// queue it failed in.
func TestMoveTask(t *testing.T) {
	s, r, _ := lake(t)
	before := bodies(s.Messages("lake-dlq"))
	rep, err := r.Redrive(context.Background(), redrive.Options{DLQ: s.QueueURL("lake-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Method != redrive.MethodMoveTask || rep.Moved != 3 || rep.Depth != 3 || s.Calls("StartMessageMoveTask") != 1 ||
		s.Calls("ListMessageMoveTasks") != 2 {
		t.Errorf("report %+v, %d move tasks, %d polls (running, then completed)", rep, s.Calls("StartMessageMoveTask"), s.Calls("ListMessageMoveTasks"))
	}
	if n := len(s.Messages("lake-dlq")); n != 0 {
		t.Errorf("%d messages left in the dead-letter queue", n)
	}
	if got := bodies(s.Messages("findings")); !slices.Equal(got, before[1:2]) {
		t.Errorf("findings queue %q, want %q", got, before[1:2])
	}
	if got := bodies(s.Messages("parts")); !slices.Equal(got, []string{before[0], before[2]}) {
		t.Errorf("parts queue %q", got)
	}
}

// A dry run lists what would move, escaped, and leaves every message
// where it was and visible.
func TestDryRun(t *testing.T) {
	for _, max := range []int{0, 2} {
		s, r, ids := lake(t)
		rep, err := r.Redrive(context.Background(), redrive.Options{DLQ: s.QueueURL("lake-dlq"), DryRun: true, Max: max})
		if err != nil {
			t.Fatal(err)
		}
		want, method := 3, redrive.MethodMoveTask
		if max > 0 {
			want, method = max, redrive.MethodReceive
		}
		if rep.Method != method || rep.Moved != want || len(rep.Messages) != want {
			t.Fatalf("max %d: report %+v", max, rep)
		}
		for i, m := range rep.Messages {
			if m.ID != ids[i] {
				t.Errorf("max %d: message %d id %s, want %s", max, i, m.ID, ids[i])
			}
		}
		if m := rep.Messages[0]; m.Destination != s.QueueURL("parts") || !strings.HasPrefix(m.Preview, `"{\"detail\"`) {
			t.Errorf("first message %+v", m)
		}
		if max == 0 {
			if p := rep.Messages[2].Preview; p != `"\x1b[31mred\x1b[0m and a newline\n"` || rep.Messages[1].Destination != s.QueueURL("findings") {
				t.Errorf("preview %s, destination %s", p, rep.Messages[1].Destination)
			}
		}
		if len(s.Messages("parts"))+len(s.Messages("findings")) != 0 || s.Calls("SendMessage") != 0 || s.Calls("DeleteMessage") != 0 {
			t.Errorf("max %d: a dry run moved messages", max)
		}
		// Released at once, not after the visibility timeout.
		rep, err = r.Redrive(context.Background(), redrive.Options{DLQ: s.QueueURL("lake-dlq"), Max: 3})
		if err != nil || rep.Moved != 3 {
			t.Errorf("max %d: move after the dry run: %+v, %v", max, rep, err)
		}
	}
}

// --max moves that many, each to its source queue; the rest stay.
func TestMax(t *testing.T) {
	s, r, ids := lake(t)
	rep, err := r.Redrive(context.Background(), redrive.Options{DLQ: s.QueueURL("lake-dlq"), Max: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Method != redrive.MethodReceive || rep.Moved != 2 || len(rep.Messages) != 2 || rep.Messages[1].ID != ids[1] {
		t.Errorf("report %+v", rep)
	}
	if left := s.Messages("lake-dlq"); len(left) != 1 || left[0].ID != ids[2] {
		t.Errorf("left %+v", left)
	}
	if len(s.Messages("parts")) != 1 || len(s.Messages("findings")) != 1 {
		t.Errorf("parts %d, findings %d", len(s.Messages("parts")), len(s.Messages("findings")))
	}
}

// A failed send deletes nothing: the message is still in the dead-letter
// queue when its visibility timeout ends, and so are the others.
func TestSendFailureLosesNothing(t *testing.T) {
	s, r, _ := lake(t)
	s.FailSends("parts", 1)
	_, err := r.Redrive(context.Background(), redrive.Options{DLQ: s.QueueURL("lake-dlq"), Max: 3})
	if err == nil || !strings.Contains(err.Error(), "left in the dead-letter queue") {
		t.Fatalf("err %v", err)
	}
	s.Expire()
	if n := len(s.Messages("lake-dlq")); n != 3 || s.Calls("DeleteMessage") != 0 {
		t.Errorf("%d messages in the dead-letter queue, %d deletes; want 3 and 0", n, s.Calls("DeleteMessage"))
	}
	rep, err := r.Redrive(context.Background(), redrive.Options{DLQ: s.QueueURL("lake-dlq"), Max: 3})
	if err != nil || rep.Moved != 3 || len(s.Messages("parts")) != 2 {
		t.Errorf("retry: %+v, %v", rep, err)
	}
}

// A message sent to the dead-letter queue by hand has no source: it
// stays unless a destination is given.
func TestNoSource(t *testing.T) {
	s := sqstest.Start(t)
	s.CreateQueue("queue", "dlq")
	s.DeadLetter("dlq", "", "by hand")
	r := &redrive.Redriver{SQS: s.Client()}
	_, err := r.Redrive(context.Background(), redrive.Options{DLQ: s.QueueURL("dlq"), Max: 1})
	if err == nil || !strings.Contains(err.Error(), "no source queue") {
		t.Fatalf("err %v", err)
	}
	s.Expire()
	rep, err := r.Redrive(context.Background(), redrive.Options{DLQ: s.QueueURL("dlq"), Max: 1, To: s.QueueURL("queue")})
	if err != nil || rep.Moved != 1 || len(s.Messages("queue")) != 1 || len(s.Messages("dlq")) != 0 {
		t.Errorf("with a destination: %+v, %v", rep, err)
	}
	if _, err := r.Redrive(context.Background(), redrive.Options{DLQ: s.QueueURL("missing")}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing queue: %v", err)
	}
}
