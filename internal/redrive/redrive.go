// Package redrive moves the messages of a dead-letter queue back to the
// queue they failed in, once the cause (a bad deployment, a lake or key
// permission, a poison object since removed) is fixed.
//
// A whole queue moves with SQS's own move task (StartMessageMoveTask):
// SQS routes each message back to the queue it came from, which matters
// because one dead-letter queue of the stack serves two queues (new parts
// and new findings), and moves them server-side. The task cannot stop
// after N messages nor say which messages it will move, so --max and
// --dry-run receive the messages instead: each is sent to its source queue
// (the DeadLetterQueueSourceArn SQS stamps on it, or the queue given) and
// deleted from the dead-letter queue only after the send succeeded. A
// message is never lost: a failed send leaves it in the dead-letter queue
// (visible again when its visibility timeout ends), and a failed delete
// after a send leaves a copy in both, which the pipeline tolerates by
// design: ingest, detect and alert are idempotent over redelivered
// notifications (SQS delivers at least once anyway), so a duplicate costs
// a repeated run, never a duplicate event or Slack post.
package redrive

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// API is the part of the SQS client redrive uses; *sqs.Client implements it.
type API interface {
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	StartMessageMoveTask(ctx context.Context, in *sqs.StartMessageMoveTaskInput, optFns ...func(*sqs.Options)) (*sqs.StartMessageMoveTaskOutput, error)
	ListMessageMoveTasks(ctx context.Context, in *sqs.ListMessageMoveTasksInput, optFns ...func(*sqs.Options)) (*sqs.ListMessageMoveTasksOutput, error)
}

// ListLimit caps the messages a dry run without --max lists (the count is
// the queue's depth either way).
const ListLimit = 100

// Options says what to move.
type Options struct {
	DLQ    string // the dead-letter queue's URL
	To     string // the destination queue's URL; "" is each message's source queue
	Max    int    // at most this many messages; 0 is all
	DryRun bool   // list what would move, move nothing
}

// Message is one message moved or, in a dry run, to be moved.
type Message struct {
	ID          string
	Destination string // the queue's URL, "" when unknown
	Preview     string // the body's first bytes, escaped (a quoted Go string)
}

// Report says what a redrive did.
type Report struct {
	DLQ      string
	Depth    int    // messages in the dead-letter queue before (approximate)
	Method   string // MethodMoveTask or MethodReceive; in a dry run, the real run's
	Moved    int    // moved; in a dry run, the number that would move
	Messages []Message
}

// Methods of moving.
const (
	MethodMoveTask = "StartMessageMoveTask"
	MethodReceive  = "receive, send, delete"
)

// Redriver moves messages.
type Redriver struct {
	SQS API
	// PollInterval is the wait between polls of a move task (0 means 2s).
	PollInterval time.Duration
	// Visibility hides received messages this long while they move (0
	// means 60s); a dry run releases them at once.
	Visibility time.Duration
}

// Redrive moves (or lists) the messages of o.DLQ.
func (r *Redriver) Redrive(ctx context.Context, o Options) (Report, error) {
	rep := Report{DLQ: o.DLQ}
	if o.Max < 0 {
		return rep, fmt.Errorf("redrive: --max %d is negative", o.Max)
	}
	attrs, err := r.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(o.DLQ),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn, types.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		return rep, fmt.Errorf("read queue %s: %w", o.DLQ, err)
	}
	rep.Depth, _ = strconv.Atoi(attrs.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	if o.Max == 0 && !o.DryRun {
		rep.Method = MethodMoveTask
		rep.Moved, err = r.moveTask(ctx, attrs.Attributes[string(types.QueueAttributeNameQueueArn)], o.To)
		return rep, err
	}
	rep.Method = MethodReceive
	limit := o.Max
	if o.DryRun && limit == 0 {
		limit = min(rep.Depth, ListLimit)
	}
	err = r.receive(ctx, o, limit, &rep)
	if o.DryRun && o.Max == 0 {
		// What the real run would do: move them all, with the task.
		rep.Moved = max(rep.Depth, rep.Moved)
		rep.Method = MethodMoveTask
	}
	return rep, err
}

// moveTask starts SQS's move task and waits for it to end.
func (r *Redriver) moveTask(ctx context.Context, dlqARN, to string) (int, error) {
	in := &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqARN)}
	if to != "" {
		arn, err := r.queueARN(ctx, to)
		if err != nil {
			return 0, err
		}
		in.DestinationArn = aws.String(arn)
	}
	start, err := r.SQS.StartMessageMoveTask(ctx, in)
	if err != nil {
		return 0, fmt.Errorf("start move task from %s: %w", dlqARN, err)
	}
	handle := aws.ToString(start.TaskHandle)
	for {
		list, err := r.SQS.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(dlqARN), MaxResults: aws.Int32(10)})
		if err != nil {
			return 0, fmt.Errorf("move task %s: %w", handle, err)
		}
		// The most recent task first: the one just started (a finished
		// task may come back without its handle).
		if len(list.Results) > 0 {
			t := list.Results[0]
			moved := int(t.ApproximateNumberOfMessagesMoved)
			switch aws.ToString(t.Status) {
			case "COMPLETED":
				return moved, nil
			case "FAILED", "CANCELLED", "CANCELLING":
				return moved, fmt.Errorf("move task %s from %s %s after %d messages: %s", handle, dlqARN,
					strings.ToLower(aws.ToString(t.Status)), moved, aws.ToString(t.FailureReason))
			}
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(cmp.Or(r.PollInterval, 2*time.Second)):
		}
	}
}

// receive moves (or lists) up to limit messages one receive at a time.
func (r *Redriver) receive(ctx context.Context, o Options, limit int, rep *Report) error {
	vis := r.Visibility
	if vis <= 0 {
		vis = time.Minute
	}
	urls := map[string]string{} // source ARN → URL
	var listed []types.Message  // a dry run's, released at the end
	defer func() {
		for _, m := range listed {
			// Visible again at once; should this fail, the timeout does it.
			_, _ = r.SQS.ChangeMessageVisibility(context.WithoutCancel(ctx), &sqs.ChangeMessageVisibilityInput{
				QueueUrl: aws.String(o.DLQ), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
		}
	}()
	for rep.Moved < limit {
		out, err := r.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(o.DLQ), MaxNumberOfMessages: int32(min(10, limit-rep.Moved)),
			VisibilityTimeout: int32(vis.Seconds()), WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameDeadLetterQueueSourceArn},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			return fmt.Errorf("receive from %s: %w", o.DLQ, err)
		}
		if len(out.Messages) == 0 {
			return nil
		}
		for _, m := range out.Messages {
			dest, err := r.destination(ctx, o.To, m, urls)
			msg := Message{ID: aws.ToString(m.MessageId), Destination: dest, Preview: preview(aws.ToString(m.Body))}
			if o.DryRun {
				listed = append(listed, m)
				rep.Messages = append(rep.Messages, msg)
				rep.Moved++
				continue
			}
			if err != nil {
				return err // the message stays in the dead-letter queue
			}
			if _, err := r.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(dest), MessageBody: m.Body, MessageAttributes: m.MessageAttributes}); err != nil {
				return fmt.Errorf("send message %s to %s (left in the dead-letter queue): %w", msg.ID, dest, err)
			}
			if _, err := r.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(o.DLQ), ReceiptHandle: m.ReceiptHandle}); err != nil {
				return fmt.Errorf("delete message %s from %s after sending it (now in both; the pipeline ignores the repeat): %w", msg.ID, o.DLQ, err)
			}
			rep.Messages = append(rep.Messages, msg)
			rep.Moved++
		}
	}
	return nil
}

// destination is to, or the URL of the queue the message failed in.
func (r *Redriver) destination(ctx context.Context, to string, m types.Message, urls map[string]string) (string, error) {
	if to != "" {
		return to, nil
	}
	arn := m.Attributes[string(types.MessageSystemAttributeNameDeadLetterQueueSourceArn)]
	if arn == "" {
		return "", fmt.Errorf("message %s has no source queue (sent to the dead-letter queue directly?): give the destination queue", aws.ToString(m.MessageId))
	}
	if u, ok := urls[arn]; ok {
		return u, nil
	}
	// arn:aws:sqs:region:account:name
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[2] != "sqs" {
		return "", fmt.Errorf("message %s: source %q is not a queue ARN", aws.ToString(m.MessageId), arn)
	}
	out, err := r.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(parts[5]), QueueOwnerAWSAccountId: aws.String(parts[4])})
	if err != nil {
		return "", fmt.Errorf("message %s: find source queue %s: %w", aws.ToString(m.MessageId), arn, err)
	}
	urls[arn] = aws.ToString(out.QueueUrl)
	return urls[arn], nil
}

func (r *Redriver) queueARN(ctx context.Context, url string) (string, error) {
	out, err := r.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", fmt.Errorf("read queue %s: %w", url, err)
	}
	arn := out.Attributes[string(types.QueueAttributeNameQueueArn)]
	if arn == "" {
		return "", errors.New("read queue " + url + ": no QueueArn")
	}
	return arn, nil
}

// previewBytes is how much of a body a listing shows.
const previewBytes = 120

// preview is the body's first bytes as a quoted Go string: a message body
// is whatever reached the queue, shown as data, never as terminal control.
func preview(body string) string {
	if len(body) > previewBytes {
		return strconv.Quote(body[:previewBytes]) + "…"
	}
	return strconv.Quote(body)
}

// Print writes a report for people: what moved, or would move.
func Print(w io.Writer, rep Report, dryRun bool) error {
	verb := "moved"
	if dryRun {
		verb = "would move"
	}
	if _, err := fmt.Fprintf(w, "%s: %d message(s) in the queue, %s %d (%s)\n", rep.DLQ, rep.Depth, verb, rep.Moved, rep.Method); err != nil {
		return err
	}
	for _, m := range rep.Messages {
		dest := m.Destination
		if dest == "" {
			dest = "(no source queue)"
		}
		if _, err := fmt.Fprintf(w, "  %s -> %s  %s\n", m.ID, dest, m.Preview); err != nil {
			return err
		}
	}
	if dryRun && rep.Moved > len(rep.Messages) {
		_, err := fmt.Fprintf(w, "  … and %d more (listing the first %d)\n", rep.Moved-len(rep.Messages), len(rep.Messages))
		return err
	}
	return nil
}
