// Package sqstest is a loopback Amazon SQS server for tests: it speaks the
// JSON protocol aws-sdk-go-v2's SQS client uses (POST /, X-Amz-Target
// AmazonSQS.<Action>, application/x-amz-json-1.0) for the calls keytrail
// makes: queue attributes and URLs, receive, send, delete, visibility, and
// the native dead-letter redrive (StartMessageMoveTask, ListMessageMoveTasks).
//
// No maintained SQS emulator installable with go install speaks that
// protocol in a version the module proxy serves (goaws added it after
// v0.4.5), so tests drive the real SDK client against this one. Messages
// a receive hides stay hidden until released (ChangeMessageVisibility 0)
// or Expire: tests decide when a visibility timeout ends.
package sqstest

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Account and Region of every queue.
const (
	Account = "111122223333"
	Region  = "eu-central-1"
)

// Message is a message held by a queue.
type Message struct {
	ID, Body   string
	Attributes map[string]any // message attributes, as the JSON protocol carries them
	SourceARN  string         // DeadLetterQueueSourceArn: the queue it failed in
	hidden     bool
	receipt    string
}

type queue struct {
	name     string
	messages []*Message
	// dlqOf lists the queues whose redrive policy names this queue.
	dlqOf []string
	// failSends makes SendMessage to the queue fail this many times.
	failSends int
}

// Server is the loopback SQS server.
type Server struct {
	URL string

	mu     sync.Mutex
	queues map[string]*queue // by name
	seq    int
	tasks  []map[string]any
	calls  map[string]int
}

// Start starts a server, stopped when the test ends.
func Start(t testing.TB) *Server {
	s := &Server{queues: map[string]*queue{}, calls: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Client returns an SDK client for the server.
func (s *Server) Client() *sqs.Client {
	return sqs.New(sqs.Options{
		Region: Region, BaseEndpoint: aws.String(s.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
}

// CreateQueue adds a queue; with dlq set, the queue's redrive policy
// names the queue dlq (created when missing).
func (s *Server) CreateQueue(name, dlq string) (url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue(name)
	if dlq != "" {
		d := s.queue(dlq)
		d.dlqOf = append(d.dlqOf, name)
	}
	return s.QueueURL(name)
}

func (s *Server) queue(name string) *queue {
	q, ok := s.queues[name]
	if !ok {
		q = &queue{name: name}
		s.queues[name] = q
	}
	return q
}

// QueueURL and QueueARN name a queue as SQS does.
func (s *Server) QueueURL(name string) string { return s.URL + "/" + Account + "/" + name }

// QueueARN is the queue's ARN.
func QueueARN(name string) string { return "arn:aws:sqs:" + Region + ":" + Account + ":" + name }

// DeadLetter puts a message into dlq as if it had failed in source
// (source "" for one sent to dlq directly), returning its id.
func (s *Server) DeadLetter(dlq, source, body string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.add(s.queue(dlq), body, nil)
	if source != "" {
		m.SourceARN = QueueARN(source)
	}
	return m.ID
}

func (s *Server) add(q *queue, body string, attrs map[string]any) *Message {
	s.seq++
	m := &Message{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", s.seq), Body: body, Attributes: attrs}
	q.messages = append(q.messages, m)
	return m
}

// Messages returns a copy of the queue's messages, hidden ones included.
func (s *Server) Messages(name string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.queue(name).messages {
		out = append(out, *m)
	}
	return out
}

// Expire ends every visibility timeout: hidden messages are visible again.
func (s *Server) Expire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.queues {
		for _, m := range q.messages {
			m.hidden = false
		}
	}
}

// FailSends makes the next n SendMessage calls to the queue fail with a
// server error.
func (s *Server) FailSends(name string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue(name).failSends = n
}

// Calls reports how many times action was called.
func (s *Server) Calls(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[action]
}

type apiError struct {
	status int
	code   string
	msg    string
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	action, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	if r.Method != http.MethodPost || !ok || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.0") {
		writeError(w, apiError{400, "InvalidAction", "not an SQS JSON request"})
		return
	}
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, apiError{400, "MalformedInput", err.Error()})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[action]++
	out, aerr := s.do(action, in)
	if aerr != nil {
		writeError(w, *aerr)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(out)
}

func writeError(w http.ResponseWriter, e apiError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("x-amzn-query-error", e.code+";Sender")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + e.code, "message": e.msg})
}

func str(in map[string]any, k string) string { v, _ := in[k].(string); return v }

func num(in map[string]any, k string, def int) int {
	if v, ok := in[k].(float64); ok {
		return int(v)
	}
	return def
}

// byURL and byARN find a queue.
func (s *Server) byURL(url string) (*queue, *apiError) {
	name, ok := strings.CutPrefix(url, s.URL+"/"+Account+"/")
	if q, found := s.queues[name]; ok && found {
		return q, nil
	}
	return nil, &apiError{400, "QueueDoesNotExist", "The specified queue does not exist."}
}

func (s *Server) byARN(arn string) (*queue, *apiError) {
	name, ok := strings.CutPrefix(arn, QueueARN(""))
	if q, found := s.queues[name]; ok && found {
		return q, nil
	}
	return nil, &apiError{400, "ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist."}
}

func (s *Server) do(action string, in map[string]any) (any, *apiError) {
	switch action {
	case "GetQueueUrl":
		if str(in, "QueueOwnerAWSAccountId") != "" && str(in, "QueueOwnerAWSAccountId") != Account {
			return nil, &apiError{400, "QueueDoesNotExist", "The specified queue does not exist."}
		}
		if _, ok := s.queues[str(in, "QueueName")]; !ok {
			return nil, &apiError{400, "QueueDoesNotExist", "The specified queue does not exist."}
		}
		return map[string]string{"QueueUrl": s.QueueURL(str(in, "QueueName"))}, nil
	case "GetQueueAttributes":
		q, err := s.byURL(str(in, "QueueUrl"))
		if err != nil {
			return nil, err
		}
		visible, hidden := 0, 0
		for _, m := range q.messages {
			if m.hidden {
				hidden++
			} else {
				visible++
			}
		}
		attrs := map[string]string{
			"QueueArn":                              QueueARN(q.name),
			"ApproximateNumberOfMessages":           strconv.Itoa(visible),
			"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(hidden),
		}
		return map[string]any{"Attributes": attrs}, nil
	case "ReceiveMessage":
		q, err := s.byURL(str(in, "QueueUrl"))
		if err != nil {
			return nil, err
		}
		max := num(in, "MaxNumberOfMessages", 1)
		if max < 1 || max > 10 {
			return nil, &apiError{400, "InvalidParameterValue", "MaxNumberOfMessages must be 1 to 10"}
		}
		msgs := []map[string]any{}
		for _, m := range q.messages {
			if len(msgs) == max {
				break
			}
			if m.hidden {
				continue
			}
			if num(in, "VisibilityTimeout", 30) > 0 {
				m.hidden = true
			}
			s.seq++
			m.receipt = fmt.Sprintf("rh-%s-%d", m.ID, s.seq)
			sum := md5.Sum([]byte(m.Body))
			msg := map[string]any{"MessageId": m.ID, "ReceiptHandle": m.receipt, "Body": m.Body, "MD5OfBody": hex.EncodeToString(sum[:])}
			if len(m.Attributes) > 0 {
				msg["MessageAttributes"] = m.Attributes
			}
			if m.SourceARN != "" && slices.Contains(names(in["MessageSystemAttributeNames"]), "DeadLetterQueueSourceArn") {
				msg["Attributes"] = map[string]string{"DeadLetterQueueSourceArn": m.SourceARN}
			}
			msgs = append(msgs, msg)
		}
		return map[string]any{"Messages": msgs}, nil
	case "SendMessage":
		q, err := s.byURL(str(in, "QueueUrl"))
		if err != nil {
			return nil, err
		}
		if q.failSends > 0 {
			q.failSends--
			return nil, &apiError{500, "InternalError", "injected failure"}
		}
		attrs, _ := in["MessageAttributes"].(map[string]any)
		m := s.add(q, str(in, "MessageBody"), attrs)
		sum := md5.Sum([]byte(m.Body))
		return map[string]string{"MessageId": m.ID, "MD5OfMessageBody": hex.EncodeToString(sum[:])}, nil
	case "DeleteMessage", "ChangeMessageVisibility":
		q, err := s.byURL(str(in, "QueueUrl"))
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(q.messages, func(m *Message) bool { return m.receipt != "" && m.receipt == str(in, "ReceiptHandle") })
		if i < 0 {
			return nil, &apiError{400, "ReceiptHandleIsInvalid", "The input receipt handle is invalid."}
		}
		if action == "DeleteMessage" {
			q.messages = slices.Delete(q.messages, i, i+1)
		} else {
			q.messages[i].hidden = num(in, "VisibilityTimeout", 0) > 0
		}
		return map[string]any{}, nil
	case "StartMessageMoveTask":
		return s.move(in)
	case "ListMessageMoveTasks":
		if _, err := s.byARN(str(in, "SourceArn")); err != nil {
			return nil, err
		}
		var res []map[string]any
		for i := len(s.tasks) - 1; i >= 0; i-- {
			if t := s.tasks[i]; t["SourceArn"] == str(in, "SourceArn") {
				res = append(res, maps.Clone(t))
				// Listed as running once, as a real task is at first.
				t["Status"] = "COMPLETED"
			}
		}
		return map[string]any{"Results": res}, nil
	}
	return nil, &apiError{400, "InvalidAction", "unsupported action " + action}
}

// move runs a move task at once: each visible message goes to the
// destination, or back to the queue it failed in. The task is listed as
// RUNNING once, then COMPLETED.
func (s *Server) move(in map[string]any) (any, *apiError) {
	dlq, err := s.byARN(str(in, "SourceArn"))
	if err != nil {
		return nil, err
	}
	if len(dlq.dlqOf) == 0 {
		return nil, &apiError{400, "InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue."}
	}
	var dest *queue
	if d := str(in, "DestinationArn"); d != "" {
		if dest, err = s.byARN(d); err != nil {
			return nil, err
		}
	}
	s.seq++
	task := map[string]any{"TaskHandle": fmt.Sprintf("task-%d", s.seq), "SourceArn": str(in, "SourceArn"), "Status": "RUNNING"}
	moved := 0
	var keep []*Message
	for _, m := range dlq.messages {
		to := dest
		if to == nil {
			to, _ = s.byARN(m.SourceARN)
		}
		if m.hidden || to == nil {
			keep = append(keep, m)
			continue
		}
		s.add(to, m.Body, m.Attributes)
		moved++
	}
	dlq.messages = keep
	task["ApproximateNumberOfMessagesMoved"] = moved
	task["ApproximateNumberOfMessagesToMove"] = moved
	s.tasks = append(s.tasks, task)
	return map[string]string{"TaskHandle": task["TaskHandle"].(string)}, nil
}

func names(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
